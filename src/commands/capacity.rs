//! `capacity`: sweep, search, growth.

use anyhow::Context;

use super::{Preparation, check_room, finish_server, flag_error, open_server};
use crate::cli::CapacityArgs;
use crate::results::limit::{LatencyFigure, Limit, Metric, Op};
use crate::scenario::Scenario;
use crate::{capacity, report};

/// `capacity`: sweep, search, growth; writes capacity.json and capacity.html.
pub async fn capacity(args: CapacityArgs) -> anyhow::Result<()> {
    super::check_outputs(&[("--out", args.out.as_deref())], &[])?;
    let scenario = Scenario::load(&args.scenario)?.with_overrides(args.seed, Some(args.scale))?;
    let growth: Vec<f64> = args.growth.iter().map(|m| m.get()).collect();
    // Each growth step is a seeded scale of its own: the same row cap as
    // --scale, checked before any work.
    for m in &growth {
        let scale = scenario.spec.scale * m;
        if let Some((table, rows)) =
            crate::scenario::validate::oversized_table(&scenario.spec, scale)
        {
            return Err(flag_error(
                "--growth",
                m.to_string(),
                &format!(
                    "expected multiples that keep every table within {} rows; at {m}x (scale {scale}) {table} would have {rows:.0}",
                    crate::scenario::validate::MAX_TABLE_ROWS
                ),
            ));
        }
    }
    let objectives = objectives(&args, &scenario);
    let shard = args.shard.unwrap_or_default();
    let fewest = [args.workers, args.growth_clients]
        .into_iter()
        .chain(args.clients.iter().copied())
        .min()
        .unwrap_or(1);
    if fewest < shard.count {
        return Err(flag_error(
            "--shard",
            shard.to_string(),
            &format!(
                "expected at most as many shards as the fewest clients of any measurement ({fewest}): shards past them would send nothing (raise --clients, --workers or --growth-clients)"
            ),
        ));
    }
    let out = args.out.clone().unwrap_or_else(|| {
        report::files::ReportDir::default_path(&scenario.spec.name, "capacity-")
    });
    let dir = report::files::ReportDir::at(out.clone())?;
    // Candidates by name (a group named on the command line, resolved),
    // refused before any work when unknown.
    let chosen = if args.crossover.is_empty() {
        Vec::new()
    } else {
        crate::pipeline::chosen(&scenario, Some(&args.crossover))?
    };
    let crossover: Vec<String> = chosen.iter().map(|c| c.name.clone()).collect();
    // The sweep's database and its copy, and per growth scale its seeded
    // database with the copies its run holds at once: the baseline's
    // alone, or a duet's pair.
    let per_scale = (1 + crate::pipeline::copies_at_once(
        1 + crossover.len(),
        crate::results::Design::Duet,
        false,
    )) as f64;
    let largest_scale = {
        use crate::seed::size::{available_memory, free_bytes, largest_scale};
        // An existing server's disk is not this machine's to count.
        let disk = args
            .server
            .database_url
            .is_none()
            .then(|| free_bytes(&std::env::temp_dir()))
            .flatten();
        largest_scale(&scenario.spec, per_scale, disk, available_memory())
    };
    let databases = 2.0 + per_scale * growth.iter().sum::<f64>();
    check_room(&args.server, &scenario, databases)?;
    // One growth scale's runs at a time: its candidates' prepared
    // databases live while its rounds do.
    let with_sql = chosen.iter().filter(|c| c.has_sql()).count();
    let largest_growth = growth.iter().copied().fold(0.0, f64::max);
    let preparation = Preparation::choose(
        &args.server,
        &scenario,
        with_sql,
        capacity::CROSSOVER_ROUNDS > 1,
        databases + with_sql as f64 * largest_growth,
    );
    preparation.announce();
    let server = open_server(&args.server).await?;
    let options = capacity::CapacityOptions {
        clients: args.clients.clone(),
        step: args.step,
        warmup: args.warmup,
        workers: args.workers,
        objectives,
        max_probes: args.max_probes.max(1),
        growth,
        growth_clients: args.growth_clients,
        project: args.project,
        crossover,
        prepare_once: preparation == Preparation::Once,
        largest_scale,
        out,
        progress: true,
        shard,
    };
    let results = capacity::plan(&server, &scenario, &options)
        .await
        .with_context(|| format!("capacity of {}", scenario.path.display()))?;
    dir.put_all(crate::report::files::CAPACITY_OUTPUTS, &results)?;
    print!("{}", report::capacity::summary(&results));
    println!(
        "\nreport: {}",
        dir.path.join(report::files::CAPACITY_HTML_FILE).display()
    );
    let database = server.maintenance_db();
    finish_server(server, &args.server, &database);
    Ok(())
}

/// The objectives the rate search holds: `--objective`, else the
/// scenario's thresholds on all queries, else an error rate; a latency
/// objective is added where none is given (without one every rate "holds").
fn objectives(args: &CapacityArgs, scenario: &Scenario) -> Vec<Limit> {
    let mut objectives = if args.objectives.is_empty() {
        let from_scenario: Vec<Limit> = scenario
            .thresholds
            .iter()
            .filter(|t| t.query.is_none())
            .flat_map(|t| t.limits.clone())
            .collect();
        if from_scenario.is_empty() {
            vec![Limit::new(Metric::ErrorRate, Op::Lt, 0.001)]
        } else {
            from_scenario
        }
    } else {
        args.objectives.clone()
    };
    if !objectives
        .iter()
        .any(|l| matches!(l.metric, Metric::Latency(_)))
    {
        objectives.insert(
            0,
            Limit::new(Metric::Latency(LatencyFigure::P99), Op::Lt, 50.0),
        );
    }
    objectives
}

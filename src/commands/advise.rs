//! `advise`: indexes found with HypoPG, then measured.

use anyhow::Context;

use super::{check_room, finish_server, open_server};
use crate::advise::{self, AdviseOptions};
use crate::cli::AdviseArgs;
use crate::gate::{self, Standing};
use crate::report;

/// Runs the advisor, prints what the planner proposed beside what the run
/// measured, and writes the migration of the winners.
pub async fn advise(args: AdviseArgs) -> anyhow::Result<Standing> {
    super::check_outputs(
        &[("--out", args.out.as_deref())],
        &[("--migration", args.migration.as_deref())],
    )?;
    let scenario = args.data.load()?;
    if scenario.spec.workload.is_none() || scenario.spec.load.is_none() {
        return Err(
            crate::pipeline::RunError::NoWorkload(scenario.path.display().to_string()).into(),
        );
    }
    let indexes = args.indexes as usize;
    // The template, the first run's copy, the scratch copy for HypoPG,
    // then a copy per advised index and the baseline's in duets.
    check_room(&args.server, &scenario, (3 + 2 * indexes) as f64)?;
    let options = AdviseOptions {
        run: crate::pipeline::RunOptions {
            overrides: args.load.overrides(),
            out: args.out.clone(),
            progress: true,
            rounds: args.rounds,
            criteria: args.criteria.within_run(),
            gate: args.criteria.gate,
            budget: args.budget,
            ..Default::default()
        },
        queries: args.queries as usize,
        indexes,
    };
    let server = open_server(&args.server).await?;
    let advised = advise::advise(&server, &scenario, &options)
        .await
        .with_context(|| format!("advising on {}", scenario.path.display()))?;
    println!("slowest queries of the first run, and the hypothetical indexes tried:");
    for e in &advised.examined {
        println!(
            "  {:<24} {:>5.1}% of the time   {:>3} tried, {:>3} used by the planner",
            e.query,
            e.time_share * 100.0,
            e.tried,
            e.used
        );
    }
    let database = server.maintenance_db();
    let Some((results, report)) = advised.measured else {
        println!(
            "\nno index cut the planner's cost of a slow query by 10% or more: nothing to measure"
        );
        finish_server(server, &args.server, &database);
        return Ok(Standing::Ok);
    };
    print!("\n{}", report::terminal::printed(&results, true));
    let migration = report.path.join(report::advice::MIGRATION_FILE);
    if let Some(to) = &args.migration {
        std::fs::copy(&migration, to)
            .with_context(|| format!("writing the migration to {}", to.display()))?;
    }
    println!(
        "\nmigration: {}\nreport: {}",
        args.migration.as_ref().unwrap_or(&migration).display(),
        report.path.join(report::files::HTML_FILE).display()
    );
    finish_server(server, &args.server, &results.scenario.database);
    Ok(gate::standing(&results))
}

//! schemabench: tells, with measurements, whether a database schema change
//! makes an app faster or slower before it ships.
//!
//! The pipeline, one module per stage: [`scenario`] (what to build, seed and
//! run) -> [`seed`] (deterministic data, bulk-loaded) -> [`drive`] (load as
//! real users). [`pg`] holds the server: a throwaway cluster or an external
//! one, and the Supabase `auth` emulation.

pub mod candidate;
pub mod capacity;
pub mod cli;
pub mod compare;
pub mod drive;
pub mod gate;
pub mod measure;
pub mod observe;
pub mod pg;
pub mod report;
pub mod results;
pub mod scenario;
pub mod seed;

use std::process::ExitCode;

use anyhow::Context;

use cli::{Cli, Command, RunArgs, SeedArgs, ServerArgs};
use pg::Server;
use scenario::Scenario;

/// Exit codes a CI system can act on.
pub mod exit {
    pub const OK: u8 = 0;
    /// The command line or the scenario file is wrong, or two runs cannot
    /// be compared.
    pub const USAGE: u8 = 2;
    /// The database or the run failed.
    pub const RUN_FAILED: u8 = 3;
    /// The run finished but a threshold of the scenario failed.
    pub const THRESHOLD_FAILED: u8 = 4;
    /// A query is slower than in the stored baseline.
    pub const REGRESSION: u8 = 5;
}

/// The exit code of a finished command.
pub fn exit_code_for_standing(standing: gate::Standing) -> ExitCode {
    ExitCode::from(match standing {
        gate::Standing::Ok => exit::OK,
        gate::Standing::ThresholdFailed => exit::THRESHOLD_FAILED,
        gate::Standing::Regressed => exit::REGRESSION,
    })
}

/// Chooses the exit code for an error: scenario and usage errors are the
/// user's to fix; everything else is a run failure.
pub fn exit_code_for(error: &anyhow::Error) -> ExitCode {
    let usage = error.downcast_ref::<scenario::ScenarioError>().is_some()
        || matches!(
            error.downcast_ref::<drive::RunError>(),
            Some(drive::RunError::UnknownCandidate(..))
        )
        || matches!(
            error.downcast_ref::<gate::GateError>(),
            Some(
                gate::GateError::Incomparable { .. }
                    | gate::GateError::BadName(_)
                    | gate::GateError::Read { .. }
                    | gate::GateError::Parse { .. }
                    | gate::GateError::Version { .. }
            )
        );
    if usage {
        ExitCode::from(exit::USAGE)
    } else {
        ExitCode::from(exit::RUN_FAILED)
    }
}

/// Runs one parsed command line; what it found decides the exit code.
pub async fn run(cli: Cli) -> anyhow::Result<gate::Standing> {
    match cli.command {
        Command::Check { scenario } => {
            let scenario = Scenario::load(&scenario)?;
            let plan_rows = seed::plan::DataPlan::new(&scenario.spec).total_rows();
            println!(
                "{}: ok ({} tables, {} rows at scale {}, {} migrations, {} queries)",
                scenario.path.display(),
                scenario.spec.tables.len(),
                plan_rows,
                scenario.spec.scale,
                scenario.migrations.len(),
                scenario
                    .spec
                    .workload
                    .as_ref()
                    .map_or(0, |w| w.queries.len()),
            );
            Ok(gate::Standing::Ok)
        }
        Command::Seed(args) => seed_command(args).await.map(|()| gate::Standing::Ok),
        Command::Run(args) => run_command(args).await,
        Command::Compare(args) => compare_command(&args),
        Command::Capacity(args) => capacity_command(args).await.map(|()| gate::Standing::Ok),
        Command::Report(args) => {
            let results = gate::baseline::load(&args.results)?;
            let dir = report::files::ReportDir::at(args.out.clone().unwrap_or_else(|| {
                args.results
                    .parent()
                    .unwrap_or(std::path::Path::new("."))
                    .to_owned()
            }))?;
            dir.write(&results)?;
            println!(
                "report: {}",
                dir.path.join(report::files::HTML_FILE).display()
            );
            Ok(gate::Standing::Ok)
        }
    }
}

/// A usage error about a flag, in the scenario error's words.
fn flag_error(scenario: &Scenario, flag: &str, value: String, problem: &str) -> anyhow::Error {
    scenario::ScenarioError::Invalid {
        file: scenario.path.clone(),
        line: 0,
        column: 0,
        key: flag.into(),
        value: Some(value),
        problem: problem.into(),
    }
    .into()
}

/// `capacity`: sweep, search, growth; writes capacity.json and capacity.html.
async fn capacity_command(args: cli::CapacityArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario)?.with_overrides(args.seed, Some(args.scale))?;
    if args.clients.is_empty() || args.clients.contains(&0) {
        return Err(flag_error(
            &scenario,
            "--clients",
            format!("{:?}", args.clients),
            "expected client counts of at least 1",
        ));
    }
    if args.growth.is_empty() || args.growth.iter().any(|m| !(m.is_finite() && *m > 0.0)) {
        return Err(flag_error(
            &scenario,
            "--growth",
            format!("{:?}", args.growth),
            "expected multiples of --scale greater than 0",
        ));
    }
    // Capacity needs a latency objective: without one every rate "holds".
    let mut objectives = if args.objectives.is_empty() {
        let from_scenario: Vec<String> = scenario
            .spec
            .thresholds
            .iter()
            .filter(|t| t.query.is_none())
            .flat_map(|t| t.limits.clone())
            .collect();
        if from_scenario.is_empty() {
            vec!["error_rate < 0.1%".into()]
        } else {
            from_scenario
        }
    } else {
        args.objectives.clone()
    };
    let has_latency = objectives.iter().any(|o| {
        o.parse::<scenario::limit::Limit>()
            .is_ok_and(|l| matches!(l.metric, scenario::limit::Metric::Latency(_)))
    });
    if !has_latency {
        objectives.insert(0, "p99 < 50ms".into());
    }
    for o in &objectives {
        if let Err(e) = o.parse::<scenario::limit::Limit>() {
            return Err(flag_error(
                &scenario,
                "--objective",
                format!("{o:?}"),
                &format!("expected {e}"),
            ));
        }
    }
    let out = args.out.clone().unwrap_or_else(|| {
        std::path::PathBuf::from("reports")
            .join(&scenario.spec.name)
            .join(
                chrono::Utc::now()
                    .format("capacity-%Y%m%dT%H%M%SZ")
                    .to_string(),
            )
    });
    let dir = report::files::ReportDir::at(out.clone())?;
    let server = open_server(&args.server).await?;
    let options = capacity::CapacityOptions {
        clients: args.clients.clone(),
        step: args.step,
        warmup: args.warmup,
        workers: args.workers.max(1),
        objectives,
        max_probes: args.max_probes.max(1),
        growth: args.growth.clone(),
        growth_clients: args.growth_clients.max(1),
        project: args.project,
        out,
        progress: true,
    };
    let results = capacity::plan(&server, &scenario, &options)
        .await
        .with_context(|| format!("capacity of {}", scenario.path.display()))?;
    dir.write_capacity(&results)?;
    print!("{}", report::capacity::summary(&results));
    println!(
        "\nreport: {}",
        dir.path.join(report::files::CAPACITY_HTML_FILE).display()
    );
    let database = server.maintenance_db();
    finish_server(server, &args.server, &database);
    Ok(())
}

/// `compare OLD NEW`: the stored runs' baselines, judged as `--baseline` would.
fn compare_command(args: &cli::CompareArgs) -> anyhow::Result<gate::Standing> {
    let old = gate::baseline::load(&args.old)?;
    let mut new = gate::baseline::load(&args.new)?;
    let regression = gate::baseline::regression(
        &old,
        &new,
        &args.old.display().to_string(),
        args.criteria.across_runs(),
    )?;
    print!("{}", report::markdown::regression(&regression, &new));
    let out = args.out.clone().unwrap_or_else(|| {
        args.new
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .to_owned()
    });
    let file = out.join(report::files::REGRESSION_FILE);
    std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(&file, report::markdown::regression(&regression, &new)))
        .with_context(|| format!("writing {}", file.display()))?;
    new.regression = Some(regression);
    new.thresholds.clear();
    Ok(gate::Standing::of(&new))
}

async fn run_command(args: RunArgs) -> anyhow::Result<gate::Standing> {
    let scenario = args.data.load()?;
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(flag_error(
            &scenario,
            "--rate",
            rate.to_string(),
            "expected arrivals per second greater than 0",
        ));
    }
    let options = drive::RunOptions {
        overrides: drive::engine::PhaseOverrides {
            duration: args.duration,
            clients: args.clients.filter(|c| *c > 0),
            rate: args.rate,
        },
        protocol: args.protocol,
        out: args.out.clone(),
        progress: true,
        rounds: args
            .rounds
            .or((args.baseline.is_some() || args.save_baseline.is_some()).then_some(3)),
        only: if args.baseline_only {
            Some(Vec::new())
        } else {
            args.candidates.clone()
        },
        keep_copies: args.keep_copies,
        criteria: args.criteria.within_run(),
    };
    // A bad baseline name or an incomparable stored run fails before any work.
    if let Some(name) = &args.save_baseline {
        gate::baseline::path_of(name)?;
    }
    let baseline = match &args.baseline {
        Some(name) => {
            let stored = gate::baseline::load(&gate::baseline::path_of(name)?)?;
            if let Some(key) = drive::run_key(&scenario, &options) {
                let differences = gate::baseline::RunKey::of(&stored).differences(&key);
                if !differences.is_empty() {
                    return Err(gate::GateError::Incomparable {
                        against: format!("baseline {name}"),
                        differences,
                    }
                    .into());
                }
            }
            Some((name.clone(), stored))
        }
        None => None,
    };
    let server = open_server(&args.server).await?;
    let (mut results, report) = drive::run(&server, &scenario, &options)
        .await
        .with_context(|| format!("running {}", scenario.path.display()))?;
    if let Some((name, stored)) = &baseline {
        results.regression = Some(gate::baseline::regression(
            stored,
            &results,
            &format!("baseline {name}"),
            args.criteria.across_runs(),
        )?);
        report.write(&results)?;
    }
    print!("{}", report::terminal::summary(&results));
    if let Some(name) = &args.save_baseline {
        if results.complete {
            let path = gate::baseline::save(&results, name)?;
            println!("\nbaseline {name} saved: {}", path.display());
        } else {
            eprintln!("\nbaseline {name} not saved: the run did not complete");
        }
    }
    println!(
        "\nreport: {}",
        report.path.join(report::files::HTML_FILE).display()
    );
    finish_server(server, &args.server, &results.scenario.database);
    Ok(gate::Standing::of(&results))
}

async fn open_server(args: &ServerArgs) -> anyhow::Result<Server> {
    let server = Server::open(args.database_url.as_deref()).await?;
    eprintln!("using {}", server.describe());
    Ok(server)
}

/// Prints how to reach a kept cluster, or lets it be removed on drop.
fn finish_server(mut server: Server, args: &ServerArgs, database: &str) {
    if let Some(cluster) = server.cluster.as_mut()
        && args.keep
    {
        cluster.keep();
        eprintln!(
            "cluster kept running; connect with:\n  {}",
            cluster.psql_hint(database)
        );
    }
}

async fn seed_command(args: SeedArgs) -> anyhow::Result<()> {
    let scenario = args.data.load()?;
    let server = open_server(&args.server).await?;
    let options = seed::SeedOptions {
        workers: args.workers.unwrap_or(seed::SeedOptions::default().workers),
        fresh: args.fresh,
        progress: true,
    };
    let report = seed::seed(&server, &scenario, &options)
        .await
        .with_context(|| format!("seeding {}", scenario.path.display()))?;
    if report.reused {
        println!(
            "{}: already seeded ({} rows); use --fresh to seed again",
            report.database, report.rows
        );
    } else {
        let secs = report.load_time.as_secs_f64().max(1e-9);
        println!(
            "{}: {} rows in {:.1} s (schema {:.1} s, load {:.1} s at {:.0} rows/s, constraints {:.1} s, analyze {:.1} s)",
            report.database,
            report.rows,
            report.total_time.as_secs_f64(),
            report.schema_time.as_secs_f64(),
            report.load_time.as_secs_f64(),
            report.rows as f64 / secs,
            report.constraint_time.as_secs_f64(),
            report.analyze_time.as_secs_f64(),
        );
        for (table, rows) in &report.tables {
            println!("  {table:<28} {rows:>10}");
        }
    }
    finish_server(server, &args.server, &report.database);
    Ok(())
}

//! `run`: seed, prepare the candidates, drive, compare, gate, report.

use anyhow::Context;

use super::{Preparation, check_outputs, check_room, finish_server, flag_error, open_server};
use crate::cli::RunArgs;
use crate::gate::{self, Standing};
use crate::results::RunResults;
use crate::scenario::Scenario;
use crate::{pipeline, report};

/// Seeds, runs every configuration, judges and reports.
pub async fn run(args: RunArgs) -> anyhow::Result<Standing> {
    let scenario = args.data.load()?;
    if let Some(seconds) = args.progress_every {
        crate::progress::report_every(std::time::Duration::from_secs(seconds));
    }
    let overrides = args.load.overrides();
    let (scenario, against) = sides(&args, scenario)?;
    let mut options = pipeline::RunOptions {
        overrides,
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
        prepare_once: false,
        criteria: args.criteria.within_run(),
        design: args.design,
        gate: args.criteria.gate,
        against,
        budget: args.budget,
        shard: args.shard.unwrap_or_default(),
        share: false,
    };
    let (baseline, preparation) = check_before_work(&args, &scenario, &options)?;
    preparation.announce();
    options.prepare_once = preparation == Preparation::Once;
    let server = open_server(&args.server).await?;
    let (mut results, report) = pipeline::run(&server, &scenario, &options)
        .await
        .with_context(|| format!("running {}", scenario.path.display()))?;
    judge_after(&args, &mut results, &report, baseline.as_ref())?;
    if let Some(shard) = results.shard {
        println!(
            "shard {shard} done: {}\nadd every shard up with `schemabench merge` (one shard's share alone decides nothing)",
            report.results_path().display()
        );
        return Ok(Standing::Ok);
    }
    tell(&args, &results, &report)?;
    finish_server(server, &args.server, &results.scenario.database);
    Ok(gate::standing(&results))
}

/// The two schemas a pull request compares, when `--against-migrations`
/// or `--against-ref` names the main side: the branch (the scenario with
/// every file of its migrations folder) and main; else the scenario alone.
fn sides(
    args: &RunArgs,
    scenario: Scenario,
) -> anyhow::Result<(Scenario, Option<pipeline::Against>)> {
    // Both sides of a pull request are built as folders, the way the
    // Supabase CLI applies `supabase/migrations`.
    let main_side = match (&args.against_migrations, &args.against_ref) {
        (Some(dir), _) => Some((
            dir.clone(),
            dir.display().to_string(),
            None,
            "--against-migrations",
        )),
        (None, Some(reference)) => {
            let folder = scenario.migrations_folder().ok_or_else(|| {
                flag_error(
                    "--against-ref",
                    reference.clone(),
                    "expected a scenario whose migrations share one folder, to take from git",
                )
            })?;
            let taken = checkout_folder(&folder, reference)?;
            let dir = taken.path().to_owned();
            Some((
                dir,
                format!("{} at {reference}", folder.display()),
                Some(taken),
                "--against-ref",
            ))
        }
        (None, None) => None,
    };
    Ok(match main_side {
        Some((_, label, _, flag)) if args.candidates.is_some() || args.baseline_only => {
            return Err(flag_error(
                flag,
                label,
                "expected without --candidates or --baseline-only: it compares two schemas, not the scenario's candidates",
            ));
        }
        Some((dir, label, taken, flag)) => {
            let branch = scenario.with_folder_migrations()?;
            if branch.migrations.len() != scenario.migrations.len() {
                println!(
                    "branch: every *.sql of {} ({} files; the scenario lists {})",
                    branch
                        .migrations_folder()
                        .map(|f| f.display().to_string())
                        .unwrap_or_default(),
                    branch.migrations.len(),
                    scenario.migrations.len()
                );
            }
            let main = scenario.with_migrations_from(&dir)?;
            drop(taken);
            if main.same_schema(&branch) {
                return Err(flag_error(
                    flag,
                    label,
                    &format!(
                        "expected a schema that differs from the branch's: both apply the same {} migration file(s), so there is nothing to compare",
                        branch.migrations.len()
                    ),
                ));
            }
            (
                branch,
                Some(pipeline::Against {
                    scenario: main,
                    label,
                }),
            )
        }
        None => (scenario, None),
    })
}

/// Every refusal that needs no server, before any work: shards without
/// clients, a bad or incomparable baseline, no room for the data, output
/// paths of the wrong kind. Returns the stored baseline to compare with,
/// and whether the candidates can be prepared once for all rounds
/// ([`Preparation::choose`]).
fn check_before_work(
    args: &RunArgs,
    scenario: &Scenario,
    options: &pipeline::RunOptions,
) -> anyhow::Result<(Option<(String, RunResults)>, Preparation)> {
    if let (Some(shard), Some(key)) = (args.shard, pipeline::run_key(scenario, options))
        && let Some(few) = key
            .load
            .iter()
            .find(|p| p.offered.connections() < shard.count)
    {
        return Err(flag_error(
            "--shard",
            shard.to_string(),
            &format!(
                "expected at most as many shards as clients: phase {} has {} client(s), so shards past them would send nothing (raise --clients)",
                few.name,
                few.offered.connections()
            ),
        ));
    }
    // A bad baseline name or an incomparable stored run fails before any work.
    if let Some(name) = &args.save_baseline {
        gate::baseline::path_of(name)?;
    }
    let baseline = match &args.baseline {
        Some(name) => {
            let stored = gate::baseline::load(&gate::baseline::path_of(name)?)?;
            if let Some(key) = pipeline::run_key(scenario, options) {
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
    let chosen = pipeline::chosen(scenario, options.only.as_deref())?;
    // The seeded template(s) and the copies a run holds at once.
    let (configurations, templates, with_sql) = match &options.against {
        Some(_) => (2, 2, 0),
        None => (
            1 + chosen.len(),
            1,
            chosen.iter().filter(|c| c.has_sql()).count(),
        ),
    };
    let databases =
        templates + pipeline::copies_at_once(configurations, options.design, options.keep_copies);
    let rounds_follow = options.rounds != Some(1) || options.budget.is_some();
    let preparation = Preparation::choose(
        &args.server,
        scenario,
        with_sql,
        rounds_follow,
        (databases + with_sql) as f64,
    );
    check_room(&args.server, scenario, databases as f64)?;
    check_outputs(
        &[("--out", args.out.as_deref())],
        &[
            ("--export-json", args.export_json.as_deref()),
            ("--export-markdown", args.export_markdown.as_deref()),
        ],
    )?;
    Ok((baseline, preparation))
}

/// After the run: its warnings and the comparison with a stored
/// baseline, written into the report.
fn judge_after(
    args: &RunArgs,
    results: &mut RunResults,
    report: &report::files::ReportDir,
    baseline: Option<&(String, RunResults)>,
) -> anyhow::Result<()> {
    // A read that answered nothing, or a query always refused, measured
    // nothing useful: every output says so.
    results.warnings = results.useless_queries();
    if !results.warnings.is_empty() {
        report.write(results)?;
    }
    if let Some((name, stored)) = baseline {
        results.regression = Some(gate::baseline::regression(
            stored,
            results,
            &format!("baseline {name}"),
            args.criteria.across_runs(),
            args.criteria.gate,
        )?);
        report.write(results)?;
    }
    Ok(())
}

/// What the run tells its user: the terminal's account, a saved baseline,
/// the exports and where the report is.
fn tell(
    args: &RunArgs,
    results: &RunResults,
    report: &report::files::ReportDir,
) -> anyhow::Result<()> {
    print!("{}", report::terminal::printed(results, args.verbose));
    if let Some(name) = &args.save_baseline {
        if results.complete {
            let path = gate::baseline::save(results, name)?;
            println!("\nbaseline {name} saved: {}", path.display());
        } else {
            eprintln!("\nbaseline {name} not saved: the run did not complete");
        }
    }
    for (wanted, file) in [
        (&args.export_json, report::files::RESULTS_FILE),
        (&args.export_markdown, report::files::SUMMARY_FILE),
    ] {
        if let Some(to) = wanted {
            std::fs::copy(report.path.join(file), to)
                .with_context(|| format!("exporting {file} to {}", to.display()))?;
        }
    }
    println!(
        "\nreport: {}",
        report.path.join(report::files::HTML_FILE).display()
    );
    Ok(())
}

/// `folder` as it is at git revision `reference`, in a temporary folder
/// (`git archive`, so the working tree is left alone).
fn checkout_folder(folder: &std::path::Path, reference: &str) -> anyhow::Result<tempfile::TempDir> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(folder)
            .args(args)
            .output()
            .context("running git for --against-ref")
    };
    let prefix = git(&["rev-parse", "--show-prefix"])?;
    if !prefix.status.success() {
        return Err(flag_error(
            "--against-ref",
            reference.to_owned(),
            &format!(
                "expected the scenario's migrations in a git repository: {}",
                String::from_utf8_lossy(&prefix.stderr).trim()
            ),
        ));
    }
    let prefix = String::from_utf8_lossy(&prefix.stdout).trim().to_owned();
    // From inside the folder, git archives that folder alone, its files
    // at the archive's top.
    let archive = git(&["archive", "--format=tar", reference])?;
    if !archive.status.success() {
        return Err(flag_error(
            "--against-ref",
            reference.to_owned(),
            &format!(
                "expected a revision that has {prefix}: {}",
                String::from_utf8_lossy(&archive.stderr).trim()
            ),
        ));
    }
    let dir = tempfile::Builder::new()
        .prefix("schemabench-against-")
        .tempdir()
        .context("making a folder for --against-ref")?;
    tar::Archive::new(archive.stdout.as_slice())
        .unpack(dir.path())
        .context("unpacking the migrations git archive wrote")?;
    Ok(dir)
}

//! The whole of `run`, stage by stage: seed -> prepare candidates -> drive
//! -> observe -> compare -> gate -> write. Each stage is its own module;
//! this one only decides their order and carries results between them.

mod arms;
mod board;
mod follow;
mod judge;
mod options;
mod round;
mod schedule;
mod tally;

use std::sync::Arc;

pub use arms::chosen;
use arms::{Setting, copy_database, prepare_ahead, reopened, select_candidates};
use board::{Board, RunPlan};
pub use options::{Against, RunError, RunOptions, run_key};
use round::{Sittings, announce, timeline_slots};
pub use schedule::copies_at_once;
use schedule::{copy_count, last_of_run, sittings};
use tally::{median, settled};

use crate::candidate::Candidate;
use crate::compare::{self, Pairing};
use crate::drive::engine::Phase;
use crate::measure::timeline::Timeline;
use crate::observe;
use crate::pg::{Server, catalog};
use crate::report::files::ReportDir;
use crate::results::{
    CandidateResult, MachineInfo, RESULTS_VERSION, RunResults, ScenarioInfo, TableRows,
};
use crate::scenario::Scenario;
use crate::seed::plan::DataPlan;
use crate::seed::{SeedOptions, SeedReport};

/// Rounds a budget may run to, at most.
const MOST_ROUNDS: u32 = 100;

/// Runs of the reference query before and after the load.
const REFERENCE_TIMES: usize = 7;

/// Runs of the reference query after each sitting, while no load runs: the
/// machine's speed sampled through the run, not only at its two ends (one
/// busy run's reference query read 17.9 ms before and after, as on the
/// idle machine, while other work took both cores in between).
const REFERENCE_BETWEEN: usize = 2;

/// The candidate name of the scenario's own schema in a schema comparison.
pub const BRANCH: &str = "branch";

/// Seeds (or reuses) the data, gives every candidate its own copy, runs the
/// phases in interleaved rounds, compares, and writes the report.
pub async fn run(
    server: &Server,
    scenario: &Scenario,
    options: &RunOptions,
) -> Result<(RunResults, ReportDir), RunError> {
    let started = std::time::Instant::now();
    let spec = &scenario.spec;
    let (Some(workload_spec), Some(load)) = (&spec.workload, &spec.load) else {
        return Err(RunError::NoWorkload(scenario.path.display().to_string()));
    };
    let candidates = configurations(scenario, options)?;
    let phases: Vec<Phase> = load
        .phases
        .iter()
        .map(|p| Phase {
            shard: options.shard,
            ..Phase::from_spec(p, options.overrides)
        })
        .collect();
    let query_names: Vec<String> = workload_spec
        .queries
        .iter()
        .map(|q| q.name.clone())
        .collect();
    let candidate_names: Vec<String> = candidates.iter().map(|c| c.name.clone()).collect();
    let report = ReportDir::create(
        options.out.as_deref(),
        &spec.name,
        &query_names,
        &candidate_names,
    )?;

    let plan = Arc::new(DataPlan::new(spec));
    let protocol = options.protocol.unwrap_or(load.protocol);
    if !options.shard.leads() {
        let results = follow::follow(follow::Follower {
            server,
            scenario,
            options,
            candidates,
            phases: &phases,
            query_names: &query_names,
            report: &report,
            workload: workload_spec,
            protocol,
            plan: &plan,
        })
        .await?;
        return Ok((results, report));
    }
    let seed_options = SeedOptions {
        progress: options.progress,
        ..SeedOptions::default()
    };
    let seeded = crate::seed::seed_planned(server, scenario, &plan, &seed_options).await?;
    // Each configuration's copy is made from its own schema's data.
    let templates: Vec<String> = match &options.against {
        Some(against) => vec![
            crate::seed::seed(server, &against.scenario, &seed_options)
                .await?
                .database,
            seeded.database.clone(),
        ],
        None => vec![seeded.database.clone(); candidates.len()],
    };
    let admin = server.admin(&server.maintenance_db()).await?;
    // The copies are named after the seeded data: a second run of this
    // scenario on this server waits rather than drop this one's copies.
    crate::pg::database::take_turn(&admin, &format!("running on {}", seeded.database)).await?;
    let setting = Setting {
        server,
        scenario,
        options,
        seeded: &seeded,
        report: &report,
        phases: &phases,
        query_names: &query_names,
        workload: workload_spec,
        protocol,
        started,
        templates: &templates,
        plan: &plan,
    };
    let copies: Vec<String> = (0..copy_count(candidates.len(), options.design))
        .map(|i| copy_database(&templates, i, candidates.len()))
        .collect();
    // Candidates prepared once have a database of their own until the end.
    let prepared: Vec<String> = (1..candidates.len())
        .filter(|_| options.prepare_once)
        .map(|a| crate::candidate::prepared_name(&templates[a], a))
        .collect();
    let outcome = measure(&setting, &admin, candidates, &copies).await;
    let left = Left {
        copies: &copies,
        prepared: &prepared,
    };
    clear_up(server, scenario, options, admin, left, outcome.is_ok()).await?;
    Ok((outcome?, report))
}

/// The configurations a run measures: main and the branch for a pull
/// request, else the baseline and the chosen candidates.
fn configurations(scenario: &Scenario, options: &RunOptions) -> Result<Vec<Candidate>, RunError> {
    Ok(match &options.against {
        Some(against) => vec![
            Candidate {
                description: format!("the migrations of {}", against.label),
                ..Candidate::baseline()
            },
            Candidate {
                name: BRANCH.to_owned(),
                description: "the scenario's own migrations".to_owned(),
                ..Candidate::baseline()
            },
        ],
        None => select_candidates(scenario, options.only.as_deref())?,
    })
}

/// The databases a run may leave behind.
struct Left<'a> {
    /// The sittings' copies.
    copies: &'a [String],
    /// Candidates' prepared databases ([`RunOptions::prepare_once`]).
    prepared: &'a [String],
}

/// What a run leaves behind goes: its board, the candidates' prepared
/// databases, and whatever copies are left (kept only when asked, after a
/// run that finished). A failed run's error is the one reported, not a
/// failure to drop after it.
async fn clear_up(
    server: &Server,
    scenario: &Scenario,
    options: &RunOptions,
    admin: tokio_postgres::Client,
    left: Left<'_>,
    finished: bool,
) -> Result<(), RunError> {
    let Left { copies, prepared } = left;
    if !options.shard.whole() {
        let _ = board::drop_board(
            server,
            &board::board_name(&scenario.spec.name, &scenario.data_fingerprint()),
        )
        .await;
    }
    let admin = reopened(server, admin).await?;
    let kept = finished && options.keep_copies;
    if kept {
        for copy in copies {
            crate::pg::unfinished::finished(copy);
        }
    }
    let mut gone: Vec<&String> = prepared.iter().collect();
    if !kept {
        gone.extend(copies);
    }
    for name in gone {
        let dropped = crate::pg::database::drop_owned(&admin, name).await;
        if finished {
            dropped?;
        }
    }
    Ok(())
}

/// Drives every sitting of every round, observes, compares and writes the
/// report: the run itself, each sitting on copies of its own.
async fn measure(
    setting: &Setting<'_>,
    admin: &tokio_postgres::Client,
    candidates: Vec<Candidate>,
    copies: &[String],
) -> Result<RunResults, RunError> {
    let Setting {
        options,
        report,
        phases,
        query_names,
        ..
    } = *setting;
    let configurations = candidates.len();
    let rounds = first_rounds(options, configurations);
    let mut results = opening(setting, &candidates, copies, rounds).await?;
    let mut kept = candidates.iter().map(|_| None).collect::<Vec<_>>();
    prepare_ahead(setting, &candidates, &mut kept).await?;
    // The machine's speed, before the load and (below) after it.
    let mut reference = observe::reference_times(admin, REFERENCE_TIMES).await;
    write(report, &results)?;

    let most_rounds = most_rounds(options, configurations);
    let sittings = sittings(configurations, most_rounds, options.design);
    let names: Vec<String> = candidates.iter().map(|c| c.name.clone()).collect();
    let board = open_board(setting, copies, &names, rounds, most_rounds).await?;
    let measuring = std::time::Instant::now();
    let slots = timeline_slots(&sittings, phases, &names, rounds);
    let hlogs = query_names.iter().map(|q| report.hlog_path(q)).collect();
    let timeline = Timeline::start(
        query_names.to_vec(),
        slots,
        hlogs,
        board.as_ref().map_or(measuring, |b| b.anchor),
    )
    .map_err(RunError::Timeline)?;
    let mut state = Sittings {
        setting,
        kept,
        candidates,
        board,
        timeline,
        names,
        per_round: (0..configurations).map(|_| Vec::new()).collect(),
        slot: 0,
    };
    for (s, sitting) in sittings.iter().enumerate() {
        if options.progress {
            crate::progress::line(announce(
                s,
                &sittings,
                rounds,
                &state.names,
                phases,
                measuring.elapsed(),
            ));
        }
        state
            .sit(sitting, &last_of_run(&sittings, s, rounds), &mut results)
            .await?;
        reference.extend(observe::reference_times(admin, REFERENCE_BETWEEN).await);
        write(report, &results)?;
        if results.aborted.is_some() {
            break;
        }
        let round_ends = sittings.get(s + 1).is_none_or(|n| n.round != sitting.round);
        if round_ends
            && budget_spent(
                options,
                &results,
                measuring.elapsed(),
                (sitting.round, rounds),
            )
        {
            break;
        }
    }
    let Sittings {
        board, timeline, ..
    } = state;
    drop(timeline);
    reference.extend(observe::reference_times(admin, REFERENCE_TIMES).await);
    results.machine.reference_ms = median(&mut reference);
    close(setting, results, board).await
}

/// The results as the run begins: every configuration unmeasured, the
/// server and machine described.
async fn opening(
    setting: &Setting<'_>,
    candidates: &[Candidate],
    copies: &[String],
    rounds: u32,
) -> Result<RunResults, RunError> {
    let Setting {
        server,
        scenario,
        options,
        seeded,
        phases,
        protocol,
        ..
    } = *setting;
    let mut results = begun(
        server,
        &seeded.database,
        scenario_info(scenario, seeded),
        options,
        phases,
        protocol,
        candidates
            .iter()
            .zip(copies)
            .map(|(c, copy)| CandidateResult::unmeasured(&c.name, &c.description, copy))
            .collect(),
    )
    .await?;
    results.rounds = rounds;
    Ok(results)
}

/// The board shards meet on, when the run is sharded.
async fn open_board(
    setting: &Setting<'_>,
    copies: &[String],
    names: &[String],
    rounds: u32,
    most_rounds: u32,
) -> Result<Option<Arc<Board>>, RunError> {
    let Setting {
        server,
        scenario,
        options,
        phases,
        ..
    } = *setting;
    Ok(match options.shard.whole() {
        true => None,
        false => Some(Arc::new(
            Board::open(
                server,
                options.shard,
                RunPlan {
                    copies: copies.to_vec(),
                    ..run_plan(scenario, names, phases, rounds, most_rounds)
                },
            )
            .await?,
        )),
    })
}

/// Whether a run with `--budget` stops after `round`: past the first
/// `rounds`, every verdict settled, or no time for another round.
fn budget_spent(
    options: &RunOptions,
    results: &RunResults,
    elapsed: std::time::Duration,
    (round, rounds): (u32, u32),
) -> bool {
    let Some(budget) = options.budget else {
        return false;
    };
    if round < rounds {
        return false;
    }
    let per_round = elapsed / round;
    let verdicts = compare::verdicts(
        &results.candidates[0],
        &results.candidates[1..],
        Pairing::Interleaved,
        options.criteria,
    );
    settled(&verdicts) || elapsed + per_round > budget
}

/// The run's end: judged, stamped, shared with the other shards and
/// written.
async fn close(
    setting: &Setting<'_>,
    mut results: RunResults,
    board: Option<Arc<Board>>,
) -> Result<RunResults, RunError> {
    let Setting {
        server,
        scenario,
        options,
        report,
        started,
        ..
    } = *setting;
    judge::judge(
        server,
        &setting.templates[0],
        &mut results,
        scenario,
        options
            .against
            .as_ref()
            .map(|a| crate::gate::judge::Against {
                label: format!("the migrations of {}", a.label),
                gate: options.gate,
            }),
    )
    .await?;
    results.complete = results.aborted.is_none();
    results.finished_at = Some(chrono::Utc::now().to_rfc3339());
    results.elapsed_s = started.elapsed().as_secs_f64();
    // Shared once observed, so every shard adds up the leader's work too.
    let mut others = Vec::new();
    if let Some(board) = board {
        if options.share {
            // Followers waiting for a further round must stop first.
            board.finish().await?;
            others = board.share(&results).await?;
        }
        board.close(server).await?;
    }
    let results = whole(results, others)?;
    write(report, &results)?;
    Ok(results)
}

/// This shard's results added up with the others' shared on the board
/// (the work figures stay the leader's); alone, as they are.
fn whole(mine: RunResults, others: Vec<crate::merge::Part>) -> Result<RunResults, RunError> {
    if others.is_empty() {
        return Ok(mine);
    }
    let own = crate::merge::Part {
        file: format!("shard {}", mine.shard.unwrap_or_default()).into(),
        results: mine,
    };
    Ok(crate::merge::add_up(
        std::iter::once(own).chain(others).collect(),
    )?)
}

/// Writes a run's results and, unless it is one shard's share (which
/// alone decides nothing: `merge` renders the whole), its reports.
fn write(report: &ReportDir, results: &RunResults) -> Result<(), RunError> {
    match results.shard {
        Some(_) => report.write_results(results)?,
        None => report.write(results)?,
    }
    Ok(())
}

/// Rounds a run measures before a budget may add more [default: 3 with
/// candidates, else 1].
fn first_rounds(options: &RunOptions, configurations: usize) -> u32 {
    options
        .rounds
        .unwrap_or(if configurations > 1 { 3 } else { 1 })
        .max(1)
}

/// Rounds a run may reach: with a budget, rounds go on past the first ones
/// until every verdict settles.
fn most_rounds(options: &RunOptions, configurations: usize) -> u32 {
    let rounds = first_rounds(options, configurations);
    if options.budget.is_some() && configurations > 1 {
        rounds.max(MOST_ROUNDS)
    } else {
        rounds
    }
}

/// A run's results before its first phase, with the server as `database`
/// shows it.
async fn begun(
    server: &Server,
    database: &str,
    scenario: ScenarioInfo,
    options: &RunOptions,
    phases: &[Phase],
    protocol: crate::results::Protocol,
    candidates: Vec<CandidateResult>,
) -> Result<RunResults, RunError> {
    let probe = server.admin(database).await?;
    Ok(RunResults {
        version: RESULTS_VERSION,
        schemabench_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: chrono::Utc::now().to_rfc3339(),
        finished_at: None,
        elapsed_s: 0.0,
        complete: false,
        aborted: None,
        warnings: Vec::new(),
        scenario,
        server: catalog::server_info(&probe, server.cluster.as_ref()).await?,
        machine: MachineInfo::current(),
        protocol,
        load: phases.iter().map(Phase::planned).collect(),
        rounds: 1,
        design: options.design,
        criteria: options.criteria,
        candidates,
        comparisons: Vec::new(),
        work_comparisons: Vec::new(),
        app_comparisons: Vec::new(),
        thresholds: Vec::new(),
        regression: None,
        lints: Vec::new(),
        advice: Vec::new(),
        shard: (!options.shard.whole()).then_some(options.shard),
    })
}

/// What every shard of a run must agree on (the copies aside).
fn run_plan(
    scenario: &Scenario,
    names: &[String],
    phases: &[Phase],
    rounds: u32,
    most_rounds: u32,
) -> RunPlan {
    RunPlan {
        scenario: scenario.spec.name.clone(),
        fingerprint: scenario.data_fingerprint(),
        shards: phases.first().map_or(1, |p| p.shard.count),
        candidates: names.to_vec(),
        load: phases.iter().map(Phase::planned).collect(),
        rounds,
        most_rounds,
        copies: Vec::new(),
    }
}

/// What results files record of the scenario and its seeded data.
pub fn scenario_info(scenario: &Scenario, seeded: &SeedReport) -> ScenarioInfo {
    ScenarioInfo {
        name: scenario.spec.name.clone(),
        file: scenario.path.display().to_string(),
        seed: scenario.spec.seed,
        scale: scenario.spec.scale,
        data_fingerprint: scenario.data_fingerprint(),
        database: seeded.database.clone(),
        tables: seeded
            .tables
            .iter()
            .map(|(name, rows)| TableRows {
                name: name.clone(),
                rows: *rows,
            })
            .collect(),
        critical: critical(scenario),
    }
}

/// The queries the scenario marks critical.
pub(super) fn critical(scenario: &Scenario) -> Vec<String> {
    let queries = scenario.spec.workload.iter().flat_map(|w| &w.queries);
    queries
        .filter(|q| q.critical)
        .map(|q| q.name.clone())
        .collect()
}

//! The whole of `run`, stage by stage: seed -> prepare candidates -> drive
//! -> observe -> compare -> gate -> write. Each stage is its own module;
//! this one only decides their order and carries results between them.

mod arms;
mod board;
mod follow;
mod options;
mod schedule;
mod tally;

use std::sync::Arc;

use futures_util::future::join_all;

pub use arms::chosen;
use arms::{Arm, Setting, prepare_arms, renew, reopened, select_candidates};
use board::{Board, RunPlan};
pub use options::{Against, RunError, RunOptions, run_key};
use schedule::{Sitting, sittings};
use tally::{
    failed_abort_threshold, measured_seconds, median, merge, merge_rounds, pair_seconds,
    record_work, settled, update_queries,
};

use crate::candidate::{self, Candidate, Prepared};
use crate::compare::{self, Pairing};
use crate::drive::DriveError;
use crate::drive::engine::{Phase, PhaseOutcome, Start, run_phase};
use crate::drive::session::Shared;
use crate::drive::{phase_result, query_results};
use crate::gate::threshold::evaluate;
use crate::measure::QueryMeasurements;
use crate::measure::timeline::{Timeline, slot_label};
use crate::observe;
use crate::pg::{Server, catalog};
use crate::report::files::ReportDir;
use crate::results::{
    CandidateResult, Design, MachineInfo, PlanSummary, RESULTS_VERSION, Regression, RunResults,
    ScenarioInfo, StatementStats, TableRows,
};
use crate::scenario::Scenario;
use crate::seed::plan::DataPlan;
use crate::seed::rng::combine;
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
    let candidates = match &options.against {
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
    };
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
    let seeded = crate::seed::seed(server, scenario, &seed_options).await?;
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
    let admin = server.connect(&server.maintenance_db()).await?;
    // The copies are named after the seeded data: a second run of this
    // scenario on this server waits rather than drop this one's copies.
    crate::pg::database::take_turn(&admin, &format!("running on {}", seeded.database)).await?;
    let mut arms = Vec::with_capacity(candidates.len() * 2);
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
    let outcome = match prepare_arms(&setting, &admin, candidates, &mut arms).await {
        Ok(configurations) => measure(&setting, &mut arms, configurations).await,
        Err(e) => Err(e),
    };
    // A board left by a run that failed goes with it.
    if !options.shard.whole() {
        let _ = board::drop_board(
            server,
            &board::board_name(&spec.name, &scenario.data_fingerprint()),
        )
        .await;
    }
    // The copies go whatever happened: kept only when asked, after a run
    // that finished. Their connections close with the arms.
    if outcome.is_err() || !options.keep_copies {
        let copies: Vec<Prepared> = arms.into_iter().map(|a| a.prepared).collect();
        let admin = reopened(server, admin).await?;
        let dropped = candidate::drop_copies(&admin, &copies).await;
        if outcome.is_ok() {
            dropped?;
        }
    } else {
        for arm in &arms {
            crate::pg::unfinished::finished(&arm.prepared.database);
        }
    }
    Ok((outcome?, report))
}

/// Drives every sitting of every round, observes, compares and writes the
/// report: the run itself, on prepared arms.
async fn measure(
    setting: &Setting<'_>,
    arms: &mut [Arm],
    configurations: usize,
) -> Result<RunResults, RunError> {
    let Setting {
        server,
        scenario,
        options,
        seeded,
        report,
        phases,
        query_names,
        workload: _,
        protocol,
        started,
        templates: _,
        plan: _,
    } = *setting;
    let spec = &scenario.spec;
    let rounds = first_rounds(options, configurations);
    let mut results = begun(
        server,
        &arms[0].prepared.database,
        scenario_info(scenario, seeded),
        options,
        phases,
        protocol,
        arms[..configurations]
            .iter()
            .map(|arm| {
                let (prepared, c) = (&arm.prepared, &arm.prepared.candidate);
                CandidateResult {
                    cost: prepared.cost.clone(),
                    ..CandidateResult::unmeasured(&c.name, &c.description, &prepared.database)
                }
            })
            .collect(),
    )
    .await?;
    results.rounds = rounds;
    // The machine's speed, before the load and (below) after it.
    let mut reference =
        observe::reference_times(&*arms[0].stats(server).await?, REFERENCE_TIMES).await;
    write(report, &results)?;

    let most_rounds = most_rounds(options, configurations);
    let sittings = sittings(configurations, most_rounds, options.design);
    let names: Vec<String> = arms[..configurations]
        .iter()
        .map(|arm| arm.prepared.candidate.name.clone())
        .collect();
    let name = |a: usize| names[a].as_str();
    let board = match options.shard.whole() {
        true => None,
        false => Some(Arc::new(
            Board::open(
                server,
                options.shard,
                RunPlan {
                    copies: arms.iter().map(|a| a.prepared.database.clone()).collect(),
                    ..run_plan(scenario, &names, phases, rounds, most_rounds)
                },
            )
            .await?,
        )),
    };
    let measuring = std::time::Instant::now();
    let slots = slot_labels(&sittings, phases, &names, rounds);
    let hlogs = query_names.iter().map(|q| report.hlog_path(q)).collect();
    let timeline = Timeline::start(
        query_names.to_vec(),
        slots,
        hlogs,
        board.as_ref().map_or(measuring, |b| b.anchor),
    )
    .map_err(RunError::Timeline)?;
    // [configuration][sitting][query]: each sitting's measured phases merged.
    let mut per_round: Vec<Vec<Vec<QueryMeasurements>>> =
        (0..configurations).map(|_| Vec::new()).collect();
    // [copy]: statement statistics as last read (and since when the server
    // kept them), so each phase gets its own.
    let mut read: Vec<(Option<String>, Vec<StatementStats>)> =
        arms.iter().map(|_| (None, Vec::new())).collect();
    let mut slot = 0;
    let mut slot_sitting = 0;
    for sitting in &sittings {
        let round = sitting.round;
        let partner = |a: usize| sitting.partner(a).map(name);
        if round > 1 {
            renew(setting, arms, &sitting.copies, configurations).await?;
            // A fresh copy's statistics start from zero.
            for &copy in &sitting.copies {
                read[copy] = (None, Vec::new());
            }
        }
        // [position in the sitting]: its measured phases.
        let mut measured: Vec<Vec<PhaseOutcome>> =
            sitting.arms.iter().map(|_| Vec::new()).collect();
        for (p, phase) in phases.iter().enumerate() {
            // The same request sequence for every candidate and round: paired samples.
            let seed = combine(&[spec.seed, p as u64]);
            // A server that restarted is waited for (bounded) before the
            // phase, not found missing by its first requests.
            for &copy in &sitting.copies {
                drop(arms[copy].stats(server).await?);
            }
            if let Some(board) = &board {
                board.post(slot).await?;
            }
            let sides: Vec<Arc<Shared>> = sitting
                .copies
                .iter()
                .map(|&copy| Arc::clone(&arms[copy].shared))
                .collect();
            let outcomes = drive_slot(
                &SlotRun {
                    timeline: &timeline,
                    slot,
                    phase,
                    p,
                    seed,
                    sitting,
                    names: &names,
                    board: board.as_ref(),
                },
                &sides,
                &mut results,
            )
            .await?;
            slot += sitting.arms.len();
            if let Some(board) = &board {
                board.all_done(slot - sitting.arms.len()).await?;
            }
            if !phase.warmup {
                for (i, outcome) in outcomes.into_iter().enumerate() {
                    measured[i].push(outcome);
                }
            }
            // Each phase's work is a sample of its own.
            for (&a, &copy) in sitting.arms.iter().zip(&sitting.copies) {
                let arm = &arms[copy];
                let client = arm.stats(server).await?;
                let since = observe::statistics_since(&client).await;
                let now = observe::statement_stats(&client, &arm.shared).await;
                // Statistics the server reset (a crash, a restart) count
                // from zero, not from what was read before.
                let before: &[StatementStats] = if read[copy].0 == since {
                    &read[copy].1
                } else {
                    &[]
                };
                record_work(
                    &mut results.candidates[a].work,
                    before,
                    &now,
                    round,
                    partner(a),
                    &phase.name,
                );
                read[copy] = (since, now);
            }
            report.write_results(&results)?;
            // Thresholds gate the baseline: stop early once one that
            // asks for it has failed on what was measured so far.
            let Some(base) = sitting.arms.iter().position(|&a| a == 0) else {
                continue;
            };
            if phase.warmup || !spec.thresholds.iter().any(|t| t.abort_on_fail) {
                continue;
            }
            let workload = &arms[0].shared.workload;
            let mut so_far = per_round[0].clone();
            so_far.push(merge(workload, &measured[base]));
            let queries = query_results(
                workload,
                &merge_rounds(workload, &so_far),
                measured_seconds(&results.candidates[0]),
            );
            if let Some(failed) = failed_abort_threshold(&spec.thresholds, &queries) {
                results.aborted = Some(format!(
                    "threshold {failed} failed after phase {} of round {round}",
                    phase.name
                ));
                break;
            }
        }
        for (i, (&a, &copy)) in sitting.arms.iter().zip(&sitting.copies).enumerate() {
            let arm = &arms[copy];
            per_round[a].push(merge(&arm.shared.workload, &measured[i]));
            update_queries(
                &mut results.candidates[a],
                &arm.shared.workload,
                &per_round[a],
            );
        }
        results.rounds = round;
        reference.extend(
            observe::reference_times(&*arms[0].stats(server).await?, REFERENCE_BETWEEN).await,
        );
        write(report, &results)?;
        if results.aborted.is_some() {
            break;
        }
        let round_ends = sittings
            .get(slot_sitting + 1)
            .is_none_or(|n| n.round != round);
        slot_sitting += 1;
        if round_ends
            && round >= rounds
            && let Some(budget) = options.budget
        {
            let per_round = measuring.elapsed() / round;
            let (latency, work) = compare::verdicts(
                &results.candidates[0],
                &results.candidates[1..],
                Pairing::Interleaved,
                options.criteria,
            );
            if settled(&latency, &work) || measuring.elapsed() + per_round > budget {
                break;
            }
        }
    }
    drop(timeline);
    reference
        .extend(observe::reference_times(&*arms[0].stats(server).await?, REFERENCE_TIMES).await);
    results.machine.reference_ms = median(&mut reference);
    if results.aborted.is_none() {
        observe_arms(
            server,
            &arms[..configurations],
            &mut results.candidates,
            spec.seed,
        )
        .await?;
        // The baseline's schema, its unused indexes from this run.
        results.lints = crate::lint::lint(
            &*arms[0].stats(server).await?,
            Some(&results.candidates[0].index_usage),
        )
        .await?;
    }
    (results.comparisons, results.work_comparisons) = compare::verdicts(
        &results.candidates[0],
        &results.candidates[1..],
        Pairing::Interleaved,
        options.criteria,
    );
    if let Some(against) = &options.against {
        results.regression = Some(Regression::judged(
            format!("the migrations of {}", against.label),
            results.started_at.clone(),
            options.criteria,
            options.gate,
            results.comparisons.clone(),
            results.work_comparisons.clone(),
        ));
    }
    results.thresholds = evaluate(&spec.thresholds, &results.candidates[0].queries);
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
    let probe = server.connect(database).await?;
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
        server: catalog::server_info(&probe, server.cluster.is_some()).await?,
        machine: MachineInfo::current(),
        protocol,
        load: phases.iter().map(Phase::planned).collect(),
        rounds: 1,
        design: options.design,
        criteria: options.criteria,
        candidates,
        comparisons: Vec::new(),
        work_comparisons: Vec::new(),
        thresholds: Vec::new(),
        regression: None,
        lints: Vec::new(),
        advice: Vec::new(),
        shard: (!options.shard.whole()).then_some(options.shard),
    })
}

/// The timeline's name of every phase slot of `sittings`:
/// `feed_index+baseline.r2.steady`, or the phase's name alone in a run of
/// one configuration and one round.
fn slot_labels(
    sittings: &[Sitting],
    phases: &[Phase],
    names: &[String],
    rounds: u32,
) -> Vec<String> {
    let simple = names.len() == 1 && rounds == 1;
    let mut slots = Vec::new();
    for sitting in sittings {
        for phase in phases {
            for &a in &sitting.arms {
                slots.push(slot_label(
                    &names[a],
                    sitting.partner(a).map(|p| names[p].as_str()),
                    sitting.round,
                    &phase.name,
                    simple,
                ));
            }
        }
    }
    slots
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

/// One phase of a sitting.
struct SlotRun<'a> {
    timeline: &'a Timeline,
    /// The timeline slot of the sitting's first side (and the board's
    /// number for the phase).
    slot: usize,
    phase: &'a Phase,
    /// The phase's place in the load.
    p: usize,
    seed: u64,
    sitting: &'a Sitting,
    names: &'a [String],
    board: Option<&'a Arc<Board>>,
}

/// Drives one phase of a sitting on every side at once (`sides` by
/// position in the sitting) and records it: each configuration's phase
/// and, in duets, both sides' seconds paired. Returns the outcomes by
/// position. In a sharded run the sides start with every other shard's
/// and report done on the board.
async fn drive_slot(
    run: &SlotRun<'_>,
    sides: &[Arc<Shared>],
    results: &mut RunResults,
) -> Result<Vec<PhaseOutcome>, RunError> {
    let SlotRun {
        timeline,
        slot,
        phase,
        p,
        seed,
        sitting,
        names,
        board,
    } = *run;
    let round = sitting.round;
    // Which side starts first (spawns its threads, sends its arrivals, is
    // polled) alternates from phase to phase, so an edge of going first
    // cannot side with one configuration.
    let flip = (round as usize + p).is_multiple_of(2);
    let mut order: Vec<usize> = (0..sides.len()).collect();
    if flip {
        order.reverse();
    }
    let outcomes = join_all(order.iter().map(|&i| {
        let start = board.map(|board| {
            let (board, count) = (Arc::clone(board), sides.len());
            Box::pin(async move {
                board
                    .start(slot, i, count)
                    .await
                    .map_err(|e| DriveError::Start(e.to_string()))
            }) as Start
        });
        run_phase(
            Arc::clone(&sides[i]),
            timeline,
            slot + i,
            phase,
            seed,
            i == 0,
            start,
        )
    }))
    .await;
    let mut outcomes: Vec<PhaseOutcome> = outcomes.into_iter().collect::<Result<_, _>>()?;
    if let Some(board) = board {
        board.done(slot).await?;
    }
    if flip {
        outcomes.reverse();
    }
    if let ([_, c], [base, other]) = (sitting.arms.as_slice(), outcomes.as_mut_slice())
        && !phase.warmup
    {
        results.candidates[*c].duet_seconds.extend(pair_seconds(
            &sides[0].workload,
            base,
            other,
            round,
        ));
    }
    for ((i, &a), outcome) in sitting.arms.iter().enumerate().zip(outcomes.iter_mut()) {
        // Paired already: a phase's second-by-second histograms are not
        // kept any longer than that.
        outcome.seconds = Vec::new();
        let partner = sitting.partner(a).map(|p| names[p].as_str());
        results.candidates[a].phases.push(phase_result(
            &sides[i].workload,
            outcome,
            round,
            partner,
        ));
    }
    Ok(outcomes)
}

/// Statement statistics, index usage and plans of every candidate, after
/// its rounds (plans last, so their executions are not counted).
async fn observe_arms(
    server: &Server,
    arms: &[Arm],
    results: &mut [CandidateResult],
    seed: u64,
) -> Result<(), RunError> {
    // Backends flush their statistics as they exit at the end of each phase.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut baseline_plans: Vec<PlanSummary> = Vec::new();
    let baseline_relations: Vec<String> = results
        .first()
        .map(|r| r.cost.relations.iter().map(|x| x.name.clone()).collect())
        .unwrap_or_default();
    for (arm, result) in arms.iter().zip(results.iter_mut()) {
        let client = server.connect(&arm.prepared.database).await?;
        result.statements = observe::statement_stats(&client, &arm.shared).await;
        result.index_usage = observe::index_usage(&client).await?;
        result.unused_new_indexes = result
            .index_usage
            .iter()
            .filter(|u| u.scans == 0 && !baseline_relations.contains(&u.index))
            .map(|u| u.index.clone())
            .collect();
        let mut plans = observe::plans(&client, &arm.shared, seed).await;
        if baseline_plans.is_empty() {
            baseline_plans = plans.clone();
        } else {
            for (plan, base) in plans.iter_mut().zip(&baseline_plans) {
                observe::diff(plan, base);
            }
        }
        result.plans = plans;
    }
    Ok(())
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
    }
}

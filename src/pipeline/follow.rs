//! A shard other than the leader: it seeds nothing and changes nothing on
//! the server. It reads the leader's plan off the board, drives its share
//! of every phase the leader posts on the leader's copies, starting with
//! the other shards, and writes results of its own for `merge`.

use std::collections::HashMap;
use std::sync::Arc;

use super::board::Board;
use super::round::{SlotRun, drive_slot, timeline_slots};
use super::{RunError, RunOptions, begun, first_rounds, most_rounds, run_plan, sittings};
use crate::candidate::Candidate;
use crate::drive;
use crate::drive::engine::Phase;
use crate::drive::session::Shared;
use crate::measure::timeline::Timeline;
use crate::pg::Server;
use crate::pg::database::data_db_name;
use crate::report::files::ReportDir;
use crate::results::{CandidateResult, Protocol, RunResults, ScenarioInfo};
use crate::scenario::Scenario;
use crate::scenario::workload::WorkloadSpec;
use crate::seed::plan::DataPlan;
use crate::seed::rng::combine;

/// What a follower needs of the run it joins.
pub(super) struct Follower<'a> {
    pub(super) server: &'a Server,
    pub(super) scenario: &'a Scenario,
    pub(super) options: &'a RunOptions,
    pub(super) candidates: Vec<Candidate>,
    pub(super) phases: &'a [Phase],
    pub(super) query_names: &'a [String],
    pub(super) report: &'a ReportDir,
    pub(super) workload: &'a WorkloadSpec,
    pub(super) protocol: Protocol,
    pub(super) plan: &'a Arc<DataPlan>,
}

/// Follows the leader's run to its end.
pub(super) async fn follow(f: Follower<'_>) -> Result<RunResults, RunError> {
    let started = std::time::Instant::now();
    let (server, options, phases) = (f.server, f.options, f.phases);
    let configurations = f.candidates.len();
    let names: Vec<String> = f.candidates.iter().map(|c| c.name.clone()).collect();
    let rounds = first_rounds(options, configurations);
    let most = most_rounds(options, configurations);
    let board = Arc::new(
        Board::join(
            server,
            options.shard,
            &run_plan(f.scenario, &names, phases, rounds, most),
        )
        .await?,
    );
    let copies = board.plan.copies.clone();
    let spec = &f.scenario.spec;
    // The seeded data, as the leader describes the server: its copies
    // come and go a sitting at a time.
    let seeded = data_db_name(&spec.name, &f.scenario.data_fingerprint());
    let mut results = begun(
        server,
        &seeded,
        ScenarioInfo {
            name: spec.name.clone(),
            file: f.scenario.path.display().to_string(),
            seed: spec.seed,
            scale: spec.scale,
            data_fingerprint: f.scenario.data_fingerprint(),
            database: seeded.clone(),
            tables: Vec::new(),
            critical: super::critical(f.scenario),
        },
        options,
        phases,
        f.protocol,
        f.candidates
            .iter()
            .enumerate()
            .map(|(i, c)| CandidateResult::unmeasured(&c.name, &c.description, &copies[i]))
            .collect(),
    )
    .await?;
    results.rounds = rounds;
    let sittings = sittings(configurations, most, options.design);
    let hlogs = f
        .query_names
        .iter()
        .map(|q| f.report.hlog_path(q))
        .collect();
    let timeline = Timeline::start(
        f.query_names.to_vec(),
        timeline_slots(&sittings, phases, &names, rounds),
        hlogs,
        board.anchor,
    )
    .map_err(RunError::Timeline)?;
    let mut prepared: HashMap<usize, Arc<Shared>> = HashMap::new();
    let mut slot = 0;
    'run: for sitting in &sittings {
        for (p, phase) in phases.iter().enumerate() {
            if !board.posted(slot).await? {
                break 'run;
            }
            let mut sides = Vec::with_capacity(sitting.copies.len());
            for &copy in &sitting.copies {
                sides.push(side(&f, &mut prepared, &copies, copy).await?);
            }
            drive_slot(
                &SlotRun {
                    timeline: &timeline,
                    slot,
                    phase,
                    p,
                    seed: combine(&[spec.seed, p as u64]),
                    sitting,
                    names: &names,
                    board: Some(&board),
                },
                &sides,
                &mut results,
            )
            .await?;
            slot += sitting.arms.len();
        }
        results.rounds = sitting.round;
        for &a in &sitting.arms {
            let queries = results.candidates[a].queries_from_phases();
            results.candidates[a].queries = queries;
        }
        f.report.write_results(&results)?;
    }
    drop(timeline);
    results.complete = true;
    results.finished_at = Some(chrono::Utc::now().to_rfc3339());
    results.elapsed_s = started.elapsed().as_secs_f64();
    let results = if options.share {
        let others = board.share(&results).await?;
        super::whole(results, others)?
    } else {
        results
    };
    super::write(f.report, &results)?;
    // Written first: once every shard has left, the leader may merge.
    board.leave().await?;
    Ok(results)
}

/// The workload of copy `copy`, prepared on its first phase and kept: a
/// renewed copy is the same schema.
async fn side(
    f: &Follower<'_>,
    prepared: &mut HashMap<usize, Arc<Shared>>,
    copies: &[String],
    copy: usize,
) -> Result<Arc<Shared>, RunError> {
    if let Some(shared) = prepared.get(&copy) {
        return Ok(Arc::clone(shared));
    }
    // Copies past the configurations are the baseline's twins.
    let candidate = f.candidates.get(copy).unwrap_or(&f.candidates[0]);
    let shared = Arc::new(
        drive::shared(
            f.server,
            &copies[copy],
            &candidate.workload(f.workload),
            Arc::clone(f.plan),
            f.protocol,
        )
        .await?,
    );
    prepared.insert(copy, Arc::clone(&shared));
    Ok(shared)
}

//! The run's bookkeeping between sittings: measurements merged per round,
//! work per sitting from statement statistics, duet phases paired second by second, and
//! when a budget may stop.

use crate::compare::Verdicts;
use crate::drive::engine::PhaseOutcome;
use crate::drive::query_results;
use crate::drive::workload::Workload;
use crate::gate::threshold::evaluate;
use crate::measure::{QueryMeasurements, duet};
use crate::results::limit::Threshold;
use crate::results::{
    AppComparison, CandidateResult, DuetSeconds, QueryResult, QueryWork, StatementStats, Verdict,
};

/// No verdict moved past its threshold without being called.
pub(super) fn settled(verdicts: &Verdicts) -> bool {
    let app = verdicts.app.iter().map(AppComparison::verdict);
    verdicts
        .latency
        .iter()
        .map(|c| c.estimate.verdict)
        .chain(verdicts.work.iter().map(|w| w.estimate.verdict))
        .chain(app)
        .all(|v| v != Verdict::Inconclusive)
}

/// The middle value; none of nothing.
pub(super) fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// Queries' measurements merged over phases.
pub(super) fn merge(workload: &Workload, outcomes: &[PhaseOutcome]) -> Vec<QueryMeasurements> {
    workload.merge(outcomes.iter().map(|o| o.queries.as_slice()))
}

pub(super) fn merge_rounds(
    workload: &Workload,
    rounds: &[Vec<QueryMeasurements>],
) -> Vec<QueryMeasurements> {
    workload.merge(rounds.iter().map(Vec::as_slice))
}

/// The first limit of a threshold with `abort_on_fail` that fails.
pub(super) fn failed_abort_threshold(
    thresholds: &[Threshold],
    queries: &[QueryResult],
) -> Option<String> {
    let aborting: Vec<_> = thresholds
        .iter()
        .filter(|t| t.abort_on_fail)
        .cloned()
        .collect();
    evaluate(&aborting, queries)
        .into_iter()
        .find(|t| !t.passed)
        .map(|t| format!("{} `{}` (measured {:.3})", t.query, t.limit, t.actual))
}

/// Seconds of measured (not warmup) load a configuration has run so far.
pub(super) fn measured_seconds(result: &CandidateResult) -> f64 {
    result
        .phases
        .iter()
        .filter(|p| !p.warmup)
        .map(|p| p.elapsed_s)
        .sum()
}

/// Every query of one duet phase, second by second.
pub(super) fn pair_seconds(
    workload: &Workload,
    base: &PhaseOutcome,
    other: &PhaseOutcome,
    round: u32,
) -> Vec<DuetSeconds> {
    workload
        .queries
        .iter()
        .enumerate()
        .map(|(q, query)| DuetSeconds {
            round,
            phase: base.phase.name.clone(),
            query: query.name.clone(),
            seconds: duet::pair(&base.seconds, &other.seconds, q),
        })
        .collect()
}

/// Adds one phase's work per query: what the statistics gained since the
/// last reading.
pub(super) fn record_work(
    work: &mut Vec<QueryWork>,
    before: &[StatementStats],
    now: &[StatementStats],
    round: u32,
    partner: Option<&str>,
    phase: &str,
) {
    for stats in now {
        let was = before.iter().find(|b| b.query == stats.query);
        let delta = stats.since(was, round, partner, Some(phase));
        match work.iter_mut().find(|w| w.query == stats.query) {
            Some(w) => w.rounds.push(delta),
            None => work.push(QueryWork {
                query: stats.query.clone(),
                rounds: vec![delta],
            }),
        }
    }
}

/// A configuration's per-query figures over the rounds measured so far.
pub(super) fn update_queries(
    result: &mut CandidateResult,
    workload: &Workload,
    rounds: &[Vec<QueryMeasurements>],
) {
    result.queries = query_results(
        workload,
        &merge_rounds(workload, rounds),
        measured_seconds(result),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::WorkComparison;

    #[test]
    fn a_budget_stops_once_nothing_is_inconclusive() {
        let work = |verdict| WorkComparison {
            candidate: "c".into(),
            query: "q".into(),
            baseline_buffers_per_call: 4.0,
            candidate_buffers_per_call: 4.0,
            baseline_rows_per_call: 1.0,
            candidate_rows_per_call: 1.0,
            baseline_wal_bytes_per_call: None,
            candidate_wal_bytes_per_call: None,
            estimate: crate::results::Estimate {
                verdict,
                ..Default::default()
            },
        };
        let work = |verdicts: [Verdict; 2]| Verdicts {
            work: verdicts.map(work).into(),
            ..Verdicts::default()
        };
        assert!(settled(&work([Verdict::Slower, Verdict::NoChange])));
        assert!(!settled(&work([Verdict::Slower, Verdict::Inconclusive])));
        assert!(settled(&Verdicts::default()));
    }
}

//! A run judged from what it measured: every candidate's verdicts against
//! the baseline, the regression where the run compared two schemas, and
//! the thresholds. One function, so a run, its shards added up and `merge`
//! reach the same answers from the same figures.

use crate::compare::{self, Pairing};
use crate::results::limit::Threshold;
use crate::results::{CandidateResult, Gate, Judged, Regression, RunResults};

/// The other schema a run compared its own with (`run --against`).
#[derive(Debug, Clone)]
pub struct Against {
    /// What the regression is against, as every output names it.
    pub label: String,
    pub gate: Gate,
}

impl Against {
    /// The schema comparison `results` already hold: a regression judged
    /// within the run, which records the run's own start (one against a
    /// stored run records that run's).
    pub fn of(results: &RunResults) -> Option<Self> {
        results
            .regression
            .as_ref()
            .filter(|r| r.against_started_at == results.started_at)
            .map(|r| Self {
                label: r.against.clone(),
                gate: r.gate,
            })
    }
}

/// The configuration a run measured for its own schema: in a comparison of
/// two schemas (`--against-*`) the branch, not the base measured beside
/// it; else the baseline. What a trend follows and a stored run is
/// compared by.
pub fn tracked(results: &RunResults) -> Option<&CandidateResult> {
    if Against::of(results).is_some() {
        results.candidates.last()
    } else {
        results.candidates.first()
    }
}

/// Judges `results` afresh: the verdicts of every candidate against the
/// baseline (paired, as one run measures them), the regression against
/// `against`, and `thresholds` on the baseline.
pub fn judge(results: &mut RunResults, thresholds: &[Threshold], against: Option<&Against>) {
    let Some((base, others)) = results.candidates.split_first() else {
        return;
    };
    let verdicts = compare::verdicts(base, others, Pairing::Interleaved, results.criteria);
    if let Some(against) = against {
        results.regression = Some(Regression::judged(
            against.label.clone(),
            results.started_at.clone(),
            Judged {
                criteria: results.criteria,
                gate: against.gate,
                comparisons: verdicts.latency.clone(),
                work_comparisons: verdicts.work.clone(),
                app: verdicts.app.first().cloned(),
                critical: results.scenario.critical.clone(),
            },
        ));
    }
    results.thresholds = super::threshold::evaluate(thresholds, &base.queries);
    results.comparisons = verdicts.latency;
    results.work_comparisons = verdicts.work;
    results.app_comparisons = verdicts.app;
}

/// Judges `results` afresh by what they record of the run: its
/// thresholds (as the scenario wrote them) and its schema comparison.
pub fn rejudge(results: &mut RunResults) {
    let against = Against::of(results);
    let thresholds = thresholds(results);
    judge(results, &thresholds, against.as_ref());
}

/// The scenario's thresholds as the results recorded them.
fn thresholds(results: &RunResults) -> Vec<Threshold> {
    let mut out: Vec<Threshold> = Vec::new();
    for t in &results.thresholds {
        let query = (t.query != super::threshold::ALL_QUERIES).then(|| t.query.clone());
        match out.iter_mut().find(|s| s.query == query) {
            Some(spec) => spec.limits.push(t.limit.clone()),
            None => out.push(Threshold {
                query,
                limits: vec![t.limit.clone()],
                abort_on_fail: false,
            }),
        }
    }
    out
}

//! A run judged from what it measured: every candidate's verdicts against
//! the baseline, the regression where the run compared two schemas, and
//! the thresholds. One function, so a run, its shards added up and `merge`
//! reach the same answers from the same figures.

use crate::compare::{self, Pairing};
use crate::results::{Gate, Regression, RunResults};
use crate::scenario::spec::ThresholdSpec;

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

/// Judges `results` afresh: the verdicts of every candidate against the
/// baseline (paired, as one run measures them), the regression against
/// `against`, and `thresholds` on the baseline.
pub fn judge(results: &mut RunResults, thresholds: &[ThresholdSpec], against: Option<&Against>) {
    let Some((base, others)) = results.candidates.split_first() else {
        return;
    };
    (results.comparisons, results.work_comparisons) =
        compare::verdicts(base, others, Pairing::Interleaved, results.criteria);
    if let Some(against) = against {
        results.regression = Some(Regression::judged(
            against.label.clone(),
            results.started_at.clone(),
            results.criteria,
            against.gate,
            results.comparisons.clone(),
            results.work_comparisons.clone(),
        ));
    }
    results.thresholds = super::threshold::evaluate(thresholds, &base.queries);
}

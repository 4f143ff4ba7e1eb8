//! Thresholds checked on the baseline, and the baseline against a stored
//! run: what decides a CI job's exit code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Comparison, Criteria, Gate, MachineInfo, Verdict, WorkComparison};

/// One threshold (`p99 < 25ms` on a query, or on all queries together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThresholdResult {
    /// The query, or `all` for every query together.
    pub query: String,
    /// As written in the scenario.
    pub limit: String,
    /// The measured value, in the limit's unit (ms, req/s, or a fraction).
    pub actual: f64,
    pub passed: bool,
}

/// The run's baseline against a stored run of the same scenario and load.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Regression {
    /// The stored run: a baseline name or a file.
    pub against: String,
    /// When the stored run started.
    pub against_started_at: String,
    pub criteria: Criteria,
    /// The verdicts that decide: as asked, or latency where a run had no
    /// work figures to judge.
    #[serde(default = "latency_gate")]
    pub gate: Gate,
    /// Per query and percentile; `candidate` is `current`.
    pub comparisons: Vec<Comparison>,
    /// Per query, buffers per call; `candidate` is `current`.
    #[serde(default)]
    pub work_comparisons: Vec<WorkComparison>,
    /// The reference query's time now over then, when it moved past
    /// [`MACHINE_DRIFT`]: the machine itself changed, and latency verdicts
    /// against the stored run are left undecided.
    #[serde(default)]
    pub machine_ratio: Option<f64>,
    /// True when any gated comparison is slower.
    pub regressed: bool,
}

/// How far the reference query may drift between two runs before the
/// machine counts as changed.
pub const MACHINE_DRIFT: f64 = 0.15;

/// Files written before the gate existed judged latency.
fn latency_gate() -> Gate {
    Gate::Latency
}

impl Regression {
    /// Judged by `gate`, or by latency where there is no work to judge.
    pub fn judged(
        against: String,
        against_started_at: String,
        criteria: Criteria,
        gate: Gate,
        comparisons: Vec<Comparison>,
        work_comparisons: Vec<WorkComparison>,
    ) -> Self {
        let gate = if work_comparisons.is_empty() {
            Gate::Latency
        } else {
            gate
        };
        let mut regression = Self {
            against,
            against_started_at,
            criteria,
            gate,
            comparisons,
            work_comparisons,
            machine_ratio: None,
            regressed: false,
        };
        regression.rejudge();
        regression
    }

    /// Notes how the machine's speed moved between the runs (reference
    /// query times then and now). Past [`MACHINE_DRIFT`], latency says as
    /// much about the machine as about the schema: its called changes
    /// become inconclusive, with a warning rather than a regression.
    pub fn calibrate(&mut self, then: &MachineInfo, now: &MachineInfo) {
        let (Some(then), Some(now)) = (then.reference_ms, now.reference_ms) else {
            return;
        };
        let ratio = now / then;
        if !(ratio.is_finite() && (ratio - 1.0).abs() > MACHINE_DRIFT) {
            return;
        }
        self.machine_ratio = Some(ratio);
        for e in self.comparisons.iter_mut().map(|c| &mut c.estimate) {
            if matches!(e.verdict, Verdict::Faster | Verdict::Slower) {
                e.verdict = Verdict::Inconclusive;
            }
        }
        self.rejudge();
    }

    /// Regressed when a gated verdict is slower.
    fn rejudge(&mut self) {
        let regressed = self.gated().any(|v| v == Verdict::Slower);
        self.regressed = regressed;
    }

    /// The verdicts the gate judges.
    pub fn gated(&self) -> impl Iterator<Item = Verdict> + '_ {
        let latency = self
            .comparisons
            .iter()
            .filter(|_| self.gate.judges_latency())
            .map(|c| c.estimate.verdict);
        let work = self
            .work_comparisons
            .iter()
            .filter(|_| self.gate.judges_work())
            .map(|c| c.estimate.verdict);
        latency.chain(work)
    }
}

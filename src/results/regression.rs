//! Thresholds checked on the baseline, and the baseline against a stored
//! run: what decides a CI job's exit code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::decision::{Decision, Verdicts, decide};
use super::{AppComparison, Comparison, Criteria, Gate, MachineInfo, Verdict, WorkComparison};

/// One threshold (`p99 < 25ms` on a query, or on all queries together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThresholdResult {
    /// The query, or `all` for every query together.
    pub query: String,
    /// As written in the scenario.
    #[schemars(with = "String")]
    pub limit: super::limit::Limit,
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
    /// The app as a whole; `candidate` is `current` (absent in files
    /// written before app-level verdicts).
    #[serde(default)]
    pub app: Option<AppComparison>,
    /// The queries the scenario marks critical: the default gate fails
    /// on any of them slower.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub critical: Vec<String>,
    /// Queries the stored run measured that this run lacks: a run that
    /// drops a query has nothing to judge it by, and never passes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// The reference query's time now over then, when it moved past
    /// [`MACHINE_DRIFT`]: the machine itself changed, and latency verdicts
    /// against the stored run are left undecided.
    #[serde(default)]
    pub machine_ratio: Option<f64>,
    /// True when the gate fails ([`Regression::decision`]).
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
    /// Judged by `gate`; the strict `work` gate by latency where there is
    /// no work to judge.
    pub fn judged(against: String, against_started_at: String, judged: Judged) -> Self {
        let Judged {
            criteria,
            gate,
            comparisons,
            work_comparisons,
            app,
            critical,
        } = judged;
        let gate = if work_comparisons.is_empty() && gate == Gate::Work {
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
            app,
            critical,
            missing: Vec::new(),
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
        let latency = self.comparisons.iter_mut().map(|c| &mut c.estimate);
        let app = self.app.iter_mut().filter_map(|a| a.latency.as_mut());
        for e in latency.chain(app) {
            if matches!(e.verdict, Verdict::Faster | Verdict::Slower) {
                e.verdict = Verdict::Inconclusive;
            }
        }
        self.rejudge();
    }

    /// Regressed when the gate fails.
    fn rejudge(&mut self) {
        self.regressed = self.decision().fails;
    }

    /// How the run stands against the stored one, by the one decision
    /// every output reads.
    pub fn decision(&self) -> Decision {
        decide(
            self.gate,
            &self.critical,
            &Verdicts {
                app: self.app.as_ref(),
                latency: self.comparisons.iter().collect(),
                work: self.work_comparisons.iter().collect(),
            },
        )
    }
}

/// What a regression is judged from.
pub struct Judged {
    pub criteria: Criteria,
    pub gate: Gate,
    pub comparisons: Vec<Comparison>,
    pub work_comparisons: Vec<WorkComparison>,
    pub app: Option<AppComparison>,
    pub critical: Vec<String>,
}

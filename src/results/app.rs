//! The app as a whole: the workload's time and work per request of its
//! mix, candidate against baseline. What a reviewer asks first ("is the
//! app faster?") and what the default gate decides on.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Estimate, Verdict};

/// One candidate against the baseline on the whole mix: each query's
/// share of the baseline's requests times its mean, summed, on both sides
/// of the same samples (a duet's seconds, or rounds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppComparison {
    pub candidate: String,
    /// Milliseconds per request of the mix on each side of the estimate:
    /// the samples the ratio came from, and nothing else.
    pub baseline_ms: f64,
    pub candidate_ms: f64,
    /// Time per request of the mix; none where no sample held both sides.
    pub latency: Option<Estimate>,
    /// Shared buffers per request of the mix on each side.
    pub baseline_buffers: f64,
    pub candidate_buffers: f64,
    /// Buffers per request of the mix; none without work figures.
    pub work: Option<Estimate>,
    /// Whether time may decide: both sides measured side by side in one
    /// run. Between separate runs (a stored baseline) time also measures
    /// how busy each machine was, and work alone decides.
    #[serde(default = "paired")]
    pub time_decides: bool,
}

fn paired() -> bool {
    true
}

impl AppComparison {
    /// Time decides; where time calls nothing either way, work does (a
    /// busy machine blurs time, never buffers). Inconclusive where neither
    /// calls a change and either moved past its noise threshold. Between
    /// separate runs, work alone decides where there is work.
    pub fn verdict(&self) -> Verdict {
        let latency = match (self.time_decides, self.work) {
            (false, Some(_)) => None,
            _ => self.latency.map(|e| e.verdict),
        };
        let work = self.work.map(|e| e.verdict);
        let called = |v: &Option<Verdict>| matches!(v, Some(Verdict::Faster | Verdict::Slower));
        if called(&latency) {
            latency.unwrap_or_default()
        } else if called(&work) {
            work.unwrap_or_default()
        } else if latency == Some(Verdict::Inconclusive) || work == Some(Verdict::Inconclusive) {
            Verdict::Inconclusive
        } else {
            Verdict::NoChange
        }
    }
}

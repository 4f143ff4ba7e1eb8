//! What `advise` proposed, as results.json keeps it: the planner's
//! estimate beside each advised index, whose measured verdicts are the
//! run's own comparisons of the candidate of the same name.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One index HypoPG showed the planner would use, measured as a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdvisedIndex {
    /// The candidate that measured it (the index's name).
    pub candidate: String,
    /// Its `CREATE INDEX` statement.
    pub definition: String,
    /// The slow queries whose plans it cheapened.
    pub gains: Vec<PlannedGain>,
    /// HypoPG's estimate of its size, bytes.
    pub estimated_bytes: i64,
}

/// The planner's cost of one query's sampled requests without and with
/// the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlannedGain {
    pub query: String,
    pub cost_before: f64,
    pub cost_after: f64,
    /// The query's share of the workload's time in the first run.
    pub time_share: f64,
}

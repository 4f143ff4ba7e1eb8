//! What schemabench observed of a configuration beside latency: its cost,
//! its plans, its statement statistics, its index usage, its errors and
//! its per-second figures.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Errors of one SQLSTATE: how many, and one message as a sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorCount {
    pub count: u64,
    pub sample: String,
}

/// The size of one table or index in a candidate's database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RelationSize {
    pub name: String,
    /// `table`, `index`, `materialized view`, `partitioned table (12
    /// partitions)`...
    pub kind: String,
    pub bytes: i64,
}

/// What applying a candidate cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CandidateCost {
    pub ddl_seconds: f64,
    pub vacuum_analyze_seconds: f64,
    pub database_bytes: i64,
    /// Every user table, index and materialized view with its size.
    pub relations: Vec<RelationSize>,
}

/// The shape and cost of one query's plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanSummary {
    pub query: String,
    /// Plan nodes, outermost first: "Index Scan using x on stories".
    pub nodes: Vec<String>,
    pub indexes: Vec<String>,
    pub estimated_rows: f64,
    pub actual_rows: f64,
    pub shared_hit_blocks: i64,
    pub shared_read_blocks: i64,
    pub planning_ms: f64,
    pub execution_ms: f64,
    /// Against the baseline's plan: "+ node" added, "- node" gone.
    pub changes: Vec<String>,
    /// Why no plan could be taken, if so.
    pub error: Option<String>,
}

/// What `pg_stat_statements` saw of one query during the rounds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatementStats {
    pub query: String,
    pub calls: i64,
    pub mean_exec_ms: f64,
    pub stddev_exec_ms: f64,
    pub shared_blks_hit: i64,
    pub shared_blks_read: i64,
}

/// Scans of one index during the rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IndexUsage {
    pub index: String,
    pub table: String,
    pub scans: i64,
}

/// One second of one query, as kept for charts and JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IntervalPoint {
    /// Seconds since the run started.
    pub second: u64,
    pub query: String,
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

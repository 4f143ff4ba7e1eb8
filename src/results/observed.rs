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
    /// Making the copy of the seeded data the candidate is applied to.
    #[serde(default)]
    pub copy_seconds: f64,
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
    /// Rows returned or affected.
    #[serde(default)]
    pub rows: i64,
    /// Temporary blocks read and written (sorts and hashes spilling to disk).
    #[serde(default)]
    pub temp_blks: i64,
    /// Bytes of WAL written, triggers' and cascades' writes included.
    #[serde(default)]
    pub wal_bytes: i64,
}

impl StatementStats {
    /// What happened between `before` and this later reading of the same
    /// query: one round's work.
    pub fn since(
        &self,
        before: Option<&StatementStats>,
        round: u32,
        partner: Option<&str>,
        phase: Option<&str>,
    ) -> WorkRound {
        let was = |f: fn(&StatementStats) -> i64| before.map_or(0, f);
        WorkRound {
            round,
            partner: partner.map(str::to_owned),
            phase: phase.map(str::to_owned),
            calls: self.calls - was(|s| s.calls),
            shared_blks: self.shared_blks_hit + self.shared_blks_read
                - was(|s| s.shared_blks_hit + s.shared_blks_read),
            shared_blks_read: Some(self.shared_blks_read - was(|s| s.shared_blks_read)),
            rows: self.rows - was(|s| s.rows),
            temp_blks: self.temp_blks - was(|s| s.temp_blks),
            wal_bytes: Some(self.wal_bytes - was(|s| s.wal_bytes)),
        }
    }
}

/// The server's work for one query in one phase of a round, from
/// `pg_stat_statements`:
/// unlike latency it barely depends on the machine's speed or load, and
/// shared buffers hit + read do not depend on what was cached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WorkRound {
    /// 1-based round.
    pub round: u32,
    /// The configuration that ran at the same time (duet design).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// The phase these figures cover: each phase is a sample, so a work
    /// verdict of three rounds of two phases stands on six, not three
    /// (files from before cover whole rounds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    pub calls: i64,
    /// Shared buffers hit plus read.
    pub shared_blks: i64,
    /// Of them, read from outside shared_buffers (the OS cache or disk);
    /// absent in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_blks_read: Option<i64>,
    pub rows: i64,
    pub temp_blks: i64,
    /// Bytes of WAL the calls wrote: what a write costs replicas, backups
    /// and the disk beyond the buffers it touched (an unlogged table writes
    /// none). Absent in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_bytes: Option<i64>,
}

impl WorkRound {
    /// Shared buffers per call; none without calls.
    pub fn buffers_per_call(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.shared_blks as f64 / self.calls as f64)
    }
}

/// One query's work, round by round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QueryWork {
    pub query: String,
    pub rounds: Vec<WorkRound>,
}

impl QueryWork {
    /// Buffers per call of each round (0 for a round without calls, kept in
    /// place for pairing); with `beside`, only the rounds run beside it.
    pub fn round_buffers(&self, beside: Option<&str>) -> Vec<f64> {
        self.rounds
            .iter()
            .filter(|r| beside.is_none_or(|b| r.partner.as_deref() == Some(b)))
            .map(|r| r.buffers_per_call().unwrap_or(0.0))
            .collect()
    }

    /// Shared buffers per call over all rounds.
    pub fn buffers_per_call(&self) -> Option<f64> {
        self.per_call(|r| r.shared_blks)
    }

    /// The share of buffers found in shared_buffers, over the rounds that
    /// recorded reads; none without any buffer.
    pub fn hit_ratio(&self) -> Option<f64> {
        let (read, all) = self.sums(|r| r.shared_blks_read.map(|read| (read, r.shared_blks)));
        (all > 0).then(|| 1.0 - read as f64 / all as f64)
    }

    /// Rows per call over all rounds.
    pub fn rows_per_call(&self) -> Option<f64> {
        self.per_call(|r| r.rows)
    }

    /// WAL bytes per call over the rounds that recorded it.
    pub fn wal_bytes_per_call(&self) -> Option<f64> {
        let (calls, bytes) = self.sums(|r| r.wal_bytes.map(|bytes| (r.calls, bytes)));
        (calls > 0).then(|| bytes as f64 / calls as f64)
    }

    /// Two figures summed over the rounds that recorded them.
    fn sums(&self, pick: impl Fn(&WorkRound) -> Option<(i64, i64)>) -> (i64, i64) {
        self.rounds
            .iter()
            .filter_map(pick)
            .fold((0, 0), |(a, b), (x, y)| (a + x, b + y))
    }

    fn per_call(&self, figure: fn(&WorkRound) -> i64) -> Option<f64> {
        let calls: i64 = self.rounds.iter().map(|r| r.calls).sum();
        let total: i64 = self.rounds.iter().map(figure).sum();
        (calls > 0).then(|| total as f64 / calls as f64)
    }
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

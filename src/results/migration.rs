//! A migration applied under live load, as `migration.json` keeps it: what
//! the DDL cost the users of the app while it ran, written as it was and
//! with every index built `CONCURRENTLY`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{IntervalPoint, PhaseLoad, ScenarioInfo};

/// How often `migrate` reads the lock tables while the DDL runs, ms.
pub const SAMPLE_EVERY_MS: u64 = 20;

/// Bumped whenever the meaning or shape of `migration.json` changes.
pub const MIGRATION_VERSION: u32 = 1;

/// Everything `migrate` measured.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MigrationResults {
    pub version: u32,
    pub schemabench_version: String,
    pub started_at: String,
    pub scenario: ScenarioInfo,
    /// Where the DDL came from: a candidate's name or a file.
    pub source: String,
    /// The configuration whose copy it ran on: `baseline`, or a candidate.
    pub on: String,
    /// The load the DDL ran under.
    pub load: PhaseLoad,
    /// Seconds into the load when the DDL started.
    pub ddl_at_s: f64,
    /// squawk-style rules the SQL breaks, before any measurement.
    pub warnings: Vec<StaticWarning>,
    /// As written, then (when it builds an index without it) with
    /// `CONCURRENTLY`.
    pub variants: Vec<MigrationVariant>,
    /// Which variant to ship and why, in one sentence.
    pub advice: String,
}

/// A rule of the static check, on one statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StaticWarning {
    /// squawk's rule name.
    pub rule: String,
    /// 1-based line of the statement in the SQL.
    pub line: u64,
    /// The statement's first line.
    pub statement: String,
    pub message: String,
}

/// One way of applying the DDL, measured on its own fresh copy of the data.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MigrationVariant {
    /// `as written` or `concurrently`.
    pub name: String,
    pub sql: String,
    /// Whether the statements ran in one transaction (as migration tools
    /// apply a file) or one by one (`CONCURRENTLY` cannot run in one).
    pub one_transaction: bool,
    /// Wall time of the DDL, seconds.
    pub ddl_seconds: f64,
    /// The server's error, if the DDL failed.
    pub ddl_error: Option<String>,
    /// Table locks the DDL was seen holding (`ShareLock on public.stories`).
    pub locks_held: Vec<String>,
    /// How long the DDL itself waited for a lock, at most, ms.
    pub ddl_waited_ms: f64,
    /// Times the lock tables were sampled while the DDL ran.
    pub samples: u64,
    /// Requests seen waiting on a lock while the DDL ran, per query.
    pub blocked: Vec<BlockedQuery>,
    /// Most requests waiting at one sample.
    pub most_blocked_at_once: u64,
    /// The longest wait of a blocked request seen, ms: the stall users felt.
    pub longest_wait_ms: f64,
    /// Requests of the whole phase, and those that failed or timed out.
    pub requests: u64,
    pub errors: u64,
    pub timeouts: u64,
    /// Per-second latency of every query, seconds counted from the start
    /// of the load.
    pub timeline: Vec<IntervalPoint>,
    /// Rows the migration wrote, per table (cascades and triggers
    /// included), read from its own transaction's statistics before it
    /// commits: counted only when it runs in one transaction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<TableRows>,
}

/// Rows one table gained, changed and lost in the migration's transaction
/// (`pg_stat_xact_user_tables`): counts, never the rows' values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TableRows {
    /// `schema.table`.
    pub table: String,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}

/// Requests of one query seen blocked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BlockedQuery {
    pub query: String,
    pub requests: u64,
    pub longest_wait_ms: f64,
}

impl MigrationVariant {
    /// Requests seen blocked, all queries together.
    pub fn blocked_requests(&self) -> u64 {
        self.blocked.iter().map(|b| b.requests).sum()
    }
}

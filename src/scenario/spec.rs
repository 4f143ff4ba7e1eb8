//! The scenario file as written: serde types that mirror the TOML one to one.
//!
//! Every struct denies unknown keys so a typo is an error, not a silently
//! ignored setting. Semantic checks (references, cycles, ranges) live in
//! `validate.rs`; this file only says what shapes are accepted.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

pub use crate::scenario::generator::Generator;
use crate::scenario::workload::{LoadSpec, WorkloadSpec};

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Short name, used for database and report folder names.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Another scenario whose migrations, tables, seed and scale this one
    /// uses (relative path): a different workload on the same data.
    pub extends: Option<PathBuf>,
    /// SQL files applied in order after the built-in Supabase `auth` setup,
    /// relative to the scenario file.
    #[serde(default)]
    pub migrations: Vec<PathBuf>,
    /// Seed of every random choice: the same seed gives the same rows.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Multiplies the row count of every table that has `rows`.
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// Tables to fill, keyed by (optionally schema-qualified) name.
    #[serde(default)]
    pub tables: BTreeMap<String, TableSpec>,
    /// The queries and how users choose them.
    #[serde(default)]
    pub workload: Option<WorkloadSpec>,
    /// The load phases run against the workload.
    #[serde(default)]
    pub load: Option<LoadSpec>,
    /// Configurations to compare against the unchanged schema (the baseline).
    #[serde(default)]
    pub candidates: Vec<CandidateSpec>,
    /// Objectives checked when the run ends (and after each measured phase),
    /// as written: [`crate::scenario::Scenario::thresholds`] has them parsed.
    #[serde(default)]
    pub thresholds: Vec<ThresholdSpec>,
}

/// Limits on one query, or on all queries together.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdSpec {
    /// A workload query; omitted: every query together.
    pub query: Option<String>,
    /// `"p99 < 25ms"`, `"error_rate < 0.1%"`, `"throughput > 200"`.
    pub limits: Vec<String>,
    /// Stop the run as soon as a measured phase ends with a limit failed.
    #[serde(default)]
    pub abort_on_fail: bool,
}

/// One configuration to compare: SQL that turns the baseline schema into it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateSpec {
    /// Lowercase letters, digits and underscores; `baseline` is taken.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// DDL applied to the candidate's copy of the data (indexes, policies,
    /// partitioning, materialized views...).
    #[serde(default)]
    pub sql: String,
    /// Or: a file of such SQL, relative to the scenario (with `sql` too,
    /// the file runs first).
    pub file: Option<PathBuf>,
    /// Planner settings for the candidate's database (`work_mem = "64MB"`).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Query SQL that replaces a workload query's under this candidate
    /// (same parameters), e.g. to read a materialized view.
    #[serde(default)]
    pub queries: BTreeMap<String, String>,
    /// A named group (lowercase letters, digits, underscores): grouped
    /// candidates run only when asked (`--candidates group:NAME`), so a
    /// scenario can keep more questions than its default run answers.
    pub group: Option<String>,
}

impl CandidateSpec {
    /// Whether it has SQL (inline or a file) to run on its copy, beyond
    /// settings and query rewrites: what preparing it costs.
    pub fn has_sql(&self) -> bool {
        self.file.is_some() || !self.sql.trim().is_empty()
    }
}

fn default_seed() -> u64 {
    1
}

fn default_scale() -> f64 {
    1.0
}

/// How many rows a table gets and how each column is filled.
#[derive(Debug, Clone, Deserialize, Hash)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// A fixed row count (multiplied by the scale). Excludes `per`/`count`.
    pub rows: Option<u64>,
    /// false: `rows` stays as it is at every scale (a lookup table, a
    /// single settings row); only with `rows`.
    #[serde(default = "yes")]
    pub scaled: bool,
    /// The parent table: this table gets `count` rows for each parent row.
    pub per: Option<String>,
    /// Rows per parent row, drawn from a distribution.
    pub count: Option<Distribution>,
    /// Column generators; columns left out take their database default.
    #[serde(default)]
    pub columns: BTreeMap<String, Generator>,
    /// The column whose order the rows land on disk in, as the app inserts
    /// them (`created_at`): a user's rows spread over the table among
    /// everyone else's, as in production. Without it rows land owner by
    /// owner, and a user's rows share a few pages.
    pub order: Option<String>,
}

impl TableSpec {
    /// A root table's rows at `scale` (at least one), unless it keeps its
    /// size at every scale.
    pub fn rows_at(&self, scale: f64) -> Option<f64> {
        let rows = self.rows? as f64;
        Some(if self.scaled { rows * scale } else { rows })
    }
}

/// A distribution of non-negative integers (row counts, ranks).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    Fixed {
        value: u64,
    },
    Uniform {
        min: u64,
        max: u64,
    },
    Normal {
        mean: f64,
        stddev: f64,
        min: Option<u64>,
        max: Option<u64>,
    },
    Exponential {
        mean: f64,
        max: Option<u64>,
    },
    /// Values 1..=max, value k with weight k^-exponent: few large, many small.
    Zipf {
        max: u64,
        exponent: f64,
    },
    Bernoulli {
        p: f64,
    },
    /// The floor or the ceiling of `mean` for each parent, spread evenly,
    /// so the total is `mean` times the parents exactly (a live table's
    /// row count, reproduced).
    Even {
        mean: f64,
    },
}

impl std::hash::Hash for Distribution {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // f64 has no Hash; its Debug text is exact enough to fingerprint a spec.
        format!("{self:?}").hash(state);
    }
}

fn yes() -> bool {
    true
}

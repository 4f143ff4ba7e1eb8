//! Findings of the schema lints, as results.json keeps them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a rule guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LintLevel {
    Performance,
    Security,
}

/// One object that breaks one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LintFinding {
    /// splinter's rule name, e.g. `unindexed_foreign_keys`.
    pub rule: String,
    pub level: LintLevel,
    /// The table, index, policy or function.
    pub object: String,
    /// What to do about it.
    pub fix: String,
}

//! What decides a run's exit code: the scenario's thresholds and a
//! comparison against a stored baseline.

pub mod baseline;
pub mod threshold;

use std::path::PathBuf;

use crate::results::RunResults;

/// Why a stored run cannot be read, written or compared.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a schemabench results file: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{} has results version {found}; this schemabench reads version {}", path.display(), crate::results::RESULTS_VERSION)]
    Version { path: PathBuf, found: u64 },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("baseline name {0:?}: expected letters, digits, `_`, `-` or `.`")]
    BadName(String),
    #[error("refusing to compare with {against}: the runs differ in {}", differences.join("; "))]
    Incomparable {
        against: String,
        differences: Vec<String>,
    },
}

/// How a finished run stands against its objectives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Ok,
    /// A threshold failed.
    ThresholdFailed,
    /// Slower than the stored baseline on some query and percentile.
    Regressed,
}

impl Standing {
    /// A regression outranks a failed threshold: it names what changed.
    pub fn of(results: &RunResults) -> Self {
        if results.regression.as_ref().is_some_and(|r| r.regressed) {
            Self::Regressed
        } else if results.thresholds.iter().any(|t| !t.passed) {
            Self::ThresholdFailed
        } else {
            Self::Ok
        }
    }
}

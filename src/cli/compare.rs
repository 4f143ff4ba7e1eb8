//! The flags of `schemabench compare`.

use std::path::PathBuf;

use clap::Args;

use super::shared::CriteriaArgs;

/// Flags of `schemabench compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The earlier run (a results.json or a stored baseline).
    pub old: PathBuf,
    /// The run to judge.
    pub new: PathBuf,
    /// Where to write regression.md [default: reports/<scenario>/compare-<UTC time>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub criteria: CriteriaArgs,
}

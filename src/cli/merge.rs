//! The flags of `schemabench merge`.

use std::path::PathBuf;

use clap::Args;

/// Flags of `schemabench merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Every shard's report folder or results.json, in any order.
    #[arg(required = true, num_args = 1..)]
    pub shards: Vec<PathBuf>,
    /// The merged report folder [default: reports/<scenario>/merged-<UTC time>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print every figure, not only about one screen (see `run --verbose`).
    #[arg(short, long)]
    pub verbose: bool,
}

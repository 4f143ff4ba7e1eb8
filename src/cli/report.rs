//! The flags of `schemabench report`.

use std::path::PathBuf;

use clap::Args;

/// Flags of `schemabench report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results.json written by `schemabench run`.
    pub results: PathBuf,
    /// Where to write the outputs [default: beside RESULTS].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also rewrite the playbook table in FILE (between its markers) with
    /// this run's candidates: their rows replaced or added, others kept.
    #[arg(long, value_name = "FILE")]
    pub playbook: Option<PathBuf>,
}

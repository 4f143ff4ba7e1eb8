//! The flags of `schemabench lint`.

use std::path::PathBuf;

use clap::Args;

use super::DEFAULT_SCENARIO;
use super::shared::ServerArgs;

/// Flags of `schemabench lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The scenario file.
    #[arg(default_value = DEFAULT_SCENARIO)]
    pub scenario: PathBuf,
    /// A results.json of this scenario: its baseline's index usage feeds
    /// `unused_index`.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

//! The flags of `schemabench seed`.

use clap::Args;

use super::shared::{DataArgs, ServerArgs};

/// Flags of `schemabench seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Seed again even if a matching seeded database exists.
    #[arg(long)]
    pub fresh: bool,
    /// Parallel COPY streams [default: number of CPUs].
    #[arg(long)]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub server: ServerArgs,
}

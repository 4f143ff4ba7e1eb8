//! The flags of `schemabench advise`.

use std::path::PathBuf;

use clap::Args;

use super::shared::{CriteriaArgs, DataArgs, LoadArgs, ServerArgs, parse_duration_arg};

/// Flags of `schemabench advise`.
#[derive(Debug, Args)]
pub struct AdviseArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The slowest queries (by total time in the first run) to find indexes for.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub queries: u32,
    /// Advised indexes to measure, at most (the planner's best first).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub indexes: u32,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Rounds of the measuring run [default: 3].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: Option<u32>,
    /// Measuring time to spend at most: rounds go on while a verdict is open.
    #[arg(long, value_parser = parse_duration_arg)]
    pub budget: Option<std::time::Duration>,
    /// The report folder of the measuring run [default: reports/<scenario>/<UTC time>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write the migration of the winners to FILE.
    #[arg(long, value_name = "FILE")]
    pub migration: Option<PathBuf>,
    #[command(flatten)]
    pub criteria: CriteriaArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

//! The flags of `schemabench migrate`.

use std::path::PathBuf;

use clap::Args;

use super::shared::{DataArgs, LoadArgs, ServerArgs, parse_duration_arg};

/// Flags of `schemabench migrate`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("ddl").required(true).args(["candidate", "sql"]))]
pub struct MigrateArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The scenario candidate whose SQL to apply.
    #[arg(long)]
    pub candidate: Option<String>,
    /// Or a file of SQL to apply (a migration).
    #[arg(long, value_name = "FILE")]
    pub sql: Option<PathBuf>,
    /// Apply it to this candidate's copy (its SQL applied first, its query
    /// replacements in the load) instead of the baseline's.
    #[arg(long, value_name = "CANDIDATE")]
    pub on: Option<String>,
    /// The scenario phase whose load the DDL runs under [default: the first measured one].
    #[arg(long)]
    pub phase: Option<String>,
    /// How long into the load the DDL starts.
    #[arg(long, default_value = "2s", value_parser = parse_duration_arg)]
    pub at: std::time::Duration,
    #[command(flatten)]
    pub load: LoadArgs,
    /// The report folder [default: reports/<scenario>/migrate-<UTC time>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

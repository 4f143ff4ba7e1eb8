//! The flags of `schemabench init`.

use std::path::PathBuf;

use clap::Args;

use super::shared::ServerArgs;

/// Flags of `schemabench init`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["from_migrations", "from_database"])))]
pub struct InitArgs {
    /// A folder of *.sql migrations (a Supabase project's
    /// `supabase/migrations`), applied in name order to a scratch database.
    #[arg(long, value_name = "DIR")]
    pub from_migrations: Option<PathBuf>,
    /// A live database to learn from, read-only: its schema (pg_dump
    /// --schema-only, into the scenario's migrations/), row counts and
    /// column statistics (pg_stats: NULL shares, most common values), so
    /// the synthetic data follows its distributions. No row is copied.
    #[arg(long, value_name = "URL")]
    pub from_database: Option<String>,
    /// The scenario's folder [default: scenarios/<name>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The scenario's name [default: from the migrations' folder].
    #[arg(long)]
    pub name: Option<String>,
    /// Replace an existing scenario.toml.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

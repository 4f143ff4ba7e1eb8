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
    /// column statistics (pg_stats: NULL shares, the shares of the most
    /// common values), so the synthetic data follows its distributions.
    /// No row is copied, and no value either unless --copy-values. The
    /// password may come from PGPASSWORD or ~/.pgpass instead of the URL.
    #[arg(long, value_name = "URL")]
    pub from_database: Option<String>,
    /// Write the live database's most common values into the scenario as
    /// they are [default: only values the schema itself names (enum
    /// labels, CHECK lists); others become `column_1`, `column_2`... with
    /// the live shares]. Names, notes and e-mails are people's data: a
    /// scenario file is meant to be committed.
    #[arg(long, requires = "from_database")]
    pub copy_values: bool,
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

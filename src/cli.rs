//! Command-line definitions. Everything here is parsing; `lib.rs` turns the
//! parsed flags into work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The scenario used when none is named.
pub const DEFAULT_SCENARIO: &str = "scenarios/taleforge/scenario.toml";

/// Measure whether a schema change makes a PostgreSQL/Supabase app faster or
/// slower, before it ships.
#[derive(Debug, Parser)]
#[command(
    name = "schemabench",
    version,
    after_help = "Without --database-url (or DATABASE_URL) schemabench starts its own throwaway PostgreSQL \
cluster and removes it on exit. Against an existing server it only works inside databases it created \
(named schemabench_… and marked with a COMMENT).\n\n\
Exit codes: 0 success; 2 usage or scenario error; 3 database or run failure.\n\n\
Examples:\n  schemabench check scenarios/taleforge/scenario.toml\n  \
schemabench seed --scale 0.1\n  schemabench seed --database-url postgres://me@localhost/postgres --keep"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a scenario file without touching any database.
    Check {
        /// The scenario file.
        #[arg(default_value = DEFAULT_SCENARIO)]
        scenario: PathBuf,
    },
    /// Create a database, apply the Supabase auth set-up and the migrations,
    /// and bulk-load the scenario's synthetic data.
    Seed(SeedArgs),
}

/// Flags of `schemabench seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The scenario file.
    #[arg(default_value = DEFAULT_SCENARIO)]
    pub scenario: PathBuf,
    /// Multiply the scenario's row counts (e.g. 0.1 for a quick try, 10 for growth).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Seed of the data generator: the same seed gives the same rows.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seed again even if a matching seeded database exists.
    #[arg(long)]
    pub fresh: bool,
    /// Parallel COPY streams [default: number of CPUs].
    #[arg(long)]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Where to run.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// PostgreSQL URL of an existing server (its password is never printed).
    /// Without it, a throwaway cluster is started.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Leave the throwaway cluster running afterwards and print how to connect.
    #[arg(long)]
    pub keep: bool,
}

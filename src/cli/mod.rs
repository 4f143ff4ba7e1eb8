//! Command-line definitions. Everything here is parsing; `lib.rs` turns the
//! parsed flags into work.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod advise;
mod capacity;
mod compare;
mod init;
mod lint;
mod merge;
mod migrate;
mod report;
mod run;
mod seed;
mod shared;

pub use advise::AdviseArgs;
pub use capacity::CapacityArgs;
pub use compare::CompareArgs;
pub use init::InitArgs;
pub use lint::LintArgs;
pub use merge::MergeArgs;
pub use migrate::MigrateArgs;
pub use report::ReportArgs;
pub use run::RunArgs;
pub use seed::SeedArgs;
pub use shared::{CriteriaArgs, DataArgs, LoadArgs, ServerArgs};

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
Exit codes: 0 success; 2 usage or scenario error (also: runs that cannot be compared); \
3 database or run failure; 4 a threshold failed; 5 slower than the baseline (--baseline, compare); \
6 against the baseline a ratio moved past the noise threshold but could not be called (inconclusive); \
7 a phase or query measured nothing; 8 lint found a schema breaking a rule.\n\n\
Examples:\n  schemabench check scenarios/taleforge/scenario.toml\n  \
schemabench seed --scale 0.1\n  schemabench run --scale 0.1 --duration 10s\n  \
schemabench run --rate 300 --clients 32\n  schemabench run --baseline-only --rounds 3 --save-baseline nightly\n  \
schemabench run --baseline-only --baseline nightly\n  schemabench compare old/results.json new/results.json\n  \
schemabench report reports/taleforge/20261125T101500Z/results.json\n  \
schemabench capacity --scale 0.05 --objective \"p99 < 50ms\" --project 100x\n  \
schemabench lint\n  schemabench advise --scale 0.1 -T 10s\n  schemabench migrate --candidate feed_index\n  \
schemabench seed --database-url postgres://me@localhost/postgres --keep"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a scenario file without touching any database.
    #[command(after_help = "Example:\n  schemabench check scenarios/taleforge/scenario.toml")]
    Check {
        /// The scenario file.
        #[arg(default_value = DEFAULT_SCENARIO)]
        scenario: PathBuf,
    },
    /// Create a database, apply the Supabase auth set-up and the migrations,
    /// and bulk-load the scenario's synthetic data.
    #[command(
        after_help = "Examples:\n  schemabench seed --scale 0.1\n  schemabench seed --database-url postgres://me@localhost/postgres --keep"
    )]
    Seed(SeedArgs),
    /// Seed (or reuse) the data, run the load phases as real Supabase users,
    /// print a latency summary and write reports/<scenario>/<time>/.
    #[command(
        after_help = "Examples:\n  schemabench run --scale 0.1 -T 10s\n  schemabench run -c 32 -R 300 -M prepared -P 5\n  schemabench run --candidates feed_index --budget 5m\n  schemabench run --candidates group:pagination\n  schemabench run --against-migrations ../main/supabase/migrations --export-markdown pr-comment.md\n  schemabench run --baseline-only --rounds 5 --save-baseline nightly"
    )]
    Run(RunArgs),
    /// Judge NEW against OLD (two results.json files) with the candidates'
    /// statistics, without a database; exits 5 on a regression.
    #[command(
        after_help = "Example:\n  schemabench compare nightly/results.json tonight/results.json --gate both"
    )]
    Compare(CompareArgs),
    /// Write a scenario for your own schema: the migrations applied to a
    /// scratch database, then a generator inferred for every column (from
    /// its type, constraints and name), a `per` tree that keeps foreign keys
    /// consistent, the acting users and one read per table, each choice
    /// commented. The file checks, seeds and runs without edits.
    #[command(
        after_help = "Examples:\n  schemabench init --from-migrations ../story-app/supabase/migrations\n  schemabench init --from-database \"$PROD_READONLY_URL\" --name story_app\n  schemabench run scenarios/story_app/scenario.toml --scale 0.1"
    )]
    Init(InitArgs),
    /// Add up the shards of one run (`run --shard I/N` on N machines) into
    /// the run one process would have recorded: histograms added exactly,
    /// interval logs aligned by second, verdicts and thresholds judged on
    /// the whole. Exits like `run`.
    #[command(
        after_help = "Example:\n  schemabench merge shard-0/ shard-1/ shard-2/ --out reports/taleforge/sharded\n\nEach argument is a shard's report folder (or its results.json); the\nfolders' intervals/*.hlog are read too."
    )]
    Merge(MergeArgs),
    /// Render every report (HTML, Markdown, CI formats, .hgrm) again from a
    /// results.json, without a database.
    #[command(
        after_help = "Examples:\n  schemabench report reports/taleforge/20261125T101500Z/results.json --out /tmp/again\n  schemabench report reports/taleforge/20261125T101500Z/results.json --playbook scenarios/taleforge/README.md"
    )]
    Report(ReportArgs),
    /// How far the schema scales: a concurrency sweep with a Universal
    /// Scalability Law fit, a search for the highest arrival rate that meets
    /// the objectives, and latency growth over data scales with projections.
    #[command(
        after_help = "Examples:\n  schemabench capacity --scale 0.05 --objective \"p99 < 50ms\" --project 100x\n  schemabench capacity --database-url \"$DATABASE_URL\" --shard 0/2   # and --shard 1/2 on a second machine"
    )]
    Capacity(CapacityArgs),
    /// Check the scenario's migrated schema against Supabase's splinter
    /// rules that apply to plain PostgreSQL (unindexed foreign keys,
    /// per-row auth calls in policies, overlapping permissive policies,
    /// duplicate indexes, mutable function search paths, tables without
    /// RLS; with --results, indexes no query of that run used); exits 8 on
    /// a finding.
    #[command(
        after_help = "Examples:\n  schemabench lint scenarios/taleforge/scenario.toml\n  schemabench lint --results reports/taleforge/20261125T101500Z/results.json"
    )]
    Lint(LintArgs),
    /// Which index to try: run the baseline once, ask HypoPG which indexes
    /// the planner would use for the slowest queries (multi-column and
    /// partial included), then measure the best few as candidates (duets,
    /// rounds, work and latency verdicts) and write the winners as a
    /// migration (advised_indexes.sql in the report).
    #[command(
        after_help = "Needs the HypoPG extension on the server (Debian: apt-get install postgresql-15-hypopg).\n\n\
Examples:\n  schemabench advise --scale 0.1 -T 10s\n  schemabench advise --queries 3 --indexes 2 --budget 3m --migration supabase/migrations/20261126000000_advised_indexes.sql"
    )]
    Advise(AdviseArgs),
    /// What a migration costs users while it runs: apply a candidate's DDL
    /// (or a file's) a few seconds into the scenario's load and sample
    /// pg_locks and pg_stat_activity: DDL time, locks held, requests
    /// blocked by query, the longest wait, errors, per-second latency.
    /// Every plain CREATE INDEX is measured again CONCURRENTLY, and the
    /// report says which to ship. Writes migration.json, .md and .html.
    #[command(
        after_help = "Examples:\n  schemabench migrate --candidate feed_index --phase steady\n  schemabench migrate --sql supabase/migrations/20261126_feed_index.sql --at 3s -T 20s\n  schemabench migrate --on usage_matview --sql refresh.sql"
    )]
    Migrate(MigrateArgs),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_habits_read_as_pgbench_means_them() {
        let cli = Cli::try_parse_from([
            "schemabench",
            "run",
            "-c",
            "8",
            "-T",
            "60",
            "-R",
            "300",
            "-M",
            "prepared",
            "-P",
            "5",
        ])
        .expect("pgbench's flags parse");
        let Command::Run(run) = cli.command else {
            panic!("a run");
        };
        assert_eq!(
            (
                run.load.clients,
                run.load.duration,
                run.load.rate.map(crate::scenario::units::Rate::get),
                run.protocol,
                run.progress_every
            ),
            (
                Some(8),
                Some(std::time::Duration::from_secs(60)),
                Some(300.0),
                Some(crate::scenario::workload::Protocol::Prepared),
                Some(5)
            )
        );
        for refused in [["-T", "0"], ["-P", "0"], ["-R", "0"], ["--scale", "-1"]] {
            assert!(Cli::try_parse_from(["schemabench", "run", refused[0], refused[1]]).is_err());
        }
    }
}

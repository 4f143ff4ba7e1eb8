//! The flags of `schemabench run`.

use std::path::PathBuf;

use clap::Args;

use super::shared::{CriteriaArgs, DataArgs, LoadArgs, ServerArgs, parse_duration_arg};

/// Flags of `schemabench run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    /// How statements are sent, like pgbench -M [default: the scenario's, else prepared].
    #[arg(short = 'M', long, value_enum)]
    pub protocol: Option<crate::scenario::workload::Protocol>,
    /// Without a terminal, a progress line every SECONDS of a phase (pgbench -P) [default: 5].
    #[arg(short = 'P', long = "progress", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub progress_every: Option<u64>,
    /// The report folder [default: reports/<scenario>/<UTC time>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write results.json to FILE (like hyperfine's --export-json).
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,
    /// Also write summary.md to FILE (for a pull-request comment).
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,
    /// Rounds over all candidates [default: 3 with candidates or baselines,
    /// else 1]. In duets each round seats the baseline beside every
    /// candidate once and verdicts pool the paired seconds of all rounds;
    /// with --design rounds the rounds themselves are the samples.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: Option<u32>,
    /// How candidates share the machine: `duet` runs the baseline beside
    /// each candidate in turn, the same requests on both sides at the same
    /// moment, so a busy machine slows both alike; `rounds` runs one
    /// configuration at a time.
    #[arg(long, value_enum, default_value_t = crate::results::Design::Duet)]
    pub design: crate::results::Design,
    /// Compare two schemas in one run, for a pull request: the baseline is
    /// the scenario migrated with every *.sql file of DIR in name order (the
    /// main branch's `supabase/migrations`), the candidate `branch` the
    /// scenario's own migrations; both seeded alike and measured side by
    /// side. Exit 5 when the gate fails (see --gate), 6 when undecided.
    #[arg(long, value_name = "DIR", conflicts_with = "against_ref")]
    pub against_migrations: Option<PathBuf>,
    /// Compare against the scenario's migrations folder as it is at a git
    /// revision ("origin/main", a tag, a commit), taken with `git archive`:
    /// --against-migrations without a checkout step in CI.
    #[arg(long, value_name = "REF")]
    pub against_ref: Option<String>,
    /// Measuring time to spend at most ("5m"): after --rounds, keep adding
    /// rounds until no verdict is inconclusive, or until another round
    /// would overrun the budget.
    #[arg(long, value_parser = parse_duration_arg)]
    pub budget: Option<std::time::Duration>,
    /// Run only these candidates (comma-separated; the baseline always
    /// runs); `group:NAME` names every candidate of a group. Without it,
    /// the candidates outside any group run.
    #[arg(long, value_delimiter = ',')]
    pub candidates: Option<Vec<String>>,
    /// Compare nothing: run the baseline only.
    #[arg(long, conflicts_with = "candidates")]
    pub baseline_only: bool,
    #[command(flatten)]
    pub criteria: CriteriaArgs,
    /// Store this run as baseline NAME (reports/baselines/NAME.json).
    #[arg(long, value_name = "NAME")]
    pub save_baseline: Option<String>,
    /// Compare this run with baseline NAME; exit 5 if a query got slower.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Keep each configuration's copy from its last sitting afterwards (a
    /// run otherwise holds one sitting's copies at a time, plus on the
    /// throwaway cluster each candidate's prepared database, and this needs
    /// the disk of them all).
    #[arg(long)]
    pub keep_copies: bool,
    /// Drive share I of N of the load, beside N-1 other schemabench
    /// processes (other machines, a Kubernetes Indexed Job) against one
    /// server given by --database-url. Shard 0 seeds, prepares the copies
    /// and leads; all start every phase together; each runs the clients
    /// and arrivals numbered I modulo N. Add the shards' results up with
    /// `schemabench merge`.
    #[arg(
        long,
        value_name = "I/N",
        requires = "database_url",
        conflicts_with_all = ["against_migrations", "against_ref", "baseline", "save_baseline", "keep_copies"]
    )]
    pub shard: Option<crate::results::Shard>,
    /// Print every figure: each configuration's table per query, every
    /// verdict, the work table, plans that changed, lints [default: about
    /// one screen: the configurations, the app as a whole and the called
    /// changes, what failed, the answer; the rest is in report.html].
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

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

/// Flags of `schemabench capacity`.
#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// The scenario file.
    #[arg(default_value = DEFAULT_SCENARIO)]
    pub scenario: PathBuf,
    /// Scale of the sweep and the search, and the base of the growth scales.
    #[arg(long, default_value_t = 0.05)]
    pub scale: f64,
    /// Seed of the data and of the request mix.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Client counts of the closed-loop sweep.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16,32")]
    pub clients: Vec<u32>,
    /// Length of each sweep step, rate probe and growth measurement.
    #[arg(long, default_value = "5s", value_parser = parse_duration_arg)]
    pub step: std::time::Duration,
    /// Unmeasured warmup before each of them.
    #[arg(long, default_value = "2s", value_parser = parse_duration_arg)]
    pub warmup: std::time::Duration,
    /// Connection cap of the open-loop probes.
    #[arg(long, default_value_t = 64)]
    pub workers: u32,
    /// An objective on all queries together, as in scenario thresholds;
    /// repeat for several [default: the scenario's thresholds without a
    /// query, else "error_rate < 0.1%"; "p99 < 50ms" is added when no
    /// latency objective is given].
    #[arg(long = "objective")]
    pub objectives: Vec<String>,
    /// Most rate probes of the search.
    #[arg(long, default_value_t = 8)]
    pub max_probes: usize,
    /// Data scales to measure, as multiples of --scale.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    pub growth: Vec<f64>,
    /// Closed-loop clients of the growth measurements.
    #[arg(long, default_value_t = 4)]
    pub growth_clients: u32,
    /// Project every query's p99 to this multiple of --scale ("100x").
    #[arg(long, default_value = "100x", value_parser = parse_multiple)]
    pub project: f64,
    /// The report folder [default: reports/<scenario>/capacity-<UTC time>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Drive share I of N of every sweep step, probe and growth
    /// measurement, beside N-1 other `capacity --shard` processes given
    /// the same flags, against one server given by --database-url (to
    /// offer more load than one machine generates). Each measurement is a
    /// sharded run: shard 0 seeds and leads, the shards add up their
    /// results through the server, and every shard judges the same whole,
    /// so all take the same next step and write the same capacity.json.
    #[arg(long, value_name = "I/N", requires = "database_url")]
    pub shard: Option<crate::results::Shard>,
    #[command(flatten)]
    pub server: ServerArgs,
}

fn parse_multiple(text: &str) -> Result<f64, String> {
    text.trim()
        .trim_end_matches(['x', 'X'])
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| "expected a multiple such as \"100x\"".to_owned())
}

/// Flags of `schemabench compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The earlier run (a results.json or a stored baseline).
    pub old: PathBuf,
    /// The run to judge.
    pub new: PathBuf,
    /// Where to write regression.md [default: beside NEW].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub criteria: CriteriaArgs,
}

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

/// Flags of `schemabench merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Every shard's report folder or results.json, in any order.
    #[arg(required = true, num_args = 1..)]
    pub shards: Vec<PathBuf>,
    /// The merged report folder [default: reports/<scenario>/merged-<UTC time>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

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

/// When a difference counts (candidates, baselines, compare).
#[derive(Debug, Clone, Copy, Args)]
pub struct CriteriaArgs {
    /// Relative latency change below which a difference is noise [default:
    /// 0.05 within one run, 0.20 between separate runs (--baseline,
    /// compare), whose machines drift more; work always uses 0.02].
    #[arg(long, value_parser = parse_noise_threshold)]
    pub noise_threshold: Option<f64>,
    /// Largest p-value that counts as a real change; also sets the
    /// confidence level of the intervals.
    #[arg(long, default_value_t = 0.05, value_parser = parse_significance)]
    pub significance: f64,
    /// What fails a comparison with another schema (--against-*,
    /// --baseline, compare) with exit 5. `app` [default]: the app as a whole
    /// gets slower (time per request of the mix, or its work where time
    /// cannot tell) or a query marked `critical = true` does; any other
    /// slower query is a trade-off listed under "Weigh" (an index always
    /// costs the writes to its table). The strict gates fail on any query
    /// slower: `work` (buffers per call, exact whatever the machine's
    /// load), `latency` (percentiles, which across separate runs also
    /// measure the machine) or `both`. Every verdict is reported whichever
    /// decides.
    #[arg(long, value_enum, default_value_t = crate::results::Gate::App)]
    pub gate: crate::results::Gate,
}

impl CriteriaArgs {
    /// Criteria for candidates of one run.
    pub fn within_run(self) -> crate::results::Criteria {
        self.with_default_noise(crate::results::Criteria::default().noise_threshold)
    }

    /// Criteria for a run against a stored one.
    pub fn across_runs(self) -> crate::results::Criteria {
        self.with_default_noise(crate::compare::ACROSS_RUNS_NOISE)
    }

    fn with_default_noise(self, noise: f64) -> crate::results::Criteria {
        crate::results::Criteria {
            noise_threshold: self.noise_threshold.unwrap_or(noise),
            significance: self.significance,
        }
    }
}

/// The scenario and which data set of it: shared by `seed` and `run`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The scenario file.
    #[arg(default_value = DEFAULT_SCENARIO)]
    pub scenario: PathBuf,
    /// Multiply the scenario's row counts (e.g. 0.1 for a quick try, 10 for growth).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Seed of the data and of the request mix: the same seed gives the same rows.
    #[arg(long)]
    pub seed: Option<u64>,
}

impl DataArgs {
    /// The scenario with the command line's seed and scale.
    pub fn load(&self) -> Result<crate::scenario::Scenario, crate::scenario::ScenarioError> {
        crate::scenario::Scenario::load(&self.scenario)?.with_overrides(self.seed, self.scale)
    }
}

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
    /// side. Exit 5 when the branch is slower (see --gate), 6 when undecided.
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
    /// Keep the candidates' database copies afterwards.
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
    #[command(flatten)]
    pub server: ServerArgs,
}

/// The load of every phase, replacing the scenario's (run, advise, migrate).
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Length of every phase ("10s", "2m"; a bare number is seconds, like
    /// pgbench -T), replacing the scenario's.
    #[arg(short = 'T', long, value_parser = parse_duration_arg)]
    pub duration: Option<std::time::Duration>,
    /// Requests of every phase in all, replacing the scenario's length: a
    /// budget that measures the same work however busy the machine is
    /// (pgbench's -t counts per client; this counts the whole phase).
    #[arg(long, conflicts_with = "duration", value_parser = clap::value_parser!(u64).range(1..))]
    pub transactions: Option<u64>,
    /// Concurrent clients (closed loop) or the worker cap (open loop) of every phase (pgbench -c).
    #[arg(short = 'c', long, value_parser = clap::value_parser!(u32).range(1..))]
    pub clients: Option<u32>,
    /// Target arrivals per second of every phase: turns every phase into open loop (pgbench -R).
    #[arg(short = 'R', long)]
    pub rate: Option<f64>,
    /// Driver threads of the load generator, at most, like pgbench -j
    /// [default: one per CPU, never more than clients].
    #[arg(short = 'j', long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
}

impl LoadArgs {
    /// The phase overrides, or a usage error for a rate that is no rate.
    pub fn overrides(
        &self,
    ) -> Result<crate::drive::engine::PhaseOverrides, crate::scenario::ScenarioError> {
        if let Some(rate) = self.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(crate::scenario::ScenarioError::Flag {
                flag: "--rate".to_owned(),
                value: rate.to_string(),
                problem: "expected arrivals per second greater than 0".to_owned(),
            });
        }
        Ok(crate::drive::engine::PhaseOverrides {
            duration: self.duration,
            transactions: self.transactions,
            clients: self.clients,
            rate: self.rate,
            threads: self.threads,
        })
    }
}

/// A length of time greater than zero: a zero-length phase measures nothing.
fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    // A bare number is seconds, as pgbench's -T reads it.
    let parsed = match text.trim().parse::<u64>() {
        Ok(seconds) => Ok(std::time::Duration::from_secs(seconds)),
        Err(_) => crate::scenario::units::parse_duration(text),
    };
    match parsed {
        Ok(d) if d.is_zero() => Err("expected a duration greater than 0".to_owned()),
        Ok(d) => Ok(d),
        Err(e) => Err(format!("expected {e}")),
    }
}

/// A p-value threshold: strictly between 0 and 1.
fn parse_significance(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if p > 0.0 && p < 1.0 => Ok(p),
        _ => Err("expected a number between 0 and 1, such as 0.05".to_owned()),
    }
}

/// A relative change: 0 or more (0.05 is 5%).
fn parse_noise_threshold(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err("expected a relative change of 0 or more, such as 0.05 for 5%".to_owned()),
    }
}

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
                run.load.rate,
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
        for refused in [["-T", "0"], ["-P", "0"]] {
            assert!(Cli::try_parse_from(["schemabench", "run", refused[0], refused[1]]).is_err());
        }
    }
}

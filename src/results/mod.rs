//! The one serde model of a run: the single source of truth that
//! `results.json` holds and every other output is rendered from. Versioned,
//! and pinned by `schemas/results.schema.json`.

mod advice;
mod app;
pub mod capacity;
mod decision;
mod duet;
pub mod exit;
mod histogram;
pub mod limit;
mod lint;
mod load;
pub mod migration;
mod observed;
mod regression;
mod shard;
mod verdict;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use advice::{AdvisedIndex, PlannedGain};
pub use app::AppComparison;
pub use decision::{Advice, Decision, Verdicts, decide};
pub use duet::{DuetSeconds, Recorded, SecondPair};
pub use histogram::{
    Histogram, Latencies, LatencySummary, MAX_LATENCY_US, SIGNIFICANT_DIGITS, new_histogram,
    record_latency,
};
pub use lint::{LintFinding, LintLevel};
pub use load::{Arrivals, GeneratorLoad, LoadMode, Offered, Protocol};
pub use migration::{BlockedQuery, MigrationResults, MigrationVariant, StaticWarning};
pub use observed::{
    CandidateCost, ErrorCount, IndexUsage, IntervalPoint, PlanSummary, QueryWork, RelationSize,
    StatementStats, WorkRound,
};
pub use regression::{Judged, MACHINE_DRIFT, Regression, ThresholdResult};
pub use shard::Shard;
pub use verdict::{Criteria, Design, Estimate, Gate, MIN_SAMPLES, Verdict};

/// Bumped whenever the meaning or shape of `results.json` changes.
///
/// 3: work figures per round (`candidates[].work`), work verdicts
/// (`work_comparisons`, also against a stored run with the `gate` that
/// decided), the `inconclusive` verdict and duets (`design`, the `partner`
/// of every phase and work round); files of version 2 still load, with no
/// work figures, a latency gate and the rounds design.
///
/// 4: the app as a whole (`app_comparisons`, and `app` and `critical` of
/// a `regression`), judged by the `app` gate by default; files of version
/// 3 get app comparisons from their own figures as they load.
pub const RESULTS_VERSION: u32 = 4;
/// The oldest `results.json` this version still reads.
pub const OLDEST_READABLE_VERSION: u32 = 2;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RunResults {
    pub version: u32,
    pub schemabench_version: String,
    /// RFC 3339 time the run started.
    pub started_at: String,
    /// RFC 3339 time the run ended (absent in a partial report).
    pub finished_at: Option<String>,
    /// Wall-clock seconds from start to the last write, seeding included.
    pub elapsed_s: f64,
    /// False while phases are still running (a partial report).
    pub complete: bool,
    /// Why the run stopped early (a failed threshold with `abort_on_fail`).
    pub aborted: Option<String>,
    /// Queries that ran but measured nothing useful: a read that returned
    /// no row on any call, a query every call of which was refused (42501).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub scenario: ScenarioInfo,
    pub server: ServerInfo,
    pub machine: MachineInfo,
    pub protocol: Protocol,
    /// The phases as planned, command-line overrides applied: two runs are
    /// comparable only when these match.
    pub load: Vec<PhaseLoad>,
    /// Interleaved rounds: every candidate ran its phases once per round.
    pub rounds: u32,
    /// How the configurations shared the machine.
    #[serde(default = "rounds_design")]
    pub design: Design,
    pub criteria: Criteria,
    /// The baseline first, then each candidate.
    pub candidates: Vec<CandidateResult>,
    /// Every candidate against the baseline, per query and percentile.
    pub comparisons: Vec<Comparison>,
    /// Every candidate against the baseline, per query, on the server's
    /// work (shared buffers per call).
    #[serde(default)]
    pub work_comparisons: Vec<WorkComparison>,
    /// Every candidate against the baseline on the app as a whole.
    #[serde(default)]
    pub app_comparisons: Vec<AppComparison>,
    /// The scenario's thresholds, checked on the baseline.
    pub thresholds: Vec<ThresholdResult>,
    /// This run's baseline against a stored run (`--baseline NAME`).
    pub regression: Option<Regression>,
    /// The baseline's schema against splinter's rules (`unused_index` from
    /// this run's index usage).
    #[serde(default)]
    pub lints: Vec<LintFinding>,
    /// Indexes `advise` proposed, each measured as the candidate of its name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<AdvisedIndex>,
    /// Which share of the load this process drove, in a sharded run
    /// (`schemabench merge` adds the shards up into a whole run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

/// A phase as planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseLoad {
    pub name: String,
    pub warmup: bool,
    #[serde(flatten)]
    pub offered: Offered,
    pub duration_s: Option<f64>,
    pub transactions: Option<u64>,
}

/// The machine schemabench ran on (the load generator's side).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MachineInfo {
    pub cores: usize,
    /// Total memory (Linux: `/proc/meminfo`).
    pub memory_bytes: Option<u64>,
    pub os: String,
    pub arch: String,
    /// Median time of a fixed CPU-bound reference query on the server,
    /// before the load, after it and between sittings: how fast the
    /// machine was during this run, so a stored baseline from a faster or
    /// idler machine is recognised.
    #[serde(default)]
    pub reference_ms: Option<f64>,
}

impl MachineInfo {
    /// This machine.
    pub fn current() -> Self {
        let memory_bytes = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map(|kb| kb * 1024);
        Self {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes,
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            reference_ms: None,
        }
    }
}

/// Files written before duets ran one configuration at a time.
fn rounds_design() -> Design {
    Design::Rounds
}

/// One configuration's copy of the data, its cost and what it measured.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CandidateResult {
    pub name: String,
    pub description: String,
    pub database: String,
    pub cost: CandidateCost,
    /// Every phase of every round, in the order they ran.
    pub phases: Vec<PhaseResult>,
    /// Every query over all measured phases of all rounds.
    pub queries: Vec<QueryResult>,
    /// A representative plan of every query, diffed against the baseline's.
    pub plans: Vec<PlanSummary>,
    /// `pg_stat_statements` of the last round's copy (every round starts
    /// from a fresh one; empty without the extension).
    pub statements: Vec<StatementStats>,
    /// Duets: each measured phase second by second per query, beside the
    /// baseline's twin; what latency verdicts are drawn from.
    #[serde(default)]
    pub duet_seconds: Vec<DuetSeconds>,
    /// Each query's work per round (empty without `pg_stat_statements`).
    #[serde(default)]
    pub work: Vec<QueryWork>,
    /// Scans of every index during the last round.
    pub index_usage: Vec<IndexUsage>,
    /// Indexes this candidate added that no query used.
    pub unused_new_indexes: Vec<String>,
}

/// A candidate against the baseline on one query and percentile.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    pub candidate: String,
    pub query: String,
    /// `p50`, `p95` or `p99`.
    pub percentile: String,
    /// The percentile over all rounds, µs.
    pub baseline_us: u64,
    pub candidate_us: u64,
    pub estimate: Estimate,
}

/// A candidate against the baseline on one query's work.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WorkComparison {
    pub candidate: String,
    pub query: String,
    /// Shared buffers hit + read per call over all rounds.
    pub baseline_buffers_per_call: f64,
    pub candidate_buffers_per_call: f64,
    /// Rows per call over all rounds (a changed result is worth a look).
    pub baseline_rows_per_call: f64,
    pub candidate_rows_per_call: f64,
    /// WAL bytes per call (what a write costs beyond its buffers); absent
    /// where a side did not record it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_wal_bytes_per_call: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_wal_bytes_per_call: Option<f64>,
    /// Over the rounds' buffers per call, against the work threshold.
    pub estimate: Estimate,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioInfo {
    pub name: String,
    pub file: String,
    pub seed: u64,
    pub scale: f64,
    /// Identifies the seeded data (schema, table specs, seed, scale).
    pub data_fingerprint: String,
    pub database: String,
    pub tables: Vec<TableRows>,
    /// The queries the scenario marks `critical`: the default gate fails
    /// when any of them gets slower.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub critical: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TableRows {
    pub name: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ServerInfo {
    /// `select version()`.
    pub version: String,
    /// True for schemabench's own throwaway cluster.
    pub throwaway: bool,
    /// Key settings (shared_buffers, work_mem, ...), as the server reports them.
    pub settings: BTreeMap<String, String>,
    /// The memory cap on a throwaway cluster's processes (`--server-memory`
    /// where a cgroup could hold it), in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PhaseResult {
    pub name: String,
    /// 1-based round.
    pub round: u32,
    /// The configuration that ran at the same time (duet design).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    pub warmup: bool,
    #[serde(flatten)]
    pub offered: Offered,
    pub elapsed_s: f64,
    pub requests: u64,
    pub throughput: f64,
    /// Open loop: arrivals that started more than 5 ms after their intended time.
    pub late: u64,
    /// Open loop: arrivals never served.
    pub dropped: u64,
    /// The load generator's own load (absent where Linux's schedstat is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<GeneratorLoad>,
    pub queries: Vec<QueryResult>,
    /// One point per query and second.
    pub timeline: Vec<IntervalPoint>,
}

impl QueryResult {
    /// Requests that ended without an error or a timeout.
    pub fn succeeded(&self) -> u64 {
        self.count.saturating_sub(self.errors + self.timeouts)
    }

    /// Adds another measurement of the same query (another shard's, another
    /// phase's): histograms, counts and errors exactly; the summaries and
    /// throughput are those of the sum over `elapsed_s`.
    pub fn add(&mut self, other: &QueryResult, elapsed_s: f64) {
        // One range and precision for every histogram: adding cannot fail.
        let _ = self.histogram.0.add(&other.histogram.0);
        let _ = self.service_histogram.0.add(&other.service_histogram.0);
        self.count += other.count;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        for (code, e) in &other.errors_by_sqlstate {
            self.errors_by_sqlstate
                .entry(code.clone())
                .or_insert_with(|| ErrorCount {
                    count: 0,
                    sample: e.sample.clone(),
                })
                .count += e.count;
        }
        self.throughput = self.count as f64 / elapsed_s.max(1e-9);
        self.error_rate = if self.count == 0 {
            0.0
        } else {
            (self.errors + self.timeouts) as f64 / self.count as f64
        };
        self.latency = LatencySummary::of(&self.histogram.0);
        self.service = LatencySummary::of(&self.service_histogram.0);
    }

    /// The same query with nothing measured yet.
    pub fn empty(&self) -> Self {
        Self {
            count: 0,
            throughput: 0.0,
            errors: 0,
            timeouts: 0,
            error_rate: 0.0,
            latency: LatencySummary::default(),
            service: LatencySummary::default(),
            errors_by_sqlstate: BTreeMap::new(),
            histogram: Histogram::default(),
            service_histogram: Histogram::default(),
            ..self.clone()
        }
    }
}

impl CandidateResult {
    /// A configuration named and described, nothing measured yet.
    pub fn unmeasured(name: &str, description: &str, database: &str) -> Self {
        Self {
            name: name.to_owned(),
            description: description.to_owned(),
            database: database.to_owned(),
            cost: CandidateCost::default(),
            phases: Vec::new(),
            queries: Vec::new(),
            plans: Vec::new(),
            statements: Vec::new(),
            duet_seconds: Vec::new(),
            work: Vec::new(),
            index_usage: Vec::new(),
            unused_new_indexes: Vec::new(),
        }
    }

    /// Every query's figures over the measured (not warmup) phases, from
    /// the phases alone.
    pub fn queries_from_phases(&self) -> Vec<QueryResult> {
        let measured: Vec<&PhaseResult> = self.phases.iter().filter(|p| !p.warmup).collect();
        let elapsed: f64 = measured.iter().map(|p| p.elapsed_s).sum();
        let mut out: Vec<QueryResult> = Vec::new();
        for q in measured.iter().flat_map(|p| &p.queries) {
            let i = match out.iter().position(|o| o.name == q.name) {
                Some(i) => i,
                None => {
                    out.push(q.empty());
                    out.len() - 1
                }
            };
            out[i].add(q, elapsed);
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QueryResult {
    pub name: String,
    pub role: String,
    pub access: String,
    /// Requests that finished (successfully or not).
    pub count: u64,
    pub throughput: f64,
    pub errors: u64,
    /// Statement timeouts (SQLSTATE 57014), apart from other errors.
    pub timeouts: u64,
    /// (errors + timeouts) / count.
    pub error_rate: f64,
    /// From the intended start (open loop) or actual start (closed loop), µs.
    pub latency: LatencySummary,
    /// From the actual start: uncorrected service time, µs.
    pub service: LatencySummary,
    pub errors_by_sqlstate: BTreeMap<String, ErrorCount>,
    /// The latency histogram, HdrHistogram V2 compressed and base64, so
    /// reports and comparisons can be rebuilt from this file alone.
    #[schemars(with = "String")]
    pub histogram: Histogram,
    /// Service times (from the actual start), so shards' summaries add up
    /// exactly; empty in results of versions before it.
    #[serde(default)]
    #[schemars(with = "String")]
    pub service_histogram: Histogram,
}

impl RunResults {
    /// What the run should have measured and did not: a measured phase in
    /// which no request succeeded, a query no request of succeeded, and a
    /// query of the baseline the stored run it was compared with lacks.
    /// Verdicts and thresholds drawn from nothing pass vacuously.
    pub fn unmeasured(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.candidates {
            for p in c.phases.iter().filter(|p| !p.warmup) {
                if p.queries.iter().all(|q| q.succeeded() == 0) {
                    out.push(format!(
                        "{}: phase {} of round {} completed no request",
                        c.name, p.name, p.round
                    ));
                }
            }
            for q in c.queries.iter().filter(|q| q.succeeded() == 0) {
                out.push(format!("{}: query {} completed no request", c.name, q.name));
            }
        }
        if let (Some(r), Some(base)) = (&self.regression, self.candidates.first()) {
            for q in &base.queries {
                if !r.comparisons.iter().any(|c| c.query == q.name) {
                    out.push(format!(
                        "query {} has no measurement in {}",
                        q.name, r.against
                    ));
                }
            }
            for q in &r.missing {
                out.push(format!(
                    "query {q} of {} has no measurement in this run",
                    r.against
                ));
            }
        }
        out
    }

    /// The baseline's queries that ran but measured nothing useful, in
    /// words: reads that returned no row on any call (rows from
    /// `pg_stat_statements`), and queries every call of which was refused
    /// for want of a grant or policy (SQLSTATE 42501).
    pub fn useless_queries(&self) -> Vec<String> {
        let Some(base) = self.candidates.first() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for q in &base.queries {
            let refused = q.errors_by_sqlstate.get("42501").map_or(0, |e| e.count);
            if q.count > 0 && refused == q.count {
                out.push(format!(
                    "query {} (as {}): every one of its {} calls was refused with 42501: grant {} the privilege on the tables it uses, or add a policy for it",
                    q.name, q.role, q.count, q.role
                ));
                continue;
            }
            let rows = base
                .work
                .iter()
                .find(|w| w.query == q.name)
                .and_then(QueryWork::rows_per_call);
            if q.access == "read" && q.succeeded() > 0 && rows == Some(0.0) {
                out.push(format!(
                    "query {} (as {}) returned no row on any of its {} calls: a policy or its parameters hide every row, so it measured an empty answer",
                    q.name,
                    q.role,
                    q.succeeded()
                ));
            }
        }
        out
    }

    /// Brings a file of an older readable version to this one's meaning:
    /// version 2 had no `inconclusive` verdict and printed "no change" for
    /// a ratio past the noise threshold that the rounds could not call.
    pub fn upgrade(mut self) -> Self {
        if self.version < 3 {
            let band = 1.0 + self.criteria.noise_threshold;
            let regression = self.regression.as_mut().map(|r| {
                let band = 1.0 + r.criteria.noise_threshold;
                (band, &mut r.comparisons)
            });
            for (band, comparisons) in [(band, &mut self.comparisons)]
                .into_iter()
                .chain(regression)
            {
                for e in comparisons.iter_mut().map(|c| &mut c.estimate) {
                    // Version 2 drew every interval from the rounds.
                    e.samples = self.rounds;
                    if e.verdict == Verdict::NoChange && (e.ratio > band || e.ratio < 1.0 / band) {
                        e.verdict = Verdict::Inconclusive;
                    }
                }
            }
        }
        self
    }
}

impl CandidateResult {
    /// One query's latency histogram per round, over the round's measured
    /// phases: the samples comparisons are made of. With `beside`, only the
    /// phases run beside that configuration (a baseline of a duet run ran
    /// beside each candidate in turn).
    pub fn round_histograms(&self, query: &str, beside: Option<&str>) -> Vec<Latencies> {
        let rounds = self.phases.iter().map(|p| p.round).max().unwrap_or(0);
        (1..=rounds)
            .map(|round| {
                let mut merged = new_histogram();
                for phase in self.phases.iter().filter(|p| {
                    p.round == round
                        && !p.warmup
                        && beside.is_none_or(|b| p.partner.as_deref() == Some(b))
                }) {
                    if let Some(q) = phase.queries.iter().find(|q| q.name == query) {
                        let _ = merged.add(&q.histogram.0);
                    }
                }
                merged
            })
            .collect()
    }
}

/// The stored results.json the unit tests judge and render.
#[cfg(test)]
pub(crate) fn fixture() -> RunResults {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    serde_json::from_str(&text).expect("results")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in schemas must match the model; regenerate them with
    /// `UPDATE_SCHEMA=1 cargo test --lib schema_file`.
    #[test]
    fn schema_files_match_the_model() {
        let schemas = [
            ("results.schema.json", schemars::schema_for!(RunResults)),
            (
                "capacity.schema.json",
                schemars::schema_for!(capacity::CapacityResults),
            ),
            (
                "migration.schema.json",
                schemars::schema_for!(migration::MigrationResults),
            ),
        ];
        for (file, schema) in schemas {
            let schema = serde_json::to_string_pretty(&schema).expect("schema") + "\n";
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schemas")
                .join(file);
            if std::env::var_os("UPDATE_SCHEMA").is_some() {
                std::fs::write(&path, &schema).expect("write schema");
            }
            let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
            // Not assert_eq: the two schemas would flood the log.
            assert!(
                on_disk == schema,
                "schemas/{file} is stale: run UPDATE_SCHEMA=1 cargo test --lib schema_file"
            );
        }
    }
}

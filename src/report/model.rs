//! The one serde model of a run: the single source of truth that
//! `results.json` holds and every other output is rendered from. Versioned,
//! and pinned by `schemas/results.schema.json`.

use std::collections::BTreeMap;

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::candidate::CandidateCost;
use crate::candidate::observe::{IndexUsage, PlanSummary, StatementStats};
use crate::compare::{Criteria, Estimate, Verdict};
use crate::measure::timeline::IntervalPoint;
use crate::measure::{ErrorCount, Latencies, LatencySummary, QueryMeasurements};

/// Bumped whenever the meaning or shape of `results.json` changes.
pub const RESULTS_VERSION: u32 = 2;

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
    pub scenario: ScenarioInfo,
    pub server: ServerInfo,
    pub machine: MachineInfo,
    /// `simple`, `extended` or `prepared`.
    pub protocol: String,
    /// The phases as planned, command-line overrides applied: two runs are
    /// comparable only when these match.
    pub load: Vec<PhaseLoad>,
    /// Interleaved rounds: every candidate ran its phases once per round.
    pub rounds: u32,
    pub criteria: Criteria,
    /// The baseline first, then each candidate.
    pub candidates: Vec<CandidateResult>,
    /// Every candidate against the baseline, per query and percentile.
    pub comparisons: Vec<Comparison>,
    /// The scenario's thresholds, checked on the baseline.
    pub thresholds: Vec<ThresholdResult>,
    /// This run's baseline against a stored run (`--baseline NAME`).
    pub regression: Option<Regression>,
}

/// A phase as planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseLoad {
    pub name: String,
    pub warmup: bool,
    /// `closed` or `open`.
    pub mode: String,
    /// Closed loop: concurrent clients; open loop: the worker cap.
    pub clients: u32,
    pub rate: Option<f64>,
    pub arrivals: Option<String>,
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
        }
    }
}

/// One threshold (`p99 < 25ms` on a query, or on all queries together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThresholdResult {
    /// The query, or `all` for every query together.
    pub query: String,
    /// As written in the scenario.
    pub limit: String,
    /// The measured value, in the limit's unit (ms, req/s, or a fraction).
    pub actual: f64,
    pub passed: bool,
}

/// The run's baseline against a stored run of the same scenario and load.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Regression {
    /// The stored run: a baseline name or a file.
    pub against: String,
    /// When the stored run started.
    pub against_started_at: String,
    pub criteria: Criteria,
    /// Per query and percentile; `candidate` is `current`.
    pub comparisons: Vec<Comparison>,
    /// True when any comparison is slower.
    pub regressed: bool,
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
    /// `pg_stat_statements` over the rounds (empty without the extension).
    pub statements: Vec<StatementStats>,
    /// Scans of every index during the rounds.
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
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PhaseResult {
    pub name: String,
    /// 1-based round.
    pub round: u32,
    pub warmup: bool,
    /// `closed` or `open`.
    pub mode: String,
    /// Closed loop: concurrent clients; open loop: the worker cap.
    pub clients: u32,
    /// Open loop: target arrivals per second.
    pub rate: Option<f64>,
    /// Open loop: `uniform` or `poisson`.
    pub arrivals: Option<String>,
    pub elapsed_s: f64,
    pub requests: u64,
    pub throughput: f64,
    /// Open loop: arrivals that started more than 5 ms after their intended time.
    pub late: u64,
    /// Open loop: arrivals never served.
    pub dropped: u64,
    pub queries: Vec<QueryResult>,
    /// One point per query and second.
    pub timeline: Vec<IntervalPoint>,
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
    pub histogram: String,
}

/// A round whose throughput is this far from the median of its
/// configuration's rounds is flagged as noisy.
const NOISY_ROUND: f64 = 0.15;
/// An open-loop phase whose late plus dropped arrivals exceed this share
/// of its requests missed its target rate.
const MISSED_ARRIVALS: f64 = 0.01;

impl RunResults {
    /// What a reader should double-check before trusting the figures: new
    /// indexes no query used, open-loop phases that missed their rate,
    /// rounds that ran much faster or slower than their siblings, plans that
    /// could not be taken.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.candidates {
            if !c.unused_new_indexes.is_empty() {
                out.push(format!(
                    "{}: new index(es) no query used: {}",
                    c.name,
                    c.unused_new_indexes.join(", ")
                ));
            }
            // Arrivals are Poisson or paced, so the count alone varies; late
            // and dropped arrivals are what show a missed rate. One line per
            // phase, however many rounds missed it.
            let mut open: Vec<&PhaseResult> = c
                .phases
                .iter()
                .filter(|p| !p.warmup && p.rate.is_some())
                .collect();
            open.sort_by(|a, b| a.name.cmp(&b.name));
            for same in open.chunk_by(|a, b| a.name == b.name) {
                let missed: Vec<&&PhaseResult> = same
                    .iter()
                    .filter(|p| {
                        (p.late + p.dropped) as f64 > MISSED_ARRIVALS * p.requests.max(1) as f64
                    })
                    .collect();
                if let Some(first) = missed.first() {
                    let sum = |f: fn(&PhaseResult) -> u64| missed.iter().map(|p| f(p)).sum::<u64>();
                    out.push(format!(
                        "{}: phase {} missed its {} req/s schedule in {} of {} round(s): {} of {} arrivals late (> 5 ms), {} dropped; the server or the driver could not keep up",
                        c.name,
                        first.name,
                        first.rate.unwrap_or_default(),
                        missed.len(),
                        same.len(),
                        sum(|p| p.late),
                        sum(|p| p.requests),
                        sum(|p| p.dropped)
                    ));
                }
            }
            let mut per_round: Vec<(u32, f64)> = Vec::new();
            for p in c.phases.iter().filter(|p| !p.warmup && p.rate.is_none()) {
                match per_round.iter_mut().find(|(r, _)| *r == p.round) {
                    Some((_, t)) => *t += p.throughput,
                    None => per_round.push((p.round, p.throughput)),
                }
            }
            if per_round.len() >= 3 {
                let mut sorted: Vec<f64> = per_round.iter().map(|(_, t)| *t).collect();
                sorted.sort_by(f64::total_cmp);
                let median = sorted[sorted.len() / 2];
                for (round, t) in &per_round {
                    if median > 0.0 && ((t - median) / median).abs() > NOISY_ROUND {
                        out.push(format!(
                            "{}: round {round} ran at {t:.0} req/s, {:+.0}% from the median of its rounds: the machine was noisy",
                            c.name,
                            (t - median) / median * 100.0
                        ));
                    }
                }
            }
            for plan in &c.plans {
                if let Some(e) = &plan.error {
                    out.push(format!("{}: no plan for {}: {e}", c.name, plan.query));
                }
            }
        }
        let mut undecided = too_wide_to_call(&self.comparisons, self.criteria);
        if let Some(r) = &self.regression {
            undecided += too_wide_to_call(&r.comparisons, r.criteria);
        }
        if undecided > 0 {
            out.push(format!(
                "{undecided} comparison(s) moved past the noise threshold, but the rounds varied too much to call them: more rounds (--rounds) narrow the interval"
            ));
        }
        out
    }
}

/// Comparisons whose ratio lies beyond the noise threshold while their
/// interval reaches into it: the rounds, not the effect, left them open.
fn too_wide_to_call(comparisons: &[Comparison], criteria: Criteria) -> usize {
    let band = 1.0 + criteria.noise_threshold;
    comparisons
        .iter()
        .filter(|c| c.estimate.verdict == Verdict::NoChange)
        .filter(|c| c.estimate.ratio > band || c.estimate.ratio < 1.0 / band)
        .count()
}

impl CandidateResult {
    /// One query's latency histogram per round, over the round's measured
    /// phases: the samples comparisons are made of.
    pub fn round_histograms(&self, query: &str) -> Vec<Latencies> {
        let rounds = self.phases.iter().map(|p| p.round).max().unwrap_or(0);
        (1..=rounds)
            .map(|round| {
                let mut merged = crate::measure::new_histogram();
                for phase in self.phases.iter().filter(|p| p.round == round && !p.warmup) {
                    if let Some(h) = phase
                        .queries
                        .iter()
                        .find(|q| q.name == query)
                        .and_then(|q| decode_histogram(&q.histogram))
                    {
                        let _ = merged.add(&h);
                    }
                }
                merged
            })
            .collect()
    }
}

/// Microseconds as milliseconds with two decimals, as every report shows them.
pub fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// Titles of a query's figures, the same in every table of every report.
pub const FIGURE_COLUMNS: [&str; 10] = [
    "count", "req/s", "mean ms", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "errors",
    "timeouts",
];

impl QueryResult {
    /// The figures under [`FIGURE_COLUMNS`], formatted.
    pub fn figure_cells(&self) -> [String; 10] {
        let l = &self.latency;
        [
            self.count.to_string(),
            format!("{:.1}", self.throughput),
            format!("{:.2}", l.mean / 1000.0),
            ms(l.p50),
            ms(l.p95),
            ms(l.p99),
            ms(l.p999),
            ms(l.max),
            self.errors.to_string(),
            self.timeouts.to_string(),
        ]
    }
}

/// Encodes a histogram as HdrHistogram's compressed V2 bytes in base64.
pub fn encode_histogram(h: &Latencies) -> String {
    let mut bytes = Vec::new();
    match V2DeflateSerializer::new().serialize(h, &mut bytes) {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(bytes),
        Err(_) => String::new(),
    }
}

/// Decodes [`encode_histogram`]'s output.
pub fn decode_histogram(text: &str) -> Option<Latencies> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    Deserializer::new().deserialize(&mut bytes.as_slice()).ok()
}

impl QueryResult {
    /// Summarises one query's measurements over `elapsed_s` seconds.
    pub fn new(
        name: &str,
        role: String,
        access: String,
        m: &QueryMeasurements,
        elapsed_s: f64,
    ) -> Self {
        let count = m.count();
        let errors = m.error_count();
        Self {
            name: name.to_owned(),
            role,
            access,
            count,
            throughput: count as f64 / elapsed_s.max(1e-9),
            errors,
            timeouts: m.timeouts,
            error_rate: if count == 0 {
                0.0
            } else {
                (errors + m.timeouts) as f64 / count as f64
            },
            latency: LatencySummary::of(&m.latency),
            service: LatencySummary::of(&m.service),
            errors_by_sqlstate: m.errors.clone(),
            histogram: encode_histogram(&m.latency),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_survive_the_round_trip() {
        let mut h = crate::measure::new_histogram();
        for v in [10, 200, 3_000, 40_000] {
            h.saturating_record(v);
        }
        let back = decode_histogram(&encode_histogram(&h)).expect("decodes");
        assert_eq!(back.len(), 4);
        assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
        assert_eq!(back.max(), h.max());
    }

    #[test]
    fn a_missed_schedule_is_one_warning_per_phase() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results.json");
        let text = std::fs::read_to_string(path).expect("fixture");
        let mut results: RunResults = serde_json::from_str(&text).expect("results");
        assert!(!results.warnings().iter().any(|w| w.contains("missed its")));
        for p in results.candidates[0]
            .phases
            .iter_mut()
            .filter(|p| p.rate.is_some() && !p.warmup)
        {
            p.late = p.requests / 10;
        }
        let missed: Vec<String> = results
            .warnings()
            .into_iter()
            .filter(|w| w.contains("missed its"))
            .collect();
        assert_eq!(missed.len(), 1, "{missed:?}");
        assert!(
            missed[0].starts_with(
                "baseline: phase open_loop missed its 300 req/s schedule in 3 of 3 round(s)"
            ),
            "{missed:?}"
        );
    }

    #[test]
    fn a_change_the_rounds_cannot_call_asks_for_more_rounds() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results.json");
        let text = std::fs::read_to_string(path).expect("fixture");
        let mut results: RunResults = serde_json::from_str(&text).expect("results");
        let asks = |r: &RunResults| r.warnings().iter().any(|w| w.contains("--rounds"));
        let wide = Estimate {
            ratio: 1.4,
            ci_low: 0.8,
            ci_high: 2.4,
            p_value: 0.2,
            verdict: Verdict::NoChange,
        };
        results.comparisons.iter_mut().for_each(|c| {
            c.estimate = Estimate {
                ratio: 1.01,
                ..wide
            }
        });
        assert!(!asks(&results), "small ratios are simply no change");
        results.comparisons[0].estimate = wide;
        assert!(asks(&results));
        results.comparisons[0].estimate.verdict = Verdict::Slower;
        assert!(!asks(&results), "a called change needs no more rounds");
    }

    /// The checked-in schema must match the model; regenerate it with
    /// `UPDATE_SCHEMA=1 cargo test --lib schema_file`.
    #[test]
    fn schema_file_matches_the_model() {
        let schema = serde_json::to_string_pretty(&schemars::schema_for!(RunResults))
            .expect("schema")
            + "\n";
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/results.schema.json");
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &schema).expect("write schema");
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        // Not assert_eq: the two schemas would flood the log.
        assert!(
            on_disk == schema,
            "schemas/results.schema.json is stale: run UPDATE_SCHEMA=1 cargo test --lib schema_file"
        );
    }
}

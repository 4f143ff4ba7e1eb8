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
use crate::compare::{Criteria, Estimate};
use crate::measure::timeline::IntervalPoint;
use crate::measure::{ErrorCount, Latencies, LatencySummary, QueryMeasurements};

/// Bumped whenever the meaning or shape of `results.json` changes.
pub const RESULTS_VERSION: u32 = 1;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RunResults {
    pub version: u32,
    pub schemabench_version: String,
    /// RFC 3339 time the run started.
    pub started_at: String,
    /// False while phases are still running (a partial report).
    pub complete: bool,
    pub scenario: ScenarioInfo,
    pub server: ServerInfo,
    /// `simple`, `extended` or `prepared`.
    pub protocol: String,
    /// Interleaved rounds: every candidate ran its phases once per round.
    pub rounds: u32,
    pub criteria: Criteria,
    /// The baseline first, then each candidate.
    pub candidates: Vec<CandidateResult>,
    /// Every candidate against the baseline, per query and percentile.
    pub comparisons: Vec<Comparison>,
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
        assert_eq!(
            on_disk, schema,
            "schemas/results.schema.json is stale: run UPDATE_SCHEMA=1 cargo test --lib schema_file"
        );
    }
}

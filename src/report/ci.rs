//! Formats CI tools read: Bencher Metric Format, and github-action-benchmark's
//! `customSmallerIsBetter` (latencies) and `customBiggerIsBetter` (throughput).

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::results::RunResults;

/// One entry of github-action-benchmark's custom formats.
#[derive(Debug, Serialize)]
pub struct GabEntry {
    pub name: String,
    pub unit: String,
    pub value: f64,
    pub extra: String,
}

/// The baseline configuration's queries as `<scenario>/<query>` benchmarks:
/// `latency` is p50 (ns, Bencher's built-in measure), `latency-p95`,
/// `latency-p99`, `latency-p99-9` likewise, `throughput` requests/s.
pub fn bencher(results: &RunResults) -> Value {
    let mut out = Map::new();
    if let Some(base) = results.candidates.first() {
        for q in &base.queries {
            let ns = |us: u64| json!({ "value": us as f64 * 1000.0 });
            out.insert(
                format!("{}/{}", results.scenario.name, q.name),
                json!({
                    "latency": ns(q.latency.p50),
                    "latency-p95": ns(q.latency.p95),
                    "latency-p99": ns(q.latency.p99),
                    "latency-p99-9": ns(q.latency.p999),
                    "throughput": { "value": q.throughput },
                }),
            );
        }
    }
    Value::Object(out)
}

/// Latency percentiles (ms, smaller is better) and throughput (req/s,
/// bigger is better) of the baseline configuration.
pub fn github_action_benchmark(results: &RunResults) -> (Vec<GabEntry>, Vec<GabEntry>) {
    let mut smaller = Vec::new();
    let mut bigger = Vec::new();
    if let Some(base) = results.candidates.first() {
        for q in &base.queries {
            let extra = format!(
                "scale {}, seed {}, {} round(s), {} requests",
                results.scenario.scale, results.scenario.seed, results.rounds, q.count
            );
            for (label, us) in [
                ("p50", q.latency.p50),
                ("p95", q.latency.p95),
                ("p99", q.latency.p99),
                ("p99.9", q.latency.p999),
            ] {
                smaller.push(GabEntry {
                    name: format!("{}/{} {label}", results.scenario.name, q.name),
                    unit: "ms".into(),
                    value: us as f64 / 1000.0,
                    extra: extra.clone(),
                });
            }
            bigger.push(GabEntry {
                name: format!("{}/{} throughput", results.scenario.name, q.name),
                unit: "req/s".into(),
                value: q.throughput,
                extra,
            });
        }
    }
    (smaller, bigger)
}

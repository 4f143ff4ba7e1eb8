//! Formats CI tools read: Bencher Metric Format, and github-action-benchmark's
//! `customSmallerIsBetter` (latencies) and `customBiggerIsBetter` (throughput).

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::gate::judge::tracked;
use crate::measure::duet::min_requests;
use crate::results::RunResults;

/// One entry of github-action-benchmark's custom formats.
#[derive(Debug, Serialize)]
pub struct GabEntry {
    pub name: String,
    pub unit: String,
    pub value: f64,
    pub extra: String,
}

/// The tracked configuration's ([`tracked`]) queries as `<scenario>/<query>` benchmarks:
/// `latency` is p50 (ns, Bencher's built-in measure), `latency-p95`,
/// `latency-p99`, `latency-p99-9` likewise, `throughput` requests/s. A
/// latency measured in two rounds or more carries `lower_value` and
/// `upper_value`: the lowest and highest the rounds measured, so Bencher
/// shows how much the run itself varied.
pub fn bencher(results: &RunResults) -> Value {
    let mut out = Map::new();
    if let Some(base) = tracked(results) {
        for q in &base.queries {
            let rounds = base.round_histograms(&q.name, None);
            let ns = |us: u64, quantile: f64| {
                let mut entry = json!({ "value": us as f64 * 1000.0 });
                let per_round: Vec<u64> = rounds
                    .iter()
                    .filter(|h| h.len() >= min_requests(quantile))
                    .map(|h| h.value_at_quantile(quantile))
                    .collect();
                if let (true, Some(low), Some(high)) = (
                    per_round.len() >= 2,
                    per_round.iter().min(),
                    per_round.iter().max(),
                ) {
                    entry["lower_value"] = json!(*low as f64 * 1000.0);
                    entry["upper_value"] = json!(*high as f64 * 1000.0);
                }
                entry
            };
            out.insert(
                format!("{}/{}", results.scenario.name, q.name),
                json!({
                    "latency": ns(q.latency.p50, 0.5),
                    "latency-p95": ns(q.latency.p95, 0.95),
                    "latency-p99": ns(q.latency.p99, 0.99),
                    "latency-p99-9": ns(q.latency.p999, 0.999),
                    "throughput": { "value": q.throughput },
                }),
            );
        }
    }
    Value::Object(out)
}

/// Latency percentiles (ms, smaller is better) and throughput (req/s,
/// bigger is better) of the tracked configuration.
pub fn github_action_benchmark(results: &RunResults) -> (Vec<GabEntry>, Vec<GabEntry>) {
    let mut smaller = Vec::new();
    let mut bigger = Vec::new();
    if let Some(base) = tracked(results) {
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

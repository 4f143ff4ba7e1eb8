//! Service-level objectives as k6 users write them: `p99 < 25ms`,
//! `error_rate < 0.1%`, `throughput > 200`, on one query or on all of them.

use crate::results::limit::{Metric, Threshold};
use crate::results::{LatencySummary, QueryResult, ThresholdResult, new_histogram};

/// The figures a limit is checked against: one query's, or all queries'
/// together (histograms merged, counts summed).
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub latency: LatencySummary,
    pub throughput: f64,
    pub error_rate: f64,
}

impl Figures {
    pub fn of(queries: &[&QueryResult]) -> Self {
        let mut merged = new_histogram();
        for q in queries {
            let _ = merged.add(&q.histogram.0);
        }
        let count: u64 = queries.iter().map(|q| q.count).sum();
        let failed: u64 = queries.iter().map(|q| q.errors + q.timeouts).sum();
        Self {
            latency: LatencySummary::of(&merged),
            throughput: queries.iter().map(|q| q.throughput).sum(),
            error_rate: if count == 0 {
                0.0
            } else {
                failed as f64 / count as f64
            },
        }
    }

    pub fn value(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Latency(figure) => figure.of(&self.latency),
            Metric::Throughput => self.throughput,
            Metric::ErrorRate => self.error_rate,
        }
    }
}

/// The name thresholds without a query carry.
pub const ALL_QUERIES: &str = "all";

/// Checks every limit of every threshold against a configuration's
/// per-query results.
pub fn evaluate(thresholds: &[Threshold], queries: &[QueryResult]) -> Vec<ThresholdResult> {
    let mut out = Vec::new();
    for t in thresholds {
        let selected: Vec<&QueryResult> = queries
            .iter()
            .filter(|q| t.query.as_ref().is_none_or(|name| &q.name == name))
            .collect();
        let figures = Figures::of(&selected);
        for limit in &t.limits {
            let actual = figures.value(limit.metric);
            out.push(ThresholdResult {
                query: t.query.clone().unwrap_or_else(|| ALL_QUERIES.to_owned()),
                limit: limit.clone(),
                actual,
                passed: !selected.is_empty() && limit.op.holds(actual, limit.bound),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{Outcome, QueryMeasurements};
    use std::time::Duration;

    fn result(name: &str, ms: &[u64], errors: u64) -> QueryResult {
        let mut m = QueryMeasurements::default();
        for v in ms {
            let d = Duration::from_millis(*v);
            m.record(d, d, &Outcome::Ok);
        }
        for _ in 0..errors {
            let d = Duration::from_millis(1);
            m.record(
                d,
                d,
                &Outcome::Error {
                    code: "23505".into(),
                    message: "dup".into(),
                },
            );
        }
        m.result(name, "authenticated".into(), "read".into(), 1.0)
    }

    #[test]
    fn limits_pass_and_fail_on_the_measured_figures() {
        let queries = [result("fast", &[1; 100], 0), result("slow", &[50; 100], 2)];
        let spec = |query: Option<&str>, limits: &[&str]| Threshold {
            query: query.map(str::to_owned),
            limits: limits.iter().map(|l| l.parse().expect("a limit")).collect(),
            abort_on_fail: false,
        };
        let results = evaluate(
            &[
                spec(Some("fast"), &["p99 < 5ms", "error_rate < 1%"]),
                spec(
                    Some("slow"),
                    &["p99 < 5ms", "error_rate < 1%", "throughput > 50"],
                ),
                spec(None, &["max < 100ms", "p95 < 2ms"]),
            ],
            &queries,
        );
        let passed: Vec<(String, bool)> = results
            .iter()
            .map(|r| (format!("{} {}", r.query, r.limit), r.passed))
            .collect();
        assert_eq!(
            passed,
            vec![
                ("fast p99 < 5ms".into(), true),
                ("fast error_rate < 1%".into(), true),
                ("slow p99 < 5ms".into(), false),
                ("slow error_rate < 1%".into(), false),
                ("slow throughput > 50".into(), true),
                ("all max < 100ms".into(), true),
                ("all p95 < 2ms".into(), false),
            ]
        );
        assert!((results[3].actual - 2.0 / 102.0).abs() < 1e-9);
    }
}

//! Measurement: every latency goes into HDR histograms owned by the worker
//! that measured it (no locks on the hot path), merged once when a phase
//! ends; one-second interval histograms feed the time series.

pub mod hgrm;
pub mod timeline;

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Highest latency a histogram holds, in microseconds (10 minutes); longer
/// values are clamped to it and still counted.
pub const MAX_LATENCY_US: u64 = 600_000_000;
/// Precision of every histogram.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A latency histogram in microseconds.
pub type Latencies = Histogram<u64>;

/// An empty histogram with schemabench's range and precision.
pub fn new_histogram() -> Latencies {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGNIFICANT_DIGITS)
        .expect("constant histogram bounds are valid")
}

/// Microseconds of a duration, at least 1 (the histogram's lowest value).
pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// `statement_timeout` or a cancel (SQLSTATE 57014): counted apart.
    Timeout,
    /// Any other error, by SQLSTATE (or a client-side class such as
    /// `connection`), with its message.
    Error {
        code: String,
        message: String,
    },
}

/// Errors of one SQLSTATE: how many, and one message as a sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorCount {
    pub count: u64,
    pub sample: String,
}

/// What one query recorded in one phase.
#[derive(Debug, Clone)]
pub struct QueryMeasurements {
    /// From the intended start (open loop) or the actual start (closed loop):
    /// what a user waits.
    pub latency: Latencies,
    /// From the actual start: what the database took, uncorrected.
    pub service: Latencies,
    pub timeouts: u64,
    pub errors: BTreeMap<String, ErrorCount>,
}

impl Default for QueryMeasurements {
    fn default() -> Self {
        Self {
            latency: new_histogram(),
            service: new_histogram(),
            timeouts: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl QueryMeasurements {
    /// Records one finished request. Failed requests are timed too: a user
    /// waited for them as well.
    pub fn record(&mut self, latency: Duration, service: Duration, outcome: &Outcome) {
        self.latency
            .saturating_record(micros(latency).min(MAX_LATENCY_US));
        self.service
            .saturating_record(micros(service).min(MAX_LATENCY_US));
        match outcome {
            Outcome::Ok => {}
            Outcome::Timeout => self.timeouts += 1,
            Outcome::Error { code, message } => {
                let entry = self
                    .errors
                    .entry(code.clone())
                    .or_insert_with(|| ErrorCount {
                        count: 0,
                        sample: message.clone(),
                    });
                entry.count += 1;
            }
        }
    }

    /// Adds another worker's measurements of the same query.
    pub fn merge(&mut self, other: &QueryMeasurements) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        let _ = self.service.add(&other.service);
        self.timeouts += other.timeouts;
        for (code, e) in &other.errors {
            let entry = self
                .errors
                .entry(code.clone())
                .or_insert_with(|| ErrorCount {
                    count: 0,
                    sample: e.sample.clone(),
                });
            entry.count += e.count;
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().map(|e| e.count).sum()
    }

    /// Requests that finished, successfully or not.
    pub fn count(&self) -> u64 {
        self.latency.len()
    }
}

/// Percentiles of a latency histogram, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencySummary {
    pub min: u64,
    pub mean: f64,
    pub stddev: f64,
    pub p50: u64,
    pub p90: u64,
    pub p95: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl LatencySummary {
    pub fn of(h: &Latencies) -> Self {
        if h.is_empty() {
            return Self {
                min: 0,
                mean: 0.0,
                stddev: 0.0,
                p50: 0,
                p90: 0,
                p95: 0,
                p99: 0,
                p999: 0,
                max: 0,
            };
        }
        Self {
            min: h.min(),
            mean: h.mean(),
            stddev: h.stdev(),
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p95: h.value_at_quantile(0.95),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_workers_adds_counts_and_errors() {
        let mut a = QueryMeasurements::default();
        let mut b = QueryMeasurements::default();
        a.record(
            Duration::from_millis(1),
            Duration::from_millis(1),
            &Outcome::Ok,
        );
        b.record(
            Duration::from_millis(9),
            Duration::from_millis(2),
            &Outcome::Timeout,
        );
        let err = Outcome::Error {
            code: "23505".into(),
            message: "duplicate key".into(),
        };
        b.record(Duration::from_millis(3), Duration::from_millis(3), &err);
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(a.timeouts, 1);
        assert_eq!(a.errors["23505"].count, 1);
        let s = LatencySummary::of(&a.latency);
        assert!((8_990..=9_010).contains(&s.max), "{s:?}");
        assert!((995..=1_005).contains(&s.min), "{s:?}");
    }

    #[test]
    fn latencies_beyond_the_range_are_clamped_not_lost() {
        let mut q = QueryMeasurements::default();
        q.record(
            Duration::from_secs(3600),
            Duration::from_secs(3600),
            &Outcome::Ok,
        );
        assert_eq!(q.count(), 1);
        assert!(q.latency.max() >= MAX_LATENCY_US - MAX_LATENCY_US / 1000);
    }
}

//! Measurement: every latency goes into HDR histograms owned by the worker
//! that measured it (no locks on the hot path), merged once when a phase
//! ends; one-second interval histograms feed the time series.

pub mod duet;
pub mod hgrm;
pub mod intervals;
pub mod timeline;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::results::{
    ErrorCount, Histogram, Latencies, LatencySummary, MAX_LATENCY_US, QueryResult, new_histogram,
    record_latency,
};

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
        record_latency(&mut self.latency, micros(latency), 1);
        record_latency(&mut self.service, micros(service), 1);
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

    /// The figures of one query over `elapsed_s` seconds, as results keep them.
    pub fn result(&self, name: &str, role: String, access: String, elapsed_s: f64) -> QueryResult {
        let count = self.count();
        let errors = self.error_count();
        QueryResult {
            name: name.to_owned(),
            role,
            access,
            count,
            throughput: count as f64 / elapsed_s.max(1e-9),
            errors,
            timeouts: self.timeouts,
            error_rate: if count == 0 {
                0.0
            } else {
                (errors + self.timeouts) as f64 / count as f64
            },
            latency: LatencySummary::of(&self.latency),
            service: LatencySummary::of(&self.service),
            errors_by_sqlstate: self.errors.clone(),
            histogram: Histogram::from(&self.latency),
            service_histogram: Histogram::from(&self.service),
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

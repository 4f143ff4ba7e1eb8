//! Limits as k6 users write them: `p99 < 25ms`, `error_rate < 0.1%`,
//! `throughput > 200`. Parsed once, where they enter (the scenario file's
//! validation, a command-line flag, a stored results file), and carried
//! typed from there; checked against results in `gate`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::LatencySummary;

/// What a limit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A latency figure in milliseconds: `p50`, `p90`, `p95`, `p99`,
    /// `p99.9`, `mean` or `max`.
    Latency(LatencyFigure),
    /// Requests per second.
    Throughput,
    /// Failed requests (errors and timeouts) over all requests.
    ErrorRate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyFigure {
    P50,
    P90,
    P95,
    P99,
    P999,
    Mean,
    Max,
}

impl LatencyFigure {
    const NAMES: [(&'static str, LatencyFigure); 7] = [
        ("p50", Self::P50),
        ("p90", Self::P90),
        ("p95", Self::P95),
        ("p99", Self::P99),
        ("p99.9", Self::P999),
        ("mean", Self::Mean),
        ("max", Self::Max),
    ];

    /// Milliseconds of this figure.
    pub fn of(self, s: &LatencySummary) -> f64 {
        let us = match self {
            Self::P50 => s.p50 as f64,
            Self::P90 => s.p90 as f64,
            Self::P95 => s.p95 as f64,
            Self::P99 => s.p99 as f64,
            Self::P999 => s.p999 as f64,
            Self::Mean => s.mean,
            Self::Max => s.max as f64,
        };
        us / 1000.0
    }
}

/// `<` or `<=` (an upper bound), `>` or `>=` (a lower bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn holds(self, actual: f64, bound: f64) -> bool {
        match self {
            Self::Lt => actual < bound,
            Self::Le => actual <= bound,
            Self::Gt => actual > bound,
            Self::Ge => actual >= bound,
        }
    }
}

/// One parsed limit, with the text it was parsed from: reports and
/// results files show a limit as its author wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub metric: Metric,
    pub op: Op,
    /// Milliseconds, requests per second, or a fraction (0.001 for 0.1%).
    pub bound: f64,
    written: String,
}

impl Limit {
    /// A limit made by schemabench itself (a default objective), written
    /// as a user would write it.
    pub fn new(metric: Metric, op: Op, bound: f64) -> Self {
        let sign = match op {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        };
        let written = match metric {
            Metric::Latency(figure) => format!("{figure} {sign} {bound}ms"),
            Metric::Throughput => format!("throughput {sign} {bound}/s"),
            Metric::ErrorRate => format!("error_rate {sign} {}%", bound * 100.0),
        };
        Self {
            metric,
            op,
            bound,
            written,
        }
    }

    /// The limit as written (`p99 < 25ms`).
    pub fn as_str(&self) -> &str {
        &self.written
    }
}

/// Limits as written, one after another with `separator` between them.
pub fn joined(limits: &[Limit], separator: &str) -> String {
    let written: Vec<&str> = limits.iter().map(Limit::as_str).collect();
    written.join(separator)
}

/// Limits on one query, or on all queries together (`query` absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub query: Option<String>,
    pub limits: Vec<Limit>,
    /// Stop the run as soon as a measured phase ends with a limit failed.
    pub abort_on_fail: bool,
}

/// What a limit may look like, for error messages.
pub const LIMIT_SYNTAX: &str = "a limit such as \"p99 < 25ms\", \"max <= 2s\", \"mean < 10ms\", \"throughput > 200\" or \"error_rate < 0.1%\" (latencies: p50, p90, p95, p99, p99.9, mean, max)";

impl FromStr for Limit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let expected = || LIMIT_SYNTAX.to_owned();
        let at = text.find(['<', '>']).ok_or_else(expected)?;
        let (name, rest) = text.split_at(at);
        let (op, value) = if let Some(v) = rest.strip_prefix("<=") {
            (Op::Le, v)
        } else if let Some(v) = rest.strip_prefix(">=") {
            (Op::Ge, v)
        } else if let Some(v) = rest.strip_prefix('<') {
            (Op::Lt, v)
        } else if let Some(v) = rest.strip_prefix('>') {
            (Op::Gt, v)
        } else {
            return Err(expected());
        };
        let (name, value) = (name.trim(), value.trim());
        let number = |v: &str| v.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0);
        let (metric, bound) = match name {
            "throughput" => (
                Metric::Throughput,
                number(value.trim_end_matches("/s")).ok_or_else(expected)?,
            ),
            "error_rate" => {
                let bound = match value.strip_suffix('%') {
                    Some(percent) => number(percent.trim()).map(|p| p / 100.0),
                    None => number(value),
                };
                (Metric::ErrorRate, bound.ok_or_else(expected)?)
            }
            _ => {
                let figure = LatencyFigure::NAMES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, f)| *f)
                    .ok_or_else(expected)?;
                let d = humantime::parse_duration(value).map_err(|_| expected())?;
                (Metric::Latency(figure), d.as_secs_f64() * 1000.0)
            }
        };
        Ok(Self {
            metric,
            op,
            bound,
            written: text.to_owned(),
        })
    }
}

impl Serialize for Limit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.written)
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|e| serde::de::Error::custom(format!("expected {e}")))
    }
}

impl fmt::Display for LatencyFigure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Self::NAMES
            .iter()
            .find(|(_, figure)| figure == self)
            .map_or("?", |(n, _)| n);
        f.write_str(name)
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_the_way_k6_users_write_them() {
        let l: Limit = "p99 < 25ms".parse().expect("parses");
        assert_eq!(l.metric, Metric::Latency(LatencyFigure::P99));
        assert_eq!((l.op, l.bound), (Op::Lt, 25.0));
        let l: Limit = "p99.9<=2s".parse().expect("parses");
        assert_eq!(
            (l.metric, l.op, l.bound),
            (Metric::Latency(LatencyFigure::P999), Op::Le, 2000.0)
        );
        let l: Limit = "error_rate < 0.1%".parse().expect("parses");
        assert!((l.bound - 0.001).abs() < 1e-12);
        let l: Limit = "throughput >= 200/s".parse().expect("parses");
        assert_eq!(
            (l.metric, l.op, l.bound),
            (Metric::Throughput, Op::Ge, 200.0)
        );
        let made = Limit::new(Metric::ErrorRate, Op::Lt, 0.001);
        assert_eq!(made.to_string(), "error_rate < 0.1%");
        assert_eq!(made.to_string().parse::<Limit>(), Ok(made));
        for bad in [
            "p98 < 1ms",
            "p99 = 1ms",
            "p99 < fast",
            "error_rate < -1%",
            "throughput > many",
            "",
        ] {
            assert!(bad.parse::<Limit>().is_err(), "{bad:?} must not parse");
        }
    }
}

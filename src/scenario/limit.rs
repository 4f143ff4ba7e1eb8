//! Limits as k6 users write them: `p99 < 25ms`, `error_rate < 0.1%`,
//! `throughput > 200`. Parsed here, with the scenario, so a bad limit is a
//! scenario error; checked against results in `gate`.

use std::fmt;
use std::str::FromStr;

use super::units::parse_duration;
use crate::results::LatencySummary;

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

/// One parsed limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub metric: Metric,
    pub op: Op,
    /// Milliseconds, requests per second, or a fraction (0.001 for 0.1%).
    pub bound: f64,
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
                let d = parse_duration(value).map_err(|_| expected())?;
                (Metric::Latency(figure), d.as_secs_f64() * 1000.0)
            }
        };
        Ok(Self { metric, op, bound })
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
        let op = match self.op {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        };
        match self.metric {
            Metric::Latency(figure) => write!(f, "{figure} {op} {}ms", self.bound),
            Metric::Throughput => write!(f, "throughput {op} {}/s", self.bound),
            Metric::ErrorRate => write!(f, "error_rate {op} {}%", self.bound * 100.0),
        }
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

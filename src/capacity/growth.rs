//! How a query's latency grows with the data: a power law fitted on
//! log-log axes, and each query's growth over the measured scales. An exponent near 0 is an index lookup, near 1 a scan
//! hiding in the plan.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::results::RunResults;
use crate::results::capacity::{Growth, GrowthBasis, QueryGrowth, Trust};
use crate::results::limit::{LatencyFigure, Limit, Metric};

/// `y = a·x^b` fitted by least squares on logarithms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PowerFit {
    pub coefficient: f64,
    pub exponent: f64,
    /// On the logarithms.
    pub r_squared: f64,
}

impl PowerFit {
    pub fn at(&self, x: f64) -> f64 {
        self.coefficient * x.powf(self.exponent)
    }
}

/// Needs two distinct positive x values.
pub fn fit_power(points: &[(f64, f64)]) -> Option<PowerFit> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    let n = logs.len() as f64;
    if logs.len() < 2 {
        return None;
    }
    let mx = logs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = logs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx <= f64::EPSILON {
        return None;
    }
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let b = sxy / sxx;
    let a = my - b * mx;
    let total: f64 = logs.iter().map(|p| (p.1 - my).powi(2)).sum();
    let residual: f64 = logs.iter().map(|p| (p.1 - (a + b * p.0)).powi(2)).sum();
    Some(PowerFit {
        coefficient: a.exp(),
        exponent: b,
        r_squared: if total > 0.0 {
            1.0 - residual / total
        } else {
            1.0
        },
    })
}

impl Trust {
    pub fn of(fit: &PowerFit, factor: f64) -> Self {
        if factor <= 4.0 && fit.r_squared >= 0.9 {
            Self::High
        } else if factor <= 16.0 && fit.r_squared >= 0.8 {
            Self::Medium
        } else {
            Self::Low
        }
    }
}

/// The scale whose data would fill the server's memory, from the largest
/// growth run's data size (which grows with the scale) and the memory
/// that run's server had; none where either is unknown. Past it reads
/// leave memory for the disk, where latency no longer follows a curve
/// measured in memory, so projections stop there.
pub(super) fn memory_scale(runs: &[(f64, RunResults)]) -> Option<f64> {
    let (scale, run) = runs.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
    let bytes = run.candidates.first()?.cost.database_bytes as f64;
    let (memory, _) = crate::report::memory::server_memory(run)?;
    (bytes > 0.0 && *scale > 0.0).then(|| memory as f64 / (bytes / scale))
}

/// Per query: latency and work against scale, its growth class and
/// projection. The class comes from work where every scale measured it: a
/// scan's buffers per call follow the data exactly, while its latency on a
/// shared machine follows whatever else runs there.
pub(super) fn growth_of(
    runs: &[(f64, RunResults)],
    project_scale: f64,
    figure: LatencyFigure,
) -> Vec<QueryGrowth> {
    // Within the server's memory only (or where that is unknown).
    let projects = memory_scale(runs).is_none_or(|m| project_scale <= m);
    let Some((_, first)) = runs.first() else {
        return Vec::new();
    };
    let largest = runs.iter().map(|(s, _)| *s).fold(0.0, f64::max);
    first.candidates[0]
        .queries
        .iter()
        .map(|q| {
            let points: Vec<(f64, f64, f64)> = runs
                .iter()
                .filter_map(|(scale, r)| {
                    let x = r.candidates[0].queries.iter().find(|x| x.name == q.name)?;
                    (x.count > 0)
                        .then(|| (*scale, x.latency.p50 as f64 / 1000.0, figure.of(&x.latency)))
                })
                .collect();
            let buffers: Vec<(f64, f64)> = runs
                .iter()
                .filter_map(|(scale, r)| {
                    let work = r.candidates[0].work.iter().find(|w| w.query == q.name)?;
                    Some((*scale, work.buffers_per_call()?))
                })
                .collect();
            let p50: Option<PowerFit> =
                fit_power(&points.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>());
            let latency_exponent = p50.map_or(0.0, |f| f.exponent);
            let work = (buffers.len() == runs.len())
                .then(|| fit_power(&buffers))
                .flatten();
            let (basis, fit) = match work {
                Some(fit) => (GrowthBasis::Work, Some(fit)),
                None => (GrowthBasis::Latency, p50),
            };
            let exponent = fit.map_or(0.0, |f| f.exponent);
            let growth = Growth::of(exponent);
            // The largest scale measured, grown as the class says: a flat
            // query stays where it was measured.
            let grows = if growth == Growth::Flat {
                0.0
            } else {
                exponent
            };
            let projected = points
                .iter()
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .filter(|_| projects)
                .map(|&(scale, _, ms)| ms * (project_scale / scale).powf(grows));
            let plan = runs
                .last()
                .and_then(|(_, r)| r.candidates[0].plans.iter().find(|p| p.query == q.name))
                .map(|p| p.nodes.clone())
                .unwrap_or_default();
            QueryGrowth {
                query: q.name.clone(),
                points,
                buffers,
                basis,
                exponent,
                latency_exponent,
                growth,
                projected_ms: projected,
                trust: fit
                    .filter(|_| projects)
                    .map(|f| Trust::of(&f, project_scale / largest.max(1e-12))),
                fit_r_squared: fit.map(|f| f.r_squared),
                plan,
            }
        })
        .collect()
}

/// The percentile of the first latency objective; p99 without one.
pub(super) fn objective_figure(limits: &[Limit]) -> LatencyFigure {
    limits
        .iter()
        .find_map(|l| match l.metric {
            Metric::Latency(figure) => Some(figure),
            _ => None,
        })
        .unwrap_or(LatencyFigure::P99)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::capacity::Growth;

    #[test]
    fn exponents_classify_growth() {
        let flat = fit_power(&[(1.0, 0.2), (4.0, 0.21), (16.0, 0.2)]).expect("fit");
        assert_eq!(Growth::of(flat.exponent), Growth::Flat);
        let scan = fit_power(&[(1.0, 1.0), (4.0, 4.1), (16.0, 15.5)]).expect("fit");
        assert_eq!(Growth::of(scan.exponent), Growth::Linear);
        assert!(Growth::of(scan.exponent).is_alarming());
        assert!((scan.at(100.0) - 100.0).abs() < 15.0, "{scan:?}");
        assert_eq!(Growth::of(0.4), Growth::Logarithmic);
        assert_eq!(Growth::of(2.0), Growth::Superlinear);
    }

    #[test]
    fn trust_falls_with_distance_and_poor_fit() {
        let good = PowerFit {
            coefficient: 1.0,
            exponent: 1.0,
            r_squared: 0.99,
        };
        assert_eq!(Trust::of(&good, 2.0), Trust::High);
        assert_eq!(Trust::of(&good, 10.0), Trust::Medium);
        assert_eq!(Trust::of(&good, 100.0), Trust::Low);
        let poor = PowerFit {
            r_squared: 0.5,
            ..good
        };
        assert_eq!(Trust::of(&poor, 2.0), Trust::Low);
        assert!(fit_power(&[(1.0, 1.0)]).is_none());
    }
}

//! How a query's latency grows with the data: a power law fitted on
//! log-log axes. An exponent near 0 is an index lookup, near 1 a scan
//! hiding in the plan.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::results::capacity::Trust;

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

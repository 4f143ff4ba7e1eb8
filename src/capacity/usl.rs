//! Gunther's Universal Scalability Law: X(N) = λN / (1 + σ(N−1) + κN(N−1)),
//! σ the contention (serialisation) and κ the coherency (crosstalk) cost.

use crate::results::capacity::UslFit;

impl UslFit {
    /// Predicted throughput at concurrency `n`.
    pub fn throughput(&self, n: f64) -> f64 {
        self.lambda * n / (1.0 + self.sigma * (n - 1.0) + self.kappa * n * (n - 1.0))
    }
}

/// Fits (clients, throughput) points by least squares on the linearised
/// form `N/C(N) − 1 = σ(N−1) + κN(N−1)`, with `C(N) = X(N)/λ` and λ taken
/// from the lowest concurrency measured. Needs three distinct client counts.
pub fn fit(points: &[(f64, f64)]) -> Option<UslFit> {
    let points: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(n, x)| *n >= 1.0 && *x > 0.0)
        .collect();
    let (n0, x0) = points.iter().copied().min_by(|a, b| a.0.total_cmp(&b.0))?;
    let mut distinct: Vec<f64> = points.iter().map(|p| p.0).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() < 3 {
        return None;
    }
    let lambda = x0 / n0;
    // Rows: a = N−1, b = N(N−1), y = N/C − 1.
    let rows: Vec<(f64, f64, f64)> = points
        .iter()
        .map(|(n, x)| (n - 1.0, n * (n - 1.0), n / (x / lambda) - 1.0))
        .collect();
    let sum = |f: &dyn Fn(&(f64, f64, f64)) -> f64| rows.iter().map(f).sum::<f64>();
    let (aa, ab, bb) = (
        sum(&|r| r.0 * r.0),
        sum(&|r| r.0 * r.1),
        sum(&|r| r.1 * r.1),
    );
    let (ay, by) = (sum(&|r| r.0 * r.2), sum(&|r| r.1 * r.2));
    let det = aa * bb - ab * ab;
    let (mut sigma, mut kappa) = if det.abs() > f64::EPSILON {
        ((ay * bb - by * ab) / det, (aa * by - ab * ay) / det)
    } else {
        (0.0, 0.0)
    };
    // Negative coefficients have no physical meaning: refit the other alone.
    if kappa < 0.0 {
        kappa = 0.0;
        sigma = if aa > 0.0 { (ay / aa).max(0.0) } else { 0.0 };
    } else if sigma < 0.0 {
        sigma = 0.0;
        kappa = if bb > 0.0 { (by / bb).max(0.0) } else { 0.0 };
    }
    let mut model = UslFit {
        lambda,
        sigma,
        kappa,
        r_squared: 0.0,
        peak_clients: None,
        peak_throughput: None,
    };
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let total: f64 = points.iter().map(|p| (p.1 - mean).powi(2)).sum();
    let residual: f64 = points
        .iter()
        .map(|(n, x)| (x - model.throughput(*n)).powi(2))
        .sum();
    model.r_squared = if total > 0.0 {
        1.0 - residual / total
    } else {
        1.0
    };
    if kappa > 0.0 && sigma < 1.0 {
        let peak = ((1.0 - sigma) / kappa).sqrt();
        model.peak_clients = Some(peak);
        model.peak_throughput = Some(model.throughput(peak));
    }
    Some(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_known_coefficients() {
        let truth = UslFit {
            lambda: 500.0,
            sigma: 0.05,
            kappa: 0.002,
            r_squared: 1.0,
            peak_clients: None,
            peak_throughput: None,
        };
        let points: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
            .iter()
            .map(|n| (*n, truth.throughput(*n)))
            .collect();
        let fit = fit(&points).expect("fits");
        assert!((fit.sigma - 0.05).abs() < 1e-6, "{fit:?}");
        assert!((fit.kappa - 0.002).abs() < 1e-6, "{fit:?}");
        assert!(fit.r_squared > 0.999);
        let peak = fit.peak_clients.expect("a peak");
        assert!((peak - (0.95f64 / 0.002).sqrt()).abs() < 1e-3);
    }

    #[test]
    fn linear_scaling_has_no_peak_and_too_few_points_no_fit() {
        let linear: Vec<(f64, f64)> = [1.0, 2.0, 4.0].iter().map(|n| (*n, 100.0 * n)).collect();
        let fit = fit(&linear).expect("fits");
        assert!(fit.sigma.abs() < 1e-9 && fit.kappa.abs() < 1e-9);
        assert_eq!(fit.peak_clients, None);
        assert!(super::fit(&[(1.0, 10.0), (2.0, 20.0)]).is_none());
    }
}

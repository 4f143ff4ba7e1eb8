//! Verdicts in the spirit of criterion: a change counts only when its whole
//! confidence interval, bootstrapped over rounds (and expanded for how few
//! there are), lies beyond a noise threshold.

use rand::RngExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::measure::Latencies;
use crate::report::model::{CandidateResult, Comparison, decode_histogram};
use crate::seed::rng::{cell_rng, combine};

/// Bootstrap resamples per comparison.
const RESAMPLES: usize = 2_000;

/// How a candidate compares with the baseline on one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Faster,
    Slower,
    NoChange,
}

/// When a difference counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Criteria {
    /// Relative changes smaller than this are noise (0.05 = 5%).
    pub noise_threshold: f64,
    /// Largest p-value that counts as significant.
    pub significance: f64,
}

impl Default for Criteria {
    fn default() -> Self {
        Self {
            noise_threshold: 0.05,
            significance: 0.05,
        }
    }
}

/// The estimated ratio candidate/baseline with its interval and verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Estimate {
    /// Geometric mean over rounds of candidate/baseline (< 1 is faster).
    pub ratio: f64,
    /// The (1 - significance) confidence interval of the ratio: the
    /// bootstrap's, expanded for the few rounds it has.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided bootstrap p-value of "no difference".
    pub p_value: f64,
    pub verdict: Verdict,
}

/// The default noise threshold between separate runs (a stored baseline):
/// their machines drift more than interleaved rounds do; A/A runs here
/// drifted up to 15% at the p50 of a 0.2 ms query.
pub const ACROSS_RUNS_NOISE: f64 = 0.20;

/// Fewer rounds than this never decide a verdict: two samples cannot show
/// how much rounds vary.
pub const MIN_ROUNDS: usize = 3;

/// Hesterberg's expanded percentile interval: a bootstrap over a handful of
/// rounds is too narrow, so the tail probability is shrunk until the
/// interval is as wide as Student's t would make it for `n` samples.
fn expanded_alpha(alpha: f64, n: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
    let alpha = alpha.clamp(1e-9, 1.0);
    if n < 2 {
        return alpha;
    }
    let nf = n as f64;
    let (Ok(t), Ok(normal)) = (StudentsT::new(0.0, 1.0, nf - 1.0), Normal::new(0.0, 1.0)) else {
        return alpha;
    };
    let z = (nf / (nf - 1.0)).sqrt() * t.inverse_cdf(1.0 - alpha / 2.0);
    2.0 * (1.0 - normal.cdf(z))
}

/// How the rounds of the two sides relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// Candidates of one run: round i of each ran back to back, so drift in
    /// the machine's speed falls on both sides of each pair.
    Interleaved,
    /// Two separate runs (a stored baseline): rounds are independent samples.
    Independent,
}

/// Compares per-round values (latencies: lower is better) and estimates
/// the ratio candidate/baseline as a geometric mean, bootstrapping the
/// rounds for its interval and p-value.
pub fn compare(
    baseline: &[f64],
    candidate: &[f64],
    pairing: Pairing,
    criteria: Criteria,
    seed: u64,
) -> Option<Estimate> {
    let ln = |xs: &[f64]| -> Vec<f64> { xs.iter().filter(|x| **x > 0.0).map(|x| x.ln()).collect() };
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let mut rng = cell_rng(seed);
    let mut resample_mean = |xs: &[f64]| -> f64 {
        (0..xs.len())
            .map(|_| xs[rng.random_range(0..xs.len())])
            .sum::<f64>()
            / xs.len() as f64
    };
    // Log-differences: their mean is the log of the geometric-mean ratio.
    let (point, mut means, samples) = match pairing {
        Pairing::Interleaved => {
            let logs: Vec<f64> = baseline
                .iter()
                .zip(candidate)
                .filter(|(b, c)| **b > 0.0 && **c > 0.0)
                .map(|(b, c)| (c / b).ln())
                .collect();
            if logs.is_empty() {
                return None;
            }
            let means: Vec<f64> = (0..RESAMPLES).map(|_| resample_mean(&logs)).collect();
            (mean(&logs), means, logs.len())
        }
        Pairing::Independent => {
            let (b, c) = (ln(baseline), ln(candidate));
            if b.is_empty() || c.is_empty() {
                return None;
            }
            let means: Vec<f64> = (0..RESAMPLES)
                .map(|_| resample_mean(&c) - resample_mean(&b))
                .collect();
            (mean(&c) - mean(&b), means, b.len().min(c.len()))
        }
    };
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((means.len() - 1) as f64 * q).round() as usize].exp();
    let below = means.iter().filter(|m| **m <= 0.0).count() as f64 / means.len() as f64;
    let above = means.iter().filter(|m| **m >= 0.0).count() as f64 / means.len() as f64;
    let p_value = (2.0 * below.min(above)).min(1.0);
    let ratio = point.exp();
    let alpha = expanded_alpha(criteria.significance, samples);
    let (ci_low, ci_high) = (at(alpha / 2.0), at(1.0 - alpha / 2.0));
    // The interval must lie wholly beyond the noise threshold: stricter
    // than "significant and a large point estimate", because a false alarm
    // costs users more than a late one.
    let decidable = samples >= MIN_ROUNDS;
    let verdict = if decidable && ci_low > 1.0 + criteria.noise_threshold {
        Verdict::Slower
    } else if decidable && ci_high < 1.0 / (1.0 + criteria.noise_threshold) {
        Verdict::Faster
    } else {
        Verdict::NoChange
    };
    Some(Estimate {
        ratio,
        ci_low,
        ci_high,
        p_value,
        verdict,
    })
}

/// The percentiles every comparison covers.
pub const PERCENTILES: [(&str, f64); 3] = [("p50", 0.50), ("p95", 0.95), ("p99", 0.99)];

/// `other` against `base`, per query both ran and per percentile, from the
/// per-round histograms kept in the results.
pub fn comparisons(
    base: &CandidateResult,
    other: &CandidateResult,
    pairing: Pairing,
    criteria: Criteria,
    seed: u64,
) -> Vec<Comparison> {
    let mut out = Vec::new();
    for (q, query) in other.queries.iter().enumerate() {
        let Some(base_query) = base.queries.iter().find(|b| b.name == query.name) else {
            continue;
        };
        let (base_rounds, other_rounds) = (
            base.round_histograms(&query.name),
            other.round_histograms(&query.name),
        );
        let (base_all, other_all) = (
            decode_histogram(&base_query.histogram),
            decode_histogram(&query.histogram),
        );
        for (label, quantile) in PERCENTILES {
            let values = |rounds: &[Latencies]| -> Vec<f64> {
                rounds
                    .iter()
                    .filter(|h| !h.is_empty())
                    .map(|h| h.value_at_quantile(quantile) as f64)
                    .collect()
            };
            let Some(estimate) = compare(
                &values(&base_rounds),
                &values(&other_rounds),
                pairing,
                criteria,
                combine(&[seed, q as u64]),
            ) else {
                continue;
            };
            let at =
                |h: &Option<Latencies>| h.as_ref().map_or(0, |h| h.value_at_quantile(quantile));
            out.push(Comparison {
                candidate: other.name.clone(),
                query: query.name.clone(),
                percentile: label.to_owned(),
                baseline_us: at(&base_all),
                candidate_us: at(&other_all),
                estimate,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_slowdown_is_slower() {
        let e = compare(
            &[1.0, 1.1, 0.9, 1.0],
            &[3.0, 3.2, 2.9, 3.1],
            Pairing::Interleaved,
            Criteria::default(),
            1,
        )
        .expect("estimate");
        assert_eq!(e.verdict, Verdict::Slower);
        assert!(e.ci_low > 2.5 && e.ci_high < 3.6, "{e:?}");
    }

    #[test]
    fn a_clear_speedup_is_faster() {
        let e = compare(
            &[10.0, 11.0, 9.0],
            &[2.0, 2.1, 1.9],
            Pairing::Interleaved,
            Criteria::default(),
            2,
        )
        .expect("estimate");
        assert_eq!(e.verdict, Verdict::Faster);
    }

    #[test]
    fn small_or_inconsistent_differences_are_no_change() {
        let small = compare(
            &[1.0, 1.0, 1.0],
            &[1.03, 1.02, 1.04],
            Pairing::Interleaved,
            Criteria::default(),
            3,
        )
        .expect("estimate");
        assert_eq!(
            small.verdict,
            Verdict::NoChange,
            "below the noise threshold"
        );
        let noisy = compare(
            &[1.0, 1.0, 1.0, 1.0],
            &[1.5, 0.6, 1.4, 0.7],
            Pairing::Interleaved,
            Criteria::default(),
            4,
        )
        .expect("estimate");
        assert_eq!(
            noisy.verdict,
            Verdict::NoChange,
            "not significant: {noisy:?}"
        );
    }

    #[test]
    fn independent_runs_compare_their_rounds_as_samples() {
        let slower = compare(
            &[1.0, 1.05, 0.95],
            &[2.0, 2.1, 1.9],
            Pairing::Independent,
            Criteria::default(),
            6,
        )
        .expect("estimate");
        assert_eq!(slower.verdict, Verdict::Slower, "{slower:?}");
        assert!((slower.ratio - 2.0).abs() < 0.05, "{slower:?}");
        let same = compare(
            &[1.0, 1.1, 0.9],
            &[1.05, 0.92, 1.02],
            Pairing::Independent,
            Criteria::default(),
            7,
        )
        .expect("estimate");
        assert_eq!(same.verdict, Verdict::NoChange, "{same:?}");
    }

    #[test]
    fn an_interval_reaching_into_the_noise_band_is_no_change() {
        let e = compare(
            &[1.0, 1.0, 1.0, 1.0],
            &[1.02, 1.10, 1.04, 1.12],
            Pairing::Interleaved,
            Criteria::default(),
            8,
        )
        .expect("estimate");
        assert!(e.ratio > 1.05 && e.p_value < 0.05, "{e:?}");
        assert!(e.ci_low < 1.05, "{e:?}");
        assert_eq!(e.verdict, Verdict::NoChange);
    }

    #[test]
    fn fewer_than_three_rounds_never_decide() {
        for (b, c) in [(&[1.0][..], &[5.0][..]), (&[1.0, 1.1][..], &[5.0, 5.5][..])] {
            let e = compare(b, c, Pairing::Interleaved, Criteria::default(), 5).expect("estimate");
            assert_eq!(e.verdict, Verdict::NoChange, "{e:?}");
        }
    }

    #[test]
    fn few_rounds_get_a_wider_interval() {
        assert!(expanded_alpha(0.05, 3) < 0.001);
        let many = expanded_alpha(0.05, 30);
        assert!(many > 0.03 && many < 0.05, "{many}");
    }
}

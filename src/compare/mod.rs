//! Verdicts the way criterion decides them: a change counts only when it is
//! both larger than a noise threshold and statistically significant, with a
//! confidence interval bootstrapped over interleaved rounds.

use rand::RngExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::seed::rng::cell_rng;

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
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided bootstrap p-value of "no difference".
    pub p_value: f64,
    pub verdict: Verdict,
}

/// Compares paired per-round values (latencies: lower is better). Rounds
/// are paired because candidates ran interleaved, so drift in the machine's
/// speed falls on both sides of each pair.
pub fn compare(
    baseline: &[f64],
    candidate: &[f64],
    criteria: Criteria,
    seed: u64,
) -> Option<Estimate> {
    let logs: Vec<f64> = baseline
        .iter()
        .zip(candidate)
        .filter(|(b, c)| **b > 0.0 && **c > 0.0)
        .map(|(b, c)| (c / b).ln())
        .collect();
    if logs.is_empty() {
        return None;
    }
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let point = mean(&logs);
    let mut rng = cell_rng(seed);
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            (0..logs.len())
                .map(|_| logs[rng.random_range(0..logs.len())])
                .sum::<f64>()
                / logs.len() as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((means.len() - 1) as f64 * q).round() as usize];
    let below = means.iter().filter(|m| **m <= 0.0).count() as f64 / means.len() as f64;
    let above = means.iter().filter(|m| **m >= 0.0).count() as f64 / means.len() as f64;
    let p_value = (2.0 * below.min(above)).min(1.0);
    let ratio = point.exp();
    let significant = p_value < criteria.significance && logs.len() > 1;
    let verdict = if significant && ratio > 1.0 + criteria.noise_threshold {
        Verdict::Slower
    } else if significant && ratio < 1.0 / (1.0 + criteria.noise_threshold) {
        Verdict::Faster
    } else {
        Verdict::NoChange
    };
    Some(Estimate {
        ratio,
        ci_low: at(0.025).exp(),
        ci_high: at(0.975).exp(),
        p_value,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_slowdown_is_slower() {
        let e = compare(
            &[1.0, 1.1, 0.9, 1.0],
            &[3.0, 3.2, 2.9, 3.1],
            Criteria::default(),
            1,
        )
        .expect("estimate");
        assert_eq!(e.verdict, Verdict::Slower);
        assert!(e.ci_low > 2.5 && e.ci_high < 3.6, "{e:?}");
    }

    #[test]
    fn a_clear_speedup_is_faster() {
        let e = compare(&[10.0, 11.0, 9.0], &[2.0, 2.1, 1.9], Criteria::default(), 2)
            .expect("estimate");
        assert_eq!(e.verdict, Verdict::Faster);
    }

    #[test]
    fn small_or_inconsistent_differences_are_no_change() {
        let small = compare(
            &[1.0, 1.0, 1.0],
            &[1.03, 1.02, 1.04],
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
    fn one_round_is_never_significant() {
        let e = compare(&[1.0], &[5.0], Criteria::default(), 5).expect("estimate");
        assert_eq!(e.verdict, Verdict::NoChange);
    }
}

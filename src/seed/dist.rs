//! Sampling the integer distributions of scenario files.

use rand::{Rng, RngExt};
use rand_distr::{Distribution as _, Exp, Normal, Zipf};

use crate::scenario::spec::Distribution;

/// A distribution ready to sample (parameters checked at validation).
#[derive(Debug, Clone)]
pub enum Dist {
    Fixed(u64),
    Uniform(u64, u64),
    Normal(Normal<f64>, u64, u64),
    Exponential(Exp<f64>, u64),
    Zipf(Zipf<f64>),
    Bernoulli(f64),
    Even(f64),
}

impl Dist {
    /// Builds a sampler; `None` only for parameters validation rejects.
    pub fn new(spec: &Distribution) -> Option<Self> {
        Some(match spec {
            Distribution::Fixed { value } => Dist::Fixed(*value),
            Distribution::Uniform { min, max } => Dist::Uniform(*min, *max),
            Distribution::Normal {
                mean,
                stddev,
                min,
                max,
            } => Dist::Normal(
                Normal::new(*mean, *stddev).ok()?,
                min.unwrap_or(0),
                max.unwrap_or(u64::MAX),
            ),
            Distribution::Exponential { mean, max } => {
                Dist::Exponential(Exp::new(1.0 / mean).ok()?, max.unwrap_or(u64::MAX))
            }
            Distribution::Zipf { max, exponent } => {
                Dist::Zipf(Zipf::new(*max as f64, *exponent).ok()?)
            }
            Distribution::Bernoulli { p } => Dist::Bernoulli(*p),
            Distribution::Even { mean } => Dist::Even(*mean),
        })
    }

    /// The count for parent row `parent` (only `even` looks at it).
    pub fn count<R: Rng + ?Sized>(&self, parent: u64, rng: &mut R) -> u64 {
        match self {
            Dist::Even(mean) => {
                let upto = |n: u64| (n as f64 * mean).floor() as u64;
                upto(parent + 1) - upto(parent)
            }
            _ => self.sample(rng),
        }
    }

    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        match self {
            Dist::Even(mean) => mean.round() as u64,
            Dist::Fixed(v) => *v,
            Dist::Uniform(lo, hi) => rng.random_range(*lo..=*hi),
            Dist::Normal(n, lo, hi) => (n.sample(rng).round().max(0.0) as u64).clamp(*lo, *hi),
            Dist::Exponential(e, hi) => (e.sample(rng).round() as u64).min(*hi),
            Dist::Zipf(z) => z.sample(rng) as u64,
            Dist::Bernoulli(p) => u64::from(rng.random_bool(*p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::rng::cell_rng;

    #[test]
    fn zipf_is_skewed_and_bounded() {
        let d = Dist::new(&Distribution::Zipf {
            max: 100,
            exponent: 1.5,
        })
        .unwrap();
        let mut rng = cell_rng(7);
        let draws: Vec<u64> = (0..10_000).map(|_| d.sample(&mut rng)).collect();
        assert!(draws.iter().all(|v| (1..=100).contains(v)));
        let ones = draws.iter().filter(|v| **v == 1).count();
        let big = draws.iter().filter(|v| **v > 50).count();
        assert!(ones > 3_000, "rank 1 should dominate, got {ones}");
        assert!(big < ones / 10, "the tail should be thin, got {big}");
    }

    #[test]
    fn even_counts_add_up_to_the_mean_exactly() {
        let d = Dist::new(&Distribution::Even { mean: 1.48 }).expect("valid");
        let mut rng = cell_rng(1);
        let counts: Vec<u64> = (0..125).map(|p| d.count(p, &mut rng)).collect();
        assert_eq!(counts.iter().sum::<u64>(), 185);
        assert!(counts.iter().all(|c| [1, 2].contains(c)), "{counts:?}");
        let none = Dist::new(&Distribution::Even { mean: 0.3 }).expect("valid");
        let some: u64 = (0..1000).map(|p| none.count(p, &mut rng)).sum();
        assert_eq!(some, 300);
    }

    #[test]
    fn bernoulli_matches_its_probability() {
        let d = Dist::new(&Distribution::Bernoulli { p: 0.8 }).unwrap();
        let mut rng = cell_rng(9);
        let ones: u64 = (0..10_000).map(|_| d.sample(&mut rng)).sum();
        assert!((7_700..8_300).contains(&ones), "got {ones}");
    }
}

//! A candidate's duets pooled: per phase, each side's percentile over every
//! second it ran beside the other (all rounds), with a paired bootstrap
//! interval; then the phases combined. Pooling estimates even p99 from
//! thousands of requests, where slices holding 500 requests a side left
//! most tails undecided; resampling whole seconds, the *same* seconds on
//! both sides, keeps what a duet is for: interference within a second hits
//! both sides and leaves the ratio alone, and the interval knows it.
//!
//! Phases are estimated apart and combined by inverse variance (a
//! fixed-effect, stratified estimate): a closed-loop and an open-loop phase
//! put a query's latencies at different levels, and one quantile over both
//! wanders with the mix of requests each resample happens to draw (on
//! TaleForge that doubled the p50 intervals).
//!
//! Resampling seconds assumes seconds are independent, and they are not
//! always: a p50 that sits on a cliff between two modes of a latency
//! distribution (fast requests, and requests queued behind the CPU) jumps
//! with how each round's load happened to fall, 0.95x in one round and
//! 4.9x in the next, while each round's own seconds agree. So the rounds
//! are checked against each other: where they scatter more than their
//! intervals allow (Cochran's Q over its degrees of freedom, the Birge
//! ratio), the interval widens by that much. From three rounds on, the
//! scatter is taken around a trend over the rounds, not a constant: the
//! workload's writes grow the data from round to round, and an index's
//! gain grows with it (TaleForge's `feed_index` on `story_feed`: 0.94x,
//! 0.67x, 0.61x in rounds 1-3), which is the run's own steady drift, not
//! noise.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::stats::{LogDifference, moments};
use crate::measure::duet::min_requests;
use crate::results::{Recorded, SecondPair};

/// Resamples per interval: the interval's own Monte Carlo error is then
/// about 2% of its width.
const RESAMPLES: usize = 1000;

/// The resampling stream's seed: fixed, so the same results file always
/// gives the same intervals (a `report` reproduces the run's verdicts).
const RESAMPLE_SEED: u64 = 0x5eed_d0e7;

/// One second of both sides, as (index into the run's values, requests).
struct Sparse {
    baseline: Vec<(usize, u64)>,
    candidate: Vec<(usize, u64)>,
}

/// Running request counts per value of one side.
struct Counts(Vec<u64>);

impl Counts {
    fn add(&mut self, second: &[(usize, u64)]) {
        for &(i, n) in second {
            self.0[i] += n;
        }
    }

    /// The index of quantile `q` (the value at rank ⌈q·n⌉, as HDR
    /// histograms read it), if the side holds enough requests for it.
    fn quantile(&self, q: f64) -> Option<usize> {
        let total: u64 = self.0.iter().sum();
        if total < min_requests(q) {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        self.0.iter().position(|&n| {
            seen += n;
            seen >= rank
        })
    }
}

/// The log ratio candidate/baseline of each quantile of `quantiles` over
/// `phases` (per phase, its rounds' seconds), each phase estimated by
/// [`pooled`] and the phases combined by inverse variance; `None` where no
/// phase holds enough requests on both sides. The samples are the seconds.
pub(super) fn log_ratios(
    phases: &[Vec<&[SecondPair]>],
    quantiles: &[f64],
) -> Vec<Option<LogDifference>> {
    let per_phase: Vec<Vec<Option<Pooled>>> = phases
        .iter()
        .map(|rounds| pooled(rounds, quantiles))
        .collect();
    (0..quantiles.len())
        .map(|i| {
            let parts = || per_phase.iter().filter_map(|p| p[i].as_ref());
            let mut d = combine(parts().map(|p| &p.estimate))?;
            let (q, df) = parts().fold((0.0, 0), |(q, df), p| (q + p.spread.0, df + p.spread.1));
            if df > 0 {
                d.se *= (q / df as f64).max(1.0).sqrt();
            }
            Some(d)
        })
        .collect()
}

/// One phase's estimate, and how far its rounds disagree: Cochran's Q and
/// its degrees of freedom (rounds with an estimate of their own, less 1).
struct Pooled {
    estimate: LogDifference,
    spread: (f64, usize),
}

/// Cochran's Q of the rounds' own log ratios `rounds` (round position,
/// value, requests) around their weighted mean (two rounds) or weighted
/// least-squares line over the rounds (three or more), with its degrees of
/// freedom. A round's variance is taken as the pooled one scaled by its
/// share of the requests (`variance` over all `requests`), so no round
/// needs resampling of its own.
fn cochran(rounds: &[(f64, f64, u64)], variance: f64) -> (f64, usize) {
    let requests: u64 = rounds.iter().map(|r| r.2).sum();
    if rounds.len() < 2 || variance <= 0.0 || requests == 0 {
        return (0.0, 0);
    }
    let weight = |n: u64| n as f64 / (variance * requests as f64);
    let sum = |f: &dyn Fn(f64, f64) -> f64| -> f64 {
        rounds.iter().map(|&(x, y, n)| weight(n) * f(x, y)).sum()
    };
    let (w, sx, sy) = (sum(&|_, _| 1.0), sum(&|x, _| x), sum(&|_, y| y));
    let (sxx, sxy) = (sum(&|x, _| x * x), sum(&|x, y| x * y));
    let (slope, parameters) = if rounds.len() >= 3 {
        ((w * sxy - sx * sy) / (w * sxx - sx * sx), 2)
    } else {
        (0.0, 1)
    };
    let intercept = (sy - slope * sx) / w;
    let q = sum(&|x, y| (y - intercept - slope * x).powi(2));
    (q, rounds.len() - parameters)
}

/// The inverse-variance weighted mean of independent estimates. Estimates
/// whose resamples never varied are exact and alone set the mean.
fn combine<'a>(parts: impl Iterator<Item = &'a LogDifference>) -> Option<LogDifference> {
    let parts: Vec<&LogDifference> = parts.collect();
    let samples: usize = parts.iter().map(|p| p.samples).sum();
    let df = samples.saturating_sub(parts.len()).max(1) as f64;
    let exact: Vec<f64> = parts
        .iter()
        .filter(|p| p.se == 0.0)
        .map(|p| p.mean)
        .collect();
    let (mean, se) = if exact.is_empty() {
        let weights: Vec<f64> = parts.iter().map(|p| p.se.powi(-2)).collect();
        let total: f64 = weights.iter().sum();
        let mean = parts
            .iter()
            .zip(&weights)
            .map(|(p, w)| p.mean * w)
            .sum::<f64>()
            / total;
        (mean, total.sqrt().recip())
    } else {
        (exact.iter().sum::<f64>() / exact.len() as f64, 0.0)
    };
    (!parts.is_empty()).then_some(LogDifference {
        mean,
        se,
        df,
        samples,
    })
}

/// Seconds drawn from a round of `seconds`: one fewer (Rao and Wu's
/// rescaled bootstrap). Drawing all `n` shrinks the variance by (n-1)/n in
/// every round; with the 3 to 10 seconds a round's phase holds, that
/// understated the spread of A/A ratios by a third.
fn draws_from(seconds: usize) -> usize {
    seconds.saturating_sub(1).max(1)
}

/// [`log_ratios`] of one phase over `groups` (its seconds in each round),
/// with a bootstrap standard error and the rounds' disagreement.
fn pooled(groups: &[&[SecondPair]], quantiles: &[f64]) -> Vec<Option<Pooled>> {
    // A round of a single second has no spread of its own to resample:
    // every resample would repeat it, and the ratio would read as exact.
    // Such a phase bounds nothing (a busy machine's one slow second once
    // called a 0.63x "faster" with the interval [0.63-0.63]).
    if groups.iter().any(|g| g.len() == 1) {
        return quantiles.iter().map(|_| None).collect();
    }
    let all = || groups.iter().flat_map(|g| g.iter());
    let mut values: Vec<u64> = all()
        .flat_map(|s| s.baseline.0.iter().chain(&s.candidate.0))
        .map(|&(v, _)| v)
        .collect();
    values.sort_unstable();
    values.dedup();
    let sparse = |side: &Recorded| -> Vec<(usize, u64)> {
        side.0
            .iter()
            .filter_map(|&(v, n)| values.binary_search(&v).ok().map(|i| (i, n)))
            .collect()
    };
    let groups: Vec<Vec<Sparse>> = groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|s| Sparse {
                    baseline: sparse(&s.baseline),
                    candidate: sparse(&s.candidate),
                })
                .collect()
        })
        .collect();
    let seconds: usize = groups.iter().map(Vec::len).sum();
    let (mut base, mut cand) = (Counts(vec![0; values.len()]), Counts(vec![0; values.len()]));
    let log_ratio = |base: &Counts, cand: &Counts, q: f64| -> Option<f64> {
        let (b, c) = (base.quantile(q)?, cand.quantile(q)?);
        Some((values[c] as f64 / values[b] as f64).ln())
    };
    // Each round on its own: its position, log ratio and requests.
    let mut rounds: Vec<Vec<(f64, f64, u64)>> = vec![Vec::new(); quantiles.len()];
    for (position, group) in groups.iter().enumerate() {
        let (mut b, mut c) = (Counts(vec![0; values.len()]), Counts(vec![0; values.len()]));
        for s in group {
            b.add(&s.baseline);
            c.add(&s.candidate);
        }
        let requests = b.0.iter().chain(&c.0).sum();
        for (rounds, &q) in rounds.iter_mut().zip(quantiles) {
            rounds.extend(log_ratio(&b, &c, q).map(|y| (position as f64, y, requests)));
        }
        for (total, part) in [(&mut base, b), (&mut cand, c)] {
            for (t, p) in total.0.iter_mut().zip(part.0) {
                *t += p;
            }
        }
    }
    let points: Vec<Option<f64>> = quantiles
        .iter()
        .map(|&q| log_ratio(&base, &cand, q))
        .collect();
    if points.iter().all(Option::is_none) {
        return points.iter().map(|_| None).collect();
    }
    let mut rng = Pcg64Mcg::seed_from_u64(RESAMPLE_SEED);
    let mut draws: Vec<Vec<f64>> = vec![Vec::with_capacity(RESAMPLES); quantiles.len()];
    for _ in 0..RESAMPLES {
        base.0.fill(0);
        cand.0.fill(0);
        for group in &groups {
            for _ in 0..draws_from(group.len()) {
                let s = &group[rng.random_range(0..group.len())];
                base.add(&s.baseline);
                cand.add(&s.candidate);
            }
        }
        for (draws, &q) in draws.iter_mut().zip(quantiles) {
            draws.extend(log_ratio(&base, &cand, q));
        }
    }
    points
        .into_iter()
        .zip(draws)
        .zip(rounds)
        .map(|((point, draws), rounds)| {
            let mean = point?;
            // Resamples too thin for the percentile are no estimate; if
            // many are, the spread of the rest would understate it.
            if draws.len() < RESAMPLES * 19 / 20 {
                return None;
            }
            let (_, var) = moments(&draws);
            Some(Pooled {
                estimate: LogDifference {
                    mean,
                    se: var.sqrt(),
                    df: seconds.saturating_sub(1) as f64,
                    samples: seconds,
                },
                spread: cochran(&rounds, var),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` seconds, each with `per_second` requests of the baseline at
    /// `base_us` plus a spread, and the candidate at `factor` times that.
    fn duet(n: u64, per_second: u64, factor: f64) -> Vec<SecondPair> {
        (0..n)
            .map(|s| {
                // Each second's latencies move together on both sides, as
                // interference does in a duet.
                let load = 100 + 37 * (s % 7);
                let side = |f: f64| -> Recorded {
                    Recorded(
                        (0..per_second)
                            .map(|i| (((load + i * 3) as f64 * f).round() as u64, 1))
                            .collect(),
                    )
                };
                SecondPair {
                    second: s,
                    baseline: side(1.0),
                    candidate: side(factor),
                }
            })
            .collect()
    }

    #[test]
    fn identical_sides_give_exactly_one_with_no_spread() {
        let seconds = duet(20, 50, 1.0);
        let d = log_ratios(&[vec![&seconds[..]]], &[0.5, 0.99]);
        let p50 = d[0].as_ref().expect("p50");
        assert_eq!((p50.mean, p50.se, p50.samples), (0.0, 0.0, 20));
        // 1000 requests: enough for p99 (500 a side).
        assert_eq!(d[1].as_ref().expect("p99").mean, 0.0);
    }

    #[test]
    fn a_candidate_twice_as_slow_is_two_within_a_narrow_interval() {
        let seconds = duet(30, 40, 2.0);
        // Two rounds of one phase, and one other phase.
        let phases = [vec![&seconds[..10], &seconds[10..20]], vec![&seconds[20..]]];
        let d = log_ratios(&phases, &[0.5, 0.95]);
        for d in d.iter().map(|d| d.as_ref().expect("estimate")) {
            assert!((d.mean.exp() - 2.0).abs() < 0.01, "{}", d.mean.exp());
            assert!(d.se < 0.01, "paired seconds cancel the load: se {}", d.se);
            assert_eq!((d.samples, d.df), (30, 28.0));
        }
    }

    #[test]
    fn too_few_requests_for_a_percentile_give_none_and_results_repeat() {
        let seconds = duet(5, 30, 1.1);
        let first = log_ratios(&[vec![&seconds[..]]], &[0.5, 0.99]);
        // 150 requests a side: p50 yes, p99 (500 a side) no.
        assert!(first[1].is_none());
        let again = log_ratios(&[vec![&seconds[..]]], &[0.5, 0.99]);
        let (a, b) = (
            first[0].as_ref().expect("p50"),
            again[0].as_ref().expect("p50"),
        );
        assert_eq!((a.mean, a.se), (b.mean, b.se), "a fixed resampling seed");
        assert!(a.se > 0.0, "rounding makes the per-second ratios differ");
        assert!(log_ratios(&[], &[0.5]).iter().all(Option::is_none));
    }

    /// Twin sides of one phase: `rounds` rounds of `seconds` seconds with
    /// `per_second` requests each, drawn independently from one law. Each
    /// second's interference scales both sides alike; which requests are
    /// slow differs, as on a real machine.
    fn twins(
        rng: &mut Pcg64Mcg,
        rounds: usize,
        seconds: usize,
        per_second: usize,
    ) -> Vec<Vec<SecondPair>> {
        let side = |load: f64, rng: &mut Pcg64Mcg| -> Recorded {
            let mut values: Vec<(u64, u64)> = (0..per_second)
                .map(|_| {
                    // A skewed service time: 100 µs plus an exponential tail.
                    let tail = -rng.random::<f64>().max(1e-9).ln() * 60.0;
                    (((100.0 + tail) * load / 10.0).round() as u64 * 10, 1)
                })
                .collect();
            values.sort_unstable();
            Recorded(values)
        };
        (0..rounds)
            .map(|_| {
                (0..seconds)
                    .map(|second| {
                        let load = 1.0 + 2.0 * rng.random::<f64>().powi(3);
                        SecondPair {
                            second: second as u64,
                            baseline: side(load, rng),
                            candidate: side(load, rng),
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn rounds_of_one_second_bound_nothing() {
        // Three rounds of one second each: no spread within any round, so
        // no interval (it would read as exact), however many requests.
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        let rounds = twins(&mut rng, 3, 1, 400);
        let groups: Vec<&[SecondPair]> = rounds.iter().map(Vec::as_slice).collect();
        assert!(
            log_ratios(&[groups], &[0.5, 0.99])
                .iter()
                .all(Option::is_none)
        );
        // Two seconds a round are resampled as before.
        let rounds = twins(&mut rng, 3, 2, 400);
        let groups: Vec<&[SecondPair]> = rounds.iter().map(Vec::as_slice).collect();
        assert!(log_ratios(&[groups], &[0.5])[0].is_some());
    }

    #[test]
    fn a_a_intervals_have_their_nominal_width() {
        // Over many A/A duets the squared ratio of each log ratio to its
        // standard error averages 1 when the intervals are honest. Drawing
        // all n seconds of a 3-second round made it 1.23 (p50) and 1.40 (p95);
        // now 0.90 and 0.89 (checking rounds against each other costs a
        // little width where they agree).
        let mut rng = Pcg64Mcg::seed_from_u64(11);
        let mut z2 = [Vec::new(), Vec::new()];
        for _ in 0..150 {
            let rounds = twins(&mut rng, 3, 3, 40);
            let groups: Vec<&[SecondPair]> = rounds.iter().map(Vec::as_slice).collect();
            for (z2, d) in z2.iter_mut().zip(log_ratios(&[groups], &[0.5, 0.95])) {
                let d = d.expect("360 requests a side");
                z2.push((d.mean / d.se).powi(2));
            }
        }
        for (z2, label) in z2.iter().zip(["p50", "p95"]) {
            let mean = z2.iter().sum::<f64>() / z2.len() as f64;
            assert!((0.8..1.2).contains(&mean), "{label}: mean z² {mean}");
        }
    }

    #[test]
    fn rounds_that_disagree_widen_the_interval() {
        // Each round's seconds agree closely, but one round has the
        // candidate level with the baseline and the other twice as slow.
        let (level, slow) = (duet(10, 40, 1.0), duet(10, 40, 2.0));
        let d = log_ratios(&[vec![&level[..], &slow[..]]], &[0.5]);
        let d = d[0].as_ref().expect("p50");
        // Q ~ (ln 2)²/2 over a tiny variance, one degree of freedom: the
        // interval spans the two rounds' ratios, not either one alone.
        assert!(d.se > 0.3, "se {}", d.se);
        let agree = log_ratios(&[vec![&slow[..10], &slow[..]]], &[0.5]);
        assert!(agree[0].as_ref().expect("p50").se < 0.01);
    }

    #[test]
    fn cochran_q_weighs_rounds_by_their_requests() {
        // Pooled variance 0.01 over 300 requests: the rounds' variances
        // are 0.03 (100 requests) and 0.015 (200).
        let (q, df) = cochran(&[(0.0, 0.0, 100), (1.0, 0.3, 200)], 0.01);
        // Weighted mean 0.2; Q = 0.2²/0.03 + 0.1²/0.015.
        assert!((q - (0.04 / 0.03 + 0.01 / 0.015)).abs() < 1e-9, "{q}");
        assert_eq!(df, 1);
        assert_eq!(cochran(&[(0.0, 0.5, 100)], 0.01), (0.0, 0));
        assert_eq!(cochran(&[(0.0, 0.0, 1), (1.0, 1.0, 1)], 0.0), (0.0, 0));
    }

    #[test]
    fn a_steady_drift_over_rounds_is_not_scatter() {
        // TaleForge's feed_index on story_feed: the gain grows round by
        // round as the writes grow the data.
        let drift = [(0.0, -0.06, 100), (1.0, -0.28, 100), (2.0, -0.50, 100)];
        let (q, df) = cochran(&drift, 0.001);
        assert_eq!(df, 1);
        assert!(q < 1e-9, "a straight line leaves nothing: {q}");
        // A jump in one round (a p50 on a cliff) is scatter, trend or not.
        let jump = [(0.0, -0.05, 100), (1.0, 1.58, 100), (2.0, 0.04, 100)];
        let (q, df) = cochran(&jump, 0.001);
        assert!(q / df as f64 > 100.0, "{q}");
    }

    #[test]
    fn a_percentile_most_resamples_cannot_reach_is_no_estimate() {
        // 10 seconds of 51 requests: 510 a side, past p99's 500, but a
        // resample of 9 seconds holds 459.
        let seconds = duet(10, 51, 1.0);
        let d = log_ratios(&[vec![&seconds[..]]], &[0.5, 0.99]);
        assert!(d[0].is_some());
        assert!(
            d[1].is_none(),
            "{:?}",
            d[1].as_ref().map(|d| (d.mean, d.se))
        );
    }

    #[test]
    fn phases_combine_by_inverse_variance() {
        let part = |mean: f64, se: f64| LogDifference {
            mean,
            se,
            df: 9.0,
            samples: 10,
        };
        // Weights 1/0.01 and 1/0.04: 0.8 and 0.2.
        let both = combine([part(0.1, 0.1), part(0.6, 0.2)].iter()).expect("combined");
        assert!((both.mean - 0.2).abs() < 1e-12, "{}", both.mean);
        assert!((both.se - (1.0f64 / 125.0).sqrt()).abs() < 1e-12);
        assert_eq!((both.samples, both.df), (20, 18.0));
        let exact = combine([part(0.3, 0.0), part(0.6, 0.2)].iter()).expect("exact");
        assert_eq!((exact.mean, exact.se), (0.3, 0.0));
        assert!(combine(std::iter::empty()).is_none());
    }
}

//! Few requests, large effect: an exact rank test (Mann-Whitney) of the
//! candidate's requests against the baseline's. A query that takes 9 s a
//! request under the baseline completes three requests in a duet's phase,
//! too few for any percentile's interval; but when every one of the
//! candidate's thousands of requests beats every one of those three by more
//! than the noise threshold, chance alone would order them so once in
//! C(n+m, n) arrangements, and the change is called.

use super::stats::judge;
use crate::measure::duet::min_requests;
use crate::results::{Criteria, Estimate, Latencies, MIN_SAMPLES};

/// The largest table the exact distribution may fill; past it the test
/// is not made (the effect is then too small for a handful of requests to
/// show it anyway).
const MOST_CELLS: usize = 4_000_000;

/// (value, count) of every recorded latency, ascending.
fn recorded(h: &Latencies) -> Vec<(f64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to() as f64, u64::from(v.count_at_value())))
        .collect()
}

/// Pairs (baseline b, candidate c) where `c` scaled by `band` is not
/// below `b`, ties counting a half: 0 when the candidate is faster than
/// the baseline by more than the band on every pair.
fn u_statistic(baseline: &[(f64, u64)], candidate: &[(f64, u64)], band: f64) -> f64 {
    let mut u = 0.0;
    for &(b, nb) in baseline {
        for &(c, nc) in candidate {
            let c = c * band;
            let pairs = (nb * nc) as f64;
            if c > b {
                u += pairs;
            } else if c == b {
                u += pairs / 2.0;
            }
        }
    }
    u
}

/// P(U <= u) with `n` baseline and `m` candidate requests when both come
/// from one distribution: the exact distribution, built from the largest
/// value down (a candidate there adds `n` to U, a baseline value adds
/// nothing). `None` where the table would be too large.
fn lower_tail(n: usize, m: usize, u: usize) -> Option<f64> {
    if u == 0 {
        // One order in C(n+m, n): every candidate value above every
        // baseline one. Any size, in logarithms.
        let ln_choose: f64 = (1..=n.min(m))
            .map(|k| ((n.max(m) + k) as f64).ln() - (k as f64).ln())
            .sum();
        return Some((-ln_choose).exp());
    }
    if (n + 1) * (m + 1) * (u + 1) > MOST_CELLS {
        return None;
    }
    // p[i][j][k]: P(U = k) with i baseline and j candidate values.
    let at = |i: usize, j: usize, k: usize| (i * (m + 1) + j) * (u + 1) + k;
    let mut p = vec![0.0f64; (n + 1) * (m + 1) * (u + 1)];
    for i in 0..=n {
        for j in 0..=m {
            if i == 0 || j == 0 {
                p[at(i, j, 0)] = 1.0;
                continue;
            }
            let total = (i + j) as f64;
            for k in 0..=u {
                let baseline_top = p[at(i - 1, j, k)] * i as f64 / total;
                let candidate_top = if k >= i {
                    p[at(i, j - 1, k - i)] * j as f64 / total
                } else {
                    0.0
                };
                p[at(i, j, k)] = baseline_top + candidate_top;
            }
        }
    }
    Some((0..=u).map(|k| p[at(n, m, k)]).sum())
}

/// The candidate against the baseline on all their requests, where the
/// percentiles' own estimates had too few: faster (or slower, the sides
/// swapped) beyond the noise threshold by an exact rank test, its ratio
/// the percentile's over all requests and its range that of every pair of
/// requests. Only where a side holds too few requests for the percentile:
/// below a median's worth, whatever the ranks; past it only when every
/// request of one side beats every request of the other by the noise
/// threshold (then every percentile does, and a rank test of the whole
/// cannot speak for a tail against what it measured). `None` with fewer
/// than [`MIN_SAMPLES`] requests on a side, or enough for the percentile.
pub(super) fn rank_estimate(
    baseline: &Latencies,
    candidate: &Latencies,
    quantile: f64,
    criteria: Criteria,
) -> Option<Estimate> {
    let (n, m) = (baseline.len() as usize, candidate.len() as usize);
    let fewest = n.min(m) as u64;
    if fewest < u64::from(MIN_SAMPLES) || fewest >= min_requests(quantile) {
        return None;
    }
    let (b, c) = (recorded(baseline), recorded(candidate));
    let band = 1.0 + criteria.noise_threshold;
    // One-sided each way, doubled: faster beyond the band, or slower.
    let faster = u_statistic(&b, &c, band);
    let slower = u_statistic(&c, &b, band);
    if fewest >= min_requests(0.5) && faster > 0.0 && slower > 0.0 {
        return None;
    }
    let p = |u: f64, n: usize, m: usize| lower_tail(n, m, u.floor() as usize).unwrap_or(1.0);
    let p_beyond = (2.0 * p(faster, n, m).min(p(slower, m, n))).min(1.0);
    let at = |h: &Latencies| h.value_at_quantile(quantile).max(1) as f64;
    let ratio = at(candidate) / at(baseline);
    let span = |h: &Latencies| (h.min().max(1) as f64, h.max().max(1) as f64);
    let ((b_low, b_high), (c_low, c_high)) = (span(baseline), span(candidate));
    let mut estimate = Estimate {
        ratio,
        ci_low: c_low / b_high,
        ci_high: c_high / b_low,
        p_value: p_beyond,
        p_beyond,
        p_adjusted: 1.0,
        samples: n.min(m) as u32,
        log_se: 0.0,
        df: 0.0,
        detectable: None,
        verdict: crate::results::Verdict::NoChange,
    };
    judge(&mut estimate, p_beyond, 1, criteria);
    Some(estimate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Verdict, new_histogram};

    fn latencies(values: &[u64]) -> Latencies {
        let mut h = new_histogram();
        for &v in values {
            h.record(v).expect("in range");
        }
        h
    }

    #[test]
    fn three_slow_requests_against_thousands_378_times_faster_are_called() {
        // The baseline's count(*) under RLS: 9.4 s a request, three of them.
        let baseline = latencies(&[9_400_000, 9_350_000, 9_520_000]);
        let fast: Vec<u64> = (0..2000).map(|i| 24_000 + (i % 50) * 20).collect();
        let candidate = latencies(&fast);
        let e = rank_estimate(&baseline, &candidate, 0.5, Criteria::default()).expect("ranked");
        assert_eq!(e.verdict, Verdict::Faster, "{e:?}");
        assert!(e.p_beyond < 1e-8, "1 in C(2003, 3) twice: {}", e.p_beyond);
        assert!((1.0 / e.ratio - 378.0).abs() < 10.0, "{}", 1.0 / e.ratio);
        assert!(e.ci_high < 1.0 / 300.0, "every pair faster: {e:?}");
        assert!(e.decidable());
    }

    #[test]
    fn a_tail_too_thin_to_estimate_is_called_only_when_every_request_is_beaten() {
        // 37 baseline requests: a median, but no p99 of their own.
        let slow: Vec<u64> = (0..37).map(|i| 320_000 + i * 1000).collect();
        let fast: Vec<u64> = (0..5000).map(|i| 100 + i % 120).collect();
        let (baseline, candidate) = (latencies(&slow), latencies(&fast));
        let p99 = rank_estimate(&baseline, &candidate, 0.99, Criteria::default()).expect("ranked");
        assert_eq!(p99.verdict, Verdict::Faster, "{p99:?}");
        assert!(rank_estimate(&baseline, &candidate, 0.5, Criteria::default()).is_none());
        // Overlapping sides: the tail is left undecided.
        let mixed: Vec<u64> = (0..5000)
            .map(|i| if i % 50 == 0 { 400_000 } else { 100 })
            .collect();
        assert!(rank_estimate(&baseline, &latencies(&mixed), 0.99, Criteria::default()).is_none());
    }

    #[test]
    fn the_same_few_requests_are_no_change_and_many_are_left_to_the_percentiles() {
        let same = latencies(&[1000, 1100, 1200, 1050]);
        let e = rank_estimate(&same, &same, 0.5, Criteria::default()).expect("ranked");
        assert_eq!(e.verdict, Verdict::NoChange);
        let many = latencies(&[1000; 20]);
        assert!(rank_estimate(&many, &many, 0.5, Criteria::default()).is_none());
        let two = latencies(&[9_000_000, 9_100_000]);
        assert!(rank_estimate(&two, &same, 0.5, Criteria::default()).is_none());
    }

    #[test]
    fn the_exact_tail_matches_counting_arrangements() {
        // n = 2, m = 2: U = 0 in 1 of C(4, 2) = 6 orders, U <= 1 in 2.
        assert!((lower_tail(2, 2, 0).expect("small") - 1.0 / 6.0).abs() < 1e-12);
        assert!((lower_tail(2, 2, 1).expect("small") - 2.0 / 6.0).abs() < 1e-12);
        assert!((lower_tail(2, 2, 4).expect("small") - 1.0).abs() < 1e-12);
    }
}

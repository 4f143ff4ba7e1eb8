//! The statistics under every verdict: log ratios with Student's t
//! intervals (paired over rounds, or Welch's between separate runs), the
//! verdict against a noise threshold, and Holm's correction over a run.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::results::{Criteria, Estimate, MIN_SAMPLES, Verdict};

/// How the rounds of the two sides relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// Candidates of one run: round i of each ran back to back, so drift in
    /// the machine's speed falls on both sides of each pair.
    Interleaved,
    /// Two separate runs (a stored baseline): rounds are independent samples.
    Independent,
}

/// Mean and sample variance.
pub(super) fn moments(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var)
}

/// The log of the ratio, its standard error and degrees of freedom: a
/// paired t on per-round log differences, or Welch's t on two samples.
fn log_difference(baseline: &[f64], candidate: &[f64], pairing: Pairing) -> Option<LogDifference> {
    let ln = |xs: &[f64]| -> Vec<f64> { xs.iter().filter(|x| **x > 0.0).map(|x| x.ln()).collect() };
    match pairing {
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
            let (mean, var) = moments(&logs);
            let n = logs.len() as f64;
            Some(LogDifference {
                mean,
                se: (var / n).sqrt(),
                df: n - 1.0,
                samples: logs.len(),
            })
        }
        Pairing::Independent => {
            let (b, c) = (ln(baseline), ln(candidate));
            if b.is_empty() || c.is_empty() {
                return None;
            }
            let ((mb, vb), (mc, vc)) = (moments(&b), moments(&c));
            let (nb, nc) = (b.len() as f64, c.len() as f64);
            let (wb, wc) = (vb / nb, vc / nc);
            // Welch-Satterthwaite; with no spread at all, the smaller sample's.
            let df = if wb + wc > 0.0 {
                (wb + wc).powi(2) / (wb * wb / (nb - 1.0).max(1.0) + wc * wc / (nc - 1.0).max(1.0))
            } else {
                nb.min(nc) - 1.0
            };
            Some(LogDifference {
                mean: mc - mb,
                se: (wb + wc).sqrt(),
                df,
                samples: b.len().min(c.len()),
            })
        }
    }
}

pub(super) struct LogDifference {
    pub(super) mean: f64,
    pub(super) se: f64,
    pub(super) df: f64,
    pub(super) samples: usize,
}

/// Compares per-sample values (latencies: lower is better) and estimates
/// the ratio candidate/baseline as a geometric mean, with a t interval
/// and p-values over the samples. The verdict is uncorrected until
/// [`correct`] has seen the run's whole family of verdicts.
pub fn compare(
    baseline: &[f64],
    candidate: &[f64],
    pairing: Pairing,
    criteria: Criteria,
) -> Option<Estimate> {
    Some(estimate(
        &log_difference(baseline, candidate, pairing)?,
        criteria,
    ))
}

/// The ratio, its t interval and p-values from a log difference; the
/// verdict uncorrected.
pub(super) fn estimate(d: &LogDifference, criteria: Criteria) -> Estimate {
    let ratio = d.mean.exp();
    let band = 1.0 + criteria.noise_threshold;
    let beyond = d.mean.abs() - band.ln();
    let t = StudentsT::new(0.0, 1.0, d.df).ok().filter(|_| d.se > 0.0);
    let (ci_low, ci_high, p_value, p_beyond) = match &t {
        Some(t) => {
            let half = t.inverse_cdf(1.0 - criteria.significance / 2.0) * d.se;
            let p = 2.0 * (1.0 - t.cdf(d.mean.abs() / d.se));
            let p_beyond = (2.0 * (1.0 - t.cdf(beyond / d.se))).min(1.0);
            ((d.mean - half).exp(), (d.mean + half).exp(), p, p_beyond)
        }
        // One sample, or samples that agree exactly: the point itself.
        None => (
            ratio,
            ratio,
            if d.mean == 0.0 { 1.0 } else { 0.0 },
            if beyond > 0.0 { 0.0 } else { 1.0 },
        ),
    };
    let decidable = d.samples >= MIN_SAMPLES as usize;
    let mut estimate = Estimate {
        ratio,
        ci_low,
        ci_high,
        p_value,
        p_beyond: if decidable { p_beyond } else { 1.0 },
        p_adjusted: 1.0,
        samples: d.samples as u32,
        log_se: d.se,
        df: d.df,
        detectable: None,
        verdict: Verdict::NoChange,
    };
    let uncorrected = estimate.p_beyond;
    judge(&mut estimate, uncorrected, 1, criteria);
    estimate
}

/// Sets the verdict from an (adjusted) p-value of "within the noise
/// threshold", and the smallest slowdown `family` tests could have called.
/// Below the significance the whole interval lies beyond the threshold:
/// stricter than "significant and a large point estimate", because a false
/// alarm costs users more than a late one.
pub(super) fn judge(e: &mut Estimate, p_adjusted: f64, family: usize, criteria: Criteria) {
    let band = 1.0 + criteria.noise_threshold;
    let decidable = e.decidable();
    e.p_adjusted = p_adjusted;
    // The interval at the level the corrected test is made: it lies
    // beyond the noise threshold exactly when the verdict is called, so
    // the interval printed is the one that decided.
    if let Some(t) = StudentsT::new(0.0, 1.0, e.df)
        .ok()
        .filter(|_| e.log_se > 0.0 && e.p_beyond > 0.0 && p_adjusted > 0.0)
    {
        let level = criteria.significance * (e.p_beyond / p_adjusted).min(1.0);
        let half = t.inverse_cdf(1.0 - level / 2.0) * e.log_se;
        let mean = e.ratio.ln();
        (e.ci_low, e.ci_high) = ((mean - half).exp(), (mean + half).exp());
    }
    e.verdict = if decidable && p_adjusted < criteria.significance {
        if e.ratio > 1.0 {
            Verdict::Slower
        } else {
            Verdict::Faster
        }
    } else if e.ratio > band || e.ratio < 1.0 / band {
        Verdict::Inconclusive
    } else {
        Verdict::NoChange
    };
    // Bonferroni's level bounds what Holm needs at any rank.
    let level = criteria.significance / family.max(1) as f64;
    e.detectable = decidable.then(|| {
        StudentsT::new(0.0, 1.0, e.df).ok().map_or(band, |t| {
            (band.ln() + t.inverse_cdf(1.0 - level / 2.0) * e.log_se).exp()
        })
    });
}

/// Holm's step-down correction over one family of verdicts (every latency
/// verdict of a run, or every work verdict): the chance of any false
/// "faster" or "slower" in the family stays below the significance. Holm
/// rather than Benjamini-Hochberg because a gate that fails a build must
/// not cry wolf even once in twenty runs (family-wise error, not a false
/// discovery rate); it is never less powerful than Bonferroni. Estimates
/// with too few samples to decide are tests never made: they leave the
/// family, so they cost the others no power.
pub fn correct<'a>(family: impl IntoIterator<Item = &'a mut Estimate>, criteria: Criteria) {
    let mut family: Vec<&mut Estimate> = family.into_iter().filter(|e| e.decidable()).collect();
    let m = family.len();
    family.sort_by(|a, b| a.p_beyond.total_cmp(&b.p_beyond));
    let mut running: f64 = 0.0;
    for (rank, e) in family.into_iter().enumerate() {
        running = running.max(((m - rank) as f64 * e.p_beyond).min(1.0));
        judge(e, running, m, criteria);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tested(ratio: f64, p_beyond: f64) -> Estimate {
        Estimate {
            ratio,
            p_beyond,
            samples: 5,
            log_se: 0.02,
            df: 4.0,
            ..Estimate::default()
        }
    }

    #[test]
    fn holm_keeps_a_clear_change_and_drops_a_marginal_one_among_many() {
        let mut family = vec![tested(1.5, 1e-6), tested(1.2, 0.01), tested(0.8, 0.03)];
        family.extend((0..17).map(|_| tested(1.01, 0.9)));
        correct(family.iter_mut(), Criteria::default());
        assert_eq!(family[0].verdict, Verdict::Slower);
        assert!((family[0].p_adjusted - 20e-6).abs() < 1e-12);
        // Alone each would be called; among 20 they cannot be.
        assert_eq!(family[1].verdict, Verdict::Inconclusive);
        assert!((family[1].p_adjusted - 0.19).abs() < 1e-12);
        assert_eq!(family[2].verdict, Verdict::Inconclusive);
        assert!((family[2].p_adjusted - 0.54).abs() < 1e-12, "18 x 0.03");
        assert!(family[3..].iter().all(|e| e.verdict == Verdict::NoChange));
        let alone = |e: Estimate| {
            let mut one = [e];
            correct(one.iter_mut(), Criteria::default());
            one[0]
        };
        assert_eq!(alone(tested(1.2, 0.01)).verdict, Verdict::Slower);
        assert_eq!(alone(tested(0.8, 0.03)).verdict, Verdict::Faster);
    }

    #[test]
    fn the_interval_printed_is_the_one_that_decides_after_correction() {
        let criteria = Criteria::default();
        let band = 1.0 + criteria.noise_threshold;
        let mut family: Vec<Estimate> = (0..12)
            .filter_map(|i| {
                let shift = 1.0 + 0.03 * i as f64;
                let base = [1.0, 1.1, 0.9, 1.0, 1.05];
                let cand: Vec<f64> = base
                    .iter()
                    .enumerate()
                    .map(|(k, b)| b * shift * (1.0 + 0.02 * (k as f64 - 2.0)))
                    .collect();
                compare(&base, &cand, Pairing::Interleaved, criteria)
            })
            .collect();
        correct(family.iter_mut(), criteria);
        let mut called = 0;
        for e in &family {
            let beyond = e.ci_low > band || e.ci_high < 1.0 / band;
            let decided = matches!(e.verdict, Verdict::Faster | Verdict::Slower);
            assert_eq!(beyond, decided, "{e:?}");
            called += usize::from(decided);
        }
        assert!(called > 0 && called < family.len(), "{called} called");
    }

    #[test]
    fn the_detectable_change_grows_with_noise_and_family_size() {
        let one = compare(
            &[1.0, 1.0, 1.0, 1.0],
            &[1.0, 1.02, 0.98, 1.0],
            Pairing::Interleaved,
            Criteria::default(),
        )
        .expect("estimate");
        let alone = one.detectable.expect("decidable");
        assert!(alone > 1.05, "never below the noise threshold: {alone}");
        let mut many = vec![one; 30];
        correct(many.iter_mut(), Criteria::default());
        assert!(many[0].detectable.expect("decidable") > alone);
        let few = compare(
            &[1.0, 1.0],
            &[2.0, 2.0],
            Pairing::Interleaved,
            Criteria::default(),
        )
        .expect("estimate");
        assert_eq!(few.detectable, None, "two samples decide nothing");
        assert_eq!(few.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn a_clear_slowdown_is_slower() {
        let e = compare(
            &[1.0, 1.1, 0.9, 1.0],
            &[3.0, 3.2, 2.9, 3.1],
            Pairing::Interleaved,
            Criteria::default(),
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
        )
        .expect("estimate");
        assert_eq!(slower.verdict, Verdict::Slower, "{slower:?}");
        assert!((slower.ratio - 2.0).abs() < 0.05, "{slower:?}");
        let same = compare(
            &[1.0, 1.1, 0.9],
            &[1.05, 0.92, 1.02],
            Pairing::Independent,
            Criteria::default(),
        )
        .expect("estimate");
        assert_eq!(same.verdict, Verdict::NoChange, "{same:?}");
    }

    #[test]
    fn an_interval_reaching_into_the_noise_band_is_inconclusive() {
        let e = compare(
            &[1.0; 6],
            &[1.04, 1.07, 1.05, 1.08, 1.06, 1.06],
            Pairing::Interleaved,
            Criteria::default(),
        )
        .expect("estimate");
        assert!(e.ratio > 1.05 && e.p_value < 0.05, "{e:?}");
        assert!(e.ci_low < 1.05, "{e:?}");
        assert_eq!(e.verdict, Verdict::Inconclusive, "never \"no change\"");
    }

    #[test]
    fn fewer_than_three_rounds_never_decide() {
        for (b, c) in [(&[1.0][..], &[5.0][..]), (&[1.0, 1.1][..], &[5.0, 5.5][..])] {
            let e = compare(b, c, Pairing::Interleaved, Criteria::default()).expect("estimate");
            assert_eq!(e.verdict, Verdict::Inconclusive, "{e:?}");
        }
        let e =
            compare(&[1.0], &[1.01], Pairing::Interleaved, Criteria::default()).expect("estimate");
        assert_eq!(e.verdict, Verdict::NoChange, "{e:?}");
    }

    #[test]
    fn an_empty_round_is_skipped_without_shifting_the_pairs() {
        // Round 2 of the candidate saw no request: rounds 1 and 3 pair as
        // they ran, and two pairs cannot decide.
        let e = compare(
            &[1.0, 1.0, 1.0],
            &[2.0, 0.0, 2.0],
            Pairing::Interleaved,
            Criteria::default(),
        )
        .expect("estimate");
        assert!((e.ratio - 2.0).abs() < 1e-9, "{e:?}");
        assert_eq!(e.verdict, Verdict::Inconclusive, "{e:?}");
    }

    #[test]
    fn three_rounds_leaning_the_same_way_by_chance_are_inconclusive() {
        // From an A/A run on a busy CI machine: every round's p95 happened
        // to be higher on one side. Three rounds cannot tell that from a
        // change; an interval bounded by the extremes called it slower.
        let e = compare(
            &[234.0, 240.0, 228.0],
            &[256.0, 370.0, 500.0],
            Pairing::Interleaved,
            Criteria::default(),
        )
        .expect("estimate");
        assert!(e.ci_low < 1.0 && e.ci_high > 2.5, "{e:?}");
        assert_eq!(e.verdict, Verdict::Inconclusive);
        assert!(e.p_value > 0.05, "{e:?}");
    }

    #[test]
    fn the_interval_is_students_t_on_log_ratios() {
        // Paired log ratios ln 2 +- 0.1: mean ln 2, sd 0.1, t(2, 0.975) = 4.303.
        let (b, c) = (
            [1.0, 1.0, 1.0],
            [2.0 * 0.1f64.exp(), 2.0, 2.0 * (-0.1f64).exp()],
        );
        let e = compare(&b, &c, Pairing::Interleaved, Criteria::default()).expect("estimate");
        let half = 4.302_652_7 * 0.1 / 3f64.sqrt();
        assert!((e.ratio - 2.0).abs() < 1e-9, "{e:?}");
        assert!((e.ci_low - 2.0 * (-half).exp()).abs() < 1e-6, "{e:?}");
        assert!((e.ci_high - 2.0 * half.exp()).abs() < 1e-6, "{e:?}");
    }
}

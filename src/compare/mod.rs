//! Verdicts in the spirit of criterion: a change counts only when its whole
//! confidence interval lies beyond a noise threshold.
//!
//! Duets pool their seconds and bootstrap them in pairs ([`pooled`]).
//! Rounds are few (3 by default), so their interval is Student's t on the
//! log ratios: a bootstrap over three rounds can never reach past their
//! extremes, and would call a change whenever all three happened to lean
//! the same way (one time in four under pure noise).

mod pooled;

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::measure::duet::min_requests;
use crate::results::{
    CandidateResult, Comparison, Criteria, Estimate, Latencies, MIN_SAMPLES, SecondPair, Verdict,
    WorkComparison, new_histogram,
};

/// The default noise threshold between separate runs (a stored baseline):
/// their machines drift more than interleaved rounds do; A/A runs here
/// drifted up to 15% at the p50 of a 0.2 ms query.
pub const ACROSS_RUNS_NOISE: f64 = 0.20;

/// The noise threshold of work verdicts: shared buffers per call of the
/// same requests barely move between rounds, but not to zero: in 20 duet
/// A/A runs of TaleForge the interval's near edge reached 5.1% past 1.0
/// (inserts with random UUID keys split index pages differently on each
/// copy; reads of rows other requests write drift alike), and 2% made
/// false calls in 2 of them. 5% still calls a dropped index or a policy
/// that adds a lookup per row many times over.
pub const WORK_NOISE: f64 = 0.05;

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
fn moments(xs: &[f64]) -> (f64, f64) {
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

struct LogDifference {
    mean: f64,
    se: f64,
    df: f64,
    samples: usize,
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
fn estimate(d: &LogDifference, criteria: Criteria) -> Estimate {
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
fn judge(e: &mut Estimate, p_adjusted: f64, family: usize, criteria: Criteria) {
    let band = 1.0 + criteria.noise_threshold;
    let decidable = e.decidable();
    e.p_adjusted = p_adjusted;
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

/// Which phases of `base` to compare `other` with: a baseline that ran
/// beside each candidate in turn (duets) is compared on the phases it ran
/// beside `other`; otherwise (alone, or a stored run) on all of them.
fn beside<'a>(base: &CandidateResult, other: &'a CandidateResult) -> Option<&'a str> {
    base.phases
        .iter()
        .any(|p| p.partner.as_deref() == Some(&other.name))
        .then_some(other.name.as_str())
}

/// Work verdicts use the work threshold at the run's significance.
fn work_criteria(significance: f64) -> Criteria {
    Criteria {
        noise_threshold: WORK_NOISE,
        significance,
    }
}

/// Every configuration of `others` against `base`, on latency and on work,
/// each family corrected as a whole ([`correct`]).
pub fn verdicts(
    base: &CandidateResult,
    others: &[CandidateResult],
    pairing: Pairing,
    criteria: Criteria,
) -> (Vec<Comparison>, Vec<WorkComparison>) {
    let mut latency: Vec<Comparison> = others
        .iter()
        .flat_map(|c| comparisons(base, c, pairing, criteria))
        .collect();
    correct(latency.iter_mut().map(|c| &mut c.estimate), criteria);
    let mut work: Vec<WorkComparison> = others
        .iter()
        .flat_map(|c| work_comparisons(base, c, pairing, criteria.significance))
        .collect();
    correct(
        work.iter_mut().map(|c| &mut c.estimate),
        work_criteria(criteria.significance),
    );
    (latency, work)
}

/// The percentiles every comparison covers.
pub const PERCENTILES: [(&str, f64); 3] = [("p50", 0.50), ("p95", 0.95), ("p99", 0.99)];

/// `other` against `base`, per query both ran and per percentile, from the
/// per-round histograms kept in the results.
fn comparisons(
    base: &CandidateResult,
    other: &CandidateResult,
    pairing: Pairing,
    criteria: Criteria,
) -> Vec<Comparison> {
    let mut out = Vec::new();
    let beside = beside(base, other);
    for query in &other.queries {
        let Some(base_query) = base.queries.iter().find(|b| b.name == query.name) else {
            continue;
        };
        let (base_rounds, other_rounds) = (
            base.round_histograms(&query.name, beside),
            other.round_histograms(&query.name, None),
        );
        let base_all = if beside.is_some() {
            merged(&base_rounds)
        } else {
            base_query.histogram.0.clone()
        };
        let other_all = &query.histogram.0;
        // Duets: every second beside the baseline, per phase, pooled.
        let pooled = (!other.duet_seconds.is_empty()).then(|| {
            let mut phases: Vec<(&str, Vec<&[SecondPair]>)> = Vec::new();
            for d in other.duet_seconds.iter().filter(|d| d.query == query.name) {
                match phases.iter_mut().find(|(name, _)| *name == d.phase) {
                    Some((_, rounds)) => rounds.push(&d.seconds),
                    None => phases.push((&d.phase, vec![&d.seconds])),
                }
            }
            let phases: Vec<Vec<&[SecondPair]>> = phases.into_iter().map(|(_, r)| r).collect();
            pooled::log_ratios(&phases, &PERCENTILES.map(|(_, q)| q))
        });
        for (i, (label, quantile)) in PERCENTILES.into_iter().enumerate() {
            let need = min_requests(quantile);
            let values = |rounds: &[Latencies]| -> Vec<f64> {
                // A round too thin for the percentile, or empty, stays in
                // place as 0, which pairing skips: dropping it would pair
                // round i of one side with i+1 of the other.
                rounds
                    .iter()
                    .map(|h| {
                        if h.len() >= need {
                            h.value_at_quantile(quantile) as f64
                        } else {
                            0.0
                        }
                    })
                    .collect()
            };
            let estimate = match &pooled {
                Some(pooled) => pooled[i].as_ref().map(|d| estimate(d, criteria)),
                None => compare(
                    &values(&base_rounds),
                    &values(&other_rounds),
                    pairing,
                    criteria,
                ),
            };
            let at = |h: &Latencies| h.value_at_quantile(quantile);
            let (baseline_us, candidate_us) = (at(&base_all), at(other_all));
            // Too few requests for any sample: the whole run's ratio, undecided.
            let Some(estimate) = estimate.or_else(|| {
                (baseline_us > 0 && candidate_us > 0).then(|| {
                    let ratio = candidate_us as f64 / baseline_us as f64;
                    let mut e = Estimate {
                        ratio,
                        ci_low: ratio,
                        ci_high: ratio,
                        p_value: 1.0,
                        ..Estimate::default()
                    };
                    judge(&mut e, 1.0, 1, criteria);
                    e
                })
            }) else {
                continue;
            };
            out.push(Comparison {
                candidate: other.name.clone(),
                query: query.name.clone(),
                percentile: label.to_owned(),
                baseline_us,
                candidate_us,
                estimate,
            });
        }
    }
    out
}

/// One histogram of several.
fn merged(parts: &[Latencies]) -> Latencies {
    let mut all = new_histogram();
    for part in parts {
        let _ = all.add(part);
    }
    all
}

/// `other` against `base` on the server's work, per query both measured:
/// buffers per call over the rounds, paired as latency is.
fn work_comparisons(
    base: &CandidateResult,
    other: &CandidateResult,
    pairing: Pairing,
    significance: f64,
) -> Vec<WorkComparison> {
    let criteria = work_criteria(significance);
    let mut out = Vec::new();
    let beside = beside(base, other);
    for work in &other.work {
        let Some(base_work) = base.work.iter().find(|b| b.query == work.query) else {
            continue;
        };
        let (Some(b), Some(c)) = (base_work.buffers_per_call(), work.buffers_per_call()) else {
            continue;
        };
        // Rounds without calls stay in place as 0, which pairing skips.
        let Some(estimate) = compare(
            &base_work.round_buffers(beside),
            &work.round_buffers(None),
            pairing,
            criteria,
        ) else {
            continue;
        };
        out.push(WorkComparison {
            candidate: other.name.clone(),
            query: work.query.clone(),
            baseline_buffers_per_call: b,
            candidate_buffers_per_call: c,
            baseline_rows_per_call: base_work.rows_per_call().unwrap_or(0.0),
            candidate_rows_per_call: work.rows_per_call().unwrap_or(0.0),
            estimate,
        });
    }
    out
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

    fn work(name: &str, per_round: &[(i64, i64)]) -> CandidateResult {
        let text = format!(
            r#"{{"name":"{name}","description":"","database":"d","cost":{{"ddl_seconds":0,"vacuum_analyze_seconds":0,"database_bytes":0,"relations":[]}},
               "phases":[],"queries":[],"plans":[],"statements":[],"index_usage":[],"unused_new_indexes":[]}}"#
        );
        let mut c: CandidateResult = serde_json::from_str(&text).expect("candidate");
        c.work = vec![crate::results::QueryWork {
            query: "q".into(),
            rounds: per_round
                .iter()
                .enumerate()
                .map(|(i, (calls, blocks))| crate::results::WorkRound {
                    round: i as u32 + 1,
                    partner: None,
                    calls: *calls,
                    shared_blks: *blocks,
                    rows: *calls,
                    temp_blks: 0,
                })
                .collect(),
        }];
        c
    }

    #[test]
    fn work_verdicts_call_a_few_percent_of_exact_work() {
        let base = work("baseline", &[(100, 400), (120, 480), (90, 360)]);
        // 3 more buffers per call: 4.75 instead of 4, whatever the calls.
        let more = work("more", &[(80, 380), (130, 617), (100, 475)]);
        let same = work("same", &[(95, 380), (110, 440), (70, 280)]);
        let called = work_comparisons(&base, &more, Pairing::Interleaved, 0.05);
        assert_eq!(called.len(), 1);
        assert_eq!(called[0].estimate.verdict, Verdict::Slower, "{called:?}");
        assert!((called[0].candidate_buffers_per_call - 4.75).abs() < 0.01);
        assert!((called[0].baseline_buffers_per_call - 4.0).abs() < 1e-9);
        let aa = work_comparisons(&base, &same, Pairing::Interleaved, 0.05);
        assert_eq!(aa[0].estimate.verdict, Verdict::NoChange, "{aa:?}");
        assert!((aa[0].estimate.ratio - 1.0).abs() < 1e-9);
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

//! The app as a whole, candidate against baseline: time and work per
//! request of the workload's mix. Each query counts by its share of the
//! baseline's requests, so a query the app runs once in a hundred requests
//! moves the whole by a hundredth of its own change: a 17% dearer insert
//! that is 5% of the mix costs the app less than a 28% cheaper read that
//! is half of it saves.
//!
//! Duets estimate time from their seconds, both sides of the same seconds
//! resampled together (as [`super::pooled`] does for percentiles); rounds
//! and stored runs from each round's means, with Student's t.

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::stats::{LogDifference, Pairing, compare, estimate, moments};
use super::{WORK_NOISE, beside};
use crate::results::{AppComparison, CandidateResult, Criteria, Recorded};

/// Resamples of a duet's seconds, and the stream's fixed seed (the same
/// results file always gives the same interval).
const RESAMPLES: usize = 1000;
const RESAMPLE_SEED: u64 = 0xa_9915;

/// The share of each query in the baseline's requests, by name.
type Mix = Vec<(String, f64)>;

fn mix(base: &CandidateResult) -> Mix {
    let total: u64 = base.queries.iter().map(|q| q.count).sum();
    base.queries
        .iter()
        .filter(|q| q.count > 0)
        .map(|q| (q.name.clone(), q.count as f64 / total.max(1) as f64))
        .collect()
}

/// Per query of the mix, the (sum of µs, requests) of each side.
#[derive(Clone, Copy, Default)]
struct Sums {
    baseline: (f64, u64),
    candidate: (f64, u64),
}

impl Sums {
    fn add(&mut self, other: &Sums) {
        self.baseline.0 += other.baseline.0;
        self.baseline.1 += other.baseline.1;
        self.candidate.0 += other.candidate.0;
        self.candidate.1 += other.candidate.1;
    }
}

fn sum(side: &Recorded) -> (f64, u64) {
    side.0
        .iter()
        .fold((0.0, 0), |(s, n), &(v, k)| (s + v as f64 * k as f64, n + k))
}

/// Time per request of the mix on each side, µs, over queries both sides
/// ran: `None` where no query was.
fn per_request(mix: &Mix, sums: &[Sums]) -> Option<(f64, f64)> {
    let mut sides = (0.0, 0.0);
    let mut any = false;
    for ((_, share), s) in mix.iter().zip(sums) {
        if s.baseline.1 > 0 && s.candidate.1 > 0 {
            sides.0 += share * s.baseline.0 / s.baseline.1 as f64;
            sides.1 += share * s.candidate.0 / s.candidate.1 as f64;
            any = true;
        }
    }
    (any && sides.0 > 0.0 && sides.1 > 0.0).then_some(sides)
}

/// A duet's time per request of the mix, from its seconds: the point
/// estimate over all of them, and a bootstrap of whole seconds within each
/// round's phase. `None` without duet seconds, or where a round's phase
/// holds a single second.
fn duet_time(mix: &Mix, other: &CandidateResult) -> Option<((f64, f64), LogDifference)> {
    // [(round, phase)][second]: per query of the mix.
    let mut groups: BTreeMap<(u32, &str), BTreeMap<u64, Vec<Sums>>> = BTreeMap::new();
    for d in &other.duet_seconds {
        let Some(q) = mix.iter().position(|(name, _)| *name == d.query) else {
            continue;
        };
        let group = groups.entry((d.round, d.phase.as_str())).or_default();
        for s in &d.seconds {
            let second = group
                .entry(s.second)
                .or_insert_with(|| vec![Sums::default(); mix.len()]);
            second[q].add(&Sums {
                baseline: sum(&s.baseline),
                candidate: sum(&s.candidate),
            });
        }
    }
    let groups: Vec<Vec<Vec<Sums>>> = groups
        .into_values()
        .map(|seconds| seconds.into_values().collect())
        .collect();
    // A round's phase of one second has no spread to resample within it:
    // the rounds are then the samples (`round_times`), not its seconds.
    if groups.iter().any(|g| g.len() == 1) {
        return None;
    }
    let total = |pick: &mut dyn FnMut(&[Vec<Sums>]) -> Vec<usize>| -> Vec<Sums> {
        let mut all = vec![Sums::default(); mix.len()];
        for group in &groups {
            for i in pick(group) {
                for (a, s) in all.iter_mut().zip(&group[i]) {
                    a.add(s);
                }
            }
        }
        all
    };
    let point = per_request(mix, &total(&mut |g| (0..g.len()).collect()))?;
    let seconds: usize = groups.iter().map(Vec::len).sum();
    let mut rng = Pcg64Mcg::seed_from_u64(RESAMPLE_SEED);
    let draws: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            let drawn = total(&mut |g| {
                // One fewer than the round holds (Rao and Wu's rescaling).
                (0..g.len().saturating_sub(1).max(1))
                    .map(|_| rng.random_range(0..g.len()))
                    .collect()
            });
            per_request(mix, &drawn).map(|(b, c)| (c / b).ln())
        })
        .collect();
    let (_, var) = moments(&draws);
    Some((
        point,
        LogDifference {
            mean: (point.1 / point.0).ln(),
            se: var.sqrt(),
            df: seconds.saturating_sub(1) as f64,
            samples: seconds,
        },
    ))
}

/// Each round's time per request of the mix on one side, µs (0 for a
/// round that ran no query of the mix: pairing skips it).
fn round_times(mix: &Mix, side: &CandidateResult, beside: Option<&str>) -> Vec<f64> {
    let per_query: Vec<Vec<f64>> = mix
        .iter()
        .map(|(q, _)| {
            side.round_histograms(q, beside)
                .iter()
                .map(|h| if h.is_empty() { 0.0 } else { h.mean() })
                .collect()
        })
        .collect();
    weighed(mix, &per_query)
}

/// Σ share × value per sample, over the queries with a value in it.
fn weighed(mix: &Mix, per_query: &[Vec<f64>]) -> Vec<f64> {
    let samples = per_query.iter().map(Vec::len).max().unwrap_or(0);
    (0..samples)
        .map(|i| {
            mix.iter()
                .zip(per_query)
                .filter_map(|((_, share), values)| values.get(i).map(|v| share * v))
                .sum()
        })
        .collect()
}

/// Each work sample's (round and phase) buffers per call, by query.
type WorkSamples = BTreeMap<String, BTreeMap<String, f64>>;

fn work_samples(mix: &Mix, side: &CandidateResult, beside: Option<&str>) -> WorkSamples {
    let mut out = WorkSamples::new();
    for (q, _) in mix {
        let Some(work) = side.work.iter().find(|w| w.query == *q) else {
            continue;
        };
        for r in work
            .rounds
            .iter()
            .filter(|r| beside.is_none_or(|b| r.partner.as_deref() == Some(b)))
        {
            if let Some(b) = r.buffers_per_call() {
                let key = format!("{}/{}", r.round, r.phase.as_deref().unwrap_or(""));
                out.entry(key).or_default().insert(q.clone(), b);
            }
        }
    }
    out
}

/// Buffers per request of the mix in one sample, over the queries `also`
/// ran in it too: a rare, heavy query one side happened to run in a
/// sample and the other did not (a timed phase ends wherever each side
/// got to) would otherwise count as the other side's saving.
fn sample_work(mix: &Mix, sample: &BTreeMap<String, f64>, also: &BTreeMap<String, f64>) -> f64 {
    mix.iter()
        .filter(|(q, _)| also.contains_key(q))
        .filter_map(|(q, share)| Some(share * sample.get(q)?))
        .sum()
}

/// Buffers per request of the mix over the rounds compared.
fn work_total(mix: &Mix, side: &CandidateResult, beside: Option<&str>) -> f64 {
    mix.iter()
        .filter_map(|(q, share)| {
            let w = side.work.iter().find(|w| w.query == *q)?;
            let rounds = w
                .rounds
                .iter()
                .filter(|r| beside.is_none_or(|b| r.partner.as_deref() == Some(b)));
            let (calls, blocks) = rounds.fold((0, 0), |(c, b), r| (c + r.calls, b + r.shared_blks));
            (calls > 0).then(|| share * blocks as f64 / calls as f64)
        })
        .sum()
}

/// `other` against `base` on the app as a whole; estimates uncorrected
/// until the run's family of app verdicts is ([`super::correct`]).
pub(super) fn app_comparison(
    base: &CandidateResult,
    other: &CandidateResult,
    pairing: Pairing,
    criteria: Criteria,
) -> AppComparison {
    let mix = mix(base);
    let beside = beside(base, other);
    let (sides, latency) = match duet_time(&mix, other) {
        Some((sides, d)) => (sides, Some(estimate(&d, criteria))),
        None => {
            let (b, c) = (
                round_times(&mix, base, beside),
                round_times(&mix, other, None),
            );
            let means = |xs: &[f64]| {
                let kept: Vec<f64> = xs.iter().copied().filter(|x| *x > 0.0).collect();
                if kept.is_empty() {
                    0.0
                } else {
                    moments(&kept).0
                }
            };
            ((means(&b), means(&c)), compare(&b, &c, pairing, criteria))
        }
    };
    let (b, c) = (
        work_samples(&mix, base, beside),
        work_samples(&mix, other, None),
    );
    // Paired by round and phase, over the queries both sides ran in it;
    // separate runs as two samples, each over what it ran.
    let (b, c): (Vec<f64>, Vec<f64>) = match pairing {
        Pairing::Interleaved => b
            .iter()
            .filter_map(|(k, bq)| {
                let cq = c.get(k)?;
                Some((sample_work(&mix, bq, cq), sample_work(&mix, cq, bq)))
            })
            .filter(|(b, c)| *b > 0.0 && *c > 0.0)
            .unzip(),
        Pairing::Independent => {
            let own = |samples: WorkSamples| -> Vec<f64> {
                samples.values().map(|q| sample_work(&mix, q, q)).collect()
            };
            (own(b), own(c))
        }
    };
    let work_criteria = Criteria {
        noise_threshold: WORK_NOISE,
        ..criteria
    };
    AppComparison {
        candidate: other.name.clone(),
        baseline_ms: sides.0 / 1000.0,
        candidate_ms: sides.1 / 1000.0,
        latency,
        baseline_buffers: work_total(&mix, base, beside),
        candidate_buffers: work_total(&mix, other, None),
        work: compare(&b, &c, pairing, work_criteria),
        time_decides: pairing == Pairing::Interleaved,
    }
}

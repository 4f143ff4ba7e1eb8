//! An open-loop phase's arrivals: sent at their intended times apart from
//! the workers, and those never served counted as failed requests.

use std::time::{Duration, Instant};

use rand_distr::{Distribution as _, Exp};

use super::PhaseRun;
use crate::measure::{Outcome, QueryMeasurements};
use crate::results::Shard;
use crate::scenario::workload::Arrivals;
use crate::seed::rng::{cell_rng, combine};

/// The arrival process of an open-loop phase.
#[derive(Debug, Clone, Copy)]
pub(super) struct Schedule {
    /// Of all shards together.
    pub(super) rate: f64,
    pub(super) arrivals: Arrivals,
    pub(super) seed: u64,
    pub(super) shard: Shard,
}

impl Schedule {
    /// Every arrival's offset from the phase's start, in order, whichever
    /// shard sends it: each shard draws the same sequence and sends every
    /// `count`-th, so together they send one process's arrivals.
    fn offsets(self) -> impl Iterator<Item = (u64, Duration)> {
        let mut rng = cell_rng(self.seed);
        let exp = Exp::new(self.rate).ok();
        let mean_gap = 1.0 / self.rate;
        let mut at = 0.0;
        (0..).map(move |n| {
            let this = at;
            at += match (self.arrivals, &exp) {
                (Arrivals::Poisson, Some(exp)) => exp.sample(&mut rng),
                _ => mean_gap,
            };
            (n, Duration::from_secs_f64(this))
        })
    }
}

/// Emits this shard's arrivals at their intended times, apart from the
/// workers; an arrival that finds the backlog full is dropped. Returns the
/// dropped arrivals (number, intended start).
pub(super) async fn schedule(
    run: &PhaseRun,
    tx: async_channel::Sender<(u64, Instant)>,
    schedule: Schedule,
) -> Vec<(u64, Instant)> {
    let started = run.clock().started;
    let mut dropped = Vec::new();
    for (n, offset) in schedule.offsets() {
        if !schedule.shard.owns(n) {
            continue;
        }
        if !run.claim() {
            break;
        }
        let next = started + offset;
        tokio::time::sleep_until(next.into()).await;
        if tx.try_send((n, next)).is_err() {
            dropped.push((n, next));
        }
    }
    dropped
}

/// Arrivals never served count as failed requests of the query each would
/// have sent, their latency the wait from their intended start to the end
/// of the phase (at least: the user was still waiting), so error rates and
/// percentiles see the users a saturated server turned away.
pub(super) fn turned_away(
    run: &PhaseRun,
    measurements: &mut [QueryMeasurements],
    dropped: &[(u64, Instant)],
    end: Instant,
) {
    let outcome = Outcome::Error {
        code: DROPPED.to_owned(),
        message: "arrival never sent: the backlog of arrivals was full (the server or the driver could not keep up)".to_owned(),
    };
    for &(n, intended) in dropped {
        let query = run
            .shared
            .workload
            .query_of(&mut cell_rng(combine(&[run.seed, n])));
        if let Some(m) = measurements.get_mut(query) {
            m.record(
                end.saturating_duration_since(intended),
                Duration::ZERO,
                &outcome,
            );
        }
    }
}

/// The error class of an arrival never served.
pub const DROPPED: &str = "dropped";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_send_every_arrival_of_one_process_once_at_the_same_moment() {
        let one = |shard| Schedule {
            rate: 50.0,
            arrivals: Arrivals::Poisson,
            seed: 7,
            shard,
        };
        let whole: Vec<(u64, Duration)> = one(Shard::default()).offsets().take(30).collect();
        let mut sharded: Vec<(u64, Duration)> = (0..3)
            .flat_map(|index| {
                let shard = Shard { index, count: 3 };
                one(shard)
                    .offsets()
                    .take(30)
                    .filter(move |(n, _)| shard.owns(*n))
            })
            .collect();
        sharded.sort();
        assert_eq!(sharded, whole);
        // Poisson: the gaps vary; uniform: every gap is 1/rate.
        assert!(whole.windows(2).any(|w| w[1].1 - w[0].1 != whole[1].1));
        let fixed = Schedule {
            arrivals: Arrivals::Uniform,
            ..one(Shard::default())
        };
        let gaps: Vec<Duration> = fixed.offsets().take(4).map(|(_, d)| d).collect();
        assert_eq!(gaps[3], Duration::from_secs_f64(3.0 / 50.0));
    }
}

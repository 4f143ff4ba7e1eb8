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

/// Arrivals never sent, counted per query they would have sent and per
/// [`TICK`] of their intended start: memory grows with the phase's length
/// and its queries, not with how many arrivals a saturated server turned
/// away (kept one by one, 20,000 a second cost 30 MB a minute).
pub(super) struct TurnedAway {
    started: Instant,
    /// `counts[query][tick]`: arrivals of `query` intended in that tick.
    counts: Vec<Vec<u32>>,
    total: u64,
}

/// How finely a turned-away arrival's intended start is kept.
const TICK: Duration = Duration::from_millis(10);

impl TurnedAway {
    pub(super) fn new(started: Instant) -> Self {
        Self {
            started,
            counts: Vec::new(),
            total: 0,
        }
    }

    /// Arrival `n`, intended at `intended`, was never sent.
    pub(super) fn add(&mut self, run: &PhaseRun, n: u64, intended: Instant) {
        let query = run
            .shared
            .workload
            .query_of(&mut cell_rng(combine(&[run.seed, n])));
        let tick = (intended.saturating_duration_since(self.started).as_nanos() / TICK.as_nanos())
            as usize;
        if self.counts.len() <= query {
            self.counts.resize_with(query + 1, Vec::new);
        }
        let ticks = &mut self.counts[query];
        if ticks.len() <= tick {
            ticks.resize(tick + 1, 0);
        }
        ticks[tick] += 1;
        self.total += 1;
    }

    pub(super) fn total(&self) -> u64 {
        self.total
    }
}

/// Emits this shard's arrivals at their intended times, apart from the
/// workers; an arrival that finds the backlog full is dropped, and counted
/// in `dropped`.
pub(super) async fn schedule(
    run: &PhaseRun,
    tx: async_channel::Sender<(u64, Instant)>,
    schedule: Schedule,
    dropped: &mut TurnedAway,
) {
    let started = run.clock().started;
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
            dropped.add(run, n, next);
        }
    }
}

/// Arrivals never served count as failed requests of the query each would
/// have sent, their latency the wait from their intended start to the end
/// of the phase (at least: the user was still waiting; the start is taken
/// at the end of its [`TICK`], so the wait is never overstated), so error
/// rates and percentiles see the users a saturated server turned away.
pub(super) fn turned_away(
    measurements: &mut [QueryMeasurements],
    dropped: &TurnedAway,
    end: Instant,
) {
    let outcome = Outcome::Error {
        code: DROPPED.to_owned(),
        message: "arrival never sent: the backlog of arrivals was full (the server or the driver could not keep up)".to_owned(),
    };
    for (query, ticks) in dropped.counts.iter().enumerate() {
        let Some(m) = measurements.get_mut(query) else {
            continue;
        };
        for (tick, &count) in ticks.iter().enumerate() {
            let latest = dropped.started + TICK * (tick as u32 + 1);
            let waited = end.saturating_duration_since(latest);
            for _ in 0..count {
                m.record(waited, Duration::ZERO, &outcome);
            }
        }
    }
}

/// The error class of an arrival never served.
pub const DROPPED: &str = "dropped";

#[cfg(test)]
mod tests {
    use super::*;

    /// Turned-away arrivals keep their count exactly and a wait that is
    /// never longer than the true one (to within a tick).
    #[test]
    fn turned_away_arrivals_count_exactly_and_never_overstate_their_wait() {
        let started = Instant::now();
        let dropped = TurnedAway {
            started,
            counts: vec![vec![2, 0, 1], vec![], vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 4]],
            total: 7,
        };
        let mut measurements = vec![QueryMeasurements::default(); 3];
        turned_away(
            &mut measurements,
            &dropped,
            started + Duration::from_millis(100),
        );
        let counts: Vec<u64> = measurements.iter().map(QueryMeasurements::count).collect();
        assert_eq!(counts, [3, 0, 4]);
        // Intended within [0, 10) ms and [20, 30) ms: waits of 90 and 70 ms
        // at least; the last tick, [90, 100) ms, waited 0 ms at least.
        let latency = &measurements[0].latency;
        assert!(
            latency.equivalent(latency.max(), 90_000),
            "{}",
            latency.max()
        );
        assert!(
            latency.equivalent(latency.min(), 70_000),
            "{}",
            latency.min()
        );
        assert!(measurements[2].latency.max() <= 1, "a microsecond at most");
        assert_eq!(measurements[0].errors[DROPPED].count, 3);
    }

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

//! The driver threads and their workers: each worker a client that sends
//! its requests (closed loop) or takes arrivals off the schedule (open loop).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use super::super::DriveError;
use super::super::session::{Connections, Pools};
use super::{Feed, IDLE_FLUSH, LATE_AFTER, PhaseRun};
use crate::measure::timeline::IntervalRecorder;
use crate::measure::{Outcome, QueryMeasurements, micros};
use crate::seed::rng::{CellRng, cell_rng, combine};

/// A thread's time on a CPU and runnable waiting for one, from Linux's
/// `/proc/thread-self/schedstat` (ns).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ThreadTime {
    pub(super) cpu_ns: u64,
    pub(super) wait_ns: u64,
}

impl ThreadTime {
    /// The calling thread's, or `None` off Linux or without schedstat.
    fn now() -> Option<Self> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
        Some(Self {
            cpu_ns: fields.next()??,
            wait_ns: fields.next()??,
        })
    }

    pub(super) fn add(self, other: Self) -> Self {
        Self {
            cpu_ns: self.cpu_ns + other.cpu_ns,
            wait_ns: self.wait_ns + other.wait_ns,
        }
    }

    /// Share of `threads` threads' `wall` time they were on a CPU or
    /// runnable and waiting for one: 1.0 is saturated.
    pub(super) fn busy(self, threads: usize, wall: Duration) -> f64 {
        (self.cpu_ns + self.wait_ns) as f64 / 1e9 / (threads as f64 * wall.as_secs_f64()).max(1e-9)
    }

    fn since(self, earlier: Self) -> Self {
        Self {
            cpu_ns: self.cpu_ns.saturating_sub(earlier.cpu_ns),
            wait_ns: self.wait_ns.saturating_sub(earlier.wait_ns),
        }
    }
}

/// One driver thread: opens its connections, waits for the others, runs
/// its workers, and returns their merged measurements.
pub(super) fn drive_thread(
    run: Arc<PhaseRun>,
    ready: Arc<Barrier>,
    feed: Feed,
    recorders: Vec<IntervalRecorder>,
    workers: Vec<(u32, u64)>,
) -> Result<(Vec<QueryMeasurements>, Option<ThreadTime>), DriveError> {
    // Whatever fails, the barrier is passed once, or the phase would wait
    // for this thread forever.
    // Sockets and timers only: no signal or child-process driver polled
    // between requests.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ready.wait();
            return Err(DriveError::Threads(e));
        }
    };
    runtime.block_on(async {
        let pools = match Pools::new(&run.shared, workers.len()) {
            Ok(pools) => pools,
            Err(e) => {
                ready.wait();
                return Err(e);
            }
        };
        let opened = pools.open(&run.shared, workers.len()).await;
        ready.wait();
        opened?;
        let start = ThreadTime::now();
        let workers = recorders
            .into_iter()
            .zip(workers)
            .map(|(recorder, (id, seed))| {
                let (run, pools) = (&run, &pools);
                let feed = match &feed {
                    Feed::Closed => None,
                    Feed::Open(rx) => Some(rx.clone()),
                };
                async move {
                    match feed {
                        None => closed_worker(run, pools, recorder, (id, seed)).await,
                        Some(rx) => open_worker(run, pools, recorder, rx, seed).await,
                    }
                }
            });
        let parts = futures_util::future::join_all(workers).await;
        let time = start.zip(ThreadTime::now()).map(|(a, b)| b.since(a));
        Ok((
            run.shared.workload.merge(parts.iter().map(Vec::as_slice)),
            time,
        ))
    })
}

/// One worker's request stream, connections and measurements.
struct Worker<'a> {
    run: &'a PhaseRun,
    pools: &'a Pools,
    recorder: IntervalRecorder,
    rng: CellRng,
    connections: Connections,
    measurements: Vec<QueryMeasurements>,
}

impl<'a> Worker<'a> {
    fn new(run: &'a PhaseRun, pools: &'a Pools, recorder: IntervalRecorder, seed: u64) -> Self {
        Self {
            run,
            pools,
            recorder,
            rng: cell_rng(seed),
            connections: Connections::default(),
            measurements: run.shared.workload.empty_measurements(),
        }
    }

    /// Sends the next request and records it. Latency counts from
    /// `intended` (open loop), so a request that queued is not flattered by
    /// its service time; from its start in a closed loop (`None`). Returns
    /// the query's index and whether the server could not be reached.
    async fn request(&mut self, intended: Option<Instant>) -> (usize, bool) {
        let (query, start, outcome) = self.send().await;
        let end = Instant::now();
        let latency = end.duration_since(intended.unwrap_or(start));
        self.measurements[query].record(latency, end.duration_since(start), &outcome);
        self.recorder
            .record(query, micros(latency), outcome != Outcome::Ok, end);
        let unreachable = matches!(&outcome, Outcome::Error { code, .. } if code == "connection");
        (query, unreachable)
    }

    /// Sends the next request of the sequence: its query, when it started
    /// and how it ended. Unmeasured on its own (catching up to a partner).
    async fn send(&mut self) -> (usize, Instant, Outcome) {
        let shared = &self.run.shared;
        let request = shared.workload.next(&mut self.rng);
        let start = Instant::now();
        let outcome = self.connections.execute(shared, self.pools, &request).await;
        (request.query, start, outcome)
    }
}

/// How long a closed-loop client waits before trying a server it could not
/// reach again: doubling from 10 ms up to 1 s, back to none once a request
/// gets through, as a real client's pool retries. Without it, a restart
/// turned into thousands of failed requests a second per client, counts
/// that measured the client's loop rather than the outage.
#[derive(Debug, Default)]
struct Backoff(Option<Duration>);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MOST: Duration = Duration::from_secs(1);

    /// The wait after a request that could not reach the server.
    fn failed(&mut self) -> Duration {
        let wait = self.0.map_or(Self::FIRST, |w| (w * 2).min(Self::MOST));
        self.0 = Some(wait);
        wait
    }

    fn reached(&mut self) {
        self.0 = None;
    }
}

async fn closed_worker(
    run: &PhaseRun,
    pools: &Pools,
    recorder: IntervalRecorder,
    (id, seed): (u32, u64),
) -> Vec<QueryMeasurements> {
    let mut worker = Worker::new(run, pools, recorder, seed);
    let mut backoff = Backoff::default();
    let mut sent = 0;
    while run.claim() {
        sent += 1;
        let (query, unreachable) = worker.request(None).await;
        if unreachable {
            // Never past the phase's end.
            let wake = Instant::now() + backoff.failed();
            let deadline = run.clock.get().and_then(|c| c.deadline);
            tokio::time::sleep_until(deadline.map_or(wake, |d| wake.min(d)).into()).await;
        } else {
            backoff.reached();
        }
        if let Some(think) = run.shared.workload.queries[query].think {
            tokio::time::sleep(think).await;
        }
    }
    run.measured_until(Instant::now());
    if let Some((level, side)) = &run.level
        && !run.stopped.load(Ordering::Relaxed)
    {
        level.stop(id, *side, sent);
        let owed = level.owed(id, *side, sent).await;
        let until = Instant::now() + level.catch_up;
        for _ in 0..owed {
            if Instant::now() > until || run.stopped.load(Ordering::Relaxed) {
                break;
            }
            worker.send().await;
        }
    }
    worker.measurements
}

async fn open_worker(
    run: &PhaseRun,
    pools: &Pools,
    recorder: IntervalRecorder,
    arrivals: async_channel::Receiver<(u64, Instant)>,
    seed: u64,
) -> Vec<QueryMeasurements> {
    let mut worker = Worker::new(run, pools, recorder, seed);
    loop {
        let (n, intended) = match tokio::time::timeout(IDLE_FLUSH, arrivals.recv()).await {
            Ok(Ok(arrival)) => arrival,
            Ok(Err(_)) => break,
            Err(_) => {
                worker.recorder.tick();
                continue;
            }
        };
        if run.over() {
            break;
        }
        if intended.elapsed() > LATE_AFTER {
            run.late.fetch_add(1, Ordering::Relaxed);
        }
        // The arrival, not the worker that happens to take it, decides the
        // request: both sides of a duet, and one process or N shards, send
        // the same requests.
        worker.rng = cell_rng(combine(&[run.seed, n]));
        worker.request(Some(intended)).await;
    }
    worker.measurements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_server_is_tried_again_ever_more_slowly_until_it_answers() {
        let mut backoff = Backoff::default();
        let waits: Vec<u128> = (0..9).map(|_| backoff.failed().as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.reached();
        assert_eq!(backoff.failed(), Duration::from_millis(10));
    }

    /// Busy counts time on a CPU and time runnable but waiting for one, so
    /// a thread that never sleeps is saturated however loaded the machine
    /// (it waits for a CPU instead of running), and one that sleeps between
    /// short bursts is not. Both spend a fixed budget, never a deadline.
    #[test]
    fn a_spinning_thread_is_busy_and_a_sleeping_one_is_not() {
        let busy = |work: fn()| {
            std::thread::spawn(move || {
                let wall = std::time::Instant::now();
                let start = ThreadTime::now().expect("Linux schedstat");
                work();
                let spent = ThreadTime::now().expect("Linux schedstat").since(start);
                spent.busy(1, wall.elapsed())
            })
            .join()
            .expect("the measuring thread")
        };
        let spinning = busy(|| {
            let start = ThreadTime::now().expect("Linux schedstat");
            // 200 ms of this thread's own CPU, however long that takes.
            while ThreadTime::now().expect("schedstat").since(start).cpu_ns < 200_000_000 {
                std::hint::black_box(0u64);
            }
        });
        let sleeping = busy(|| {
            for _ in 0..20 {
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        assert!(spinning >= 0.9, "{spinning}");
        assert!(sleeping < 0.9, "{sleeping}");
    }
}

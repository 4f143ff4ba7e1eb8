//! Load phases: closed loop (N clients back to back) and open loop (a fixed
//! arrival rate whose schedule lives apart from the workers, with latency
//! counted from each request's intended start, so a stall is never hidden).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use std::sync::{Barrier, OnceLock};

mod arrivals;
mod level;
mod watch;
mod worker;

pub use arrivals::DROPPED;
use arrivals::{Schedule, TurnedAway, schedule, turned_away};
pub use level::Level;
use watch::Watch;
use worker::{ThreadTime, drive_thread};

use super::DriveError;
use super::session::Shared;
use crate::measure::QueryMeasurements;
use crate::measure::timeline::{IntervalRecorder, Second, Timeline};
use crate::results::IntervalPoint;
use crate::results::Shard;
use crate::results::{GeneratorLoad, Offered, PhaseLoad};
use crate::scenario::workload::PhaseSpec;
use crate::seed::rng::combine;

/// An arrival that started this much after its intended time counts as
/// late (above the timer's own millisecond jitter).
pub const LATE_AFTER: Duration = Duration::from_millis(5);
/// How often idle workers ship their interval data.
const IDLE_FLUSH: Duration = Duration::from_millis(250);

/// When a phase stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    After(Duration),
    Transactions(u64),
}

/// One phase, validated and with command-line overrides applied.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub warmup: bool,
    pub stop: Stop,
    pub offered: Offered,
    /// Driver threads at most [default: one per CPU].
    pub threads: Option<u32>,
    /// This process's share of the clients, arrivals and transactions.
    pub shard: Shard,
}

/// Command-line overrides of every phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseOverrides {
    pub duration: Option<Duration>,
    /// Requests of the whole phase, in place of its length.
    pub transactions: Option<u64>,
    pub clients: Option<u32>,
    pub rate: Option<f64>,
    /// Driver threads at most.
    pub threads: Option<u32>,
}

impl Phase {
    /// From a validated phase spec, with overrides.
    pub fn from_spec(spec: &PhaseSpec, overrides: PhaseOverrides) -> Self {
        let stop = match (
            overrides.duration,
            overrides.transactions,
            &spec.duration,
            spec.transactions,
        ) {
            (Some(d), ..) => Stop::After(d),
            (None, Some(n), ..) => Stop::Transactions(n),
            (None, None, Some(d), _) => Stop::After(d.0),
            (None, None, None, n) => Stop::Transactions(n.unwrap_or(1)),
        };
        // `--clients` sets the connections, `--rate` makes any phase open.
        let connections = overrides.clients.unwrap_or(spec.clients);
        let offered = match (spec.offered(), overrides.rate) {
            (Offered::Closed { .. }, None) => Offered::Closed {
                clients: connections,
            },
            (Offered::Closed { .. }, Some(rate)) => Offered::Open {
                rate,
                arrivals: spec.arrivals,
                workers: connections,
            },
            (Offered::Open { rate, arrivals, .. }, faster) => Offered::Open {
                rate: faster.unwrap_or(rate),
                arrivals,
                workers: connections,
            },
        };
        Self {
            name: spec.name.clone(),
            warmup: spec.warmup,
            stop,
            offered,
            threads: overrides.threads,
            shard: Shard::default(),
        }
    }

    /// The phase as the results record it.
    pub fn planned(&self) -> PhaseLoad {
        let (duration_s, transactions) = match self.stop {
            Stop::After(d) => (Some(d.as_secs_f64()), None),
            Stop::Transactions(n) => (None, Some(n)),
        };
        PhaseLoad {
            name: self.name.clone(),
            warmup: self.warmup,
            offered: self.offered,
            duration_s,
            transactions,
        }
    }

    pub fn connections(&self) -> u32 {
        self.offered.connections()
    }
}

/// What a phase measured.
#[derive(Debug, Clone)]
pub struct PhaseOutcome {
    pub phase: Phase,
    pub elapsed: Duration,
    /// Indexed like the workload's queries.
    pub queries: Vec<QueryMeasurements>,
    /// Open loop: arrivals that started later than [`LATE_AFTER`].
    pub late: u64,
    /// Open loop: arrivals never served (backlog full, or left at the end).
    pub dropped: u64,
    pub timeline: Vec<IntervalPoint>,
    /// The phase's seconds as histograms, for pairing with a partner's.
    pub seconds: Vec<Second>,
    /// What driving it cost the generator (Linux only).
    pub generator: Option<GeneratorLoad>,
}

/// Shared state of one running phase.
struct PhaseRun {
    shared: Arc<Shared>,
    /// Set once every driver thread has its connections open.
    clock: OnceLock<Clock>,
    budget: Option<u64>,
    /// The phase's seed: open-loop arrival `n` sends the request it seeds
    /// with `n`, whichever worker (or shard) serves it.
    seed: u64,
    issued: AtomicU64,
    late: AtomicU64,
    /// Set when the phase is abandoned (Ctrl-C drops the run).
    stopped: AtomicBool,
    /// The duet this side ends level with, and which side it is.
    level: Option<(Arc<Level>, usize)>,
    /// When the last worker stopped sending measured requests, µs after
    /// the clock started: the phase's measured length, whatever catching up
    /// to the partner takes after it.
    measured_us: AtomicU64,
}

/// Stops the phase's workers when the phase future is dropped unfinished.
struct StopOnDrop(Arc<PhaseRun>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Relaxed);
    }
}

#[derive(Debug, Clone, Copy)]
struct Clock {
    started: Instant,
    deadline: Option<Instant>,
}

impl PhaseRun {
    fn clock(&self) -> Clock {
        *self.clock.wait()
    }

    /// Past the deadline, or abandoned.
    fn over(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
            || self.clock().deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// A worker sent its last measured request by `now`.
    fn measured_until(&self, now: Instant) {
        let us = now.duration_since(self.clock().started).as_micros();
        self.measured_us.fetch_max(
            u64::try_from(us).unwrap_or(u64::MAX).max(1),
            Ordering::Relaxed,
        );
    }

    /// Claims the right to send one more request.
    fn claim(&self) -> bool {
        if self.over() {
            return false;
        }
        match self.budget {
            Some(max) => self.issued.fetch_add(1, Ordering::Relaxed) < max,
            None => true,
        }
    }
}

/// Who drives a phase: the worker numbers of this shard, spread over
/// `threads` driver threads, each worker with a timeline recorder and, in
/// open loop, the arrivals' queue.
struct Drivers<'a, R> {
    ids: &'a [u32],
    threads: usize,
    recorders: R,
    feed: Option<&'a async_channel::Receiver<(u64, Instant)>>,
}

type DriverResult = Result<(Vec<QueryMeasurements>, Option<ThreadTime>), DriveError>;

/// Starts the driver threads; each passes `ready` once its connections
/// are open.
fn spawn_drivers<R: Fn() -> IntervalRecorder>(
    run: &Arc<PhaseRun>,
    ready: &Arc<Barrier>,
    d: Drivers<'_, R>,
) -> Result<Vec<std::thread::JoinHandle<DriverResult>>, DriveError> {
    let mut handles = Vec::with_capacity(d.threads);
    for t in 0..d.threads {
        let ids: Vec<u32> = d.ids.iter().skip(t).step_by(d.threads).copied().collect();
        let recorders: Vec<IntervalRecorder> = ids.iter().map(|_| (d.recorders)()).collect();
        // The seed alone fixes each worker's sequence: the timeline slot
        // must not, or every round and candidate would send other requests.
        let workers: Vec<(u32, u64)> = ids
            .iter()
            .map(|w| (*w, combine(&[run.seed, u64::from(*w)])))
            .collect();
        let feed = match d.feed {
            Some(rx) => Feed::Open(rx.clone()),
            None => Feed::Closed,
        };
        let (run, ready) = (Arc::clone(run), Arc::clone(ready));
        let handle = std::thread::Builder::new()
            .name(format!("schemabench-driver-{t}"))
            .spawn(move || drive_thread(run, ready, feed, recorders, workers))
            .map_err(DriveError::Threads)?;
        handles.push(handle);
    }
    Ok(handles)
}

/// Open loop: sends the phase's arrivals on schedule until it ends, and
/// returns those never served. At a deadline the workers stop: what is
/// still queued is never sent. With a budget they serve the queue to its
/// end.
async fn offer(
    run: &PhaseRun,
    phase: &Phase,
    tx: async_channel::Sender<(u64, Instant)>,
    rx: async_channel::Receiver<(u64, Instant)>,
) -> TurnedAway {
    let mut dropped = TurnedAway::new(run.clock().started);
    let (rate, arrivals) = match phase.offered {
        Offered::Open { rate, arrivals, .. } => (rate, arrivals),
        Offered::Closed { .. } => return dropped,
    };
    schedule(
        run,
        tx,
        Schedule {
            rate,
            arrivals,
            seed: combine(&[run.seed, 0x5C4E]),
            shard: phase.shard,
        },
        &mut dropped,
    )
    .await;
    if let Stop::After(_) = phase.stop {
        while let Ok((n, intended)) = rx.try_recv() {
            dropped.add(run, n, intended);
        }
    }
    rx.close();
    dropped
}

/// What a driver thread's workers consume.
enum Feed {
    /// Closed loop: each worker sends back to back.
    Closed,
    /// Open loop: workers take arrivals (number, intended start) from the schedule.
    Open(async_channel::Receiver<(u64, Instant)>),
}

/// Waited for once every connection of a phase is open; the phase's clock
/// starts when it resolves (sharded runs start together this way).
pub type Start = std::pin::Pin<Box<dyn Future<Output = Result<(), DriveError>> + Send>>;

/// How a phase runs beside others: what it waits for before its clock
/// starts, and the duet whose two sides end it level (which side it is).
#[derive(Default)]
pub struct Beside {
    pub start: Option<Start>,
    pub level: Option<(Arc<Level>, usize)>,
}

/// Runs one phase (this process's shard of it) to completion; `index` is
/// its slot in the timeline and `seed` fixes its request sequence. The
/// workers run on driver threads (one per core), each a single-threaded
/// runtime with its own connections; the clock starts once every
/// connection is open and `start`, if any, has resolved. Of phases run side
/// by side only one shows a progress bar (`show_progress`).
pub async fn run_phase(
    shared: Arc<Shared>,
    timeline: &Timeline,
    index: usize,
    phase: &Phase,
    seed: u64,
    show_progress: bool,
    beside: Beside,
) -> Result<PhaseOutcome, DriveError> {
    let Beside { start, level } = beside;
    let shard = phase.shard;
    let run = Arc::new(PhaseRun {
        shared,
        clock: OnceLock::new(),
        budget: match phase.stop {
            Stop::Transactions(n) => Some(shard.share(n)),
            Stop::After(_) => None,
        },
        seed,
        issued: AtomicU64::new(0),
        late: AtomicU64::new(0),
        stopped: AtomicBool::new(false),
        level,
        measured_us: AtomicU64::new(0),
    });
    let _stop_on_drop = StopOnDrop(Arc::clone(&run));
    // Workers keep their number across shards: it seeds their requests.
    let ours = shard.clients(phase.connections());
    let workers = ours.len();
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(phase.threads.map_or(usize::MAX, |t| t as usize))
        .min(workers)
        .max(1);
    let queries = run.shared.workload.queries.len();
    let open = match phase.offered {
        Offered::Open { rate, .. } => Some(async_channel::bounded::<(u64, Instant)>(
            ((rate / f64::from(shard.count)).ceil() as usize).max(workers * 4),
        )),
        Offered::Closed { .. } => None,
    };
    let ready = Arc::new(Barrier::new(threads + 1));
    let handles = spawn_drivers(
        &run,
        &ready,
        Drivers {
            ids: &ours,
            threads,
            recorders: || timeline.recorder(index, queries),
            feed: open.as_ref().map(|(_, rx)| rx),
        },
    )?;
    let waiting = Arc::clone(&ready);
    let _ = tokio::task::spawn_blocking(move || waiting.wait()).await;
    if let Some(start) = start {
        // Let the threads go (they wait for the clock) before failing.
        if let Err(e) = start.await {
            run.stopped.store(true, Ordering::Relaxed);
            let _ = run.clock.set(Clock {
                started: Instant::now(),
                deadline: Some(Instant::now()),
            });
            return Err(e);
        }
    }
    let started = Instant::now();
    let _ = run.clock.set(Clock {
        started,
        deadline: match phase.stop {
            Stop::After(d) => Some(started + d),
            Stop::Transactions(_) => None,
        },
    });
    let watch =
        show_progress.then(|| Watch::start(phase, timeline.label(index), timeline, started));
    let dropped = match open {
        Some((tx, rx)) => offer(&run, phase, tx, rx).await,
        None => TurnedAway::new(started),
    };
    let joined = tokio::task::spawn_blocking(move || {
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    })
    .await
    .map_err(DriveError::Join)?;
    let wall = started.elapsed();
    // Requests sent to catch up with a partner are not measured, nor is
    // their time.
    let elapsed = match run.measured_us.load(Ordering::Relaxed) {
        0 => wall,
        us => Duration::from_micros(us).min(wall),
    };
    if let Some(watch) = watch {
        watch.finish(elapsed);
    }
    let mut parts = Vec::new();
    let mut times = Some(ThreadTime::default());
    for part in joined {
        // A driver thread that panicked loses its own samples; the rest count.
        let Ok(part) = part else { continue };
        let (measured, time) = part?;
        parts.push(measured);
        times = times.zip(time).map(|(a, b)| a.add(b));
    }
    let generator = times.map(|t| GeneratorLoad {
        threads: threads as u32,
        cpu_s: t.cpu_ns as f64 / 1e9,
        busy: t.busy(threads, wall),
    });
    let mut measurements = run.shared.workload.merge(parts.iter().map(Vec::as_slice));
    turned_away(&mut measurements, &dropped, started + elapsed);
    let series = timeline.end_phase(index);
    Ok(PhaseOutcome {
        phase: phase.clone(),
        elapsed,
        queries: measurements,
        late: run.late.load(Ordering::Relaxed),
        dropped: dropped.total(),
        timeline: series.points,
        seconds: series.seconds,
        generator,
    })
}

//! Load phases: closed loop (N clients back to back) and open loop (a fixed
//! arrival rate whose schedule lives apart from the workers, with latency
//! counted from each request's intended start, so a stall is never hidden).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rand_distr::{Distribution as _, Exp};

use std::sync::{Barrier, OnceLock};

use super::DriveError;
use super::session::{Connections, Pools, Shared};
use crate::measure::timeline::{IntervalRecorder, Live, Second, Timeline};
use crate::measure::{Outcome, QueryMeasurements, micros};
use crate::progress;
use crate::results::IntervalPoint;
use crate::results::Shard;
use crate::results::{GeneratorLoad, LoadMode, PhaseLoad};
use crate::scenario::workload::{Arrivals, PhaseSpec};
use crate::seed::rng::{CellRng, cell_rng, combine};

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

/// How load is offered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// `clients` connections, each sending its next request when the last ends.
    Closed { clients: u32 },
    /// `rate` arrivals per second served by up to `workers` connections.
    Open {
        rate: f64,
        arrivals: Arrivals,
        workers: u32,
    },
}

/// One phase, validated and with command-line overrides applied.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub warmup: bool,
    pub stop: Stop,
    pub mode: Mode,
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
        let clients = overrides.clients.unwrap_or(spec.clients);
        let mode = match overrides.rate.or(spec.rate) {
            Some(rate) => Mode::Open {
                rate,
                arrivals: spec.arrivals,
                workers: clients,
            },
            None => Mode::Closed { clients },
        };
        Self {
            name: spec.name.clone(),
            warmup: spec.warmup,
            stop,
            mode,
            threads: overrides.threads,
            shard: Shard::default(),
        }
    }

    /// The phase as the results record it.
    pub fn planned(&self) -> PhaseLoad {
        let (mode, clients, rate, arrivals) = match self.mode {
            Mode::Closed { clients } => (LoadMode::Closed, clients, None, None),
            Mode::Open {
                rate,
                arrivals,
                workers,
            } => (LoadMode::Open, workers, Some(rate), Some(arrivals)),
        };
        let (duration_s, transactions) = match self.stop {
            Stop::After(d) => (Some(d.as_secs_f64()), None),
            Stop::Transactions(n) => (None, Some(n)),
        };
        PhaseLoad {
            name: self.name.clone(),
            warmup: self.warmup,
            mode,
            clients,
            rate,
            arrivals,
            duration_s,
            transactions,
        }
    }

    pub fn connections(&self) -> u32 {
        match self.mode {
            Mode::Closed { clients } => clients,
            Mode::Open { workers, .. } => workers,
        }
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
    start: Option<Start>,
) -> Result<PhaseOutcome, DriveError> {
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
    let open = match phase.mode {
        Mode::Open { rate, .. } => Some(async_channel::bounded::<(u64, Instant)>(
            ((rate / f64::from(shard.count)).ceil() as usize).max(workers * 4),
        )),
        Mode::Closed { .. } => None,
    };
    let ready = Arc::new(Barrier::new(threads + 1));
    let mut handles = Vec::with_capacity(threads);
    for t in 0..threads {
        let ids: Vec<u32> = ours.iter().skip(t).step_by(threads).copied().collect();
        let recorders: Vec<IntervalRecorder> = ids
            .iter()
            .map(|_| timeline.recorder(index, queries))
            .collect();
        // The seed alone fixes each worker's sequence: the timeline slot
        // must not, or every round and candidate would send other requests.
        let seeds: Vec<u64> = ids
            .iter()
            .map(|w| combine(&[seed, u64::from(*w)]))
            .collect();
        let feed = || match &open {
            Some((_, rx)) => Feed::Open(rx.clone()),
            None => Feed::Closed,
        };
        let (run, ready, feed) = (Arc::clone(&run), Arc::clone(&ready), feed());
        let handle = std::thread::Builder::new()
            .name(format!("schemabench-driver-{t}"))
            .spawn(move || drive_thread(run, ready, feed, recorders, seeds))
            .map_err(DriveError::Threads)?;
        handles.push(handle);
    }
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
    let dropped = match (phase.mode, open) {
        (Mode::Open { rate, arrivals, .. }, Some((tx, rx))) => {
            let dropped = schedule(
                &run,
                tx,
                Schedule {
                    rate,
                    arrivals,
                    seed: combine(&[seed, 0x5C4E]),
                    shard,
                },
            )
            .await;
            // At a deadline the workers stop: what is still queued is never
            // sent. With a budget they serve the queue to its end.
            let mut dropped = dropped;
            if let Stop::After(_) = phase.stop {
                while let Ok(arrival) = rx.try_recv() {
                    dropped.push(arrival);
                }
            }
            rx.close();
            dropped
        }
        _ => Vec::new(),
    };
    let joined = tokio::task::spawn_blocking(move || {
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    })
    .await
    .map_err(DriveError::Join)?;
    if let Some(watch) = watch {
        watch.finish();
    }
    let elapsed = started.elapsed();
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
        busy: (t.cpu_ns + t.wait_ns) as f64
            / 1e9
            / (threads as f64 * elapsed.as_secs_f64()).max(1e-9),
    });
    let mut measurements = run.shared.workload.merge(parts.iter().map(Vec::as_slice));
    turned_away(&run, &mut measurements, &dropped, started + elapsed);
    let series = timeline.end_phase(index);
    Ok(PhaseOutcome {
        phase: phase.clone(),
        elapsed,
        queries: measurements,
        late: run.late.load(Ordering::Relaxed),
        dropped: dropped.len() as u64,
        timeline: series.points,
        seconds: series.seconds,
        generator,
    })
}

/// A thread's time on a CPU and runnable waiting for one, from Linux's
/// `/proc/thread-self/schedstat` (ns).
#[derive(Debug, Clone, Copy, Default)]
struct ThreadTime {
    cpu_ns: u64,
    wait_ns: u64,
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

    fn add(self, other: Self) -> Self {
        Self {
            cpu_ns: self.cpu_ns + other.cpu_ns,
            wait_ns: self.wait_ns + other.wait_ns,
        }
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
fn drive_thread(
    run: Arc<PhaseRun>,
    ready: Arc<Barrier>,
    feed: Feed,
    recorders: Vec<IntervalRecorder>,
    seeds: Vec<u64>,
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
        let pools = match Pools::new(&run.shared, seeds.len()) {
            Ok(pools) => pools,
            Err(e) => {
                ready.wait();
                return Err(e);
            }
        };
        let opened = pools.open(&run.shared, seeds.len()).await;
        ready.wait();
        opened?;
        let start = ThreadTime::now();
        let workers = recorders.into_iter().zip(seeds).map(|(recorder, seed)| {
            let (run, pools) = (&run, &pools);
            let feed = match &feed {
                Feed::Closed => None,
                Feed::Open(rx) => Some(rx.clone()),
            };
            async move {
                match feed {
                    None => closed_worker(run, pools, recorder, seed).await,
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
        let shared = &self.run.shared;
        let request = shared.workload.next(&mut self.rng);
        let start = Instant::now();
        let outcome = self.connections.execute(shared, self.pools, &request).await;
        let end = Instant::now();
        let latency = end.duration_since(intended.unwrap_or(start));
        self.measurements[request.query].record(latency, end.duration_since(start), &outcome);
        self.recorder
            .record(request.query, micros(latency), outcome != Outcome::Ok, end);
        let unreachable = matches!(&outcome, Outcome::Error { code, .. } if code == "connection");
        (request.query, unreachable)
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
    seed: u64,
) -> Vec<QueryMeasurements> {
    let mut worker = Worker::new(run, pools, recorder, seed);
    let mut backoff = Backoff::default();
    while run.claim() {
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

/// The arrival process of an open-loop phase.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    /// Of all shards together.
    rate: f64,
    arrivals: Arrivals,
    seed: u64,
    shard: Shard,
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
async fn schedule(
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
fn turned_away(
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

/// What someone watching sees of a phase: a bar on a terminal; in a log,
/// a line every few seconds and one when the phase ends.
struct Watch {
    bar: ProgressBar,
    label: String,
    status: Status,
}

/// The phase's counters as they stood when it started.
#[derive(Clone)]
struct Status {
    live: Arc<Live>,
    started: Instant,
    first_completed: u64,
    first_errors: u64,
}

impl Status {
    /// Requests done so far, and `5.0 s, 812 req/s, p99 3.41 ms, 0 errors`.
    fn now(&self) -> (u64, String) {
        let elapsed = self.started.elapsed();
        let done = self.live.completed.load(Ordering::Relaxed) - self.first_completed;
        let errors = self.live.errors.load(Ordering::Relaxed) - self.first_errors;
        // Before this phase's first request the last p99 is an earlier
        // phase's: not shown.
        let p99 = if done == 0 {
            "-".to_owned()
        } else {
            format!(
                "{:.2} ms",
                self.live.last_p99_us.load(Ordering::Relaxed) as f64 / 1000.0
            )
        };
        let text = format!(
            "{:.1} s, {done} requests, {:.0} req/s, p99 {p99}, {errors} errors",
            elapsed.as_secs_f64(),
            done as f64 / elapsed.as_secs_f64().max(1e-3),
        );
        (done, text)
    }
}

impl Watch {
    fn start(phase: &Phase, label: &str, timeline: &Timeline, started: Instant) -> Self {
        let live = Arc::clone(&timeline.live);
        let status = Status {
            first_completed: live.completed.load(Ordering::Relaxed),
            first_errors: live.errors.load(Ordering::Relaxed),
            live,
            started,
        };
        let terminal = progress::on_terminal();
        let bar = if terminal {
            let bar = match phase.stop {
                Stop::After(d) => ProgressBar::new(d.as_millis() as u64),
                Stop::Transactions(n) => ProgressBar::new(n),
            };
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:20.green/blue}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            // The slot names the configuration, its partner, the round
            // and the phase: `baseline+feed_index.r2.steady`.
            bar.set_prefix(label.to_owned());
            bar
        } else {
            ProgressBar::hidden()
        };
        let (ticker, stop, watched, label_text) =
            (bar.clone(), phase.stop, status.clone(), label.to_owned());
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(250));
            let mut said = Instant::now();
            while !ticker.is_finished() {
                interval.tick().await;
                let (done, text) = watched.now();
                ticker.set_position(match stop {
                    Stop::After(_) => watched.started.elapsed().as_millis() as u64,
                    Stop::Transactions(_) => done,
                });
                if !terminal && said.elapsed() >= progress::every() && !ticker.is_finished() {
                    progress::line(format!("{label_text} {text}"));
                    said = Instant::now();
                }
                ticker.set_message(text);
            }
        });
        Self {
            bar,
            label: label.to_owned(),
            status,
        }
    }

    fn finish(self) {
        self.bar.finish_and_clear();
        if !progress::on_terminal() {
            progress::line(format!("{} done: {}", self.label, self.status.now().1));
        }
    }
}

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

    #[test]
    fn an_unreachable_server_is_tried_again_ever_more_slowly_until_it_answers() {
        let mut backoff = Backoff::default();
        let waits: Vec<u128> = (0..9).map(|_| backoff.failed().as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.reached();
        assert_eq!(backoff.failed(), Duration::from_millis(10));
    }
}

//! One-second interval histograms: workers ship each finished second to a
//! collector thread, which merges them, appends them to one HdrHistogram
//! interval log per query (compressed V2, base64) and keeps a few numbers
//! per second for the time series. Memory stays flat: only the last few
//! seconds are held as histograms; a duet's sides keep each finished
//! second's recorded values (compact: one pair per distinct latency) until
//! the phase is paired, other phases keep none.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, channel, sync_channel};
use std::time::{Duration, Instant, SystemTime};

use hdrhistogram::Histogram;

use super::intervals::{IntervalHistogram, IntervalLog, recorded};

use crate::results::{IntervalPoint, Recorded, SIGNIFICANT_DIGITS};

/// Seconds a second stays open for late shipments before it is final.
const GRACE_SECONDS: u64 = 2;

/// One second of one phase: the recorded latencies per query (indexed
/// like the workload's queries), none for a query without requests in it.
#[derive(Debug, Clone)]
pub struct Second {
    /// Seconds since the run started: one clock for every phase, so the
    /// seconds of phases run side by side line up.
    pub second: u64,
    pub queries: Vec<Option<Recorded>>,
}

/// One phase slot of a timeline: its label (`feed_index+baseline.r2.steady`)
/// and whether it is a side of a duet, whose seconds are kept for pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub label: String,
    pub paired: bool,
}

/// A finished phase's time series, and its seconds as histograms for
/// pairing the slices of phases run side by side.
#[derive(Debug, Default)]
pub struct PhaseSeries {
    pub points: Vec<IntervalPoint>,
    pub seconds: Vec<Second>,
}

/// The name interval logs tag a phase slot with: `feed_index+baseline.r2.steady`
/// for `configuration` beside `partner` in round 2, `baseline.r2.steady`
/// alone, or the phase's name in a `simple` run (one configuration, one
/// round).
pub fn slot_label(
    configuration: &str,
    partner: Option<&str>,
    round: u32,
    phase: &str,
    simple: bool,
) -> String {
    match partner {
        _ if simple => phase.to_owned(),
        Some(p) => format!("{configuration}+{p}.r{round}.{phase}"),
        None => format!("{configuration}.r{round}.{phase}"),
    }
}

/// Live figures for the progress bar, updated by the collector as seconds
/// arrive (workers touch no shared counter).
#[derive(Debug, Default)]
pub struct Live {
    pub completed: AtomicU64,
    pub errors: AtomicU64,
    /// p99 over all queries of the last complete second, in µs.
    pub last_p99_us: AtomicU64,
}

enum Message {
    Batch {
        phase: usize,
        second: u64,
        histograms: Vec<(usize, IntervalHistogram)>,
        errors: u64,
    },
    EndPhase {
        phase: usize,
        reply: SyncSender<PhaseSeries>,
    },
}

/// The collector thread and the run's clock.
/// Dropping it lets the collector finish on its own once the last worker's
/// recorder is gone: every phase's data is already final after
/// [`Timeline::end_phase`], so nothing waits for it.
pub struct Timeline {
    tx: Sender<Message>,
    pub started: Instant,
    pub live: Arc<Live>,
    /// Each phase slot's name, as interval logs tag it.
    labels: Vec<String>,
}

/// A worker's view: its histograms for the current second.
pub struct IntervalRecorder {
    tx: Sender<Message>,
    started: Instant,
    phase: usize,
    second: u64,
    current: Vec<Option<IntervalHistogram>>,
    /// Failed requests in the current second.
    errors: u64,
}

impl Timeline {
    /// Starts the collector; `logs` holds one interval-log path per query.
    /// Seconds count from `started` (now, or the moment the shards of a
    /// run agreed on, so their seconds line up).
    pub fn start(
        queries: Vec<String>,
        slots: Vec<Slot>,
        logs: Vec<PathBuf>,
        started: Instant,
    ) -> std::io::Result<Self> {
        let phases: Vec<String> = slots.iter().map(|s| s.label.clone()).collect();
        let paired: Vec<bool> = slots.iter().map(|s| s.paired).collect();
        let wall = SystemTime::now()
            .checked_sub(started.elapsed())
            .unwrap_or_else(SystemTime::now);
        let files = logs
            .iter()
            .zip(&queries)
            .map(|(path, query)| IntervalLog::create(path, query, wall))
            .collect::<std::io::Result<Vec<_>>>()?;
        let (tx, rx) = channel();
        let live = Arc::new(Live::default());
        let collector = Collector {
            queries,
            phases: phases.clone(),
            paired,
            files,
            open: BTreeMap::new(),
            finalized_up_to: BTreeMap::new(),
            series: BTreeMap::new(),
            started,
            live: Arc::clone(&live),
        };
        std::thread::Builder::new()
            .name("schemabench-timeline".into())
            .spawn(move || collector.run(rx))?;
        Ok(Self {
            tx,
            started,
            live,
            labels: phases,
        })
    }

    /// A recorder for one worker in one phase.
    pub fn recorder(&self, phase: usize, queries: usize) -> IntervalRecorder {
        IntervalRecorder {
            tx: self.tx.clone(),
            started: self.started,
            phase,
            second: 0,
            current: (0..queries).map(|_| None).collect(),
            errors: 0,
        }
    }

    /// The name of phase slot `phase`: `feed_index+baseline.r2.steady`.
    pub fn label(&self, phase: usize) -> &str {
        self.labels.get(phase).map_or("", String::as_str)
    }

    /// Finalises every second of a phase (call after its workers flushed)
    /// and returns its time series.
    pub fn end_phase(&self, phase: usize) -> PhaseSeries {
        let (reply, answer) = sync_channel(1);
        if self.tx.send(Message::EndPhase { phase, reply }).is_err() {
            return PhaseSeries::default();
        }
        answer.recv().unwrap_or_default()
    }
}

impl IntervalRecorder {
    /// Records one latency (µs) of query `query`, of a request that ended
    /// at `end` (the clock is read once per request, by the caller).
    pub fn record(&mut self, query: usize, latency_us: u64, failed: bool, end: Instant) {
        let second = end.saturating_duration_since(self.started).as_secs();
        if second != self.second {
            self.flush();
            self.second = second;
        }
        // Small and auto-resizing: most seconds hold a narrow range. It must
        // grow rather than saturate, or slow requests would read as ~2 ms.
        let h = self.current[query]
            .get_or_insert_with(|| Histogram::new(SIGNIFICANT_DIGITS).expect("valid precision"));
        let _ = h.record(latency_us.clamp(1, super::MAX_LATENCY_US));
        self.errors += u64::from(failed);
    }

    /// Ships the current second, if it holds anything. Idle workers call
    /// this now and then so their data is not late.
    pub fn flush(&mut self) {
        let histograms: Vec<(usize, IntervalHistogram)> = self
            .current
            .iter_mut()
            .enumerate()
            .filter_map(|(q, h)| h.take().map(|h| (q, h)))
            .collect();
        if !histograms.is_empty() {
            let _ = self.tx.send(Message::Batch {
                phase: self.phase,
                second: self.second,
                histograms,
                errors: std::mem::take(&mut self.errors),
            });
        }
    }

    /// Flushes when the clock has moved past the current second.
    pub fn tick(&mut self) {
        if self.started.elapsed().as_secs() != self.second {
            self.flush();
        }
    }
}

impl Drop for IntervalRecorder {
    fn drop(&mut self) {
        self.flush();
    }
}

struct Collector {
    queries: Vec<String>,
    phases: Vec<String>,
    /// Per phase slot: whether its seconds are kept for pairing.
    paired: Vec<bool>,
    files: Vec<IntervalLog>,
    open: BTreeMap<(usize, u64), Vec<Option<IntervalHistogram>>>,
    /// Per phase: seconds below this are final; late data goes to this one.
    finalized_up_to: BTreeMap<usize, u64>,
    /// Per phase, until it ends: its time series and finished seconds.
    series: BTreeMap<usize, PhaseSeries>,
    started: Instant,
    live: Arc<Live>,
}

impl Collector {
    fn run(mut self, rx: Receiver<Message>) {
        loop {
            match rx.recv_timeout(Duration::from_millis(250)) {
                Ok(Message::Batch {
                    phase,
                    second,
                    histograms,
                    errors,
                }) => {
                    let completed: u64 = histograms.iter().map(|(_, h)| h.len()).sum();
                    self.live.completed.fetch_add(completed, Ordering::Relaxed);
                    self.live.errors.fetch_add(errors, Ordering::Relaxed);
                    self.add(phase, second, histograms);
                }
                Ok(Message::EndPhase { phase, reply }) => {
                    self.finalize(|p, _| p == phase);
                    let _ = reply.send(self.series.remove(&phase).unwrap_or_default());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.finalize(|_, _| true);
                    return;
                }
            }
            let now = self.started.elapsed().as_secs();
            self.finalize(|_, second| second + GRACE_SECONDS < now);
        }
    }

    fn add(&mut self, phase: usize, second: u64, histograms: Vec<(usize, IntervalHistogram)>) {
        // Data for a second already written goes into the oldest open one.
        let second = second.max(self.finalized_up_to.get(&phase).copied().unwrap_or(0));
        let slot = self
            .open
            .entry((phase, second))
            .or_insert_with(|| (0..self.queries.len()).map(|_| None).collect());
        for (q, h) in histograms {
            match &mut slot[q] {
                Some(existing) => {
                    let _ = existing.add(&h);
                }
                empty => *empty = Some(h),
            }
        }
    }

    fn finalize(&mut self, done: impl Fn(usize, u64) -> bool) {
        let keys: Vec<(usize, u64)> = self
            .open
            .keys()
            .copied()
            .filter(|(p, s)| done(*p, *s))
            .collect();
        for key in keys {
            let Some(slot) = self.open.remove(&key) else {
                continue;
            };
            let (phase, second) = key;
            self.finalized_up_to.insert(phase, second + 1);
            let mut all: Option<IntervalHistogram> = None;
            for (q, h) in slot.iter().enumerate() {
                let Some(h) = h else { continue };
                self.write_log(q, phase, second, h);
                self.series
                    .entry(phase)
                    .or_default()
                    .points
                    .push(IntervalPoint {
                        second,
                        query: self.queries[q].clone(),
                        count: h.len(),
                        p50_us: h.value_at_quantile(0.5),
                        p99_us: h.value_at_quantile(0.99),
                        max_us: h.max(),
                    });
                match &mut all {
                    Some(a) => {
                        let _ = a.add(h);
                    }
                    None => all = Some(h.clone()),
                }
            }
            if self.paired.get(phase).copied().unwrap_or(false) {
                self.series.entry(phase).or_default().seconds.push(Second {
                    second,
                    queries: slot.iter().map(|h| h.as_ref().map(recorded)).collect(),
                });
            }
            if let Some(all) = all {
                self.live
                    .last_p99_us
                    .store(all.value_at_quantile(0.99), Ordering::Relaxed);
            }
        }
    }

    fn write_log(&mut self, query: usize, phase: usize, second: u64, h: &IntervalHistogram) {
        if let (Some(log), Some(tag)) = (self.files.get_mut(query), self.phases.get(phase)) {
            log.append(tag, second, h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interval histograms start small; a slow request must grow them, not
    /// be clamped to their initial range.
    #[test]
    fn slow_requests_keep_their_latency_in_the_time_series() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("q.hlog");
        let timeline = Timeline::start(
            vec!["q".into()],
            vec![Slot {
                label: "steady".into(),
                paired: false,
            }],
            vec![log.clone()],
            Instant::now(),
        )
        .expect("timeline");
        let mut recorder = timeline.recorder(0, 1);
        for _ in 0..99 {
            recorder.record(0, 1_000, false, Instant::now());
        }
        recorder.record(0, 2_500_000, false, Instant::now());
        drop(recorder);
        let points = timeline.end_phase(0).points;
        assert_eq!(points.len(), 1, "{points:?}");
        let p = &points[0];
        assert_eq!(p.count, 100);
        assert!(p.max_us >= 2_490_000, "{p:?}");
        assert!((990..=1_010).contains(&p.p50_us), "{p:?}");
        // HdrHistogram's log tools read the file: their header first, the
        // interval's maximum in milliseconds, the histogram in microseconds.
        let text = std::fs::read_to_string(&log).expect("log");
        assert_eq!(
            text.lines().next(),
            Some("#[Histogram log format version 1.3]")
        );
        let intervals: Vec<_> =
            hdrhistogram::serialization::interval_log::IntervalLogIterator::new(text.as_bytes())
                .filter_map(|entry| match entry {
                    Ok(hdrhistogram::serialization::interval_log::LogEntry::Interval(h)) => {
                        Some((h.tag().map(|t| t.as_str().to_owned()), h.max()))
                    }
                    _ => None,
                })
                .collect();
        assert_eq!(intervals.len(), 1, "{text}");
        assert_eq!(intervals[0].0.as_deref(), Some("steady"));
        assert!((2499.0..2503.0).contains(&intervals[0].1), "{intervals:?}");
    }
}

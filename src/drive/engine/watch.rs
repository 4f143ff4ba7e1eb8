//! What someone watching a phase sees: a bar on a terminal, lines in a log.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::{Phase, Stop};
use crate::measure::timeline::{Live, Timeline};
use crate::progress;

/// What someone watching sees of a phase: a bar on a terminal; in a log,
/// a line every few seconds and one when the phase ends.
pub(super) struct Watch {
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
    /// Requests done `elapsed` into the phase, and `5.0 s, 812 req/s, p99
    /// 3.41 ms, 0 errors`.
    fn at(&self, elapsed: Duration) -> (u64, String) {
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
    pub(super) fn start(phase: &Phase, label: &str, timeline: &Timeline, started: Instant) -> Self {
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
                let (done, text) = watched.at(watched.started.elapsed());
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

    /// The phase ended; it measured `elapsed` (a duet's catching up after
    /// its time is not counted).
    pub(super) fn finish(self, elapsed: Duration) {
        self.bar.finish_and_clear();
        if !progress::on_terminal() {
            progress::line(format!(
                "{} done: {}",
                self.label,
                self.status.at(elapsed).1
            ));
        }
    }
}

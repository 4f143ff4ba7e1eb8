//! Progress for whoever watches a long step: indicatif bars on a terminal;
//! without one (a CI log, a file) a plain line every few seconds, the way
//! `pgbench -P` reports, and never an escape code.

use std::io::IsTerminal;
use std::time::Duration;

/// Steps that run inside another (init trying its workload on a sample)
/// say nothing while a [`Quiet`] lives.
static QUIET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Silences progress bars and lines until dropped.
pub struct Quiet;

impl Quiet {
    pub fn begin() -> Self {
        QUIET.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Quiet
    }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        QUIET.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed) > 0
}

/// Whether stderr is a terminal that bars can redraw (never while quiet).
pub fn on_terminal() -> bool {
    !quiet() && std::io::stderr().is_terminal()
}

/// Colours only for a person at a terminal who has not asked for none
/// (<https://no-color.org>).
pub fn colours() -> bool {
    on_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// How often a log without a terminal hears from a long step, unless the
/// command line said otherwise (`-P`).
const EVERY: Duration = Duration::from_secs(5);

static CHOSEN: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

/// Sets how often a long step reports to a log: once, from the command line.
pub fn report_every(interval: Duration) {
    let _ = CHOSEN.set(interval);
}

/// How often a long step reports to a log.
pub fn every() -> Duration {
    CHOSEN.get().copied().unwrap_or(EVERY)
}

/// One progress line for a log without a terminal.
pub fn line(text: impl std::fmt::Display) {
    if !quiet() {
        eprintln!("progress: {text}");
    }
}

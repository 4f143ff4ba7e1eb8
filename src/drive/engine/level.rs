//! Duets that end level. Worker `i` of either side sends the same request
//! sequence (its seed is the phase's and its number), and a timed phase
//! stops both sides wherever each got to: the faster side further along.
//! Statement statistics read after the phase would then compare different
//! requests (a rare, heavy one only the faster side reached counts as its
//! extra work), and the two copies would have taken different writes. So
//! the side behind sends the rest of its sequence, unmeasured, up to where
//! its partner stopped: both sides' work figures cover the same requests.
//! It does so for at most three times the phase's length: a side many
//! times slower is not worth minutes of catching up, and its work differs
//! by far more than the requests it did not reach.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a worker waits for its partner's last measured request to
/// end: longer than any request of a sane phase, short enough that a side
/// that failed to start cannot hang the other.
const PARTNER_WAIT: Duration = Duration::from_secs(60);
/// How often a waiting worker looks again.
const POLL: Duration = Duration::from_millis(2);
/// Catching up lasts at most this many times the phase's length.
const CATCH_UP: u32 = 3;

/// Where one worker of one side stopped.
#[derive(Debug, Default)]
struct Mark {
    sent: AtomicU64,
    stopped: AtomicBool,
}

/// The two sides of a duet phase, worker by worker.
#[derive(Debug)]
pub struct Level {
    workers: Vec<[Mark; 2]>,
    /// How long a worker may spend catching up.
    pub(super) catch_up: Duration,
}

impl Level {
    /// For a timed phase of `length` and `workers` clients a side.
    pub fn new(workers: u32, length: Duration) -> Self {
        Self {
            workers: (0..workers).map(|_| Default::default()).collect(),
            catch_up: length * CATCH_UP,
        }
    }

    /// Worker `id` of `side` stopped after `sent` measured requests.
    pub(super) fn stop(&self, id: u32, side: usize, sent: u64) {
        if let Some(mark) = self.mark(id, side) {
            mark.sent.store(sent, Ordering::SeqCst);
            mark.stopped.store(true, Ordering::SeqCst);
        }
    }

    /// Requests worker `id` of `side`, stopped after `sent`, still owes to
    /// end level with its partner, once the partner has stopped too; none
    /// if it is not the one behind, or the partner does not stop in time.
    pub(super) async fn owed(&self, id: u32, side: usize, sent: u64) -> u64 {
        let Some(partner) = self.mark(id, 1 - side.min(1)) else {
            return 0;
        };
        let since = Instant::now();
        while !partner.stopped.load(Ordering::SeqCst) {
            if since.elapsed() > PARTNER_WAIT {
                return 0;
            }
            tokio::time::sleep(POLL).await;
        }
        partner.sent.load(Ordering::SeqCst).saturating_sub(sent)
    }

    fn mark(&self, id: u32, side: usize) -> Option<&Mark> {
        self.workers.get(id as usize).and_then(|w| w.get(side))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_side_behind_owes_the_difference_and_the_one_ahead_nothing() {
        let level = Level::new(2, Duration::from_secs(1));
        level.stop(0, 0, 120);
        level.stop(0, 1, 97);
        assert_eq!(level.owed(0, 1, 97).await, 23);
        assert_eq!(level.owed(0, 0, 120).await, 0);
        // Worker 1's partner stops a little later: the wait ends with it.
        let level = std::sync::Arc::new(level);
        let later = std::sync::Arc::clone(&level);
        let partner = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            later.stop(1, 1, 40);
        });
        level.stop(1, 0, 31);
        assert_eq!(level.owed(1, 0, 31).await, 9);
        partner.await.expect("partner");
    }
}

//! The open-loop rate search: expand until a rate fails, then bisect. Kept
//! apart from the probing so its decisions are pinned by unit tests on
//! fixed outcomes, not by how fast a machine happened to be.

/// The bracket so far. On a noisy machine a rate can fail below one that
/// passed; the bracket then keeps only passes below the lowest failure, so
/// the rate it reports is the conservative one.
#[derive(Debug, Clone, Default)]
pub struct RateSearch {
    outcomes: Vec<(f64, bool)>,
}

/// A bracket narrower than this share of its upper end has converged.
pub const CONVERGED_WIDTH: f64 = 0.1;

impl RateSearch {
    /// Records a probe's outcome and returns the next rate to probe, or
    /// none once the bracket has converged (or fell below 1 request/s).
    pub fn record(&mut self, rate: f64, passed: bool) -> Option<f64> {
        self.outcomes.push((rate, passed));
        let next = match (self.highest_pass(), self.lowest_failure()) {
            (Some(l), None) => l * 1.6,
            (None, Some(h)) => h * 0.5,
            (Some(l), Some(h)) => {
                if self.converged() {
                    return None;
                }
                (l + h) / 2.0
            }
            (None, None) => return None,
        };
        (next >= 1.0).then_some(next)
    }

    /// The lowest rate that failed.
    pub fn lowest_failure(&self) -> Option<f64> {
        self.outcomes
            .iter()
            .filter(|(_, passed)| !passed)
            .map(|(r, _)| *r)
            .min_by(f64::total_cmp)
    }

    /// The highest rate that passed below every failure: the rate the
    /// configuration is known to hold.
    pub fn highest_pass(&self) -> Option<f64> {
        let ceiling = self.lowest_failure().unwrap_or(f64::INFINITY);
        self.outcomes
            .iter()
            .filter(|(r, passed)| *passed && *r < ceiling)
            .map(|(r, _)| *r)
            .max_by(f64::total_cmp)
    }

    /// A pass and a failure above it within [`CONVERGED_WIDTH`].
    pub fn converged(&self) -> bool {
        match (self.highest_pass(), self.lowest_failure()) {
            (Some(l), Some(h)) => (h - l) / h <= CONVERGED_WIDTH,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probes a machine that holds exactly `capacity` until the search stops.
    fn search(start: f64, capacity: impl Fn(f64) -> bool, max: usize) -> (RateSearch, Vec<f64>) {
        let mut s = RateSearch::default();
        let mut probed = Vec::new();
        let mut rate = Some(start);
        while let Some(r) = rate {
            if probed.len() == max {
                break;
            }
            probed.push(r);
            rate = s.record(r, capacity(r));
        }
        (s, probed)
    }

    #[test]
    fn expands_then_bisects_to_ten_percent() {
        let (s, probed) = search(100.0, |r| r <= 300.0, 20);
        assert_eq!(
            probed.iter().map(|r| r.round() as i64).collect::<Vec<_>>(),
            [100, 160, 256, 410, 333, 294, 314]
        );
        assert!(s.converged());
        assert_eq!(s.highest_pass().map(f64::round), Some(294.0));
        assert_eq!(s.lowest_failure().map(f64::round), Some(314.0));
    }

    #[test]
    fn halves_down_from_a_first_failure() {
        let (s, probed) = search(100.0, |r| r <= 20.0, 20);
        assert_eq!(probed[..4], [100.0, 50.0, 25.0, 12.5]);
        assert!(s.converged());
        assert!(s.highest_pass().is_some_and(|l| l <= 20.0));
    }

    #[test]
    fn a_failure_below_a_pass_keeps_the_bracket_conservative() {
        let mut s = RateSearch::default();
        assert_eq!(s.record(100.0, true), Some(160.0));
        // Noise: a lower rate fails after a higher one passed.
        assert_eq!(s.record(90.0, false), Some(45.0));
        assert_eq!(s.highest_pass(), None);
        assert_eq!(s.record(45.0, true), Some(67.5));
        assert_eq!(s.highest_pass(), Some(45.0));
        assert!(!s.converged());
    }

    #[test]
    fn stops_below_one_request_per_second() {
        let (s, probed) = search(4.0, |_| false, 20);
        assert_eq!(probed, [4.0, 2.0, 1.0]);
        assert_eq!(s.highest_pass(), None);
        assert!(!s.converged());
    }
}

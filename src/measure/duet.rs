//! Paired slices of two phases run side by side (a duet): consecutive
//! seconds merged until both sides hold enough requests for a percentile,
//! each slice giving one pair of values taken at the same moment. Many
//! short pairs instead of one pair per round are what lets a duet call a
//! small change on a busy machine: whatever slowed one side in a slice
//! slowed the other too.

use super::timeline::{IntervalHistogram, Second};

/// Requests each side of a slice must hold for quantile `q`: five beyond
/// it (10 for p50, 100 for p95, 500 for p99), so a slice's p99 is not
/// simply its slowest request.
pub fn min_requests(q: f64) -> u64 {
    (5.0 / (1.0 - q)).ceil() as u64
}

/// One side's running slice.
#[derive(Default)]
struct Side {
    merged: Option<IntervalHistogram>,
}

impl Side {
    fn add(&mut self, h: &IntervalHistogram) {
        match &mut self.merged {
            Some(m) => {
                let _ = m.add(h);
            }
            None => self.merged = Some(h.clone()),
        }
    }

    fn len(&self) -> u64 {
        self.merged.as_ref().map_or(0, IntervalHistogram::len)
    }

    fn at(&self, q: f64) -> u64 {
        self.merged.as_ref().map_or(0, |h| h.value_at_quantile(q))
    }
}

/// Pairs of (baseline, candidate) values of quantile `q` of query `query`
/// over the seconds of two phases run side by side. Seconds left over at
/// the end join the last slice rather than form a thin one.
pub fn paired(base: &[Second], other: &[Second], query: usize, q: f64) -> Vec<(u64, u64)> {
    let need = min_requests(q);
    let histogram = |seconds: &[Second], second: u64| -> Option<IntervalHistogram> {
        seconds
            .iter()
            .find(|s| s.second == second)
            .and_then(|s| s.queries.get(query).cloned().flatten())
    };
    let seconds = base.iter().chain(other).map(|s| s.second);
    let (Some(first), Some(last)) = (seconds.clone().min(), seconds.max()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut b, mut c) = (Side::default(), Side::default());
    // The last full slice, kept so a thin tail can join it.
    let mut previous: Option<(Side, Side)> = None;
    for second in first..=last {
        if let Some(h) = histogram(base, second) {
            b.add(&h);
        }
        if let Some(h) = histogram(other, second) {
            c.add(&h);
        }
        if b.len() >= need && c.len() >= need {
            out.push((b.at(q), c.at(q)));
            previous = Some((std::mem::take(&mut b), std::mem::take(&mut c)));
        }
    }
    if (b.len() > 0 || c.len() > 0)
        && let Some((mut pb, mut pc)) = previous
    {
        if let Some(h) = &b.merged {
            pb.add(h);
        }
        if let Some(h) = &c.merged {
            pc.add(h);
        }
        if let Some(last) = out.last_mut() {
            *last = (pb.at(q), pc.at(q));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::SIGNIFICANT_DIGITS;

    /// A second holding `n` requests of `latency_us` for query 0.
    fn second(second: u64, n: u32, latency_us: u64) -> Second {
        let mut h = IntervalHistogram::new(SIGNIFICANT_DIGITS).expect("histogram");
        if n > 0 {
            h.record_n(latency_us, n).expect("record");
        }
        Second {
            second,
            queries: vec![(n > 0).then_some(h)],
        }
    }

    #[test]
    fn the_minimum_leaves_five_requests_beyond_the_percentile() {
        assert_eq!(min_requests(0.5), 10);
        assert_eq!(min_requests(0.95), 100);
        assert_eq!(min_requests(0.99), 500);
    }

    #[test]
    fn seconds_merge_until_both_sides_hold_enough() {
        // Base: 6 requests a second; candidate: 12. p50 needs 10 a side.
        let base: Vec<Second> = (10..16).map(|s| second(s, 6, 100 + s)).collect();
        let cand: Vec<Second> = (10..16).map(|s| second(s, 12, 200 + s)).collect();
        let pairs = paired(&base, &cand, 0, 0.5);
        // Seconds 10-11, 12-13, 14-15: three slices of 12 and 24 requests.
        assert_eq!(pairs.len(), 3, "{pairs:?}");
        assert_eq!(pairs[0], (110, 210));
        assert_eq!(pairs[2], (114, 214));
        // p99 needs 500 a side: never reached, no pair at all.
        assert!(paired(&base, &cand, 0, 0.99).is_empty());
    }

    #[test]
    fn a_thin_tail_joins_the_last_slice_and_gaps_are_skipped() {
        let base = vec![
            second(0, 10, 100),
            second(1, 0, 0),
            second(2, 10, 300),
            second(3, 3, 900),
        ];
        let cand = vec![second(0, 10, 100), second(2, 10, 300), second(3, 3, 900)];
        let pairs = paired(&base, &cand, 0, 0.5);
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert_eq!(pairs[0], (100, 100));
        // 10 requests at 300 and 3 at 900: the median stays 300.
        assert_eq!(pairs[1], (300, 300));
        assert!(paired(&[], &cand, 0, 0.5).is_empty());
    }
}

//! Duet phases second by second: both sides' latencies of each query in the
//! same seconds of two phases run side by side. The verdicts pool these
//! seconds and resample them in pairs (`compare::pooled`): whatever slowed
//! one side in a second slowed the other too.

use super::timeline::Second;
use crate::results::{Recorded, SecondPair};

/// Requests each side must hold for quantile `q`: five beyond it (10 for
/// p50, 100 for p95, 500 for p99), so a p99 is not simply the slowest
/// request.
pub fn min_requests(q: f64) -> u64 {
    (5.0 / (1.0 - q)).ceil() as u64
}

/// Both sides of query `query` in each second of two phases run side by
/// side, in time order; seconds in which neither side finished a request
/// are left out.
pub fn pair(base: &[Second], other: &[Second], query: usize) -> Vec<SecondPair> {
    let side = |seconds: &[Second], second: u64| -> Recorded {
        seconds
            .iter()
            .find(|s| s.second == second)
            .and_then(|s| s.queries.get(query))
            .and_then(Option::clone)
            .unwrap_or_default()
    };
    let seconds = base.iter().chain(other).map(|s| s.second);
    let (Some(first), Some(last)) = (seconds.clone().min(), seconds.max()) else {
        return Vec::new();
    };
    (first..=last)
        .map(|second| SecondPair {
            second,
            baseline: side(base, second),
            candidate: side(other, second),
        })
        .filter(|p| !p.baseline.0.is_empty() || !p.candidate.0.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second holding `n` requests of `latency_us` for query 0.
    fn second(second: u64, n: u64, latency_us: u64) -> Second {
        Second {
            second,
            queries: vec![(n > 0).then(|| Recorded(vec![(latency_us, n)]))],
        }
    }

    #[test]
    fn the_minimum_leaves_five_requests_beyond_the_percentile() {
        assert_eq!(min_requests(0.5), 10);
        assert_eq!(min_requests(0.95), 100);
        assert_eq!(min_requests(0.99), 500);
    }

    #[test]
    fn seconds_pair_up_by_time_and_empty_ones_are_left_out() {
        let base = vec![second(10, 6, 100), second(11, 0, 0), second(12, 2, 300)];
        let cand = vec![second(10, 12, 200), second(12, 1, 900), second(13, 3, 50)];
        let pairs = pair(&base, &cand, 0);
        assert_eq!(pairs.len(), 3, "{pairs:?}");
        let seconds: Vec<u64> = pairs.iter().map(|p| p.second).collect();
        assert_eq!(seconds, [10, 12, 13]);
        assert_eq!(pairs[0].baseline.0, vec![(100, 6)]);
        assert_eq!(pairs[0].candidate.0, vec![(200, 12)]);
        assert_eq!(pairs[1].baseline.0, vec![(300, 2)]);
        assert_eq!(pairs[1].candidate.0, vec![(900, 1)]);
        assert!(pairs[2].baseline.0.is_empty());
        assert_eq!(pairs[2].candidate.0, vec![(50, 3)]);
        let text = serde_json::to_string(&pairs[0]).expect("json");
        assert_eq!(
            text,
            r#"{"second":10,"baseline":"100*6","candidate":"200*12"}"#
        );
        let back: SecondPair = serde_json::from_str(&text).expect("round trip");
        assert_eq!(back, pairs[0]);
        assert!(
            serde_json::from_str::<SecondPair>(r#"{"baseline":"1*x","candidate":""}"#).is_err()
        );
        assert!(pair(&[], &[], 0).is_empty());
    }
}

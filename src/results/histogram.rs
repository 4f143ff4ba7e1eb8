//! Latency histograms as results hold them: one precision for every
//! histogram and a range that grows to the largest latency recorded (so any
//! two can be added), and a serialized form
//! (HdrHistogram V2, compressed, base64) that lets reports and comparisons
//! be rebuilt from `results.json` alone.

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use serde::{Deserialize, Serialize};

/// Highest latency a histogram holds, in microseconds (10 minutes); longer
/// values are clamped to it and still counted.
pub const MAX_LATENCY_US: u64 = 600_000_000;
/// Precision of every histogram.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A latency histogram in microseconds. Counts are u32, half the memory of
/// u64 (a run holds thousands of histograms): a bucket holds 4.3 billion
/// requests, 12 hours at 100,000 a second all landing in it.
pub type Latencies = hdrhistogram::Histogram<u32>;

/// An empty histogram with schemabench's precision. It starts at 8 kB and
/// grows to the largest latency recorded: one sized for 10 minutes up front
/// takes 86 kB, and a run holds thousands of histograms.
pub fn new_histogram() -> Latencies {
    Latencies::new(SIGNIFICANT_DIGITS).expect("constant histogram precision is valid")
}

/// Records `n` latencies of `us` microseconds, clamped to [`MAX_LATENCY_US`]
/// so one stuck request cannot grow a histogram past 10 minutes (and a
/// count past a bucket's capacity saturates it).
pub fn record_latency(h: &mut Latencies, us: u64, n: u64) {
    h.record_n(us.min(MAX_LATENCY_US), u32::try_from(n).unwrap_or(u32::MAX))
        .expect("a growing histogram holds every value up to the clamp");
}

/// A latency histogram inside the results: in memory it is the histogram
/// itself, on disk a base64 string, so no module decodes in-process.
#[derive(Debug, Clone)]
pub struct Histogram(pub Latencies);

impl Default for Histogram {
    fn default() -> Self {
        Self(new_histogram())
    }
}

impl From<&Latencies> for Histogram {
    fn from(h: &Latencies) -> Self {
        Self(h.clone())
    }
}

impl Serialize for Histogram {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.0, &mut bytes)
            .map_err(|e| serde::ser::Error::custom(format!("histogram: {e:?}")))?;
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

impl<'de> Deserialize<'de> for Histogram {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.is_empty() {
            return Ok(Self::default());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map_err(|e| serde::de::Error::custom(format!("histogram is not base64: {e}")))?;
        Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map(|mut h: Latencies| {
                // Decoded at the stored range; it must still grow when added to.
                h.auto(true);
                Self(h)
            })
            .map_err(|e| serde::de::Error::custom(format!("histogram does not decode: {e:?}")))
    }
}

/// Percentiles of a latency histogram, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencySummary {
    pub min: u64,
    pub mean: f64,
    pub stddev: f64,
    pub p50: u64,
    pub p90: u64,
    pub p95: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl LatencySummary {
    /// All zeros for an empty histogram.
    pub fn of(h: &Latencies) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        Self {
            min: h.min(),
            mean: h.mean(),
            stddev: h.stdev(),
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p95: h.value_at_quantile(0.95),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_survive_the_round_trip() {
        let mut h = new_histogram();
        for v in [10, 200, 3_000, 40_000] {
            record_latency(&mut h, v, 1);
        }
        let text = serde_json::to_string(&Histogram(h.clone())).expect("serializes");
        let back: Histogram = serde_json::from_str(&text).expect("decodes");
        assert_eq!(back.0.len(), 4);
        assert_eq!(back.0.value_at_quantile(0.5), h.value_at_quantile(0.5));
        assert_eq!(back.0.max(), h.max());
        let empty: Histogram = serde_json::from_str("\"\"").expect("empty");
        assert!(empty.0.is_empty());
        assert!(serde_json::from_str::<Histogram>("\"not base64!\"").is_err());
    }

    #[test]
    fn histograms_grow_to_what_they_hold_and_stop_at_ten_minutes() {
        let full =
            Latencies::new_with_bounds(1, MAX_LATENCY_US, SIGNIFICANT_DIGITS).expect("bounds");
        let mut small = new_histogram();
        record_latency(&mut small, 2_500, 3);
        assert!(small.distinct_values() * 4 < full.distinct_values());

        // Decoded at its stored (small) range, it still takes a slower side.
        let text = serde_json::to_string(&Histogram(small)).expect("serializes");
        let mut back: Histogram = serde_json::from_str(&text).expect("decodes");
        let mut slow = new_histogram();
        record_latency(&mut slow, 20 * 60 * 1_000_000, 1);
        assert_eq!(slow.max(), slow.highest_equivalent(MAX_LATENCY_US));
        back.0.add(&slow).expect("a decoded histogram grows");
        assert_eq!(back.0.len(), 4);
        assert_eq!(back.0.max(), slow.max());
    }
}

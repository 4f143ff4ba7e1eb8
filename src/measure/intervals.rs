//! HdrHistogram interval logs (`intervals/<query>.hlog`): one line per
//! second and phase slot, tagged with the slot, in the format HdrHistogram's
//! own log tools read. Written as a run goes, read back to add up shards.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use base64::Engine;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};

/// Interval histograms are small and grow as needed.
pub type IntervalHistogram = hdrhistogram::Histogram<u32>;

/// A histogram's recorded values (µs) and their counts: what a duet keeps
/// of a second, far smaller than the histogram's buckets.
pub fn recorded(h: &IntervalHistogram) -> crate::results::Recorded {
    crate::results::Recorded(
        h.iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value().into()))
            .collect(),
    )
}

/// An interval log being written.
pub struct IntervalLog {
    file: File,
    serializer: V2DeflateSerializer,
}

impl IntervalLog {
    /// A new log of `query` whose seconds count from `start`.
    pub fn create(path: &Path, query: &str, start: SystemTime) -> std::io::Result<Self> {
        let mut file = File::create(path)?;
        let mut serializer = V2DeflateSerializer::new();
        // HdrHistogram's own header comes first, so its log tools read the
        // file as written; Interval_Max in the milliseconds they print
        // (histogram values stay in microseconds: read them with an output
        // value unit ratio of 1000).
        IntervalLogWriterBuilder::new()
            .add_comment("[Histogram log format version 1.3]")
            .add_comment(&format!(
                "schemabench {} interval log of query {query}",
                env!("CARGO_PKG_VERSION")
            ))
            .add_comment(
                "histogram values in microseconds, Interval_Max in milliseconds; each interval is tagged with its load phase",
            )
            .with_start_time(start)
            .with_base_time(start)
            .begin_log_with(&mut file, &mut serializer)
            .map_err(std::io::Error::other)?;
        writeln!(
            file,
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""
        )?;
        Ok(Self { file, serializer })
    }

    /// Appends second `second` of the slot tagged `tag`.
    pub fn append(&mut self, tag: &str, second: u64, h: &IntervalHistogram) {
        // A writer without headers appends one interval line, its maximum
        // in milliseconds as the header says.
        if let Ok(mut writer) = IntervalLogWriterBuilder::new()
            .with_max_value_divisor(1000.0)
            .begin_log_with(&mut self.file, &mut self.serializer)
        {
            let _ = writer.write_histogram(
                h,
                Duration::from_secs(second),
                Duration::from_secs(1),
                Tag::new(tag),
            );
        }
    }
}

/// One line of an interval log.
#[derive(Debug, Clone)]
pub struct Interval {
    pub tag: String,
    /// Seconds since the log's start.
    pub second: u64,
    pub histogram: IntervalHistogram,
}

/// Every interval of a log, and the log's start; what is wrong otherwise.
pub fn read(path: &Path) -> Result<(SystemTime, Vec<Interval>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut start = SystemTime::UNIX_EPOCH;
    let mut out = Vec::new();
    for entry in IntervalLogIterator::new(text.as_bytes()) {
        match entry.map_err(|e| format!("{}: {e:?}", path.display()))? {
            LogEntry::StartTime(t) => start = SystemTime::UNIX_EPOCH + t,
            LogEntry::BaseTime(_) => {}
            LogEntry::Interval(i) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(i.encoded_histogram())
                    .map_err(|e| format!("{}: an interval is not base64: {e}", path.display()))?;
                let mut histogram: IntervalHistogram = Deserializer::new()
                    .deserialize(&mut bytes.as_slice())
                    .map_err(|e| {
                        format!("{}: an interval does not decode: {e:?}", path.display())
                    })?;
                // Grows as shards' seconds are added to it, as it did when written.
                histogram.auto(true);
                out.push(Interval {
                    tag: i.tag().map(|t| t.as_str().to_owned()).unwrap_or_default(),
                    second: i.start_timestamp().as_secs_f64().round() as u64,
                    histogram,
                });
            }
        }
    }
    Ok((start, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_reads_back_as_written_and_its_seconds_add_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("q.hlog");
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut log = IntervalLog::create(&path, "q", start).expect("log");
        let mut fast = IntervalHistogram::new(3).expect("histogram");
        fast.record_n(1_000, 99).expect("record");
        let mut slow = IntervalHistogram::new(3).expect("histogram");
        slow.record(2_500_000).expect("record");
        log.append("a+b.r1.steady", 7, &fast);
        log.append("b+a.r1.steady", 8, &slow);
        drop(log);
        let (read_start, mut intervals) = read(&path).expect("reads");
        assert_eq!(read_start, start);
        let lines: Vec<(&str, u64, u64)> = intervals
            .iter()
            .map(|i| (i.tag.as_str(), i.second, i.histogram.len()))
            .collect();
        assert_eq!(lines, [("a+b.r1.steady", 7, 99), ("b+a.r1.steady", 8, 1)]);
        // A second read back holds another shard's slower one: it grows.
        let other = intervals[1].histogram.clone();
        intervals[0]
            .histogram
            .add(&other)
            .expect("a read histogram grows to hold what is added");
        assert_eq!(intervals[0].histogram.len(), 100);
        assert_eq!(intervals[0].histogram.max(), slow.max());
    }
}

//! The flags of `schemabench capacity`.

use std::path::PathBuf;

use clap::Args;

use super::DEFAULT_SCENARIO;
use super::shared::{ServerArgs, parse_duration_arg};
use crate::results::limit::Limit;
use crate::scenario::units::Scale;

/// Flags of `schemabench capacity`.
#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// The scenario file.
    #[arg(default_value = DEFAULT_SCENARIO)]
    pub scenario: PathBuf,
    /// Scale of the sweep and the search, and the base of the growth
    /// scales. Its default is capacity's own, not the scenario's `scale`:
    /// capacity seeds and measures several sizes, so it starts small.
    #[arg(long, default_value = "0.05")]
    pub scale: Scale,
    /// Seed of the data and of the request mix.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Client counts of the closed-loop sweep.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16,32", value_parser = clap::value_parser!(u32).range(1..))]
    pub clients: Vec<u32>,
    /// Length of each sweep step, rate probe and growth measurement.
    #[arg(long, default_value = "5s", value_parser = parse_duration_arg)]
    pub step: std::time::Duration,
    /// Unmeasured warmup before each of them.
    #[arg(long, default_value = "2s", value_parser = parse_duration_arg)]
    pub warmup: std::time::Duration,
    /// Connection cap of the open-loop probes.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub workers: u32,
    /// An objective on all queries together, as in scenario thresholds;
    /// repeat for several [default: the scenario's thresholds without a
    /// query, else "error_rate < 0.1%"; "p99 < 50ms" is added when no
    /// latency objective is given].
    #[arg(long = "objective", value_name = "LIMIT")]
    pub objectives: Vec<Limit>,
    /// Most rate probes of the search.
    #[arg(long, default_value_t = 8)]
    pub max_probes: usize,
    /// Data scales to measure, as multiples of --scale.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    pub growth: Vec<Scale>,
    /// Measure these candidates (names or group:NAME, comma-separated)
    /// beside the baseline at every growth scale, in duets, and report
    /// each one's ratio against the data's size and the scale where its
    /// verdict turns: measured, never projected.
    #[arg(long, value_delimiter = ',', value_name = "CANDIDATES")]
    pub crossover: Vec<String>,
    /// Closed-loop clients of the growth measurements.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub growth_clients: u32,
    /// Project every query's latency (at the first latency objective's
    /// percentile) to this multiple of --scale ("100x").
    #[arg(long, default_value = "100x", value_parser = parse_multiple)]
    pub project: f64,
    /// The report folder [default: reports/<scenario>/capacity-<UTC time>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Drive share I of N of every sweep step, probe and growth
    /// measurement, beside N-1 other `capacity --shard` processes given
    /// the same flags, against one server given by --database-url (to
    /// offer more load than one machine generates). Each measurement is a
    /// sharded run: shard 0 seeds and leads, the shards add up their
    /// results through the server, and every shard judges the same whole,
    /// so all take the same next step and write the same capacity.json.
    #[arg(long, value_name = "I/N", requires = "database_url")]
    pub shard: Option<crate::results::Shard>,
    #[command(flatten)]
    pub server: ServerArgs,
}

fn parse_multiple(text: &str) -> Result<f64, String> {
    text.trim()
        .trim_end_matches(['x', 'X'])
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| "expected a multiple such as \"100x\"".to_owned())
}

//! What `capacity` found: `capacity.json`. How it is found lives in
//! `capacity`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Bumped whenever the meaning or shape of `capacity.json` changes.
///
/// 2: growth is judged on the server's work per call (`buffers`, `basis`)
/// wherever `pg_stat_statements` measured it, latency otherwise.
/// 3: growth is measured and projected at the objective's own percentile
/// (`percentile`; `points` hold it, `projected_ms` projects it) to
/// `project_multiple` times the scenario's data, by the class's exponent.
pub const CAPACITY_VERSION: u32 = 3;

/// One step of the concurrency sweep.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SweepPoint {
    pub clients: u32,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub error_rate: f64,
}

/// One probe of the rate search.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Probe {
    /// Target arrivals per second.
    pub rate: f64,
    /// Served requests per second (a probe passes only when it served 99%
    /// of its arrivals).
    pub throughput: f64,
    /// Latencies from the intended start of each arrival.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub error_rate: f64,
    pub late: u64,
    pub dropped: u64,
    /// The share of the arrivals served (the rest were dropped).
    #[serde(default = "all_served")]
    pub served: f64,
    pub passed: bool,
    /// Queries whose own latency or error rate broke an objective.
    pub failing_queries: Vec<String>,
    /// The load generator's threads were saturated: a failure that says
    /// nothing about the database, so the search stopped there.
    #[serde(default)]
    pub generator_limited: bool,
}

fn all_served() -> f64 {
    1.0
}

/// One query across data scales.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QueryGrowth {
    pub query: String,
    /// (absolute scale, p50 ms, ms at the objective's percentile) per
    /// measured scale.
    pub points: Vec<(f64, f64, f64)>,
    /// (absolute scale, shared buffers hit + read per call) per measured
    /// scale, from `pg_stat_statements`; empty without it.
    pub buffers: Vec<(f64, f64)>,
    /// What `exponent` and `growth` were fitted on.
    pub basis: GrowthBasis,
    /// Power-law exponent of the basis against the scale.
    pub exponent: f64,
    /// Power-law exponent of p50 latency against the scale.
    pub latency_exponent: f64,
    pub growth: Growth,
    /// The objective's percentile at the projected scale: the largest
    /// scale's, grown by `exponent` (none for a flat query).
    pub projected_ms: Option<f64>,
    pub trust: Option<Trust>,
    pub fit_r_squared: Option<f64>,
    /// Plan nodes at the largest scale measured (why it grows).
    pub plan: Vec<String>,
}

/// Everything `capacity` found; `capacity.json`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CapacityResults {
    pub version: u32,
    pub schemabench_version: String,
    pub started_at: String,
    pub elapsed_s: f64,
    pub scenario: String,
    pub seed: u64,
    /// The scenario's scale for the sweep and the search.
    pub scale: f64,
    /// Limits on all queries together, as written.
    #[schemars(with = "Vec<String>")]
    pub objectives: Vec<super::limit::Limit>,
    pub sweep: Vec<SweepPoint>,
    pub usl: Option<UslFit>,
    pub probes: Vec<Probe>,
    /// The highest probed rate that met every objective below every rate
    /// that failed.
    pub max_rate: Option<f64>,
    /// True when a passing and a failing rate were found within 10%.
    pub converged: bool,
    pub first_to_break: Option<String>,
    pub growth_scales: Vec<f64>,
    /// The data growth is projected to: this multiple of the scenario's
    /// data, which is scale `project_scale`.
    pub project_multiple: f64,
    pub project_scale: f64,
    /// The latency percentile of the first latency objective (`p99`
    /// without one): what growth measures and projects.
    pub percentile: String,
    pub growth: Vec<QueryGrowth>,
    /// Candidates measured beside the baseline at every growth scale
    /// (`--crossover`): how each one's verdict moves with the data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crossover: Vec<Crossover>,
    /// The growth runs' noise threshold on time (work has its own,
    /// `compare::WORK_NOISE`): the band the crossover charts shade.
    #[serde(default = "default_noise")]
    pub noise_threshold: f64,
    /// The largest scale whose growth run (its seeded data and copies) fits
    /// this machine's free disk and memory, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_scale: Option<f64>,
    /// The scale whose data would fill the server's memory (its cap, or
    /// this machine's for the throwaway cluster), where known: growth is
    /// projected no further.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_scale: Option<f64>,
    /// Plain-language findings, most important first.
    pub conclusion: Vec<String>,
}

fn default_noise() -> f64 {
    super::Criteria::default().noise_threshold
}

/// One candidate against the baseline, the app as a whole, at each growth
/// scale (a duet run per scale), and where its verdict turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Crossover {
    pub candidate: String,
    pub points: Vec<CrossoverPoint>,
    /// The first measured scale whose verdict differs from the smallest
    /// scale's; none where every scale agreed.
    pub turns_at: Option<f64>,
    /// The same turn read on work alone (buffers per request of the mix),
    /// which the machine's speed does not move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_turns_at: Option<f64>,
}

/// One scale of a [`Crossover`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CrossoverPoint {
    pub scale: f64,
    /// Rows of every table together at this scale.
    pub rows: u64,
    /// Time per request of the workload's mix, candidate/baseline.
    pub time: Option<super::Estimate>,
    /// Buffers per request of the mix, candidate/baseline.
    pub work: Option<super::Estimate>,
    pub verdict: super::Verdict,
}

impl CapacityResults {
    /// Where growth is projected to, as the conclusion and every table
    /// say it: `At 100x the data (scale 5)`.
    pub fn projection_label(&self) -> String {
        format!(
            "At {}x the data (scale {})",
            self.project_multiple, self.project_scale
        )
    }
}

/// The shape of a query's growth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Growth {
    /// Exponent below 0.15: index lookups, constant work.
    Flat,
    /// 0.15 to 0.6: grows, but much slower than the data (tree depth, caches).
    Logarithmic,
    /// 0.6 to 1.4: proportional to the data: a scan.
    Linear,
    /// Above 1.4: worse than proportional (nested loops over growing sides).
    Superlinear,
}

impl Growth {
    pub fn of(exponent: f64) -> Self {
        if exponent < 0.15 {
            Self::Flat
        } else if exponent < 0.6 {
            Self::Logarithmic
        } else if exponent <= 1.4 {
            Self::Linear
        } else {
            Self::Superlinear
        }
    }

    /// Worth flagging: cost that follows the data.
    pub fn is_alarming(self) -> bool {
        matches!(self, Self::Linear | Self::Superlinear)
    }
}

/// What a query's growth is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrowthBasis {
    /// Buffers per call: exact, and blind to the machine's speed and load.
    Work,
    /// p50 latency, where no work figure was measured at every scale.
    Latency,
}

impl GrowthBasis {
    /// The figure fitted, as a report names it.
    pub fn figure(self) -> &'static str {
        match self {
            Self::Work => "buffers per call",
            Self::Latency => "p50 latency",
        }
    }
}

/// How far to believe a projection beyond the largest measured scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    High,
    Medium,
    Low,
}

/// A fitted model and how well it fits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UslFit {
    /// Throughput of one client (requests/s).
    pub lambda: f64,
    /// Contention coefficient.
    pub sigma: f64,
    /// Coherency coefficient.
    pub kappa: f64,
    /// Coefficient of determination of the fitted throughput.
    pub r_squared: f64,
    /// Concurrency of peak throughput, `sqrt((1-σ)/κ)`; absent when κ is 0.
    pub peak_clients: Option<f64>,
    /// The predicted peak throughput.
    pub peak_throughput: Option<f64>,
}

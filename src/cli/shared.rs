//! Flags several commands share: the scenario and its data, the load,
//! the criteria of a verdict, the server; and the parsers of their values.

use std::path::PathBuf;

use clap::Args;

use super::DEFAULT_SCENARIO;

/// When a difference counts (candidates, baselines, compare).
#[derive(Debug, Clone, Copy, Args)]
pub struct CriteriaArgs {
    /// Relative latency change below which a difference is noise [default:
    /// 0.05 within one run, 0.20 between separate runs (--baseline,
    /// compare), whose machines drift more; work always uses 0.05].
    #[arg(long, value_parser = parse_noise_threshold)]
    pub noise_threshold: Option<f64>,
    /// Largest p-value that counts as a real change; also sets the
    /// confidence level of the intervals.
    #[arg(long, default_value_t = 0.05, value_parser = parse_significance)]
    pub significance: f64,
    /// What fails a comparison with another schema (--against-*,
    /// --baseline, compare) with exit 5. `app` [default]: the app as a whole
    /// gets slower (time per request of the mix, or its work where time
    /// cannot tell) or a query marked `critical = true` does; any other
    /// slower query is a trade-off listed under "Weigh" (an index always
    /// costs the writes to its table). The strict gates fail on any query
    /// slower: `work` (buffers per call, exact whatever the machine's
    /// load), `latency` (percentiles, which across separate runs also
    /// measure the machine) or `both`. Every verdict is reported whichever
    /// decides.
    #[arg(long, value_enum, default_value_t = crate::results::Gate::App)]
    pub gate: crate::results::Gate,
}

impl CriteriaArgs {
    /// Criteria for candidates of one run.
    pub fn within_run(self) -> crate::results::Criteria {
        self.with_default_noise(crate::results::Criteria::default().noise_threshold)
    }

    /// Criteria for a run against a stored one.
    pub fn across_runs(self) -> crate::results::Criteria {
        self.with_default_noise(crate::compare::ACROSS_RUNS_NOISE)
    }

    fn with_default_noise(self, noise: f64) -> crate::results::Criteria {
        crate::results::Criteria {
            noise_threshold: self.noise_threshold.unwrap_or(noise),
            significance: self.significance,
        }
    }
}

/// The scenario and which data set of it: shared by `seed` and `run`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The scenario file.
    #[arg(default_value = DEFAULT_SCENARIO)]
    pub scenario: PathBuf,
    /// Multiply the scenario's row counts (e.g. 0.1 for a quick try, 10 for growth).
    #[arg(long)]
    pub scale: Option<crate::scenario::units::Scale>,
    /// Seed of the data and of the request mix: the same seed gives the same rows.
    #[arg(long)]
    pub seed: Option<u64>,
}

impl DataArgs {
    /// The scenario with the command line's seed and scale.
    pub fn load(&self) -> Result<crate::scenario::Scenario, crate::scenario::ScenarioError> {
        crate::scenario::Scenario::load(&self.scenario)?.with_overrides(self.seed, self.scale)
    }
}

/// The load of every phase, replacing the scenario's (run, advise, migrate).
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Length of every phase ("10s", "2m"; a bare number is seconds, like
    /// pgbench -T), replacing the scenario's.
    #[arg(short = 'T', long, value_parser = parse_duration_arg)]
    pub duration: Option<std::time::Duration>,
    /// Requests of every phase in all, replacing the scenario's length: a
    /// budget that measures the same work however busy the machine is
    /// (pgbench's -t counts per client; this counts the whole phase).
    #[arg(long, conflicts_with = "duration", value_parser = clap::value_parser!(u64).range(1..))]
    pub transactions: Option<u64>,
    /// Concurrent clients (closed loop) or the worker cap (open loop) of every phase (pgbench -c).
    #[arg(short = 'c', long, value_parser = clap::value_parser!(u32).range(1..))]
    pub clients: Option<u32>,
    /// Target arrivals per second of every phase: turns every phase into open loop (pgbench -R).
    #[arg(short = 'R', long)]
    pub rate: Option<crate::scenario::units::Rate>,
    /// Driver threads of the load generator, at most, like pgbench -j
    /// [default: one per CPU, never more than clients].
    #[arg(short = 'j', long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
}

impl LoadArgs {
    /// The phase overrides.
    pub fn overrides(&self) -> crate::drive::engine::PhaseOverrides {
        crate::drive::engine::PhaseOverrides {
            duration: self.duration,
            transactions: self.transactions,
            clients: self.clients,
            rate: self.rate.map(crate::scenario::units::Rate::get),
            threads: self.threads,
        }
    }
}

/// A length of time greater than zero: a zero-length phase measures nothing.
pub(super) fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    // A bare number is seconds, as pgbench's -T reads it.
    let parsed = match text.trim().parse::<u64>() {
        Ok(seconds) => Ok(std::time::Duration::from_secs(seconds)),
        Err(_) => crate::scenario::units::parse_duration(text),
    };
    match parsed {
        Ok(d) if d.is_zero() => Err("expected a duration greater than 0".to_owned()),
        Ok(d) => Ok(d),
        Err(e) => Err(format!("expected {e}")),
    }
}

/// A p-value threshold: strictly between 0 and 1.
fn parse_significance(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if p > 0.0 && p < 1.0 => Ok(p),
        _ => Err("expected a number between 0 and 1, such as 0.05".to_owned()),
    }
}

/// A relative change: 0 or more (0.05 is 5%).
fn parse_noise_threshold(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err("expected a relative change of 0 or more, such as 0.05 for 5%".to_owned()),
    }
}

/// Where to run.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// PostgreSQL URL of an existing server (its password is never printed).
    /// Without it, a throwaway cluster is started.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Leave the throwaway cluster running afterwards and print how to connect.
    #[arg(long)]
    pub keep: bool,
    /// Size the throwaway cluster as a server with this much memory ("1GB"):
    /// shared_buffers a quarter of it, and its processes (their share of the
    /// OS cache included) held to it by a memory cgroup where this machine
    /// allows, so a small data set meets the memory pressure of a large one.
    /// Said plainly when the cap cannot be set.
    #[arg(long, value_name = "SIZE", conflicts_with = "database_url")]
    pub server_memory: Option<crate::scenario::units::Bytes>,
}

//! What a run is asked to do (its command-line choices), what it will be
//! compared on, and why it can fail.

use std::path::PathBuf;

use crate::candidate::CandidateError;
use crate::drive::DriveError;
use crate::drive::engine::{Phase, PhaseOverrides};
use crate::gate::baseline::RunKey;
use crate::pg::PgError;
use crate::report::files::ReportError;
use crate::results::Shard;
use crate::results::{Criteria, Design, Gate, exit};
use crate::scenario::Scenario;
use crate::scenario::workload::Protocol;
use crate::seed::SeedError;

/// Why a run failed before or between phases.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("scenario {0} has no [workload] or no [load] section: `run` needs both")]
    NoWorkload(String),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(transparent)]
    Drive(#[from] DriveError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("cannot start the timeline collector or read a candidate file: {0}")]
    Timeline(std::io::Error),
    #[error("--candidates {0}: no candidate or group of that name in the scenario (known: {1})")]
    UnknownCandidate(String, String),
    #[error(transparent)]
    Candidate(#[from] CandidateError),
    #[error("sharded run: {0}")]
    Shards(String),
    #[error("sharded run: adding up the shards: {0}")]
    Merge(#[from] crate::merge::MergeError),
}

impl RunError {
    /// A scenario without load or an unknown candidate is the user's to
    /// fix; scenario errors keep theirs; everything else failed the run.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NoWorkload(_) | Self::UnknownCandidate(..) => exit::USAGE,
            Self::Pg(e) => e.exit_code(),
            _ => exit::RUN_FAILED,
        }
    }
}

/// Command-line choices of `run`.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub overrides: PhaseOverrides,
    pub protocol: Option<Protocol>,
    pub out: Option<PathBuf>,
    pub progress: bool,
    /// Interleaved rounds [default: 3 with candidates, else 1].
    pub rounds: Option<u32>,
    /// Run only these candidates (the baseline always runs).
    pub only: Option<Vec<String>>,
    /// Keep the candidates' database copies afterwards.
    pub keep_copies: bool,
    /// Prepare each candidate with SQL once and copy it for every sitting
    /// (its prepared database stays until the run ends, beside the
    /// sitting's copies), instead of applying its SQL to every copy.
    pub prepare_once: bool,
    pub criteria: Criteria,
    pub design: Design,
    /// Which verdicts of a schema comparison (`against`) decide the exit code.
    pub gate: Gate,
    /// Compare two schemas in one run instead of the candidates.
    pub against: Option<Against>,
    /// Keep adding rounds past `rounds` until no verdict is inconclusive,
    /// or until another round would overrun this much measuring time.
    pub budget: Option<std::time::Duration>,
    /// This process's share of the load when several drive one server.
    pub shard: Shard,
    /// Sharded: every shard ends with the whole run's results, added up
    /// through the board (capacity judges each measurement on them all).
    pub share: bool,
}

/// A one-run comparison of two schemas, for CI: the baseline is the same
/// scenario migrated another way (a main branch's migrations), the
/// candidate `branch` the scenario as it stands (a pull request's). Both
/// are seeded with the same seed and scale and measured side by side, so
/// no latency measured at another time enters the verdict.
#[derive(Debug, Clone)]
pub struct Against {
    pub scenario: Scenario,
    /// Where its migrations came from, as reports name it.
    pub label: String,
}

/// What a run of `scenario` with `options` will be compared on, known
/// before any work: a stored baseline that differs is refused at once.
pub fn run_key(scenario: &Scenario, options: &RunOptions) -> Option<RunKey> {
    let load = scenario.spec.load.as_ref()?;
    Some(RunKey {
        scenario: scenario.spec.name.clone(),
        scale: scenario.spec.scale,
        seed: scenario.spec.seed,
        protocol: options.protocol.unwrap_or(load.protocol),
        load: load
            .phases
            .iter()
            .map(|p| Phase::from_spec(p, options.overrides).planned())
            .collect(),
    })
}

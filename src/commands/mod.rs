//! One file per subcommand; this one dispatches and owns what they share:
//! the server they open, usage errors about flags, and exit codes.

mod advise;
mod capacity;
mod check;
mod compare;
mod init;
mod lint;
mod merge;
mod migrate;
mod report;
mod run;
mod seed;

use std::process::ExitCode;

use crate::cli::{Cli, Command, ServerArgs};
use crate::gate::{self, Standing};
use crate::pg::{PgError, Server};
use crate::pipeline;
use crate::scenario;

pub use crate::results::exit;

/// The exit code of a finished command.
pub fn exit_code_for_standing(standing: Standing) -> ExitCode {
    ExitCode::from(match standing {
        Standing::Ok => exit::OK,
        Standing::ThresholdFailed => exit::THRESHOLD_FAILED,
        Standing::Regressed => exit::REGRESSION,
        Standing::Undecided => exit::UNDECIDED,
        Standing::NothingMeasured => exit::NOTHING_MEASURED,
        Standing::LintFindings => exit::LINT_FINDINGS,
    })
}

/// The exit code for an error.
pub fn exit_code_for(error: &anyhow::Error) -> ExitCode {
    ExitCode::from(error_code(error))
}

/// The first error in the chain that knows its own code decides; anything
/// else is a run failure.
fn error_code(error: &anyhow::Error) -> u8 {
    error
        .chain()
        .find_map(|e| {
            e.downcast_ref::<scenario::ScenarioError>()
                .map(scenario::ScenarioError::exit_code)
                .or_else(|| {
                    e.downcast_ref::<pipeline::RunError>()
                        .map(pipeline::RunError::exit_code)
                })
                .or_else(|| {
                    e.downcast_ref::<gate::GateError>()
                        .map(gate::GateError::exit_code)
                })
                .or_else(|| {
                    e.downcast_ref::<crate::advise::AdviseError>()
                        .map(crate::advise::AdviseError::exit_code)
                })
                .or_else(|| {
                    e.downcast_ref::<crate::migrate::MigrateError>()
                        .map(crate::migrate::MigrateError::exit_code)
                })
                .or_else(|| {
                    e.downcast_ref::<crate::init::InitError>()
                        .map(crate::init::InitError::exit_code)
                })
                .or_else(|| {
                    e.downcast_ref::<crate::merge::MergeError>()
                        .map(crate::merge::MergeError::exit_code)
                })
                .or_else(|| e.downcast_ref::<PgError>().map(PgError::exit_code))
        })
        .unwrap_or(exit::RUN_FAILED)
}

/// Runs one parsed command line; what it found decides the exit code.
pub async fn run(cli: Cli) -> anyhow::Result<Standing> {
    match cli.command {
        Command::Check { scenario } => check::check(&scenario).map(|()| Standing::Ok),
        Command::Seed(args) => seed::seed(args).await.map(|()| Standing::Ok),
        Command::Run(args) => run::run(args).await,
        Command::Compare(args) => compare::compare(&args),
        Command::Capacity(args) => capacity::capacity(args).await.map(|()| Standing::Ok),
        Command::Report(args) => report::report(&args).map(|()| Standing::Ok),
        Command::Merge(args) => merge::merge(&args),
        Command::Init(args) => init::init(args).await.map(|()| Standing::Ok),
        Command::Lint(args) => lint::lint(args).await,
        Command::Advise(args) => advise::advise(args).await,
        Command::Migrate(args) => migrate::migrate(args).await,
    }
}

/// A usage error about a flag.
pub(crate) fn flag_error(flag: &str, value: String, problem: &str) -> anyhow::Error {
    scenario::ScenarioError::Flag {
        flag: flag.into(),
        value,
        problem: problem.into(),
    }
    .into()
}

/// Refuses, before any work, an output flag that names the wrong kind of
/// path: `--out` an existing file, a `FILE` flag an existing folder or a
/// file in a folder that does not exist. A whole run must not end unable
/// to write what it measured.
pub(crate) fn check_outputs(
    folders: &[(&str, Option<&std::path::Path>)],
    files: &[(&str, Option<&std::path::Path>)],
) -> anyhow::Result<()> {
    let shown = |p: &std::path::Path| p.display().to_string();
    for (flag, path) in folders {
        if let Some(path) = path
            && path.exists()
            && !path.is_dir()
        {
            return Err(flag_error(
                flag,
                shown(path),
                "expected a folder (or where to make one); this is a file",
            ));
        }
    }
    for (flag, path) in files {
        let Some(path) = path else { continue };
        if path.is_dir() {
            return Err(flag_error(
                flag,
                shown(path),
                "expected a file; this is a folder",
            ));
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if parent.is_some_and(|p| !p.is_dir()) {
            return Err(flag_error(
                flag,
                shown(path),
                "expected a file in a folder that exists",
            ));
        }
    }
    Ok(())
}

pub(crate) async fn open_server(args: &ServerArgs) -> anyhow::Result<Server> {
    let memory = args.server_memory.map(|b| b.0);
    let server = Server::open_with(args.database_url.as_deref(), memory).await?;
    eprintln!("using {}", server.describe());
    eprintln!("{}", server.identity().await?.describe());
    match server.cluster.as_ref().and_then(|c| c.memory_cap()) {
        Some(Ok(limit)) => eprintln!(
            "its processes are held to {} by a memory cgroup",
            crate::seed::size::human_binary(limit)
        ),
        Some(Err(reason)) => eprintln!(
            "warning: the cluster is sized for {} (shared_buffers a quarter), but its memory cannot be capped here: {reason}",
            crate::seed::size::human_binary(memory.unwrap_or_default())
        ),
        None => {}
    }
    Ok(server)
}

/// Refuses, before any server starts, a scale that cannot fit: its data
/// plan in this machine's memory, or (with the throwaway cluster) its
/// `databases` seeded databases (the template and the run's copies) on the
/// disk beside it. An existing server's disk is its own business.
pub(crate) fn check_room(
    args: &ServerArgs,
    scenario: &crate::scenario::Scenario,
    databases: f64,
) -> Result<(), crate::scenario::ScenarioError> {
    use crate::seed::size::{available_memory, estimate, free_bytes, human};
    let needs = estimate(&scenario.spec);
    let refuse = |problem: String| crate::scenario::ScenarioError::Flag {
        flag: "--scale".to_owned(),
        value: scenario.spec.scale.to_string(),
        problem,
    };
    if let Some(free) = available_memory()
        && needs.memory_bytes > free
    {
        return Err(refuse(format!(
            "expected a scale whose data plan fits in memory: about {} needed, {} available",
            human(needs.memory_bytes),
            human(free)
        )));
    }
    if args.database_url.is_some() {
        return Ok(());
    }
    let needed = (needs.disk_bytes as f64 * databases) as u64;
    let dir = std::env::temp_dir();
    match free_bytes(&dir) {
        Some(free) if needed > free => Err(refuse(format!(
            "expected a scale whose data fits on disk: about {} needed ({databases} database(s) of {} each), {} free in {}",
            human(needed),
            human(needs.disk_bytes),
            human(free),
            dir.display()
        ))),
        _ => Ok(()),
    }
}

/// How a run's candidates get their copies
/// ([`pipeline::RunOptions::prepare_once`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Preparation {
    /// Prepared once, copied for every round.
    Once,
    /// Prepared on every copy: one round, no candidate SQL, or a server
    /// whose disk is its owner's.
    Again,
    /// Prepared on every copy, for want of disk beside the throwaway cluster.
    AgainForRoom,
}

impl Preparation {
    /// Once on the throwaway cluster when rounds follow and its disk holds
    /// `databases` (every database held at once, the `with_sql` prepared
    /// candidates' included) with a quarter to spare: a candidate's SQL
    /// grows its data (on TaleForge a materialized view 11%, partitions
    /// 7%), and a full disk mid-run would cost more than every copy made
    /// again. An existing server's disk is its owner's: one sitting's
    /// copies at a time there.
    pub(crate) fn choose(
        args: &ServerArgs,
        scenario: &scenario::Scenario,
        with_sql: usize,
        rounds_follow: bool,
        databases: f64,
    ) -> Self {
        if args.database_url.is_some() || with_sql == 0 || !rounds_follow {
            Self::Again
        } else if check_room(args, scenario, databases * 1.25).is_ok() {
            Self::Once
        } else {
            Self::AgainForRoom
        }
    }

    /// Says on stderr how the candidates are prepared, when it matters.
    pub(crate) fn announce(self) {
        match self {
            Self::Once => eprintln!(
                "each candidate's SQL, VACUUM and ANALYZE run once, two candidates at a time before any load: its prepared database is copied for every round (the throwaway cluster's disk holds them all)"
            ),
            Self::AgainForRoom => eprintln!(
                "each candidate's SQL, VACUUM and ANALYZE run again for every round: the disk beside the throwaway cluster cannot hold every candidate's prepared database as well as a sitting's copies"
            ),
            Self::Again => {}
        }
    }
}

/// Prints how to reach a kept cluster, or lets it be removed on drop.
pub(crate) fn finish_server(mut server: Server, args: &ServerArgs, database: &str) {
    if let Some(cluster) = server.cluster.as_mut()
        && args.keep
    {
        match cluster.keep() {
            Ok(()) => eprintln!(
                "cluster kept running; connect with:\n  {}",
                cluster.psql_hint(database)
            ),
            Err(e) => eprintln!(
                "cluster kept running, but its passfile {} could not be written: {e}",
                cluster.passfile().display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn each_error_names_its_code_through_any_context() {
        let usage = flag_error("--rate", "0".into(), "expected more than 0");
        assert_eq!(error_code(&usage.context("while planning")), exit::USAGE);
        let unknown = pipeline::RunError::UnknownCandidate("x".into(), "a, b".into());
        assert_eq!(error_code(&unknown.into()), exit::USAGE);
        let io = || std::io::Error::other("disk full");
        let timeline = pipeline::RunError::Timeline(io());
        assert_eq!(error_code(&timeline.into()), exit::RUN_FAILED);
        let write = gate::GateError::Write {
            path: "b.json".into(),
            source: io(),
        };
        assert_eq!(error_code(&write.into()), exit::RUN_FAILED);
        let wrapped: anyhow::Result<()> = Err(io()).context("reading a candidate");
        assert_eq!(error_code(&wrapped.unwrap_err()), exit::RUN_FAILED);
    }
}

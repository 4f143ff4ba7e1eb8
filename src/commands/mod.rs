//! One file per subcommand; this one dispatches and owns what they share:
//! the server they open, usage errors about flags, and exit codes.

mod capacity;
mod check;
mod compare;
mod report;
mod run;
mod seed;

use std::process::ExitCode;

use crate::cli::{Cli, Command, ServerArgs};
use crate::gate::{self, Standing};
use crate::pg::Server;
use crate::pipeline;
use crate::scenario;

/// Exit codes a CI system can act on.
pub mod exit {
    pub const OK: u8 = 0;
    /// The command line or the scenario file is wrong, or two runs cannot
    /// be compared.
    pub const USAGE: u8 = 2;
    /// The database or the run failed.
    pub const RUN_FAILED: u8 = 3;
    /// The run finished but a threshold of the scenario failed.
    pub const THRESHOLD_FAILED: u8 = 4;
    /// A query is slower than in the stored baseline.
    pub const REGRESSION: u8 = 5;
    /// Against the stored baseline a ratio moved past the noise threshold
    /// but could not be called either way.
    pub const UNDECIDED: u8 = 6;
    /// A measured phase or a query completed no request, or the stored run
    /// compared with lacks a query: nothing to judge by, never a pass.
    pub const NOTHING_MEASURED: u8 = 7;
}

/// The exit code of a finished command.
pub fn exit_code_for_standing(standing: Standing) -> ExitCode {
    ExitCode::from(match standing {
        Standing::Ok => exit::OK,
        Standing::ThresholdFailed => exit::THRESHOLD_FAILED,
        Standing::Regressed => exit::REGRESSION,
        Standing::Undecided => exit::UNDECIDED,
        Standing::NothingMeasured => exit::NOTHING_MEASURED,
    })
}

/// Chooses the exit code for an error: scenario and usage errors are the
/// user's to fix; everything else is a run failure.
pub fn exit_code_for(error: &anyhow::Error) -> ExitCode {
    let usage = error.downcast_ref::<scenario::ScenarioError>().is_some()
        || matches!(
            error.downcast_ref::<pipeline::RunError>(),
            Some(pipeline::RunError::UnknownCandidate(..))
        )
        || matches!(
            error.downcast_ref::<gate::GateError>(),
            Some(
                gate::GateError::Incomparable { .. }
                    | gate::GateError::BadName(_)
                    | gate::GateError::Read { .. }
                    | gate::GateError::Parse { .. }
                    | gate::GateError::Version { .. }
            )
        );
    if usage {
        ExitCode::from(exit::USAGE)
    } else {
        ExitCode::from(exit::RUN_FAILED)
    }
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

pub(crate) async fn open_server(args: &ServerArgs) -> anyhow::Result<Server> {
    let server = Server::open(args.database_url.as_deref()).await?;
    eprintln!("using {}", server.describe());
    Ok(server)
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

//! Thin entry point: parse, run, print the error chain, choose the exit code.

use std::process::ExitCode;

use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};

/// Ctrl-C, or SIGTERM (what `timeout`, CI runners and Kubernetes send):
/// either ends the run the same way. Never completes if neither can be
/// listened for.
async fn stop_requested() -> &'static str {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => "interrupted",
        () = terminate => "terminated",
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    use tracing_subscriber::prelude::*;
    // The server's NOTICEs and WARNINGs reach tokio_postgres's log at INFO
    // ("extension already exists", "wal_level is insufficient"): the
    // migrations' business, not the run's.
    let targets = tracing_subscriber::filter::Targets::new()
        .with_default(tracing::Level::INFO)
        .with_target("tokio_postgres", tracing::Level::WARN);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(schemabench::progress::colours()),
        )
        .with(targets)
        .init();
    let cli = schemabench::cli::Cli::parse();
    let outcome = tokio::select! {
        outcome = schemabench::run(cli) => outcome,
        // Dropping the run stops the throwaway cluster and removes its files.
        why = stop_requested() => Err(anyhow::anyhow!(why)),
    };
    match outcome {
        Ok(standing) => schemabench::exit_code_for_standing(standing),
        Err(error) => {
            eprintln!("Error: {error:#}");
            // A half-seeded database or a run's copies on an existing
            // server go too, whether the run failed or was stopped.
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(15),
                schemabench::pg::database::drop_unfinished(),
            )
            .await;
            schemabench::exit_code_for(&error)
        }
    }
}

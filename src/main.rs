//! Thin entry point: parse, run, print the error chain, choose the exit code.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let cli = schemabench::cli::Cli::parse();
    let outcome = tokio::select! {
        outcome = schemabench::run(cli) => outcome,
        // Dropping the run stops the throwaway cluster and removes its files.
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    match outcome {
        Ok(standing) => schemabench::exit_code_for_standing(standing),
        Err(error) => {
            eprintln!("Error: {error:#}");
            schemabench::exit_code_for(&error)
        }
    }
}

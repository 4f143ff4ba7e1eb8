//! `init --from-migrations DIR`: a scenario for the team's own schema.

use std::path::PathBuf;

use anyhow::Context;

use super::{finish_server, flag_error, open_server};
use crate::cli::InitArgs;
use crate::init::{self, InitOptions};
use crate::seed::plan::DataPlan;

/// Infers, writes and validates the scenario, and says what to run next.
pub async fn init(args: InitArgs) -> anyhow::Result<()> {
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| init::suggested_name(&args.from_migrations));
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(flag_error(
            "--name",
            name,
            "expected lowercase letters, digits and underscores (it names databases and folders)",
        ));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("scenarios").join(&name));
    let server = open_server(&args.server).await?;
    let report = init::init(
        &server,
        &InitOptions {
            migrations: args.from_migrations.clone(),
            out,
            name,
            force: args.force,
        },
    )
    .await
    .with_context(|| {
        format!(
            "inferring a scenario from {}",
            args.from_migrations.display()
        )
    })?;
    let rows = DataPlan::new(&report.scenario.spec).total_rows();
    let file = report.file.display();
    println!(
        "wrote {file}: {} table(s), about {rows} rows at scale 1; {} read(s) as {} users",
        report.inferred.tables.len(),
        report.inferred.queries.len(),
        report.inferred.actor.table
    );
    for gap in &report.inferred.gaps {
        eprintln!("warning: {gap}");
    }
    println!("next:\n  schemabench check {file}\n  schemabench run {file} --scale 0.1");
    finish_server(server, &args.server, "postgres");
    Ok(())
}

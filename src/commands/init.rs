//! `init --from-migrations DIR`: a scenario for the team's own schema.

use std::path::PathBuf;

use anyhow::Context;

use super::{finish_server, flag_error, open_server};
use crate::cli::InitArgs;
use crate::init::LiveValues;
use crate::init::{self, InitOptions, Source};
use crate::seed::plan::DataPlan;

/// Infers, writes and validates the scenario, and says what to run next.
pub async fn init(args: InitArgs) -> anyhow::Result<()> {
    super::check_outputs(&[("--out", args.out.as_deref())], &[])?;
    let source = match (&args.from_migrations, &args.from_database) {
        (Some(dir), _) => Source::Migrations(dir.clone()),
        (None, Some(url)) => Source::Database {
            url: url.clone(),
            live: if args.copy_values {
                LiveValues::Copied
            } else {
                LiveValues::Withheld
            },
        },
        (None, None) => {
            return Err(flag_error(
                "--from-migrations",
                String::new(),
                "expected --from-migrations DIR or --from-database URL",
            ));
        }
    };
    let name = args.name.clone().unwrap_or_else(|| match &source {
        Source::Migrations(dir) => init::suggested_name(dir),
        Source::Database { url, .. } => {
            init::suggested_name(std::path::Path::new(&database_name(url)))
        }
    });
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
            source,
            out,
            name,
            force: args.force,
        },
    )
    .await
    .context("inferring a scenario")?;
    let rows = DataPlan::new(&report.scenario.spec).total_rows();
    let file = report.file.display();
    let writes = report.inferred.queries.iter().filter(|q| q.write).count();
    println!(
        "wrote {file}: {} table(s), about {rows} rows at scale 1; {} read(s) and {writes} write(s) as {} users",
        report.inferred.tables.len(),
        report.inferred.queries.len() - writes,
        report.inferred.actor.table
    );
    for why in &report.inferred.unread {
        println!("note: {why}");
    }
    for gap in &report.inferred.gaps {
        eprintln!("warning: {gap}");
    }
    println!("next:\n  schemabench check {file}\n  schemabench run {file} --scale 0.1");
    finish_server(server, &args.server, "postgres");
    Ok(())
}

/// The database a connection string names (`.../app?sslmode=...` or
/// `dbname=app`).
fn database_name(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest
            .split_once('/')
            .map(|(_, path)| path.split('?').next().unwrap_or_default().to_owned())
            .unwrap_or_default(),
        None => url
            .split_whitespace()
            .find_map(|p| p.strip_prefix("dbname="))
            .unwrap_or_default()
            .to_owned(),
    }
}

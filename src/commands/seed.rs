//! `seed`: builds the scenario's database, or says it is already there.

use anyhow::Context;

use super::{check_room, finish_server, open_server};
use crate::cli::SeedArgs;
use crate::seed as seeding;

/// Seeds (or reuses) the scenario's data and prints what it loaded.
pub async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let scenario = args.data.load()?;
    check_room(&args.server, &scenario, 1.0)?;
    let server = open_server(&args.server).await?;
    let options = seeding::SeedOptions {
        workers: args
            .workers
            .unwrap_or(seeding::SeedOptions::default().workers),
        fresh: args.fresh,
        progress: true,
    };
    let report = seeding::seed(&server, &scenario, &options)
        .await
        .with_context(|| format!("seeding {}", scenario.path.display()))?;
    if report.reused {
        println!(
            "{}: already seeded ({} rows); use --fresh to seed again",
            report.database, report.rows
        );
    } else {
        let secs = report.load_time.as_secs_f64().max(1e-9);
        println!(
            "{}: {} rows in {:.1} s (schema {:.1} s, load {:.1} s at {:.0} rows/s, constraints {:.1} s, analyze {:.1} s)",
            report.database,
            report.rows,
            report.total_time.as_secs_f64(),
            report.schema_time.as_secs_f64(),
            report.load_time.as_secs_f64(),
            report.rows as f64 / secs,
            report.constraint_time.as_secs_f64(),
            report.analyze_time.as_secs_f64(),
        );
        for (table, rows) in &report.tables {
            println!("  {table:<28} {rows:>10}");
        }
    }
    finish_server(server, &args.server, &report.database);
    Ok(())
}

//! `migrate`: a migration's DDL under the scenario's live load.

use anyhow::Context;

use super::{check_room, finish_server, flag_error, open_server};
use crate::candidate::Candidate;
use crate::cli::MigrateArgs;
use crate::gate::Standing;
use crate::migrate::{self, MigrateOptions};
use crate::report;
use crate::scenario::Scenario;

/// Measures the DDL as written and (for index builds) concurrently, prints
/// what users felt and which to ship; exits 3 when the DDL failed.
pub async fn migrate(args: MigrateArgs) -> anyhow::Result<Standing> {
    super::check_outputs(&[("--out", args.out.as_deref())], &[])?;
    let scenario = args.data.load()?;
    let (sql, source) = match (&args.candidate, &args.sql) {
        (Some(name), _) => (
            candidate(&scenario, "--candidate", name)?.sql,
            format!("candidate {name}"),
        ),
        (None, Some(path)) => (
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
            path.display().to_string(),
        ),
        (None, None) => {
            return Err(flag_error(
                "--candidate",
                String::new(),
                "expected --candidate or --sql",
            ));
        }
    };
    let on = match &args.on {
        Some(name) => Some(candidate(&scenario, "--on", name)?),
        None => None,
    };
    let options = MigrateOptions {
        phase: args.phase.clone(),
        overrides: args.load.overrides(),
        at: args.at,
        out: args.out.clone(),
        progress: true,
        on,
    };
    migrate::check(&scenario, &sql, &options)?;
    // The template and one copy at a time.
    check_room(&args.server, &scenario, 2.0)?;
    let server = open_server(&args.server).await?;
    let (results, dir) = migrate::migrate(&server, &scenario, &sql, &source, &options)
        .await
        .with_context(|| format!("measuring {source} under load"))?;
    print!("{}", report::migration::terminal(&results));
    println!(
        "\nreport: {}",
        dir.path.join(report::migration::MIGRATION_HTML).display()
    );
    finish_server(server, &args.server, &results.scenario.database);
    if let Some(failed) = results.variants.iter().find_map(|v| v.ddl_error.as_ref()) {
        anyhow::bail!("the migration failed: {failed}");
    }
    Ok(Standing::Ok)
}

/// The scenario candidate `name`, its SQL read, or a usage error naming
/// the flag and the candidates there are.
fn candidate(scenario: &Scenario, flag: &str, name: &str) -> anyhow::Result<Candidate> {
    let Some(spec) = scenario.spec.candidates.iter().find(|c| c.name == name) else {
        let known: Vec<&str> = scenario
            .spec
            .candidates
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(flag_error(
            flag,
            name.to_owned(),
            &format!(
                "expected one of the scenario's candidates: {}",
                known.join(", ")
            ),
        ));
    };
    let dir = scenario.path.parent().unwrap_or(std::path::Path::new("."));
    Candidate::from_spec(spec, dir).with_context(|| format!("reading candidate {name}'s SQL"))
}

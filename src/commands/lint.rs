//! `lint`: the scenario's schema against splinter's rules.

use anyhow::Context;

use super::{finish_server, open_server};
use crate::cli::LintArgs;
use crate::gate::{self, Standing};
use crate::lint;

/// Migrates the scenario into a scratch database, prints every finding
/// with its fix, and exits 8 when there is one.
pub async fn lint(args: LintArgs) -> anyhow::Result<Standing> {
    let scenario = crate::scenario::Scenario::load(&args.scenario)?;
    let usage = match &args.results {
        Some(path) => Some(
            gate::baseline::load(path)?
                .candidates
                .first()
                .map(|base| base.index_usage.clone())
                .unwrap_or_default(),
        ),
        None => None,
    };
    let server = open_server(&args.server).await?;
    let findings = lint::scenario(&server, &scenario, usage.as_deref())
        .await
        .with_context(|| format!("linting {}", scenario.path.display()))?;
    for f in &findings {
        println!(
            "{:<12} {:<30} {}\n{:<43} fix: {}",
            f.level, f.rule, f.object, "", f.fix
        );
    }
    let rules = if usage.is_some() {
        lint::RULES.len()
    } else {
        lint::RULES.len() - 1
    };
    println!(
        "{}: {} finding(s) against {rules} rules",
        scenario.path.display(),
        findings.len()
    );
    let database = server.maintenance_db();
    finish_server(server, &args.server, &database);
    Ok(if findings.is_empty() {
        Standing::Ok
    } else {
        Standing::LintFindings
    })
}

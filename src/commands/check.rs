//! `check`: validates a scenario file and says what it would seed and run,
//! touching no database.

use std::path::Path;

use crate::scenario::Scenario;
use crate::seed::plan::DataPlan;

/// Validates the scenario file and prints what it describes.
pub fn check(path: &Path) -> anyhow::Result<()> {
    let scenario = Scenario::load(path)?;
    // `init` leaves a TO DO where its file would not seed: a file with one
    // is not ready to run.
    let text = std::fs::read_to_string(path)?;
    if let Some((line, to_do)) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.strip_prefix("# TO DO: ").map(|t| (i + 1, t)))
    {
        let (key, problem) = match to_do.split_once(": ") {
            Some((key, rest)) if key.starts_with("tables") => (key, rest),
            _ => ("TO DO", to_do),
        };
        return Err(crate::scenario::ScenarioError::Invalid {
            file: path.to_owned(),
            line,
            column: 1,
            key: key.to_owned(),
            value: None,
            problem: format!(
                "init left a TO DO here, and the file will not seed until it is done: {problem}"
            ),
        }
        .into());
    }
    let plan_rows = DataPlan::new(&scenario.spec).total_rows();
    println!(
        "{}: ok ({} tables, {} rows at scale {}, {} migrations, {} queries)",
        scenario.path.display(),
        scenario.spec.tables.len(),
        plan_rows,
        scenario.spec.scale,
        scenario.migrations.len(),
        scenario
            .spec
            .workload
            .as_ref()
            .map_or(0, |w| w.queries.len()),
    );
    Ok(())
}

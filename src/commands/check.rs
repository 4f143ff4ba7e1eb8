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
        anyhow::bail!(
            "{}:{line}: init left a TO DO here, and the file will not seed until it is done: {to_do}",
            path.display()
        );
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

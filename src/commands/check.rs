//! `check`: validates a scenario file and says what it would seed and run,
//! touching no database.

use std::path::Path;

use crate::scenario::Scenario;
use crate::seed::plan::DataPlan;

/// Validates the scenario file and prints what it describes.
pub fn check(path: &Path) -> anyhow::Result<()> {
    let scenario = Scenario::load(path)?;
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

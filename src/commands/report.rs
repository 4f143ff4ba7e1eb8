//! `report`: renders a stored results.json again.

use crate::cli::ReportArgs;
use crate::gate;
use crate::report::files::{HTML_FILE, ReportDir};

/// Renders every output of a stored run into its folder (or `--out`).
pub fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let results = gate::baseline::load(&args.results)?;
    let dir = ReportDir::at(args.out.clone().unwrap_or_else(|| {
        args.results
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .to_owned()
    }))?;
    dir.write(&results)?;
    println!("report: {}", dir.path.join(HTML_FILE).display());
    Ok(())
}

//! `report`: renders a stored results.json again.

use anyhow::Context;

use crate::cli::ReportArgs;
use crate::gate;
use crate::report::files::{HTML_FILE, ReportDir};
use crate::report::playbook;

/// Renders every output of a stored run into its folder (or `--out`).
pub fn report(args: &ReportArgs) -> anyhow::Result<()> {
    super::check_outputs(&[("--out", args.out.as_deref())], &[])?;
    let results = gate::baseline::load(&args.results)?;
    let dir = ReportDir::at(args.out.clone().unwrap_or_else(|| {
        args.results
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .to_owned()
    }))?;
    dir.write(&results)?;
    println!("report: {}", dir.path.join(HTML_FILE).display());
    if let Some(file) = &args.playbook {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("reading the playbook {}", file.display()))?;
        let updated = playbook::update(&text, &file.display().to_string(), &results)?;
        std::fs::write(file, updated)
            .with_context(|| format!("writing the playbook {}", file.display()))?;
        println!("playbook: {}", file.display());
    }
    Ok(())
}

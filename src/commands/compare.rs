//! `compare OLD NEW`.

use anyhow::Context;

use crate::cli::CompareArgs;
use crate::gate::{self, Standing};
use crate::report;

/// `compare OLD NEW`: the stored runs' baselines, judged as `--baseline` would.
pub fn compare(args: &CompareArgs) -> anyhow::Result<Standing> {
    super::check_outputs(&[("--out", args.out.as_deref())], &[])?;
    let old = gate::baseline::load(&args.old)?;
    let mut new = gate::baseline::load(&args.new)?;
    let regression = gate::baseline::regression(
        &old,
        &new,
        &args.old.display().to_string(),
        args.criteria.across_runs(),
        args.criteria.gate,
    )?;
    print!("{}", report::markdown::regression(&regression, &new));
    if let Some(warning) = report::analysis::machine_warning(&regression) {
        eprintln!("warning: {warning}");
    }
    // A folder of its own: the runs compared keep their own reports.
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| report::files::ReportDir::default_path(&new.scenario.name, "compare-"));
    let file = out.join(report::files::REGRESSION_FILE);
    std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(&file, report::markdown::regression(&regression, &new)))
        .with_context(|| format!("writing {}", file.display()))?;
    new.regression = Some(regression);
    new.thresholds.clear();
    Ok(gate::standing(&new))
}

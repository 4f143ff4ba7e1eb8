//! `merge SHARD...`: a sharded run's parts added up and reported.

use anyhow::Context;

use crate::cli::MergeArgs;
use crate::gate::{self, Standing};
use crate::merge::{self, Part};
use crate::report::files::{HTML_FILE, ReportDir};

/// Merges the shards, writes the whole run's reports, and judges it as
/// `run` would have.
pub fn merge(args: &MergeArgs) -> anyhow::Result<Standing> {
    super::check_outputs(&[("--out", args.out.as_deref())], &[])?;
    let parts = args
        .shards
        .iter()
        .map(|path| Part::load(path))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = merge::merge(parts)?;
    let results = &merged.results;
    let queries: Vec<String> = results
        .candidates
        .first()
        .map(|c| c.queries.iter().map(|q| q.name.clone()).collect())
        .unwrap_or_default();
    let candidates: Vec<String> = results.candidates.iter().map(|c| c.name.clone()).collect();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| ReportDir::default_path(&results.scenario.name, "merged-"));
    let report = ReportDir::create(Some(&out), &results.scenario.name, &queries, &candidates)
        .with_context(|| format!("creating {}", out.display()))?;
    merge::write(&merged, &report)?;
    print!(
        "{}",
        crate::report::terminal::printed(results, args.verbose)
    );
    println!(
        "\nmerged {} shard(s): {}",
        args.shards.len(),
        report.path.join(HTML_FILE).display()
    );
    Ok(gate::standing(results))
}

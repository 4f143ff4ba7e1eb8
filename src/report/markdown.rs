//! GitHub-flavoured Markdown: `summary.md` fits in a pull-request comment
//! (the verdict table first, details folded), `regression.md` judges a run
//! against a stored baseline.

use std::fmt::Write;

use super::analysis::{detectable_line, latency_caption, regression_work_caption, work_caption};
use super::headline::headline;
use super::table::Cell;
use super::tables::{self, verdict_style};
use crate::results::Verdict;
use crate::results::{CandidateResult, Comparison, Regression, RunResults, WorkComparison};

fn icon(v: Verdict) -> &'static str {
    verdict_style(v).1
}

/// The verdict a reader should see first: slower wins over faster, and a
/// called change over an undecided one.
fn worst(comparisons: &[&Comparison]) -> Verdict {
    [Verdict::Slower, Verdict::Faster, Verdict::Inconclusive]
        .into_iter()
        .find(|v| comparisons.iter().any(|c| c.estimate.verdict == *v))
        .unwrap_or(Verdict::NoChange)
}

/// One query's verdicts under candidate `candidate`, as [`cell`] shows them.
fn verdict_summary(results: &RunResults, query: &str, candidate: &str) -> String {
    let found: Vec<&Comparison> = results
        .comparisons
        .iter()
        .filter(|x| x.query == query && x.candidate == candidate)
        .collect();
    cell(&found)
}

/// `🔴 p50 1.32× · p99 1.80×`: one query under one candidate.
fn cell(comparisons: &[&Comparison]) -> String {
    if comparisons.is_empty() {
        return "–".into();
    }
    let ratios: Vec<String> = comparisons
        .iter()
        .filter(|c| c.percentile != "p95")
        .map(|c| format!("{} {:.2}×", c.percentile, c.estimate.ratio))
        .collect();
    format!("{} {}", icon(worst(comparisons)), ratios.join(" · "))
}

fn header(out: &mut String, results: &RunResults) {
    let _ = writeln!(
        out,
        "## schemabench: {} ({})\n",
        results.scenario.name,
        results.started_at.get(..16).unwrap_or(&results.started_at)
    );
    let _ = writeln!(
        out,
        "Scale {}, seed {}, {} round(s), {} protocol; {}; {} cores.{}\n",
        results.scenario.scale,
        results.scenario.seed,
        results.rounds,
        results.protocol,
        results
            .server
            .version
            .split(" on ")
            .next()
            .unwrap_or(&results.server.version),
        results.machine.cores,
        match &results.aborted {
            Some(why) => format!(" **Aborted:** {why}."),
            None if !results.complete => " **Partial report: the run did not finish.**".into(),
            None => String::new(),
        }
    );
}

/// `summary.md`.
pub fn summary(results: &RunResults) -> String {
    let mut out = String::new();
    header(&mut out, results);
    for warning in &results.warnings {
        let _ = writeln!(out, "> **Warning:** {warning}\n");
    }
    let answer = headline(results);
    if let Some((lead, lines)) = answer.split_first() {
        let _ = writeln!(
            out,
            "**{lead}**
"
        );
        for line in lines {
            let _ = writeln!(out, "- {line}");
        }
        out.push('\n');
    }
    let others: Vec<&CandidateResult> = results.candidates.iter().skip(1).collect();
    let Some(base) = results.candidates.first() else {
        return out;
    };
    if !others.is_empty() {
        let _ = writeln!(
            out,
            "{} 🟢 faster, 🔴 slower, 🟡 inconclusive (the ratio moved past the threshold but the interval cannot call it), ⚪ no change.\n",
            latency_caption(results)
        );
        let names: Vec<&str> = others.iter().map(|c| c.name.as_str()).collect();
        let _ = writeln!(out, "| query | {} |", names.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(names.len()));
        for q in &base.queries {
            let cells: Vec<String> = names
                .iter()
                .map(|c| verdict_summary(results, &q.name, c))
                .collect();
            let _ = writeln!(out, "| `{}` | {} |", q.name, cells.join(" | "));
        }
        out.push('\n');
        if let Some(line) = detectable_line(&results.comparisons) {
            let _ = writeln!(out, "{line}\n");
        }
    }
    work_table(&mut out, &work_caption(results), &results.work_comparisons);
    memory(&mut out, results);
    thresholds(&mut out, results);
    advice(&mut out, results);
    lints(&mut out, results);
    if let Some(r) = &results.regression {
        regression_table(&mut out, r);
    }
    if !others.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>What each candidate costs</summary>\n\n{}\n</details>\n",
            tables::costs(results).markdown()
        );
    }
    for q in &base.queries {
        let _ = writeln!(
            out,
            "<details><summary><code>{}</code> ({} as {})</summary>\n",
            q.name, q.access, q.role
        );
        let table = tables::figures(
            results,
            &q.name,
            |_, c| Cell::text(&c.name),
            |c| Cell::text(verdict_summary(results, &q.name, &c.name)),
        );
        out.push_str(&table.markdown());
        for c in &others {
            if let Some(plan) = c
                .plans
                .iter()
                .find(|p| p.query == q.name && !p.changes.is_empty())
            {
                let _ = writeln!(
                    out,
                    "\nPlan under `{}`: {}",
                    c.name,
                    plan.changes.join(", ")
                );
            }
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    out
}

/// The advised indexes, the planner's estimate beside the measurement.
fn advice(out: &mut String, results: &RunResults) {
    let table = tables::advice(results);
    if table.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Advised indexes\n\nHypoPG showed the planner would use these on the slowest queries; each was then measured as a candidate. The winners are in `{}`.\n\n{}",
        super::advice::MIGRATION_FILE,
        table.markdown()
    );
}

/// The baseline schema's lint findings, folded.
/// The memory regime, folded: where the data sat, each query's hit ratio.
fn memory(out: &mut String, results: &RunResults) {
    let Some(regime) = super::memory::regime(results) else {
        return;
    };
    let table = tables::memory(results);
    let _ = writeln!(out, "<details><summary>Memory</summary>\n\n{regime}\n");
    if !table.is_empty() {
        let _ = writeln!(out, "{}", table.markdown());
    }
    let _ = writeln!(out, "</details>\n");
}

fn lints(out: &mut String, results: &RunResults) {
    if results.lints.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Schema lints: {} finding(s)</summary>\n\n{}\n</details>\n",
        results.lints.len(),
        tables::lints(results).markdown()
    );
}

fn thresholds(out: &mut String, results: &RunResults) {
    if results.thresholds.is_empty() {
        return;
    }
    let failed = results.thresholds.iter().filter(|t| !t.passed).count();
    let _ = writeln!(
        out,
        "**Thresholds:** {}\n\n{}",
        if failed == 0 {
            "all passed".to_owned()
        } else {
            format!("{failed} failed")
        },
        tables::thresholds(results).markdown()
    );
}

/// Buffers and rows per call, a row per comparison; nothing without any.
fn work_table(out: &mut String, caption: &str, comparisons: &[WorkComparison]) {
    if comparisons.is_empty() {
        return;
    }
    let _ = writeln!(out, "{caption}\n\n{}", tables::work(comparisons).markdown());
}

fn regression_table(out: &mut String, r: &Regression) {
    let _ = writeln!(
        out,
        "**{}** (run of {})\n",
        super::headline::gate_line(r),
        r.against_started_at
            .get(..16)
            .unwrap_or(&r.against_started_at),
    );
    let _ = writeln!(out, "{}", tables::regression(r).markdown());
    work_table(out, &regression_work_caption(r), &r.work_comparisons);
}

/// `regression.md`: a run against a stored one, for a pull-request comment.
pub fn regression(r: &Regression, results: &RunResults) -> String {
    let mut out = String::new();
    header(&mut out, results);
    let _ = writeln!(
        out,
        "Latency ratio now/before over each run's rounds as independent samples, with its {:.0}% interval; noise threshold {:.0}%; changes are called after Holm's correction over the {} latency verdicts (significance {}).\n",
        (1.0 - r.criteria.significance) * 100.0,
        r.criteria.noise_threshold * 100.0,
        r.comparisons.len(),
        r.criteria.significance
    );
    regression_table(&mut out, r);
    out
}

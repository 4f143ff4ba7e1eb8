//! The summary table printed at the end of a run.

use std::fmt::Write;

use super::analysis::{
    FIGURE_COLUMNS, WORK_COLUMNS, detectable_line, latency_caption, measured, work_caption,
    work_rows,
};
use super::headline::headline;
use crate::results::{Offered, PhaseResult, QueryResult, RunResults};

/// What a command prints of a run: about one screen ([`super::brief`]),
/// or every figure with `verbose`.
pub fn printed(results: &RunResults, verbose: bool) -> String {
    if verbose {
        summary(results)
    } else {
        super::brief::summary(results)
    }
}

/// Every figure of a run, as `--verbose` prints it.
///
/// For a single configuration and round: one table per measured phase,
/// then the totals. With candidates: one table per candidate over all its
/// rounds, then the verdicts. Figures: count, throughput, mean, p50, p95,
/// p99, p99.9, max (ms), errors and timeouts per query.
pub fn summary(results: &RunResults) -> String {
    let mut out = String::new();
    for warning in &results.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    let single = results.candidates.len() == 1 && results.rounds == 1;
    for candidate in &results.candidates {
        let measured: Vec<&PhaseResult> = candidate.phases.iter().filter(|p| !p.warmup).collect();
        if single {
            for phase in &measured {
                let _ = writeln!(
                    out,
                    "\nphase {} ({}): {} requests in {:.1} s, {:.1} req/s",
                    phase.name,
                    load(phase),
                    phase.requests,
                    phase.elapsed_s,
                    phase.throughput
                );
                table(&mut out, &phase.queries);
            }
            if measured.len() > 1 {
                let _ = writeln!(out, "\nall measured phases:");
                table(&mut out, &candidate.queries);
            }
        } else {
            let _ = writeln!(
                out,
                "\ncandidate {} ({}), {} round(s); DDL {:.2} s, database {:.1} MB:",
                candidate.name,
                candidate.description,
                results.rounds,
                candidate.cost.ddl_seconds,
                candidate.cost.database_bytes as f64 / 1e6
            );
            table(&mut out, &candidate.queries);
            for plan in candidate.plans.iter().filter(|p| !p.changes.is_empty()) {
                let _ = writeln!(out, "  plan of {}: {}", plan.query, plan.changes.join(", "));
            }
        }
    }
    if !results.comparisons.is_empty() {
        verdicts(&mut out, results);
        if let Some(line) = detectable_line(&results.comparisons) {
            let _ = writeln!(out, "{line}");
        }
    }
    if !results.work_comparisons.is_empty() {
        let _ = writeln!(out, "\n{}", work_caption(results));
        let line = |cells: &[String]| {
            format!(
                "{:<22} {:<22} {:<22} {:<16} {:<20} {:<22} {}",
                cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6]
            )
        };
        let _ = writeln!(out, "{}", line(&WORK_COLUMNS.map(str::to_owned)));
        for row in work_rows(&results.work_comparisons) {
            let _ = writeln!(out, "{}", line(&row));
        }
    }
    if let Some(regime) = super::memory::regime(results) {
        let _ = writeln!(out, "\n{regime}");
    }
    if !results.thresholds.is_empty() {
        let _ = writeln!(out, "\nthresholds (baseline):");
        for t in &results.thresholds {
            let _ = writeln!(
                out,
                "  {:<6} {:<22} {:<24} measured {}",
                if t.passed { "ok" } else { "FAILED" },
                t.query,
                t.limit,
                measured(t)
            );
        }
    }
    let advised = super::advice::rows(results);
    if !advised.is_empty() {
        let _ = writeln!(out, "\nadvised indexes (planner estimate, then measured):");
        for row in &advised {
            let _ = writeln!(
                out,
                "  {}\n    {:<22} planner {:<7} work {:<32} p50 {:<32} {} {}: {}",
                row.index.definition,
                row.gain.query,
                row.planned,
                row.work,
                row.p50,
                row.size,
                row.built,
                row.outcome_text()
            );
        }
    }
    if !results.lints.is_empty() {
        let _ = writeln!(
            out,
            "\nschema lints (baseline): {} finding(s)",
            results.lints.len()
        );
        for l in &results.lints {
            let _ = writeln!(out, "  {:<12} {:<30} {}", l.level, l.rule, l.object);
        }
    }
    if let Some(r) = &results.regression {
        let _ = writeln!(out, "\n{}", super::headline::gate_line(r));
    }
    for w in results.warnings() {
        let _ = writeln!(out, "warning: {w}");
    }
    if let Some(why) = &results.aborted {
        let _ = writeln!(out, "\naborted: {why}");
    }
    // The answer last, where a terminal leaves the reader's eye.
    let _ = writeln!(out, "\nanswer:");
    for line in headline(results) {
        let _ = writeln!(out, "  {line}");
    }
    out
}

fn load(phase: &PhaseResult) -> String {
    let mode = match phase.offered {
        Offered::Open {
            rate,
            arrivals,
            workers,
        } => format!(
            "open loop, {rate} req/s {arrivals} arrivals, up to {workers} connections; late {}, dropped {}",
            phase.late, phase.dropped
        ),
        Offered::Closed { clients } => format!("closed loop, {clients} clients"),
    };
    match phase.generator {
        Some(g) => format!(
            "{mode}; generator {} thread(s), {:.2} CPU s, busy {:.0}%",
            g.threads,
            g.cpu_s,
            g.busy * 100.0
        ),
        None => mode,
    }
}

/// Candidate/baseline ratios with their intervals and verdicts.
fn verdicts(out: &mut String, results: &RunResults) {
    let _ = writeln!(
        out,
        "\nverdicts against the baseline. {}",
        latency_caption(results)
    );
    let _ = writeln!(
        out,
        "{:<22} {:<22} {:<30} {:<30} {:<30}",
        "query", "candidate", "p50", "p95", "p99"
    );
    let mut rows: Vec<(&str, &str)> = results
        .comparisons
        .iter()
        .map(|c| (c.query.as_str(), c.candidate.as_str()))
        .collect();
    rows.dedup();
    for (query, candidate) in rows {
        let cell = |p: &str| {
            results
                .comparisons
                .iter()
                .find(|c| c.query == query && c.candidate == candidate && c.percentile == p)
                .map(|c| {
                    let e = &c.estimate;
                    format!("{} {}", e.ratio_text(), e.verdict.word())
                })
                .unwrap_or_default()
        };
        let _ = writeln!(
            out,
            "{query:<22} {candidate:<22} {:<30} {:<30} {:<30}",
            cell("p50"),
            cell("p95"),
            cell("p99")
        );
    }
}

fn table(out: &mut String, queries: &[QueryResult]) {
    const WIDTHS: [usize; 10] = [8, 9, 8, 8, 8, 8, 9, 9, 7, 8];
    let row = |name: &str, cells: &[String]| -> String {
        let cells: Vec<String> = cells
            .iter()
            .zip(WIDTHS)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect();
        format!("{name:<22} {}", cells.join(" "))
    };
    let titles = FIGURE_COLUMNS.map(str::to_owned);
    let _ = writeln!(out, "{}", row("query", &titles));
    for q in queries {
        let _ = writeln!(out, "{}", row(&q.name, &q.figure_cells()));
    }
    let errors: Vec<String> = queries
        .iter()
        .flat_map(|q| {
            q.errors_by_sqlstate
                .iter()
                .map(move |(code, e)| format!("  {} {code} x{}: {}", q.name, e.count, e.sample))
        })
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "errors by SQLSTATE:\n{}", errors.join("\n"));
    }
}

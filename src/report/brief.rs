//! The terminal's default summary: about one screen, no line over
//! [`WIDTH`] columns. Each configuration in one line, the app as a whole
//! and the called changes of each candidate, what failed, and the answer
//! last; every other figure is one `--verbose` or one report.html away.

use std::fmt::Write;

use super::headline::{gate_line, headline};
use crate::results::{Estimate, RunResults, Verdict, new_histogram};

/// The widest line the default summary prints.
pub const WIDTH: usize = 100;

/// Verdict rows shown before the rest are only counted.
const ROWS: usize = 20;

/// Warnings shown before the rest are only counted.
const WARNINGS: usize = 5;

/// `text` cut to `width` characters, an ellipsis marking the cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text` wrapped at [`WIDTH`], its first line after `first`, the rest
/// indented by `rest`.
fn wrapped(out: &mut String, text: &str, first: &str, rest: &str) {
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(first)
        .subsequent_indent(rest);
    for line in textwrap::wrap(text, options) {
        let _ = writeln!(out, "{line}");
    }
}

/// One called (or undecided) figure of a candidate.
struct Row<'a> {
    candidate: &'a str,
    query: &'a str,
    figure: &'a str,
    estimate: &'a Estimate,
}

/// The default summary of a run.
pub fn summary(results: &RunResults) -> String {
    let mut out = String::new();
    for warning in &results.warnings {
        wrapped(&mut out, warning, "warning: ", "  ");
    }
    configurations(&mut out, results);
    verdicts(&mut out, results);
    let failed: Vec<_> = results.thresholds.iter().filter(|t| !t.passed).collect();
    if !results.thresholds.is_empty() {
        let _ = writeln!(
            out,
            "\nthresholds (baseline): {} of {} pass",
            results.thresholds.len() - failed.len(),
            results.thresholds.len()
        );
        for t in failed {
            let line = format!(
                "FAILED {} {} (measured {})",
                t.query,
                t.limit,
                super::analysis::measured(t)
            );
            wrapped(&mut out, &line, "  ", "    ");
        }
    }
    if let Some(r) = &results.regression {
        out.push('\n');
        wrapped(&mut out, &gate_line(r), "", "  ");
    }
    let warnings = results.warnings();
    for w in warnings.iter().take(WARNINGS) {
        wrapped(&mut out, w, "warning: ", "  ");
    }
    if warnings.len() > WARNINGS {
        let _ = writeln!(
            out,
            "({} more warnings: --verbose or report.html)",
            warnings.len() - WARNINGS
        );
    }
    if let Some(why) = &results.aborted {
        wrapped(&mut out, why, "\naborted: ", "  ");
    }
    // The answer last, where a terminal leaves the reader's eye.
    let _ = writeln!(out, "\nanswer:");
    for line in headline(results) {
        wrapped(&mut out, &line, "  ", "    ");
    }
    out
}

/// Each configuration in one line: every request of the run.
fn configurations(out: &mut String, results: &RunResults) {
    let _ = writeln!(
        out,
        "\n{:<24} {:>9} {:>9} {:>9} {:>9} {:>8}  (all queries)",
        "configuration", "requests", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for c in &results.candidates {
        let mut all = new_histogram();
        for q in &c.queries {
            let _ = all.add(&q.histogram.0);
        }
        let (count, errors): (u64, u64) = c
            .queries
            .iter()
            .fold((0, 0), |(n, e), q| (n + q.count, e + q.errors + q.timeouts));
        let throughput: f64 = c.queries.iter().map(|q| q.throughput).sum();
        let ms = |q: f64| all.value_at_quantile(q) as f64 / 1000.0;
        let _ = writeln!(
            out,
            "{:<24} {count:>9} {throughput:>9.1} {:>9.2} {:>9.2} {:>7.3}%",
            fit(&c.name, 24),
            ms(0.5),
            ms(0.99),
            errors as f64 * 100.0 / count.max(1) as f64
        );
    }
}

/// The app as a whole for every candidate, then the called changes, the
/// largest first; undecided and unchanged figures counted.
fn verdicts(out: &mut String, results: &RunResults) {
    if results.candidates.len() < 2 {
        return;
    }
    let mut rows: Vec<Row> = Vec::new();
    for app in &results.app_comparisons {
        for (figure, e) in [("time", &app.latency), ("work", &app.work)] {
            if let Some(estimate) = e {
                rows.push(Row {
                    candidate: &app.candidate,
                    query: "(the app as a whole)",
                    figure,
                    estimate,
                });
            }
        }
    }
    let app_rows = rows.len();
    let latency = results.comparisons.iter().map(|c| {
        (
            c.candidate.as_str(),
            c.query.as_str(),
            c.percentile.as_str(),
            &c.estimate,
        )
    });
    let work = results
        .work_comparisons
        .iter()
        .map(|c| (c.candidate.as_str(), c.query.as_str(), "work", &c.estimate));
    let (mut undecided, mut unchanged) = (0, 0);
    let mut called: Vec<Row> = Vec::new();
    for (candidate, query, figure, estimate) in latency.chain(work) {
        match estimate.verdict {
            Verdict::Faster | Verdict::Slower => called.push(Row {
                candidate,
                query,
                figure,
                estimate,
            }),
            Verdict::Inconclusive => undecided += 1,
            Verdict::NoChange => unchanged += 1,
        }
    }
    let size = |r: &Row| r.estimate.ratio.ln().abs();
    called.sort_by(|a, b| {
        a.candidate
            .cmp(b.candidate)
            .then(size(b).total_cmp(&size(a)))
    });
    let hidden = called.len().saturating_sub(ROWS);
    rows.extend(called.into_iter().take(ROWS));
    let _ = writeln!(
        out,
        "\n{:<20} {:<24} {:<6} {:<28} verdict",
        "candidate", "query", "figure", "ratio [interval]"
    );
    for (i, row) in rows.iter().enumerate() {
        if i == app_rows && app_rows > 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{:<20} {:<24} {:<6} {:<28} {}",
            fit(row.candidate, 20),
            fit(row.query, 24),
            row.figure,
            fit(&row.estimate.ratio_text(), 28),
            row.estimate.verdict.word()
        );
    }
    let mut rest = vec![
        format!("{undecided} undecided"),
        format!("{unchanged} no change"),
    ];
    if hidden > 0 {
        rest.insert(0, format!("{hidden} more called"));
    }
    let _ = writeln!(out, "({}: --verbose or report.html)", rest.join(", "));
}

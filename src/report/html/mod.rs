//! `report.html`: one self-contained file (no network), charts as inline
//! SVG. Written as well-formed XHTML so tools (and the tests) can parse it.

mod context;
mod query;

use std::fmt::Write;

use context::context;
use query::query_section;

use super::analysis::{detectable_line, latency_caption, regression_work_caption, work_caption};
use super::charts::{self, RatioRow};
use super::headline::headline;
use super::table::{Align::Left, Align::Right, Cell, Table};
use super::tables;
use crate::results::Verdict;
use crate::results::{Estimate, RunResults, WorkComparison};

/// Escapes text for HTML and XML.
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A configuration's name beside the colour its lines have in the charts.
pub(super) fn swatch(index: usize, name: &str) -> Cell {
    Cell::Rich {
        html: format!(
            "<span class=\"swatch\" style=\"background:{}\"></span>{}",
            charts::css_color(index),
            esc(name)
        ),
        text: name.to_owned(),
    }
}

/// A chart, or a note saying why it is missing.
pub fn figure(out: &mut String, chart: Result<String, charts::ChartError>) {
    match chart {
        Ok(svg) => {
            let start = svg.find("<svg").unwrap_or(0);
            let _ = writeln!(out, "<figure>{}</figure>", &svg[start..]);
        }
        Err(e) => {
            let _ = writeln!(out, "<p class=\"warn\">{}</p>", esc(&e.to_string()));
        }
    }
}

pub const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1180px;padding:0 24px 48px;color:#222;line-height:1.4}
h1{margin:24px 0 4px;font-size:26px}h2{margin-top:36px;border-bottom:2px solid #ddd;padding-bottom:4px}h3{margin-top:28px}
.sub{color:#555;margin:0 0 12px}table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
th,td{border-bottom:1px solid #e3e3e3;padding:4px 10px;text-align:right;vertical-align:top}th{background:#f6f6f6}
td.l,th.l{text-align:left}td.l{overflow-wrap:anywhere}table{max-width:100%}tr td.l:first-child{white-space:nowrap}.faster{color:#2e8b3e;font-weight:600}.slower{color:#d62728;font-weight:600}.same{color:#777}.inconclusive{color:#b07800;font-weight:600}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:12px}
figure{margin:0}figure svg{width:100%;height:auto}.warn{color:#a15c00}.bad{color:#d62728;font-weight:600}.good{color:#2e8b3e;font-weight:600}
code{background:#f3f3f3;padding:1px 4px;border-radius:3px}details{margin:6px 0}.kv td{text-align:left}
nav a{margin-right:12px}.answer .lead{font-size:18px;font-weight:600;margin:12px 0 4px}.answer li{margin:3px 0}.answer figure svg{width:auto;max-width:100%}ul.plain{padding-left:18px}";

/// The whole page.
pub fn render(results: &RunResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>schemabench: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        esc(&results.scenario.name)
    );
    header(&mut out, results);
    overview(&mut out, results);
    if let Some(base) = results.candidates.first() {
        for q in &base.queries {
            query_section(&mut out, results, &q.name);
        }
    }
    context(&mut out, results);
    let _ = writeln!(out, "</body>\n</html>");
    out
}

fn header(out: &mut String, r: &RunResults) {
    let _ = writeln!(
        out,
        "<h1>schemabench: {}</h1>\n<p class=\"sub\">{} · {:.0} s · scale {} · seed {} · {} round(s) · {} protocol · schemabench {}</p>",
        esc(&r.scenario.name),
        esc(r.started_at.get(..19).unwrap_or(&r.started_at)),
        r.elapsed_s,
        r.scenario.scale,
        r.scenario.seed,
        r.rounds,
        r.protocol,
        esc(&r.schemabench_version)
    );
    if let Some(why) = &r.aborted {
        let _ = writeln!(out, "<p class=\"bad\">Aborted: {}</p>", esc(why));
    } else if !r.complete {
        let _ = writeln!(
            out,
            "<p class=\"bad\">Partial report: the run did not finish.</p>"
        );
    }
    for warning in &r.warnings {
        let _ = writeln!(out, "<p class=\"bad\">Warning: {}</p>", esc(warning));
    }
    answer(out, r);
    let _ = write!(out, "<nav>");
    for (id, title) in [
        ("overview", "Overview"),
        ("queries", "Queries"),
        ("context", "Run context"),
    ] {
        let _ = write!(out, "<a href=\"#{id}\">{title}</a>");
    }
    let _ = writeln!(out, "</nav>");
    let mut t = Table::new([("configuration", Left), ("description", Left)]);
    for (i, c) in r.candidates.iter().enumerate() {
        t.row(vec![swatch(i, &c.name), Cell::text(&c.description)]);
    }
    out.push_str(&t.html());
}

/// One row of a ratio chart: an estimate and what it is of.
pub(in crate::report) fn ratio_row(label: String, e: &Estimate) -> RatioRow {
    RatioRow {
        label,
        ratio: e.ratio,
        low: e.ci_low,
        high: e.ci_high,
        verdict: e.verdict,
    }
}

/// The headline sentences, then every called change on one chart: the
/// answer on the first screen.
fn answer(out: &mut String, r: &RunResults) {
    let lines = headline(r);
    let Some((lead, rest)) = lines.split_first() else {
        return;
    };
    let _ = writeln!(
        out,
        "<section class=\"answer\">\n<p class=\"lead\">{}</p>\n<ul class=\"plain\">",
        esc(lead)
    );
    for line in rest {
        let _ = writeln!(out, "<li>{}</li>", esc(line));
    }
    let _ = writeln!(out, "</ul>");
    let called = |v: Verdict| v == Verdict::Faster || v == Verdict::Slower;
    let mut rows: Vec<RatioRow> = r
        .comparisons
        .iter()
        .filter(|x| called(x.estimate.verdict))
        .map(|x| {
            ratio_row(
                format!("{} · {} {}", x.candidate, x.query, x.percentile),
                &x.estimate,
            )
        })
        .chain(
            r.work_comparisons
                .iter()
                .filter(|w| called(w.estimate.verdict))
                .map(|w| ratio_row(format!("{} · {} work", w.candidate, w.query), &w.estimate)),
        )
        .collect();
    if !rows.is_empty() {
        rows.sort_by(|a, b| a.ratio.total_cmp(&b.ratio));
        figure(
            out,
            charts::ratios(
                "Every called change, candidate/baseline",
                "ratio of latency percentiles or of work per call (log scale; < 1 is faster)",
                &rows,
                r.criteria.noise_threshold,
            ),
        );
    }
    let _ = writeln!(out, "</section>");
}

fn overview(out: &mut String, r: &RunResults) {
    let _ = writeln!(out, "<h2 id=\"overview\">Overview</h2>");
    thresholds(out, r);
    regression(out, r);
    if r.candidates.len() > 1 {
        let _ = writeln!(
            out,
            "<p>{} Each dot is a ratio, the whisker its interval, the grey band the noise threshold. Green: faster, red: slower, amber: inconclusive, grey: no change.</p>",
            esc(&latency_caption(r))
        );
        if let Some(line) = detectable_line(&r.comparisons) {
            let _ = writeln!(out, "<p>{}</p>", esc(&line));
        }
        let _ = writeln!(out, "<div class=\"charts\">");
        for c in r.candidates.iter().skip(1) {
            let mut rows: Vec<RatioRow> = r
                .comparisons
                .iter()
                .filter(|x| x.candidate == c.name && x.percentile != "p95")
                .map(|x| ratio_row(format!("{} {}", x.query, x.percentile), &x.estimate))
                .collect();
            rows.sort_by(|a, b| a.ratio.total_cmp(&b.ratio));
            figure(
                out,
                charts::ratios(
                    &format!("{}: p50 and p99 against the baseline", c.name),
                    "latency ratio candidate/baseline (log scale; < 1 is faster)",
                    &rows,
                    r.criteria.noise_threshold,
                ),
            );
        }
        let _ = writeln!(out, "</div>");
        work(out, r);
        costs(out, r);
    }
    memory(out, r);
    advice(out, r);
    lints(out, r);
    let warnings = r.warnings();
    if !warnings.is_empty() {
        let _ = writeln!(out, "<h3>Warnings</h3>\n<ul class=\"plain\">");
        for w in warnings {
            let _ = writeln!(out, "<li class=\"warn\">{}</li>", esc(&w));
        }
        let _ = writeln!(out, "</ul>");
    }
    errors(out, r);
}

/// The advised indexes, the planner's estimate beside the measurement.
fn advice(out: &mut String, r: &RunResults) {
    let table = tables::advice(r);
    if table.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h3>Advised indexes</h3>\n<p>HypoPG showed the planner would use these on the slowest queries; each was then measured as a candidate. The winners are in <code>{}</code>.</p>",
        crate::report::advice::MIGRATION_FILE,
    );
    out.push_str(&table.html());
}

/// The baseline schema's lint findings with their fixes.
fn lints(out: &mut String, r: &RunResults) {
    if r.lints.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>Schema lints: {} finding(s)</h3>", r.lints.len());
    out.push_str(&tables::lints(r).html());
}

/// The work table of the run's candidates.
fn work(out: &mut String, r: &RunResults) {
    work_table(out, "Work per call", &work_caption(r), &r.work_comparisons);
}

/// Buffers and rows per call, a row per comparison; nothing without any.
fn work_table(out: &mut String, title: &str, caption: &str, comparisons: &[WorkComparison]) {
    if comparisons.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>{}</h3>\n<p>{}</p>", esc(title), esc(caption));
    out.push_str(&tables::work(comparisons).html());
}

fn thresholds(out: &mut String, r: &RunResults) {
    if r.thresholds.is_empty() {
        return;
    }
    let failed = r.thresholds.iter().filter(|t| !t.passed).count();
    let _ = writeln!(
        out,
        "<h3>Thresholds: <span class=\"{}\">{}</span></h3>",
        if failed == 0 { "good" } else { "bad" },
        if failed == 0 {
            "all passed".to_owned()
        } else {
            format!("{failed} failed")
        }
    );
    out.push_str(&tables::thresholds(r).html());
}

fn regression(out: &mut String, r: &RunResults) {
    let Some(reg) = &r.regression else {
        return;
    };
    let _ = writeln!(
        out,
        "<h3 class=\"{}\">{}</h3>",
        if reg.regressed { "bad" } else { "good" },
        esc(&super::headline::gate_line(reg)),
    );
    out.push_str(&tables::regression(reg).html());
    work_table(
        out,
        &format!("Work against {}", reg.against),
        &regression_work_caption(reg),
        &reg.work_comparisons,
    );
}

/// Where the data sat against the server's memory, and each query's
/// share of buffers found in shared_buffers.
fn memory(out: &mut String, r: &RunResults) {
    let Some(regime) = super::memory::regime(r) else {
        return;
    };
    let _ = writeln!(out, "<h3>Memory</h3>\n<p>{}</p>", esc(&regime));
    let table = tables::memory(r);
    if !table.is_empty() {
        out.push_str(&table.html());
    }
}

fn costs(out: &mut String, r: &RunResults) {
    let _ = writeln!(out, "<h3>What each candidate costs</h3>");
    out.push_str(&tables::costs(r).html());
}

fn errors(out: &mut String, r: &RunResults) {
    let mut t = Table::new([
        ("configuration", Left),
        ("query", Left),
        ("SQLSTATE", Left),
        ("count", Right),
        ("sample message", Left),
    ]);
    for c in &r.candidates {
        for q in &c.queries {
            for (code, e) in &q.errors_by_sqlstate {
                t.row(vec![
                    Cell::text(&c.name),
                    Cell::text(&q.name),
                    Cell::code(code),
                    Cell::text(e.count.to_string()),
                    Cell::text(&e.sample),
                ]);
            }
        }
    }
    if t.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>Errors by SQLSTATE</h3>");
    out.push_str(&t.html());
}

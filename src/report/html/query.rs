//! One section per query: its figures, charts and plans.

use std::fmt::Write;

use super::{esc, figure, swatch};
use crate::report::charts::{self, Series};
use crate::report::table::{Align::Left, Align::Right, Cell, Table};
use crate::report::tables::{self, verdict_style};
use crate::results::{CandidateResult, Latencies, RunResults};

/// Per-second points of one query in one phase of a configuration: at
/// each second into the phase, the mean over every time it ran that phase
/// (its rounds, and for the baseline each candidate it sat beside), so
/// configurations compare at the same moment of the same phase.
struct PerSecond {
    throughput: Vec<(f64, f64)>,
    p99: Vec<(f64, f64)>,
}

fn timeline_points(c: &CandidateResult, query: &str, phase: &str) -> PerSecond {
    // Per second into the phase: requests summed, p99s summed, and counts.
    let mut sums: Vec<(f64, usize, f64, usize)> = Vec::new();
    for run in c.phases.iter().filter(|p| p.name == phase && !p.warmup) {
        let first = run.timeline.iter().map(|t| t.second).min().unwrap_or(0);
        for t in run.timeline.iter().filter(|t| t.query == query) {
            let at = (t.second - first) as usize;
            if sums.len() <= at {
                sums.resize(at + 1, (0.0, 0, 0.0, 0));
            }
            let s = &mut sums[at];
            s.0 += t.count as f64;
            s.1 += 1;
            if t.count > 0 {
                s.2 += t.p99_us as f64 / 1000.0;
                s.3 += 1;
            }
        }
    }
    fn mean(sum: f64, n: usize) -> Option<f64> {
        (n > 0).then(|| sum / n as f64)
    }
    let points = |value: fn(&(f64, usize, f64, usize)) -> Option<f64>| {
        sums.iter()
            .enumerate()
            .filter_map(|(at, s)| Some((at as f64, value(s)?)))
            .collect()
    };
    PerSecond {
        throughput: points(|s| mean(s.0, s.1)),
        p99: points(|s| mean(s.2, s.3)),
    }
}

pub(super) fn query_section(out: &mut String, r: &RunResults, name: &str) {
    let anchor = if r
        .candidates
        .first()
        .and_then(|b| b.queries.first())
        .is_some_and(|q| q.name == name)
    {
        " id=\"queries\""
    } else {
        ""
    };
    let base_query = r
        .candidates
        .first()
        .and_then(|c| c.queries.iter().find(|q| q.name == name));
    let _ = writeln!(
        out,
        "<h2{anchor}>{}</h2>\n<p class=\"sub\">{}</p>",
        esc(name),
        base_query.map_or(String::new(), |q| esc(&format!(
            "{} as {}",
            q.access, q.role
        )))
    );
    figures(out, r, name);
    let histograms: Vec<(String, plotters::style::RGBColor, Latencies)> = r
        .candidates
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let q = c.queries.iter().find(|q| q.name == name)?;
            Some((c.name.clone(), charts::color(i), q.histogram.0.clone()))
        })
        .collect();
    let refs: Vec<(String, plotters::style::RGBColor, &Latencies)> = histograms
        .iter()
        .map(|(n, c, h)| (n.clone(), *c, h))
        .collect();
    let _ = writeln!(out, "<div class=\"charts\">");
    figure(
        out,
        charts::percentiles(&format!("{name}: latency by percentile"), &refs),
    );
    figure(
        out,
        charts::histogram(&format!("{name}: latency distribution"), &refs),
    );
    // One panel per measured phase: a phase change is not a regression.
    for phase in r.load.iter().filter(|p| !p.warmup) {
        let timelines: Vec<(usize, &CandidateResult, PerSecond)> = r
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c, timeline_points(c, name, &phase.name)))
            .collect();
        let series = |pick: fn(&PerSecond) -> &Vec<(f64, f64)>| -> Vec<Series> {
            timelines
                .iter()
                .map(|(i, c, t)| Series {
                    name: c.name.clone(),
                    color: charts::color(*i),
                    points: pick(t).clone(),
                })
                .collect()
        };
        figure(
            out,
            charts::over_time(
                &format!("{name}, phase {}: throughput per second", phase.name),
                "requests per second",
                series(|t| &t.throughput),
                false,
            ),
        );
        figure(
            out,
            charts::over_time(
                &format!("{name}, phase {}: p99 per second", phase.name),
                "p99 latency (ms)",
                series(|t| &t.p99),
                true,
            ),
        );
    }
    let _ = writeln!(out, "</div>");
    plans(out, r, name);
}

fn figures(out: &mut String, r: &RunResults, name: &str) {
    let verdicts = |c: &CandidateResult| {
        let spans: Vec<String> = r
            .comparisons
            .iter()
            .filter(|x| x.candidate == c.name && x.query == name)
            .map(|x| {
                let (class, _) = verdict_style(x.estimate.verdict);
                format!(
                    "<span class=\"{class}\" title=\"interval {:.2}–{:.2}, corrected p = {:.3}, detectable {}\">{} {:.2}× {}</span>",
                    x.estimate.ci_low,
                    x.estimate.ci_high,
                    x.estimate.p_adjusted,
                    x.estimate.detectable.map_or("-".to_owned(), |d| format!("{d:.2}×")),
                    x.percentile,
                    x.estimate.ratio,
                    x.estimate.verdict.word()
                )
            })
            .collect();
        Cell::Rich {
            html: spans.join(" · "),
            text: String::new(),
        }
    };
    out.push_str(&tables::figures(r, name, |i, c| swatch(i, &c.name), verdicts).html());
}

fn plans(out: &mut String, r: &RunResults, name: &str) {
    let mut t = Table::new([
        ("configuration", Left),
        ("plan nodes", Left),
        ("est. rows", Right),
        ("actual rows", Right),
        ("buffers hit", Right),
        ("read", Right),
        ("exec ms", Right),
        ("changed against the baseline", Left),
    ]);
    for c in &r.candidates {
        let Some(p) = c.plans.iter().find(|p| p.query == name) else {
            continue;
        };
        let nodes = match &p.error {
            Some(e) => Cell::Judged {
                text: e.clone(),
                class: "warn",
                icon: "",
            },
            None => Cell::Text(p.nodes.join(" → ")),
        };
        t.row(vec![
            Cell::text(&c.name),
            nodes,
            Cell::text(format!("{:.0}", p.estimated_rows)),
            Cell::text(format!("{:.0}", p.actual_rows)),
            Cell::text(p.shared_hit_blocks.to_string()),
            Cell::text(p.shared_read_blocks.to_string()),
            Cell::text(format!("{:.2}", p.execution_ms)),
            Cell::Text(p.changes.join(", ")),
        ]);
    }
    let _ = write!(
        out,
        "<details open=\"open\"><summary>Plans (EXPLAIN ANALYZE of a representative request, as its role)</summary>\n{}",
        t.html()
    );
    let _ = writeln!(out, "</details>");
}

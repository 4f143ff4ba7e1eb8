//! The capacity report: `capacity.html` (conclusion first, then the
//! sweep, the rate search and data growth as charts and tables) and its
//! terminal summary, rendered from `capacity.json` alone.

use std::fmt::Write;

use super::charts::{self, Axis, Scale, Series};
use super::html::{esc, figure};
use crate::results::capacity::CapacityResults;
use crate::results::limit::{self, LatencyFigure, Limit, Metric};

/// Picks one of (p50, p95, p99).
type Pick = fn(f64, f64, f64) -> f64;

/// The first latency objective: which figure to chart, and its line.
struct LatencyObjective {
    label: &'static str,
    pick: Pick,
    limit: Option<Limit>,
}

impl LatencyObjective {
    fn of(r: &CapacityResults) -> Self {
        let limit = r
            .objectives
            .iter()
            .find(|l| matches!(l.metric, Metric::Latency(_)))
            .cloned();
        let (label, pick): (&'static str, Pick) = match limit.as_ref().map(|l| l.metric) {
            Some(Metric::Latency(LatencyFigure::P50)) => ("p50", |p50, _, _| p50),
            Some(Metric::Latency(LatencyFigure::P90 | LatencyFigure::P95)) => {
                ("p95", |_, p95, _| p95)
            }
            _ => ("p99", |_, _, p99| p99),
        };
        Self { label, pick, limit }
    }

    /// A horizontal line at the objective, from `from` to `to`.
    fn line(&self, from: f64, to: f64) -> Option<Series> {
        let limit = self.limit.as_ref()?;
        Some(Series {
            name: format!("objective {limit}"),
            color: plotters::style::RGBColor(0xd6, 0x27, 0x28),
            points: vec![(from, limit.bound), (to, limit.bound)],
        })
    }
}

/// `capacity.html`.
pub fn html(r: &CapacityResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>schemabench capacity: {}</title>\n<style>{}</style>\n</head>\n<body>\n<h1>Capacity: {}</h1>\n<p class=\"sub\">{} · {:.0} s · scale {} · seed {} · objectives: {}</p>\n<ul class=\"plain\">",
        esc(&r.scenario),
        super::html::STYLE,
        esc(&r.scenario),
        esc(r.started_at.get(..19).unwrap_or(&r.started_at)),
        r.elapsed_s,
        r.scale,
        r.seed,
        esc(&limit::joined(&r.objectives, ", "))
    );
    for line in &r.conclusion {
        let _ = writeln!(out, "<li><strong>{}</strong></li>", esc(line));
    }
    let objective = LatencyObjective::of(r);
    concurrency(&mut out, r, &objective);
    arrivals(&mut out, r, &objective);
    growth(&mut out, r);
    let _ = writeln!(out, "</table>\n</body>\n</html>");
    out
}

/// The closed-loop sweep: throughput and latency against clients.
fn concurrency(out: &mut String, r: &CapacityResults, objective: &LatencyObjective) {
    let _ = writeln!(
        out,
        "</ul>\n<h2>Concurrency (closed loop)</h2>\n<div class=\"charts\">"
    );
    let widest = r
        .sweep
        .iter()
        .map(|s| f64::from(s.clients))
        .fold(1.0, f64::max);
    let mut throughput = vec![Series {
        name: "measured".into(),
        color: charts::color(0),
        points: r
            .sweep
            .iter()
            .map(|s| (f64::from(s.clients), s.throughput))
            .collect(),
    }];
    if let Some(u) = &r.usl {
        throughput.push(Series {
            name: format!("USL fit (R² {:.2})", u.r_squared),
            color: charts::color(1),
            points: (1..=60)
                .map(|i| {
                    let n = 1.0 + (widest * 1.5 - 1.0) * f64::from(i - 1) / 59.0;
                    (n, u.throughput(n))
                })
                .collect(),
        });
    }
    figure(
        out,
        charts::line_chart(
            "throughput against concurrency",
            &Axis::new("concurrent clients", Scale::Linear, charts::format_count),
            &Axis::new("requests per second", Scale::Linear, charts::format_count),
            &throughput,
        ),
    );
    let mut latency = vec![Series {
        name: format!("{}, all queries", objective.label),
        color: charts::color(0),
        points: r
            .sweep
            .iter()
            .map(|s| {
                (
                    f64::from(s.clients),
                    (objective.pick)(s.p50_ms, s.p95_ms, s.p99_ms),
                )
            })
            .collect(),
    }];
    latency.extend(objective.line(1.0, widest));
    figure(
        out,
        charts::line_chart(
            &format!("{} latency against concurrency", objective.label),
            &Axis::new("concurrent clients", Scale::Linear, charts::format_count),
            &Axis::new(
                &format!("{} latency (ms)", objective.label),
                Scale::Linear,
                charts::format_ms,
            ),
            &latency,
        ),
    );
}

/// The open-loop probes: latency and served load against the rate, and
/// their table.
fn arrivals(out: &mut String, r: &CapacityResults, objective: &LatencyObjective) {
    let _ = writeln!(
        out,
        "</div>\n<h2>Arrival rate (open loop)</h2>\n<div class=\"charts\">"
    );
    let mut probes: Vec<_> = r.probes.iter().collect();
    probes.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let top = probes.iter().map(|p| p.rate).fold(1.0, f64::max);
    let mut probe_latency = vec![Series {
        name: format!("{} from the intended start", objective.label),
        color: charts::color(0),
        points: probes
            .iter()
            .map(|p| (p.rate, (objective.pick)(p.p50_ms, p.p95_ms, p.p99_ms)))
            .collect(),
    }];
    probe_latency.extend(objective.line(0.0, top));
    figure(
        out,
        charts::line_chart(
            &format!("{} latency against arrival rate", objective.label),
            &Axis::new(
                "target arrivals per second",
                Scale::Linear,
                charts::format_count,
            ),
            &Axis::new(
                &format!("{} latency (ms, log scale)", objective.label),
                Scale::Log,
                charts::format_ms,
            ),
            &probe_latency,
        ),
    );
    figure(
        out,
        charts::line_chart(
            "served against offered load",
            &Axis::new(
                "target arrivals per second",
                Scale::Linear,
                charts::format_count,
            ),
            &Axis::new("requests per second", Scale::Linear, charts::format_count),
            &[
                Series {
                    name: "served".into(),
                    color: charts::color(0),
                    points: probes.iter().map(|p| (p.rate, p.throughput)).collect(),
                },
                // The ideal over the probed rates only: nothing below the
                // lowest probe was measured.
                Series {
                    name: "served = offered".into(),
                    color: charts::color(7),
                    points: probes
                        .first()
                        .map_or(Vec::new(), |low| vec![(low.rate, low.rate), (top, top)]),
                },
            ],
        ),
    );
    let _ = writeln!(
        out,
        "</div>\n<table><tr><th>rate /s</th><th>served /s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>error rate</th><th>late</th><th>dropped</th><th class=\"l\">result</th><th class=\"l\">queries over the objectives</th></tr>"
    );
    for p in &probes {
        let _ = writeln!(
            out,
            "<tr><td>{:.0}</td><td>{:.0}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.4}</td><td>{}</td><td>{}</td><td class=\"l {}\">{}</td><td class=\"l\">{}</td></tr>",
            p.rate,
            p.throughput,
            p.p50_ms,
            p.p95_ms,
            p.p99_ms,
            p.error_rate,
            p.late,
            p.dropped,
            if p.passed { "good" } else { "bad" },
            if p.passed { "met" } else { "failed" },
            esc(&p.failing_queries.join(", "))
        );
    }
}

/// Latency against data scale, and each query's growth.
fn growth(out: &mut String, r: &CapacityResults) {
    let _ = writeln!(
        out,
        "</table>\n<h2>Data growth</h2>\n<div class=\"charts\">"
    );
    let growth: Vec<Series> = r
        .growth
        .iter()
        .enumerate()
        .map(|(i, g)| Series {
            name: g.query.clone(),
            color: charts::color(i),
            points: g.points.iter().map(|p| (p.0, p.2)).collect(),
        })
        .collect();
    figure(
        out,
        charts::line_chart(
            &format!("{} latency against data scale", r.percentile),
            &Axis::new("data scale (log scale)", Scale::Log, |v| format!("{v:.2}")),
            &Axis::new(
                &format!("{} latency (ms, log scale)", r.percentile),
                Scale::Log,
                charts::format_ms,
            ),
            &growth,
        ),
    );
    let _ = writeln!(out, "</div>");
    let _ = writeln!(
        out,
        "<table><tr><th class=\"l\">query</th><th class=\"l\">growth</th><th>exponent</th><th class=\"l\">of</th>{}{}<th>{} ms {}</th><th class=\"l\">trust</th><th class=\"l\">plan at the largest scale</th></tr>",
        r.growth_scales
            .iter()
            .map(|s| format!("<th>buffers/call at scale {s}</th>"))
            .collect::<String>(),
        r.growth_scales
            .iter()
            .map(|s| format!("<th>measured {} ms at scale {s}</th>", r.percentile))
            .collect::<String>(),
        r.percentile,
        projected(r),
    );
    for g in &r.growth {
        let _ = writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l {}\">{:?}</td><td>{:.2}</td><td class=\"l\">{}</td>{}{}<td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
            esc(&g.query),
            if g.growth.is_alarming() {
                "bad"
            } else {
                "same"
            },
            g.growth,
            g.exponent,
            g.basis.figure(),
            r.growth_scales
                .iter()
                .map(|s| match g.buffers.iter().find(|b| b.0 == *s) {
                    Some(b) => format!("<td>{:.1}</td>", b.1),
                    None => "<td>-</td>".to_owned(),
                })
                .collect::<String>(),
            g.points
                .iter()
                .map(|p| format!("<td>{:.2}</td>", p.2))
                .collect::<String>(),
            g.projected_ms.map_or("-".into(), |v| format!("{v:.1}")),
            g.trust
                .map_or("-".into(), |t| format!("{t:?}").to_lowercase()),
            esc(&g.plan.join(" → "))
        );
    }
}

/// The projection's column title: `projected at 100x the data (scale 5)`,
/// the conclusion's own words.
fn projected(r: &CapacityResults) -> String {
    format!("projected {}", r.projection_label().replacen("At", "at", 1))
}

/// The terminal summary of a capacity run.
pub fn summary(r: &CapacityResults) -> String {
    let mut out = String::new();
    let objective = LatencyObjective::of(r);
    let _ = writeln!(out, "\nclients   req/s  {:>6} ms", objective.label);
    for s in &r.sweep {
        let _ = writeln!(
            out,
            "{:>7} {:>7.0} {:>10.2}",
            s.clients,
            s.throughput,
            (objective.pick)(s.p50_ms, s.p95_ms, s.p99_ms)
        );
    }
    let _ = writeln!(out, "\nrate/s  served/s  {:>6} ms  result", objective.label);
    let mut probes: Vec<_> = r.probes.iter().collect();
    probes.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    for p in probes {
        let _ = writeln!(
            out,
            "{:>6.0} {:>9.0} {:>10.2}  {}",
            p.rate,
            p.throughput,
            (objective.pick)(p.p50_ms, p.p95_ms, p.p99_ms),
            if p.passed { "met" } else { "FAILED" }
        );
    }
    let _ = writeln!(
        out,
        "\n{:<22} {:<12} {:>8} {:<17} {} ms {}",
        "query",
        "growth",
        "exponent",
        "of",
        r.percentile,
        projected(r)
    );
    for g in &r.growth {
        let _ = writeln!(
            out,
            "{:<22} {:<12} {:>8.2} {:<17} {}",
            g.query,
            g.growth,
            g.exponent,
            g.basis.figure(),
            g.projected_ms.map_or("-".into(), |v| format!("{v:.1}"))
        );
    }
    let _ = writeln!(out);
    for line in &r.conclusion {
        let _ = writeln!(out, "{line}");
    }
    out
}

//! The capacity report: `capacity.html` (conclusion first, then the
//! sweep, the rate search and data growth as charts and tables) and its
//! terminal summary, rendered from `capacity.json` alone.

use std::fmt::Write;

use super::charts::{self, Axis, Scale, Series};
use super::html::{esc, figure, ratio_row};
use super::table::{Align, Align::Left, Align::Right, Cell, Table};
use super::tables;
use crate::results::Estimate;
use crate::results::capacity::{CapacityResults, CrossoverPoint};
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
    crossover(&mut out, r);
    let _ = writeln!(out, "</body>\n</html>");
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
    let _ = writeln!(out, "</div>");
    let mut t = Table::new([
        ("rate /s", Right),
        ("served /s", Right),
        ("p50 ms", Right),
        ("p95 ms", Right),
        ("p99 ms", Right),
        ("error rate", Right),
        ("late", Right),
        ("dropped", Right),
        ("result", Left),
        ("queries over the objectives", Left),
    ]);
    for p in &probes {
        t.row(vec![
            Cell::text(format!("{:.0}", p.rate)),
            Cell::text(format!("{:.0}", p.throughput)),
            Cell::text(format!("{:.1}", p.p50_ms)),
            Cell::text(format!("{:.1}", p.p95_ms)),
            Cell::text(format!("{:.1}", p.p99_ms)),
            Cell::text(format!("{:.4}", p.error_rate)),
            Cell::text(p.late.to_string()),
            Cell::text(p.dropped.to_string()),
            Cell::Judged {
                text: if p.passed { "met" } else { "failed" }.to_owned(),
                class: if p.passed { "good" } else { "bad" },
                icon: if p.passed { "✅" } else { "❌" },
            },
            Cell::Text(p.failing_queries.join(", ")),
        ]);
    }
    out.push_str(&t.html());
}

/// Latency against data scale, and each query's growth.
fn growth(out: &mut String, r: &CapacityResults) {
    let _ = writeln!(out, "<h2>Data growth</h2>\n<div class=\"charts\">");
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
    let mut columns: Vec<(String, Align)> = vec![
        ("query".into(), Left),
        ("growth".into(), Left),
        ("exponent".into(), Right),
        ("of".into(), Left),
    ];
    for scale in &r.growth_scales {
        columns.push((format!("buffers/call at scale {scale}"), Right));
    }
    for scale in &r.growth_scales {
        columns.push((
            format!("measured {} ms at scale {scale}", r.percentile),
            Right,
        ));
    }
    columns.push((format!("{} ms {}", r.percentile, projected(r)), Right));
    columns.push(("trust".into(), Left));
    columns.push(("plan at the largest scale".into(), Left));
    let mut t = Table::new(
        columns
            .iter()
            .map(|(title, align)| (title.as_str(), *align)),
    );
    for g in &r.growth {
        let mut row = vec![
            Cell::text(&g.query),
            Cell::Judged {
                text: format!("{:?}", g.growth),
                class: if g.growth.is_alarming() {
                    "bad"
                } else {
                    "same"
                },
                icon: "",
            },
            Cell::text(format!("{:.2}", g.exponent)),
            Cell::text(g.basis.figure()),
        ];
        // A figure per measured scale, "-" where that scale has none.
        let per_scale = |at: &dyn Fn(f64) -> Option<String>| {
            r.growth_scales
                .iter()
                .map(|s| Cell::Text(at(*s).unwrap_or_else(|| "-".to_owned())))
                .collect::<Vec<_>>()
        };
        row.extend(per_scale(&|s| {
            let b = g.buffers.iter().find(|b| b.0 == s)?;
            Some(format!("{:.1}", b.1))
        }));
        row.extend(per_scale(&|s| {
            let p = g.points.iter().find(|p| p.0 == s)?;
            Some(format!("{:.2}", p.2))
        }));
        row.push(Cell::Text(
            g.projected_ms.map_or("-".into(), |v| format!("{v:.1}")),
        ));
        row.push(Cell::Text(
            g.trust
                .map_or("-".into(), |t| format!("{t:?}").to_lowercase()),
        ));
        row.push(Cell::Text(g.plan.join(" → ")));
        t.row(row);
    }
    out.push_str(&t.html());
}

/// Each `--crossover` candidate against the baseline at every measured
/// scale: a row per candidate, a column per scale, and where its verdict
/// turns on time and on work alone.
fn crossover_table(r: &CapacityResults) -> Table {
    let columns: Vec<String> = r
        .crossover
        .first()
        .map(|c| c.points.iter().map(|p| at(p.scale, p.rows)).collect())
        .unwrap_or_default();
    let mut t = Table::new(
        std::iter::once(("candidate", Left))
            .chain(columns.iter().map(|c| (c.as_str(), Left)))
            .chain([("turns at scale", Right), ("work turns at scale", Right)]),
    );
    for c in &r.crossover {
        let mut row = vec![Cell::text(&c.candidate)];
        for scale in r.crossover[0].points.iter().map(|p| p.scale) {
            row.push(match c.points.iter().find(|p| p.scale == scale) {
                Some(p) => {
                    let (class, icon) = tables::verdict_style(p.verdict);
                    Cell::Judged {
                        text: format!(
                            "time {} · work {} · {}",
                            p.time.map_or("-".into(), |e| e.ratio_text()),
                            p.work.map_or("-".into(), |e| e.ratio_text()),
                            p.verdict.word()
                        ),
                        class,
                        icon,
                    }
                }
                None => Cell::text("-"),
            });
        }
        for turn in [c.turns_at, c.work_turns_at] {
            row.push(Cell::text(turn.map_or("-".into(), |s| s.to_string())));
        }
        t.row(row);
    }
    t
}

/// `scale 0.1 (169000 rows)`: a growth scale and the rows it holds.
fn at(scale: f64, rows: u64) -> String {
    format!("scale {scale} ({rows} rows)")
}

/// Reads one figure (time or work) off a crossover point.
type FigureOf = fn(&CrossoverPoint) -> Option<Estimate>;

/// Rows short enough for a chart's label: `169k`, `1.95M`.
fn rows_short(rows: u64) -> String {
    let r = rows as f64;
    if r >= 1e6 {
        format!("{:.2}M", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.0}k", r / 1e3)
    } else {
        rows.to_string()
    }
}

/// The crossover section of capacity.html: the table, then a ratio chart
/// each for time and for work, a row per candidate and scale, so a turn
/// reads as a candidate's points crossing the 1x line.
fn crossover(out: &mut String, r: &CapacityResults) {
    if r.crossover.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2>Crossover</h2>\n<p>Each candidate beside the baseline at every growth scale (a duet run per scale): the app's time and buffers per request of the mix, candidate/baseline, and its verdict. Measured at each scale, not projected.</p>"
    );
    out.push_str(&crossover_table(r).html());
    let _ = writeln!(out, "<div class=\"charts\">");
    let figures: [(&str, &str, FigureOf, f64); 2] = [
        (
            "App time per request as the data grows",
            "time per request, candidate/baseline (log scale; < 1 is faster)",
            |p| p.time,
            r.noise_threshold,
        ),
        (
            "Work per request as the data grows",
            "buffers per request, candidate/baseline (log scale; < 1 is less work)",
            |p| p.work,
            crate::compare::WORK_NOISE,
        ),
    ];
    for (title, axis, figure_of, noise) in figures {
        let rows: Vec<_> = r
            .crossover
            .iter()
            .flat_map(|c| {
                c.points.iter().filter_map(move |p| {
                    let label = format!("{} · {} rows", c.candidate, rows_short(p.rows));
                    figure_of(p).map(|e| ratio_row(label, &e))
                })
            })
            .collect();
        if !rows.is_empty() {
            figure(out, charts::ratios(title, axis, &rows, noise));
        }
    }
    let _ = writeln!(out, "</div>");
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
    if !r.crossover.is_empty() {
        let _ = writeln!(out, "\ncrossover (app time and work, candidate/baseline):");
        for c in &r.crossover {
            let points: Vec<String> = c
                .points
                .iter()
                .map(|p| {
                    format!(
                        "scale {}: time {}, work {}, {}",
                        p.scale,
                        p.time.map_or("-".into(), |e| e.ratio_text()),
                        p.work.map_or("-".into(), |e| e.ratio_text()),
                        p.verdict.word()
                    )
                })
                .collect();
            let _ = writeln!(out, "  {:<22} {}", c.candidate, points.join("; "));
        }
    }
    let _ = writeln!(out);
    for line in &r.conclusion {
        let _ = writeln!(out, "{line}");
    }
    out
}

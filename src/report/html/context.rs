//! The run's context: scenario, data, server, machine and phases.

use std::fmt::Write;

use super::esc;
use crate::report::table::{Align::Left, Align::Right, Cell, Table};
use crate::results::{Offered, RunResults};

pub(super) fn context(out: &mut String, r: &RunResults) {
    let _ = writeln!(
        out,
        "<h2 id=\"context\">Run context</h2>\n<table class=\"kv\">"
    );
    let memory = r.machine.memory_bytes.map_or("unknown".to_owned(), |b| {
        format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
    });
    let rows = [
        ("scenario file", r.scenario.file.clone()),
        (
            "data",
            format!(
                "seed {}, scale {}, fingerprint {}",
                r.scenario.seed, r.scenario.scale, r.scenario.data_fingerprint
            ),
        ),
        (
            "PostgreSQL",
            format!(
                "{}{}",
                r.server.version,
                if r.server.throwaway {
                    " (throwaway cluster)"
                } else {
                    ""
                }
            ),
        ),
        (
            "settings",
            r.server
                .settings
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "machine",
            format!(
                "{} cores, {memory}, {} {}",
                r.machine.cores, r.machine.os, r.machine.arch
            ),
        ),
        ("schemabench", r.schemabench_version.clone()),
        (
            "started / finished",
            format!(
                "{} / {}",
                r.started_at,
                r.finished_at.as_deref().unwrap_or("-")
            ),
        ),
        ("duration", format!("{:.1} s", r.elapsed_s)),
        ("protocol, rounds", format!("{}, {}", r.protocol, r.rounds)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th class=\"l\">{k}</th><td>{}</td></tr>", esc(&v));
    }
    let _ = writeln!(out, "</table>\n<h3>Load phases</h3>");
    let mut phases_table = Table::new([
        ("phase", Left),
        ("mode", Left),
        ("clients", Right),
        ("rate /s", Right),
        ("length", Left),
        ("counted", Left),
    ]);
    for p in &r.load {
        let length = match (p.duration_s, p.transactions) {
            (Some(s), _) => format!("{s} s"),
            (None, Some(n)) => format!("{n} requests"),
            (None, None) => String::new(),
        };
        let mode = match p.offered {
            Offered::Open { arrivals, .. } => format!("{} ({arrivals})", p.offered.mode()),
            Offered::Closed { .. } => p.offered.mode().to_string(),
        };
        phases_table.row(vec![
            Cell::text(&p.name),
            Cell::Text(mode),
            Cell::text(p.offered.connections().to_string()),
            Cell::text(p.offered.rate().map_or("-".into(), |v| v.to_string())),
            Cell::Text(length),
            Cell::text(if p.warmup { "warmup" } else { "measured" }),
        ]);
    }
    out.push_str(&phases_table.html());
    let _ = writeln!(out, "<h3>Rows</h3>");
    let mut rows_table = Table::new([("table", Left), ("rows", Right)]);
    for t in &r.scenario.tables {
        rows_table.row(vec![Cell::text(&t.name), Cell::text(t.rows.to_string())]);
    }
    out.push_str(&rows_table.html());
    phases(out, r);
}

fn phases(out: &mut String, r: &RunResults) {
    let mut t = Table::new([
        ("configuration", Left),
        ("round", Right),
        ("beside", Left),
        ("phase", Left),
        ("s", Right),
        ("requests", Right),
        ("req/s", Right),
        ("late", Right),
        ("dropped", Right),
    ]);
    for c in &r.candidates {
        for p in &c.phases {
            t.row(vec![
                Cell::text(&c.name),
                Cell::text(p.round.to_string()),
                Cell::text(p.partner.as_deref().unwrap_or("-")),
                Cell::text(format!(
                    "{}{}",
                    p.name,
                    if p.warmup { " (warmup)" } else { "" }
                )),
                Cell::text(format!("{:.1}", p.elapsed_s)),
                Cell::text(p.requests.to_string()),
                Cell::text(format!("{:.1}", p.throughput)),
                Cell::text(p.late.to_string()),
                Cell::text(p.dropped.to_string()),
            ]);
        }
    }
    let _ = write!(
        out,
        "<details><summary>Every phase of every round</summary>\n{}",
        t.html()
    );
    let _ = writeln!(out, "</details>");
}

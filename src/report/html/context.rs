//! The run's context: scenario, data, server, machine and phases.

use std::fmt::Write;

use super::esc;
use crate::results::{Offered, PhaseResult, RunResults};

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
    let _ = writeln!(
        out,
        "</table>\n<h3>Load phases</h3>\n<table><tr><th class=\"l\">phase</th><th class=\"l\">mode</th><th>clients</th><th>rate /s</th><th class=\"l\">length</th><th class=\"l\">counted</th></tr>"
    );
    for p in &r.load {
        let length = match (p.duration_s, p.transactions) {
            (Some(s), _) => format!("{s} s"),
            (None, Some(n)) => format!("{n} requests"),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}{}</td><td>{}</td><td>{}</td><td class=\"l\">{length}</td><td class=\"l\">{}</td></tr>",
            esc(&p.name),
            p.offered.mode(),
            match p.offered {
                Offered::Open { arrivals, .. } => format!(" ({arrivals})"),
                Offered::Closed { .. } => String::new(),
            },
            p.offered.connections(),
            p.offered.rate().map_or("-".into(), |v| v.to_string()),
            if p.warmup { "warmup" } else { "measured" }
        );
    }
    let _ = writeln!(
        out,
        "</table>\n<h3>Rows</h3>\n<table><tr><th class=\"l\">table</th><th>rows</th></tr>"
    );
    for t in &r.scenario.tables {
        let _ = writeln!(
            out,
            "<tr><td class=\"l\">{}</td><td>{}</td></tr>",
            esc(&t.name),
            t.rows
        );
    }
    let _ = writeln!(out, "</table>");
    phases(out, r);
}

fn phases(out: &mut String, r: &RunResults) {
    let _ = writeln!(
        out,
        "<details><summary>Every phase of every round</summary>\n<table><tr><th class=\"l\">configuration</th><th>round</th><th class=\"l\">beside</th><th class=\"l\">phase</th><th>s</th><th>requests</th><th>req/s</th><th>late</th><th>dropped</th></tr>"
    );
    for c in &r.candidates {
        for p in &c.phases {
            let PhaseResult {
                name,
                round,
                elapsed_s,
                requests,
                throughput,
                late,
                dropped,
                ..
            } = p;
            let _ = writeln!(
                out,
                "<tr><td class=\"l\">{}</td><td>{round}</td><td class=\"l\">{}</td><td class=\"l\">{}{}</td><td>{elapsed_s:.1}</td><td>{requests}</td><td>{throughput:.1}</td><td>{late}</td><td>{dropped}</td></tr>",
                esc(&c.name),
                esc(p.partner.as_deref().unwrap_or("-")),
                esc(name),
                if p.warmup { " (warmup)" } else { "" }
            );
        }
    }
    let _ = writeln!(out, "</table></details>");
}

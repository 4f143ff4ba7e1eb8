//! The report of a migration under load: the advice first, the static
//! warnings, then per way of applying it what users felt (blocked
//! requests by query, the longest wait, errors) and the per-second
//! latency around the DDL.

use std::fmt::Write;

use super::charts::{self, Axis, Scale, Series};
use super::html::{STYLE, esc, figure};
use super::table::{Align::Left, Align::Right, Cell, Table};
use crate::results::migration::TableRows;
use crate::results::{MigrationResults, MigrationVariant};

pub const MIGRATION_JSON: &str = "migration.json";
pub const MIGRATION_MD: &str = "migration.md";
pub const MIGRATION_HTML: &str = "migration.html";

/// Requests a second before the DDL, while it ran and after it: whole
/// seconds only, the load's first (it starts mid-second) left out.
fn throughput(v: &MigrationVariant, at: f64) -> [Option<f64>; 3] {
    let mut per: std::collections::BTreeMap<u64, u64> = Default::default();
    for p in &v.timeline {
        *per.entry(p.second).or_insert(0) += p.count;
    }
    let end = at + v.ddl_seconds;
    let mean = |keep: &dyn Fn(f64) -> bool| {
        let picked: Vec<u64> = per
            .iter()
            .filter(|(s, _)| **s > 0 && keep(**s as f64))
            .map(|(_, n)| *n)
            .collect();
        (!picked.is_empty()).then(|| picked.iter().sum::<u64>() as f64 / picked.len() as f64)
    };
    [
        mean(&|s| s + 1.0 <= at),
        // A DDL shorter than a second: the second it started in.
        mean(&|s| s + 1.0 > at && s < end.max(at.floor() + 1.0)),
        mean(&|s| s >= end.ceil()),
    ]
}

/// One line per fact of a way, shared by the terminal and Markdown.
fn facts(v: &MigrationVariant, at: f64) -> Vec<String> {
    let mut out = vec![format!(
        "DDL {} ({}){}",
        super::headline::duration(v.ddl_seconds),
        if v.one_transaction {
            "one transaction"
        } else {
            "statement by statement"
        },
        match &v.ddl_error {
            Some(e) => format!(", FAILED: {e}"),
            None => String::new(),
        }
    )];
    if !v.locks_held.is_empty() {
        out.push(format!("held {}", v.locks_held.join(", ")));
    }
    if v.ddl_waited_ms > 0.0 {
        out.push(format!(
            "the DDL itself waited {:.0} ms for its lock",
            v.ddl_waited_ms
        ));
    }
    out.push(if v.samples == 0 {
        format!(
            "the DDL finished before the first look at the lock tables (every {} ms)",
            crate::results::migration::SAMPLE_EVERY_MS
        )
    } else {
        format!(
            "{} request(s) blocked (at most {} at once, longest wait {:.0} ms; lock tables read {} times)",
            v.blocked_requests(),
            v.most_blocked_at_once,
            v.longest_wait_ms,
            v.samples
        )
    });
    for b in &v.blocked {
        out.push(format!(
            "  {}: {} blocked, longest {:.0} ms",
            b.query, b.requests, b.longest_wait_ms
        ));
    }
    for (what, count) in [
        (
            "deleted",
            (|t: &TableRows| t.deleted) as fn(&TableRows) -> u64,
        ),
        ("inserted", |t| t.inserted),
        ("updated", |t| t.updated),
    ] {
        out.extend(written(&v.rows, what, count));
    }
    out.push(format!(
        "{} requests in the phase, {} errors, {} timeouts",
        v.requests, v.errors, v.timeouts
    ));
    let rate = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.0}"));
    let [before, during, after] = throughput(v, at);
    out.push(format!(
        "requests a second: {} before the DDL, {} while it ran, {} after",
        rate(before),
        rate(during),
        rate(after)
    ));
    out
}

/// `deleted 13169 rows: public.story_segments 6896, public.stories 396`:
/// one kind of write of the migration's transaction, largest table first.
fn written(rows: &[TableRows], what: &str, count: fn(&TableRows) -> u64) -> Option<String> {
    let mut tables: Vec<(&str, u64)> = rows
        .iter()
        .map(|t| (t.table.as_str(), count(t)))
        .filter(|(_, n)| *n > 0)
        .collect();
    tables.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let total: u64 = tables.iter().map(|(_, n)| n).sum();
    (total > 0).then(|| {
        let each: Vec<String> = tables.iter().map(|(t, n)| format!("{t} {n}")).collect();
        let noun = if total == 1 { "row" } else { "rows" };
        format!("{what} {total} {noun}: {}", each.join(", "))
    })
}

/// The worst latency of each second, all queries together, ms.
fn worst_per_second(v: &MigrationVariant) -> Vec<(f64, f64)> {
    let mut by_second: std::collections::BTreeMap<u64, u64> = Default::default();
    for p in &v.timeline {
        let worst = by_second.entry(p.second).or_insert(0);
        *worst = (*worst).max(p.max_us);
    }
    by_second
        .into_iter()
        .map(|(s, us)| (s as f64, us as f64 / 1000.0))
        .collect()
}

/// The terminal's account.
pub fn terminal(r: &MigrationResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "migration {} on {} under {} ({}), DDL at {:.1} s:",
        r.source, r.on, r.load.name, r.load.offered, r.ddl_at_s
    );
    for w in &r.warnings {
        let _ = writeln!(out, "  warning line {}: {}: {}", w.line, w.rule, w.message);
    }
    for v in &r.variants {
        let _ = writeln!(out, "\n{}:", v.name);
        for f in facts(v, r.ddl_at_s) {
            let _ = writeln!(out, "  {f}");
        }
    }
    let _ = writeln!(out, "\nanswer:\n  {}", r.advice);
    out
}

/// `migration.md`.
pub fn markdown(r: &MigrationResults) -> String {
    let mut out = format!(
        "# Migration under load: {}\n\n**{}**\n\n{} at scale {}, load `{}` ({}), the DDL {:.1} s into it.\n",
        r.source,
        r.advice,
        r.scenario.name,
        r.scenario.scale,
        r.load.name,
        r.load.offered,
        r.ddl_at_s
    );
    if !r.warnings.is_empty() {
        let _ = write!(out, "\n## Static warnings\n\n{}", warnings(r).markdown());
    }
    for v in &r.variants {
        let _ = writeln!(out, "\n## {}\n\n```sql\n{}\n```\n", v.name, v.sql);
        for f in facts(v, r.ddl_at_s) {
            let _ = writeln!(out, "- {}", f.trim_start());
        }
    }
    out
}

/// The statements a static look finds risky, with why.
fn warnings(r: &MigrationResults) -> Table {
    let mut t = Table::new([
        ("line", Right),
        ("rule", Left),
        ("statement", Left),
        ("why", Left),
    ]);
    for w in &r.warnings {
        t.row(vec![
            Cell::text(w.line.to_string()),
            Cell::code(&w.rule),
            Cell::code(&w.statement),
            Cell::text(&w.message),
        ]);
    }
    t
}

/// `migration.html`: the same, with the worst latency of each second.
pub fn html(r: &MigrationResults) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>schemabench migration: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>Migration under load: {}</h1>\n<p class=\"sub\">{} at scale {} · on {} · load {} ({}) · DDL at {:.1} s</p>\n<p><strong>{}</strong></p>",
        esc(&r.source),
        esc(&r.source),
        esc(&r.scenario.name),
        r.scenario.scale,
        esc(&r.on),
        esc(&r.load.name),
        r.load.offered,
        r.ddl_at_s,
        esc(&r.advice)
    );
    let series: Vec<Series> = r
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| Series {
            name: format!(
                "{} (DDL {:.1}-{:.1} s)",
                v.name,
                r.ddl_at_s,
                r.ddl_at_s + v.ddl_seconds
            ),
            color: charts::color(i),
            points: worst_per_second(v),
        })
        .collect();
    figure(
        &mut out,
        charts::line_chart(
            "Worst latency of each second, all queries",
            &Axis::new("seconds into the load", Scale::Linear, charts::format_count),
            &Axis::new("max latency (ms, log scale)", Scale::Log, charts::format_ms),
            &series,
        ),
    );
    if !r.warnings.is_empty() {
        let _ = writeln!(out, "<h3>Static warnings</h3>");
        out.push_str(&warnings(r).html());
    }
    for v in &r.variants {
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<pre>{}</pre>\n<ul class=\"plain\">",
            esc(&v.name),
            esc(&v.sql)
        );
        for f in facts(v, r.ddl_at_s) {
            let _ = writeln!(out, "<li>{}</li>", esc(f.trim_start()));
        }
        let _ = writeln!(out, "</ul>");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::IntervalPoint;

    fn way(ddl_seconds: f64, counts: &[u64]) -> MigrationVariant {
        MigrationVariant {
            name: "as written".into(),
            sql: String::new(),
            one_transaction: true,
            ddl_seconds,
            ddl_error: None,
            locks_held: Vec::new(),
            ddl_waited_ms: 0.0,
            samples: 1,
            blocked: Vec::new(),
            most_blocked_at_once: 0,
            longest_wait_ms: 0.0,
            requests: counts.iter().sum(),
            errors: 0,
            timeouts: 0,
            timeline: counts
                .iter()
                .enumerate()
                .map(|(s, &count)| IntervalPoint {
                    second: s as u64,
                    query: "q".into(),
                    count,
                    p50_us: 0,
                    p99_us: 0,
                    max_us: 0,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    #[test]
    fn writes_are_told_per_kind_largest_table_first() {
        let t = |table: &str, inserted, deleted| TableRows {
            table: table.into(),
            inserted,
            updated: 0,
            deleted,
        };
        let rows = [
            t("public.stories", 0, 396),
            t("public.segments", 0, 6896),
            t("public.audit_log", 1, 3),
        ];
        assert_eq!(
            written(&rows, "deleted", |t| t.deleted).as_deref(),
            Some("deleted 7295 rows: public.segments 6896, public.stories 396, public.audit_log 3")
        );
        assert_eq!(
            written(&rows, "inserted", |t| t.inserted).as_deref(),
            Some("inserted 1 row: public.audit_log 1")
        );
        assert_eq!(written(&rows, "updated", |t| t.updated), None);
    }

    #[test]
    fn throughput_splits_at_the_ddl_and_skips_the_first_second() {
        let counts = [5, 100, 40, 50, 60, 90, 110];
        assert_eq!(
            throughput(&way(3.0, &counts), 2.0),
            [Some(100.0), Some(50.0), Some(100.0)]
        );
        // A DDL of 50 ms: the second it started in stands for "while".
        assert_eq!(
            throughput(&way(0.05, &counts), 2.0),
            [Some(100.0), Some(40.0), Some(77.5)]
        );
    }
}

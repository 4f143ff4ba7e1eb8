//! The tables report.html and the Markdown reports both show, each built
//! once here from the results ([`super::table`] draws them).

use super::analysis::{FIGURE_COLUMNS, WORK_COLUMNS, measured, ms, work_rows};
use super::table::{Align, Cell, Table};
use crate::results::{CandidateResult, Regression, RunResults, Verdict, WorkComparison};

use Align::{Left, Right};

/// The CSS class and the icon of a verdict.
pub fn verdict_style(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Faster => ("faster", "🟢"),
        Verdict::Slower => ("slower", "🔴"),
        Verdict::NoChange => ("same", "⚪"),
        Verdict::Inconclusive => ("inconclusive", "🟡"),
    }
}

/// A verdict's cell: its word (or `text`), coloured or with its icon.
fn judged(v: Verdict, text: impl Into<String>) -> Cell {
    let (class, icon) = verdict_style(v);
    Cell::Judged {
        text: text.into(),
        class,
        icon,
    }
}

/// Passed or failed, green or red.
fn pass(passed: bool) -> Cell {
    Cell::Judged {
        text: if passed { "passed" } else { "failed" }.to_owned(),
        class: if passed { "good" } else { "bad" },
        icon: if passed { "✅" } else { "❌" },
    }
}

/// The baseline schema's lint findings with their fixes.
pub fn lints(r: &RunResults) -> Table {
    let mut t = Table::new([
        ("rule", Left),
        ("level", Left),
        ("object", Left),
        ("fix", Left),
    ]);
    for l in &r.lints {
        t.row(vec![
            Cell::code(&l.rule),
            Cell::text(l.level.to_string()),
            Cell::code(&l.object),
            Cell::text(&l.fix),
        ]);
    }
    t
}

/// Each threshold on the baseline: its limit, what was measured, the result.
pub fn thresholds(r: &RunResults) -> Table {
    let mut t = Table::new([
        ("query", Left),
        ("limit", Left),
        ("measured", Right),
        ("result", Left),
    ]);
    for th in &r.thresholds {
        t.row(vec![
            Cell::code(&th.query),
            Cell::code(th.limit.as_str()),
            Cell::text(measured(th)),
            pass(th.passed),
        ]);
    }
    t
}

/// Buffers, rows and WAL per call, a row per comparison.
pub fn work(comparisons: &[WorkComparison]) -> Table {
    let mut t = Table::new(WORK_COLUMNS.iter().enumerate().map(|(i, title)| {
        let align = if (2..6).contains(&i) { Right } else { Left };
        (*title, align)
    }));
    for (row, w) in work_rows(comparisons).into_iter().zip(comparisons) {
        let [query, candidate, buffers, rows, wal, ratio, word] = row;
        t.row(vec![
            Cell::Code(query),
            Cell::Text(candidate),
            Cell::Text(buffers),
            Cell::Text(rows),
            Cell::Text(wal),
            Cell::Text(ratio),
            judged(w.estimate.verdict, word),
        ]);
    }
    t
}

/// The run's latency against a stored run, per query and percentile.
pub fn regression(reg: &Regression) -> Table {
    let mut t = Table::new([
        ("query", Left),
        ("percentile", Right),
        ("before ms", Right),
        ("now ms", Right),
        ("ratio [interval]", Right),
        ("verdict", Left),
    ]);
    for c in &reg.comparisons {
        t.row(vec![
            Cell::code(&c.query),
            Cell::text(&c.percentile),
            Cell::text(ms(c.baseline_us)),
            Cell::text(ms(c.candidate_us)),
            Cell::text(c.estimate.ratio_text()),
            judged(c.estimate.verdict, c.estimate.verdict.word()),
        ]);
    }
    t
}

fn mb(bytes: i64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

/// What each configuration cost to make: its copy of the seeded data, its
/// DDL, VACUUM ANALYZE, size, what it created or resized, and its new
/// indexes no query used.
pub fn costs(r: &RunResults) -> Table {
    let mut t = Table::new([
        ("configuration", Left),
        ("copy s", Right),
        ("DDL s", Right),
        ("VACUUM ANALYZE s", Right),
        ("database MB", Right),
        ("tables and indexes created or resized (MB)", Left),
        ("new indexes no query used", Left),
    ]);
    let Some(base) = r.candidates.first() else {
        return t;
    };
    for c in &r.candidates {
        t.row(vec![
            Cell::text(&c.name),
            Cell::text(format!("{:.2}", c.cost.copy_seconds)),
            Cell::text(format!("{:.2}", c.cost.ddl_seconds)),
            Cell::text(format!("{:.2}", c.cost.vacuum_analyze_seconds)),
            Cell::text(mb(c.cost.database_bytes)),
            Cell::text(resized(base, c)),
            Cell::Judged {
                text: c.unused_new_indexes.join(", "),
                class: "warn",
                icon: "",
            },
        ]);
    }
    t
}

/// The relations of `c` that the baseline lacks or that differ from it
/// in size by more than 1%; nothing for the baseline itself.
fn resized(base: &CandidateResult, c: &CandidateResult) -> String {
    if std::ptr::eq(base, c) {
        return String::new();
    }
    let changed: Vec<String> = c
        .cost
        .relations
        .iter()
        .filter(|rel| {
            base.cost
                .relations
                .iter()
                .find(|b| b.name == rel.name)
                .is_none_or(|b| (b.bytes - rel.bytes).abs() > b.bytes / 100)
        })
        .map(|rel| format!("{} ({}, {})", rel.name, rel.kind, mb(rel.bytes)))
        .collect();
    changed.join(", ")
}

/// One query's figures under every configuration. `name_cell` draws the
/// configuration's cell and `verdicts` its verdicts against the baseline
/// (HTML adds a colour swatch and tooltips).
pub fn figures(
    r: &RunResults,
    query: &str,
    name_cell: impl Fn(usize, &CandidateResult) -> Cell,
    verdicts: impl Fn(&CandidateResult) -> Cell,
) -> Table {
    let mut t = Table::new(
        std::iter::once(("configuration", Left))
            .chain(FIGURE_COLUMNS.iter().map(|c| (*c, Right)))
            .chain(std::iter::once(("against the baseline", Left))),
    );
    for (i, c) in r.candidates.iter().enumerate() {
        let Some(q) = c.queries.iter().find(|q| q.name == query) else {
            continue;
        };
        let mut row = vec![name_cell(i, c)];
        row.extend(q.figure_cells().into_iter().map(Cell::Text));
        row.push(verdicts(c));
        t.row(row);
    }
    t
}

/// The advised indexes, the planner's estimate beside the measurement.
pub fn advice(r: &RunResults) -> Table {
    let mut t = Table::new(super::advice::HEADER.map(|h| (h, Left)));
    for row in super::advice::rows(r) {
        let [index, query, rest @ ..] = row.cells();
        let mut cells = vec![Cell::Code(index), Cell::Code(query)];
        cells.extend(rest.into_iter().map(Cell::Text));
        t.row(cells);
    }
    t
}

/// Each query's buffers per call under each configuration and the share
/// PostgreSQL found in shared_buffers; empty for runs that did not record
/// reads.
pub fn memory(r: &RunResults) -> Table {
    let mut t = Table::new([
        ("query", Left),
        ("configuration", Left),
        ("buffers/call", Right),
        ("found in shared_buffers", Right),
    ]);
    for c in &r.candidates {
        for w in &c.work {
            let (Some(buffers), Some(hit)) = (w.buffers_per_call(), w.hit_ratio()) else {
                continue;
            };
            t.row(vec![
                Cell::code(&w.query),
                Cell::text(&c.name),
                Cell::text(format!("{buffers:.1}")),
                Cell::text(format!("{:.1}%", hit * 100.0)),
            ]);
        }
    }
    t
}

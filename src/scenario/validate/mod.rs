//! Semantic checks of a parsed scenario: references, cycles, ranges and
//! files, all before any database is touched.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::error::{KeyPath, Problem};
use super::spec::{ScenarioSpec, TableSpec};
use super::units::placeholder_count;
use crate::results::limit::{Limit, Threshold};

mod data;
mod workload;

use data::validate_data;
use workload::{check_load, check_workload};

type Check = Result<(), Problem>;

/// Splits `stories.user_id` or `auth.users.id` into table and column.
pub fn split_column(qualified: &str) -> Option<(&str, &str)> {
    qualified
        .rsplit_once('.')
        .filter(|(t, c)| !t.is_empty() && !c.is_empty())
}

/// The `per` chain of a table, nearest parent first (cycle-safe).
pub fn ancestors<'a>(tables: &'a BTreeMap<String, TableSpec>, table: &str) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    let mut current = tables.get(table).and_then(|t| t.per.as_deref());
    while let Some(parent) = current {
        if out.contains(&parent) || parent == table {
            break;
        }
        out.push(parent);
        current = tables.get(parent).and_then(|t| t.per.as_deref());
    }
    out
}

/// Every semantic check of the scenario at `dir`. `data_checked` skips the
/// data part (migrations, tables), already checked in the scenario a file
/// `extends`. Returns the thresholds parsed: their limits are the one part
/// of the file's text that becomes a typed value here, where a bad one is
/// located at its element.
pub fn validate(
    spec: &ScenarioSpec,
    dir: &Path,
    data_checked: bool,
) -> Result<Vec<Threshold>, Problem> {
    let root = KeyPath::root();
    if !is_identifier(&spec.name) {
        return Err(Problem::new(
            root.key("name"),
            "expected lowercase letters, digits and underscores (it names databases and folders)",
        )
        .with_value(format!("{:?}", spec.name)));
    }
    if !(spec.scale.is_finite() && spec.scale > 0.0) {
        return Err(
            Problem::new(root.key("scale"), "expected a number greater than 0")
                .with_value(spec.scale),
        );
    }
    if let Some((table, rows)) = oversized_table(spec, spec.scale) {
        return Err(Problem::new(
            root.key("tables").key(table).key("rows"),
            format!(
                "expected at most {MAX_TABLE_ROWS} rows once multiplied by scale {} ({rows:.0})",
                spec.scale
            ),
        )
        .with_value(spec.tables[table].rows.unwrap_or_default()));
    }
    if !data_checked {
        validate_data(spec, dir)?;
    }
    if let Some(workload) = &spec.workload {
        check_workload(spec, workload, &root.key("workload"))?;
    }
    if let Some(load) = &spec.load {
        check_load(load, &root.key("load"))?;
    }
    check_candidates(spec, dir, &root.key("candidates"))?;
    thresholds(spec, &root.key("thresholds"))
}

fn thresholds(spec: &ScenarioSpec, path: &KeyPath) -> Result<Vec<Threshold>, Problem> {
    let mut out = Vec::with_capacity(spec.thresholds.len());
    for (i, t) in spec.thresholds.iter().enumerate() {
        let tp = path.index(i);
        if let Some(query) = &t.query
            && !spec
                .workload
                .as_ref()
                .is_some_and(|w| w.queries.iter().any(|q| &q.name == query))
        {
            return Err(Problem::new(
                tp.key("query"),
                "expected the name of a workload query (or no `query`: all queries together)",
            )
            .with_value(format!("{query:?}")));
        }
        if t.limits.is_empty() {
            return Err(Problem::new(
                tp.key("limits"),
                "expected at least one limit",
            ));
        }
        let limits = t
            .limits
            .iter()
            .enumerate()
            .map(|(j, limit)| {
                limit.parse::<Limit>().map_err(|e| {
                    Problem::new(tp.key("limits").index(j), format!("expected {e}"))
                        .with_value(format!("{limit:?}"))
                })
            })
            .collect::<Result<_, _>>()?;
        out.push(Threshold {
            query: t.query.clone(),
            limits,
            abort_on_fail: t.abort_on_fail,
        });
    }
    Ok(out)
}

/// The most rows one table may plan once scaled. The data plan keeps a
/// row offset per parent row in memory, and COPY at about a million rows a
/// second takes some twenty minutes per billion: past it a typo in `rows`
/// or `--scale` would exhaust memory or leave a half-seeded database.
pub const MAX_TABLE_ROWS: u64 = 1_000_000_000;

/// A table whose `rows` multiplied by `scale` pass [`MAX_TABLE_ROWS`]: its
/// name and scaled rows.
pub fn oversized_table(spec: &ScenarioSpec, scale: f64) -> Option<(&str, f64)> {
    spec.tables.iter().find_map(|(name, t)| {
        let rows = t.rows_at(scale)?;
        (rows > MAX_TABLE_ROWS as f64).then_some((name.as_str(), rows))
    })
}

/// Names that become file names and report text as they are: lowercase
/// letters, digits and underscores, so no two names share a file and none
/// carries markup.
fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
}

fn check_candidates(spec: &ScenarioSpec, dir: &Path, path: &KeyPath) -> Check {
    let mut names = BTreeSet::new();
    for (i, c) in spec.candidates.iter().enumerate() {
        let cp = path.index(i);
        if !is_identifier(&c.name) || c.name == "baseline" || !names.insert(c.name.as_str()) {
            return Err(Problem::new(cp.key("name"), "expected a unique name of lowercase letters, digits and underscores, other than `baseline`")
                .with_value(format!("{:?}", c.name)));
        }
        if let Some(group) = &c.group
            && !is_identifier(group)
        {
            return Err(Problem::new(
                cp.key("group"),
                "expected a group name of lowercase letters, digits and underscores",
            )
            .with_value(format!("{group:?}")));
        }
        if let Some(file) = &c.file
            && !dir.join(file).is_file()
        {
            return Err(Problem::new(
                cp.key("file"),
                format!(
                    "expected an SQL file; {} does not exist",
                    dir.join(file).display()
                ),
            )
            .with_value(format!("{:?}", file.display().to_string())));
        }
        for (name, value) in &c.settings {
            let plain = |t: &str| {
                !t.is_empty()
                    && t.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "_.".contains(ch))
            };
            if !plain(name) || value.contains('\'') {
                return Err(Problem::new(
                    cp.key("settings").key(name),
                    "expected a setting name and a value without quotes",
                )
                .with_value(format!("{value:?}")));
            }
        }
        for (query, sql) in &c.queries {
            let Some(q) = spec
                .workload
                .as_ref()
                .and_then(|w| w.queries.iter().find(|q| &q.name == query))
            else {
                return Err(Problem::new(
                    cp.key("queries").key(query),
                    "expected the name of a workload query",
                ));
            };
            if placeholder_count(sql) != q.params.len() {
                return Err(Problem::new(
                    cp.key("queries").key(query),
                    format!(
                        "expected the same {} parameter(s) as the query it replaces",
                        q.params.len()
                    ),
                ));
            }
        }
    }
    Ok(())
}

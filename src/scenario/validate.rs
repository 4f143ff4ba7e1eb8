//! Semantic checks of a parsed scenario: references, cycles, ranges and
//! files, all before any database is touched.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::error::{KeyPath, Problem};
use super::spec::{Distribution, Generator, ScenarioSpec, TableSpec};
use super::units::{parse_duration, parse_instant, placeholder_count};
use crate::scenario::workload::{LoadSpec, ParamSpec, WorkloadSpec};

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
/// `extends`.
pub fn validate(spec: &ScenarioSpec, dir: &Path, data_checked: bool) -> Check {
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
    check_thresholds(spec, &root.key("thresholds"))
}

fn check_thresholds(spec: &ScenarioSpec, path: &KeyPath) -> Check {
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
        for (j, limit) in t.limits.iter().enumerate() {
            limit
                .parse::<crate::scenario::limit::Limit>()
                .map_err(|e| {
                    Problem::new(tp.key("limits").index(j), format!("expected {e}"))
                        .with_value(format!("{limit:?}"))
                })?;
        }
    }
    Ok(())
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
        let rows = t.rows? as f64 * scale;
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
        if let Some(file) = &c.file {
            if !c.sql.is_empty() {
                return Err(Problem::new(
                    cp.key("file"),
                    "expected either `sql` or `file`, not both",
                ));
            }
            if !dir.join(file).is_file() {
                return Err(Problem::new(
                    cp.key("file"),
                    format!(
                        "expected an SQL file; {} does not exist",
                        dir.join(file).display()
                    ),
                )
                .with_value(format!("{:?}", file.display().to_string())));
            }
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

/// Migrations and tables: what the data is made of.
fn validate_data(spec: &ScenarioSpec, dir: &Path) -> Check {
    let root = KeyPath::root();
    if spec.migrations.is_empty() {
        return Err(Problem::new(
            root.key("migrations"),
            "expected at least one migration file",
        ));
    }
    for (i, file) in spec.migrations.iter().enumerate() {
        if !dir.join(file).is_file() {
            return Err(Problem::new(
                root.key("migrations").index(i),
                format!(
                    "expected an SQL file; {} does not exist",
                    dir.join(file).display()
                ),
            )
            .with_value(format!("{:?}", file.display().to_string())));
        }
    }
    if spec.tables.is_empty() {
        return Err(Problem::new(
            root.key("tables"),
            "expected at least one table to seed",
        ));
    }
    for (name, table) in &spec.tables {
        check_table(spec, name, table, &root.key("tables").key(name))?;
    }
    check_column_cycles(spec)?;
    Ok(())
}

fn check_table(spec: &ScenarioSpec, name: &str, table: &TableSpec, path: &KeyPath) -> Check {
    match (&table.rows, &table.per, &table.count) {
        (Some(0), None, None) => {
            return Err(Problem::new(path.key("rows"), "expected at least 1 row").with_value(0));
        }
        (Some(_), None, None) => {}
        (None, Some(parent), Some(count)) => {
            if !spec.tables.contains_key(parent) {
                return Err(unknown_table(spec, path.key("per"), parent));
            }
            if cycle_through(spec, name) {
                return Err(Problem::new(
                    path.key("per"),
                    "expected a parent table; this `per` chain loops back to the table itself",
                )
                .with_value(format!("{parent:?}")));
            }
            check_distribution(count, &path.key("count"))?;
        }
        (None, Some(_), None) => {
            return Err(Problem::new(
                path.key("per"),
                "expected `count` beside `per`: how many rows per parent row",
            ));
        }
        (None, None, Some(_)) => {
            return Err(Problem::new(
                path.key("count"),
                "expected `per` beside `count`: the parent table",
            ));
        }
        _ => {
            return Err(Problem::new(
                path.clone(),
                "expected either `rows = N` or `per = \"parent\"` with `count`, not both",
            ));
        }
    }
    for (column, generator) in &table.columns {
        check_generator(spec, name, generator, &path.key("columns").key(column))?;
    }
    Ok(())
}

fn cycle_through(spec: &ScenarioSpec, table: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut current = table;
    while let Some(parent) = spec.tables.get(current).and_then(|t| t.per.as_deref()) {
        if parent == table {
            return true;
        }
        if !seen.insert(parent) {
            return false;
        }
        current = parent;
    }
    false
}

fn unknown_table(spec: &ScenarioSpec, path: KeyPath, table: &str) -> Problem {
    let known: Vec<&str> = spec.tables.keys().map(String::as_str).collect();
    Problem::new(
        path,
        format!(
            "expected one of the scenario's tables: {}",
            known.join(", ")
        ),
    )
    .with_value(format!("{table:?}"))
}

fn check_probability(p: f64, path: KeyPath) -> Check {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Problem::new(path, "expected a probability between 0 and 1").with_value(p))
    }
}

fn check_distribution(d: &Distribution, path: &KeyPath) -> Check {
    match d {
        Distribution::Fixed { .. } => Ok(()),
        Distribution::Uniform { min, max } if min > max => Err(Problem::new(
            path.key("max"),
            format!("expected max >= min ({min})"),
        )
        .with_value(max)),
        Distribution::Uniform { .. } => Ok(()),
        Distribution::Normal {
            mean,
            stddev,
            min,
            max,
        } => {
            if !mean.is_finite() {
                return Err(
                    Problem::new(path.key("mean"), "expected a finite mean").with_value(mean)
                );
            }
            if !(stddev.is_finite() && *stddev >= 0.0) {
                return Err(
                    Problem::new(path.key("stddev"), "expected a standard deviation >= 0")
                        .with_value(stddev),
                );
            }
            match (min, max) {
                (Some(lo), Some(hi)) if lo > hi => Err(Problem::new(
                    path.key("max"),
                    format!("expected max >= min ({lo})"),
                )
                .with_value(hi)),
                _ => Ok(()),
            }
        }
        Distribution::Exponential { mean, .. } if !(mean.is_finite() && *mean > 0.0) => {
            Err(Problem::new(path.key("mean"), "expected a mean greater than 0").with_value(mean))
        }
        Distribution::Exponential { .. } => Ok(()),
        Distribution::Zipf { max, .. } if *max == 0 => Err(Problem::new(
            path.key("max"),
            "expected a zipf maximum of at least 1",
        )
        .with_value(max)),
        Distribution::Zipf { exponent, .. } if !(exponent.is_finite() && *exponent > 0.0) => {
            Err(Problem::new(
                path.key("exponent"),
                "expected a zipf exponent greater than 0",
            )
            .with_value(exponent))
        }
        Distribution::Zipf { .. } => Ok(()),
        Distribution::Bernoulli { p } => check_probability(*p, path.key("p")),
    }
}

/// Resolves `table.column` to a column the scenario generates.
fn check_column_ref<'a>(
    spec: &'a ScenarioSpec,
    qualified: &'a str,
    path: &KeyPath,
) -> Result<(&'a str, &'a str), Problem> {
    let Some((table, column)) = split_column(qualified) else {
        return Err(Problem::new(path.clone(), "expected \"table.column\"")
            .with_value(format!("{qualified:?}")));
    };
    let Some(spec_table) = spec.tables.get(table) else {
        return Err(unknown_table(spec, path.clone(), table));
    };
    if !spec_table.columns.contains_key(column) {
        let known: Vec<&str> = spec_table.columns.keys().map(String::as_str).collect();
        return Err(Problem::new(
            path.clone(),
            format!(
                "expected a generated column of {table}: {}",
                known.join(", ")
            ),
        )
        .with_value(format!("{qualified:?}")));
    }
    Ok((table, column))
}

/// A generator reading another column can read its own row's or an
/// ancestor's, which exist by the time it runs.
fn check_lineage_column(
    spec: &ScenarioSpec,
    table: &str,
    lineage: &[&str],
    column: &str,
    path: &KeyPath,
) -> Result<(), Problem> {
    let (target, _) = check_column_ref(spec, column, path)?;
    if target != table && !lineage.contains(&target) {
        return Err(Problem::new(
            path.clone(),
            format!(
                "expected a column of {table} or of an ancestor (its `per` chain: {})",
                chain(lineage)
            ),
        )
        .with_value(format!("{column:?}")));
    }
    Ok(())
}

fn check_generator(spec: &ScenarioSpec, table: &str, g: &Generator, path: &KeyPath) -> Check {
    let lineage = ancestors(&spec.tables, table);
    match g {
        Generator::Uuid {} | Generator::Name {} | Generator::FirstName {} | Generator::Email {} => {
            Ok(())
        }
        Generator::Ref { column } => {
            check_lineage_column(spec, table, &lineage, column, &path.key("column"))?;
            Ok(())
        }
        Generator::After { column, min, max } => {
            check_lineage_column(spec, table, &lineage, column, &path.key("column"))?;
            let lo = parse_duration(min).map_err(|e| {
                Problem::new(path.key("min"), format!("expected {e}"))
                    .with_value(format!("{min:?}"))
            })?;
            let hi = parse_duration(max).map_err(|e| {
                Problem::new(path.key("max"), format!("expected {e}"))
                    .with_value(format!("{max:?}"))
            })?;
            if hi < lo {
                return Err(
                    Problem::new(path.key("max"), format!("expected max >= min ({min})"))
                        .with_value(format!("{max:?}")),
                );
            }
            Ok(())
        }
        Generator::Pick { column, within } => {
            let (target, _) = check_column_ref(spec, column, &path.key("column"))?;
            if !lineage.contains(&within.as_str()) && within != table {
                return Err(Problem::new(
                    path.key("within"),
                    format!(
                        "expected an ancestor of {table} (its `per` chain: {})",
                        chain(&lineage)
                    ),
                )
                .with_value(format!("{within:?}")));
            }
            if !ancestors(&spec.tables, target).contains(&within.as_str()) {
                return Err(Problem::new(
                    path.key("within"),
                    format!("expected an ancestor of {target} as well"),
                )
                .with_value(format!("{within:?}")));
            }
            Ok(())
        }
        Generator::Sum { column } => {
            let (target, _) = check_column_ref(spec, column, &path.key("column"))?;
            if spec.tables.get(target).and_then(|t| t.per.as_deref()) != Some(table) {
                return Err(Problem::new(
                    path.key("column"),
                    format!("expected a column of a table with `per = \"{table}\"`"),
                )
                .with_value(format!("{column:?}")));
            }
            Ok(())
        }
        Generator::First { first, rest } => {
            check_generator(spec, table, first, &path.key("first"))?;
            check_generator(spec, table, rest, &path.key("rest"))
        }
        Generator::Position {} => Ok(()),
        Generator::Case {
            column,
            cases,
            default,
        } => {
            check_lineage_column(spec, table, &lineage, column, &path.key("column"))?;
            if cases.is_empty() {
                return Err(Problem::new(
                    path.key("cases"),
                    "expected at least one case",
                ));
            }
            for (value, g) in cases {
                check_generator(spec, table, g, &path.key("cases").key(value))?;
            }
            match default {
                Some(d) => check_generator(spec, table, d, &path.key("default")),
                None => Ok(()),
            }
        }
        Generator::OneOf { of, weights } => {
            if of.is_empty() {
                return Err(Problem::new(
                    path.key("of"),
                    "expected at least one generator",
                ));
            }
            check_weights(weights, of.len(), path)?;
            for (i, g) in of.iter().enumerate() {
                check_generator(spec, table, g, &path.key("of").index(i))?;
            }
            Ok(())
        }
        Generator::Nullable { p, of } => {
            check_probability(*p, path.key("p"))?;
            check_generator(spec, table, of, &path.key("of"))
        }
        Generator::Title {
            min_words: lo,
            max_words: hi,
        }
        | Generator::Sentence {
            min_words: lo,
            max_words: hi,
        } => check_count_range(*lo, *hi, path, "min_words", "max_words"),
        Generator::Paragraph {
            min_sentences,
            max_sentences,
        } => check_count_range(
            *min_sentences,
            *max_sentences,
            path,
            "min_sentences",
            "max_sentences",
        ),
        Generator::Url { .. } => Ok(()),
        Generator::Int { min, max } if min > max => Err(Problem::new(
            path.key("max"),
            format!("expected max >= min ({min})"),
        )
        .with_value(max)),
        Generator::Int { .. } => Ok(()),
        Generator::Decimal { min, max, scale } => {
            if !(min.is_finite() && max.is_finite()) || min > max {
                return Err(Problem::new(
                    path.key("max"),
                    format!("expected a finite max >= min ({min})"),
                )
                .with_value(max));
            }
            if *scale > 12 {
                return Err(
                    Problem::new(path.key("scale"), "expected at most 12 decimal places")
                        .with_value(scale),
                );
            }
            Ok(())
        }
        Generator::Enum { values, weights } => {
            if values.is_empty() {
                return Err(Problem::new(
                    path.key("values"),
                    "expected at least one value",
                ));
            }
            check_weights(weights, values.len(), path)
        }
        Generator::Bool { p } => check_probability(*p, path.key("p")),
        Generator::Timestamp { from, to, growth } => {
            let start = parse_instant(from).map_err(|e| {
                Problem::new(path.key("from"), format!("expected {e}"))
                    .with_value(format!("{from:?}"))
            })?;
            let end = parse_instant(to).map_err(|e| {
                Problem::new(path.key("to"), format!("expected {e}")).with_value(format!("{to:?}"))
            })?;
            if end <= start {
                return Err(Problem::new(
                    path.key("to"),
                    format!("expected a time after `from` ({from})"),
                )
                .with_value(format!("{to:?}")));
            }
            if !growth.is_finite() {
                return Err(
                    Problem::new(path.key("growth"), "expected a finite growth rate")
                        .with_value(growth),
                );
            }
            Ok(())
        }
        Generator::Json { fields } => {
            for (name, field) in fields {
                check_generator(spec, table, field, &path.key("fields").key(name))?;
            }
            Ok(())
        }
        Generator::Const { value } => match value {
            toml::Value::String(_)
            | toml::Value::Integer(_)
            | toml::Value::Float(_)
            | toml::Value::Boolean(_) => Ok(()),
            other => Err(
                Problem::new(path.key("value"), "expected a string, number or boolean")
                    .with_value(other),
            ),
        },
    }
}

fn check_weights(weights: &[f64], choices: usize, path: &KeyPath) -> Check {
    if !weights.is_empty() && weights.len() != choices {
        return Err(Problem::new(
            path.key("weights"),
            format!("expected one weight per choice ({choices} choices)"),
        )
        .with_value(format!("{} weights", weights.len())));
    }
    if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
        || (!weights.is_empty() && weights.iter().sum::<f64>() <= 0.0)
    {
        return Err(Problem::new(
            path.key("weights"),
            "expected non-negative weights with a positive sum",
        ));
    }
    Ok(())
}

fn check_count_range(lo: u32, hi: u32, path: &KeyPath, lo_key: &str, hi_key: &str) -> Check {
    if lo == 0 {
        return Err(Problem::new(path.key(lo_key), "expected at least 1").with_value(lo));
    }
    if hi < lo {
        return Err(Problem::new(
            path.key(hi_key),
            format!("expected {hi_key} >= {lo_key} ({lo})"),
        )
        .with_value(hi));
    }
    Ok(())
}

fn chain(lineage: &[&str]) -> String {
    if lineage.is_empty() {
        "none".to_owned()
    } else {
        lineage.join(" -> ")
    }
}

/// Columns whose values are computed from other generated columns.
fn column_dependencies(g: &Generator, out: &mut Vec<String>) {
    match g {
        Generator::Ref { column }
        | Generator::After { column, .. }
        | Generator::Pick { column, .. }
        | Generator::Sum { column } => {
            out.push(column.clone());
        }
        Generator::First { first, rest } => {
            column_dependencies(first, out);
            column_dependencies(rest, out);
        }
        Generator::Case {
            column,
            cases,
            default,
        } => {
            out.push(column.clone());
            cases
                .values()
                .chain(default.as_deref())
                .for_each(|g| column_dependencies(g, out));
        }
        Generator::OneOf { of, .. } => of.iter().for_each(|g| column_dependencies(g, out)),
        Generator::Nullable { of, .. } => column_dependencies(of, out),
        Generator::Json { fields } => fields.values().for_each(|f| column_dependencies(f, out)),
        _ => {}
    }
}

/// A column that (through refs, picks and sums) depends on itself could
/// never be computed.
fn check_column_cycles(spec: &ScenarioSpec) -> Check {
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, t) in &spec.tables {
        for (column, g) in &t.columns {
            let mut deps = Vec::new();
            column_dependencies(g, &mut deps);
            edges.insert(format!("{table}.{column}"), deps);
        }
    }
    // Iterative DFS with colours: 1 = on the stack, 2 = done.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    for start in edges.keys() {
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        while let Some((node, next)) = stack.pop() {
            if next == 0 {
                if colour.get(node) == Some(&2) {
                    continue;
                }
                colour.insert(node, 1);
            }
            let deps = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            if let Some(dep) = deps.get(next) {
                stack.push((node, next + 1));
                match colour.get(dep.as_str()) {
                    Some(1) => {
                        let (table, column) = split_column(node).unwrap_or((node, ""));
                        let path: Vec<&str> = stack.iter().map(|(n, _)| *n).collect();
                        return Err(Problem::new(
                            KeyPath::root()
                                .key("tables")
                                .key(table)
                                .key("columns")
                                .key(column),
                            format!(
                                "expected columns that do not depend on themselves; cycle: {} -> {dep}",
                                path.join(" -> ")
                            ),
                        ));
                    }
                    Some(2) => {}
                    _ => stack.push((dep.as_str(), 0)),
                }
            } else {
                colour.insert(node, 2);
            }
        }
    }
    Ok(())
}

fn check_workload(spec: &ScenarioSpec, w: &WorkloadSpec, path: &KeyPath) -> Check {
    let actor_path = path.key("actor");
    check_column_ref(
        spec,
        &format!("{}.{}", w.actor.table, w.actor.column),
        &actor_path.key("column"),
    )?;
    if let Some(email) = &w.actor.email_column {
        check_column_ref(
            spec,
            &format!("{}.{email}", w.actor.table),
            &actor_path.key("email_column"),
        )?;
    }
    if !(w.actor.activity_exponent.is_finite() && w.actor.activity_exponent >= 0.0) {
        return Err(Problem::new(
            actor_path.key("activity_exponent"),
            "expected an exponent >= 0",
        )
        .with_value(w.actor.activity_exponent));
    }
    if w.queries.is_empty() {
        return Err(Problem::new(
            path.key("queries"),
            "expected at least one query",
        ));
    }
    let mut names = BTreeSet::new();
    for (i, q) in w.queries.iter().enumerate() {
        let qp = path.key("queries").index(i);
        if !is_identifier(&q.name) || !names.insert(q.name.as_str()) {
            return Err(
                Problem::new(
                    qp.key("name"),
                    "expected a name of lowercase letters, digits and underscores that no other query has",
                )
                    .with_value(format!("{:?}", q.name)),
            );
        }
        if !(q.weight.is_finite() && q.weight > 0.0) {
            return Err(
                Problem::new(qp.key("weight"), "expected a weight greater than 0")
                    .with_value(q.weight),
            );
        }
        let placeholders = placeholder_count(&q.sql);
        if placeholders != q.params.len() {
            return Err(Problem::new(
                qp.key("params"),
                format!("expected {placeholders} parameter(s), one per $n placeholder of `sql`"),
            )
            .with_value(format!("{} given", q.params.len())));
        }
        if let Some(think) = &q.think {
            parse_duration(think).map_err(|e| {
                Problem::new(qp.key("think"), format!("expected {e}"))
                    .with_value(format!("{think:?}"))
            })?;
        }
        for (j, p) in q.params.iter().enumerate() {
            check_param(spec, &w.actor.table, p, &qp.key("params").index(j))?;
        }
    }
    Ok(())
}

fn check_param(spec: &ScenarioSpec, actor: &str, p: &ParamSpec, path: &KeyPath) -> Check {
    match p {
        ParamSpec::Actor { column } => {
            check_column_ref(spec, &format!("{actor}.{column}"), &path.key("column")).map(|_| ())
        }
        ParamSpec::Owned { column, latest_by } => {
            let (table, _) = check_column_ref(spec, column, &path.key("column"))?;
            if !ancestors(&spec.tables, table).contains(&actor) {
                return Err(Problem::new(
                    path.key("column"),
                    format!("expected a column of a table owned by {actor} (through `per`)"),
                )
                .with_value(format!("{column:?}")));
            }
            if let Some(by) = latest_by {
                check_column_ref(spec, &format!("{table}.{by}"), &path.key("latest_by"))?;
            }
            Ok(())
        }
        ParamSpec::Value { of } => {
            let mut deps = Vec::new();
            column_dependencies(of, &mut deps);
            if !deps.is_empty() || matches!(of, Generator::First { .. } | Generator::Position {}) {
                return Err(Problem::new(
                    path.key("of"),
                    "expected a generator that needs no row (not ref, pick, sum, after, case, first or position)",
                ));
            }
            check_generator(spec, actor, of, &path.key("of"))
        }
    }
}

fn check_load(load: &LoadSpec, path: &KeyPath) -> Check {
    if load.phases.is_empty() {
        return Err(Problem::new(
            path.key("phases"),
            "expected at least one phase",
        ));
    }
    if load.phases.iter().all(|p| p.warmup) {
        return Err(Problem::new(
            path.key("phases"),
            "expected at least one phase that is not a warmup",
        ));
    }
    for (i, phase) in load.phases.iter().enumerate() {
        let pp = path.key("phases").index(i);
        match (&phase.duration, phase.transactions) {
            (Some(d), None) => {
                let length = parse_duration(d).map_err(|e| {
                    Problem::new(pp.key("duration"), format!("expected {e}"))
                        .with_value(format!("{d:?}"))
                })?;
                // A zero-length phase measures nothing, and nothing passes
                // every threshold.
                if length.is_zero() {
                    return Err(Problem::new(
                        pp.key("duration"),
                        "expected a duration greater than 0",
                    )
                    .with_value(format!("{d:?}")));
                }
            }
            (None, Some(n)) if n > 0 => {}
            (None, Some(n)) => {
                return Err(
                    Problem::new(pp.key("transactions"), "expected at least 1").with_value(n)
                );
            }
            _ => {
                return Err(Problem::new(
                    pp.clone(),
                    "expected exactly one of `duration` or `transactions`",
                ));
            }
        }
        if phase.clients == 0 {
            return Err(
                Problem::new(pp.key("clients"), "expected at least 1 client").with_value(0),
            );
        }
        if let Some(rate) = phase.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(Problem::new(
                pp.key("rate"),
                "expected arrivals per second greater than 0",
            )
            .with_value(rate));
        }
    }
    Ok(())
}

//! The data: migrations, tables, generators and their column references.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{Check, ancestors, split_column};
use crate::scenario::error::{KeyPath, Problem};
use crate::scenario::spec::{Distribution, Generator, ScenarioSpec, TableSpec};

/// Migrations and tables: what the data is made of.
pub(super) fn validate_data(spec: &ScenarioSpec, dir: &Path) -> Check {
    let root = KeyPath::root();
    if spec.migrations.is_empty() {
        return Err(Problem::new(
            root.key("migrations"),
            "expected at least one migration file",
        ));
    }
    for (i, file) in spec.migrations.iter().enumerate() {
        if let Err(problem) = crate::scenario::migration_files(dir, file) {
            return Err(Problem::new(root.key("migrations").index(i), problem)
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
    if !table.scaled && table.rows.is_none() {
        return Err(Problem::new(
            path.key("scaled"),
            "expected `rows` beside `scaled = false`: a table under `per` grows with its parent",
        ));
    }
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
    if let Some(order) = &table.order
        && !table
            .columns
            .get(order)
            .is_some_and(|g| ordered(spec, g, 0))
    {
        return Err(Problem::new(
            path.key("order"),
            "expected a column of this table generated as times or numbers (timestamp, after, int, serial, position, or a ref to one)",
        )
        .with_value(format!("{order:?}")));
    }
    Ok(())
}

/// Whether a generator makes values rows can be put in order by: times
/// and integers, directly or through the column a reference names.
fn ordered(spec: &ScenarioSpec, generator: &Generator, depth: usize) -> bool {
    let column = |c: &str| {
        split_column(c)
            .and_then(|(t, c)| spec.tables.get(t)?.columns.get(c))
            .is_some_and(|g| depth < 8 && ordered(spec, g, depth + 1))
    };
    match generator {
        Generator::Timestamp { .. }
        | Generator::After { .. }
        | Generator::Int { .. }
        | Generator::Serial {}
        | Generator::Position {} => true,
        Generator::Nullable { of, .. } => ordered(spec, of, depth),
        Generator::First { first, rest } => {
            ordered(spec, first, depth) && ordered(spec, rest, depth)
        }
        Generator::Ref { column: c } | Generator::Pick { column: c, .. } => column(c),
        _ => false,
    }
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

pub(super) fn unknown_table(spec: &ScenarioSpec, path: KeyPath, table: &str) -> Problem {
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

pub(super) fn check_probability(p: f64, path: KeyPath) -> Check {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Problem::new(path, "expected a probability between 0 and 1").with_value(p))
    }
}

pub(super) fn check_distribution(d: &Distribution, path: &KeyPath) -> Check {
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
        Distribution::Even { mean } if !(mean.is_finite() && *mean >= 0.0) => {
            Err(Problem::new(path.key("mean"), "expected a mean >= 0").with_value(mean))
        }
        Distribution::Even { .. } => Ok(()),
    }
}

/// Resolves `table.column` to a column the scenario generates.
pub(super) fn check_column_ref<'a>(
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

/// Checks one column's generator against what its kind needs. Long on
/// purpose: one arm per generator kind, in the order `seed::plan` compiles
/// and evaluates them, so a new kind is added in the same place in all
/// three.
pub(super) fn check_generator(
    spec: &ScenarioSpec,
    table: &str,
    g: &Generator,
    path: &KeyPath,
) -> Check {
    let lineage = ancestors(&spec.tables, table);
    match g {
        Generator::Uuid {} | Generator::Name {} | Generator::FirstName {} | Generator::Email {} => {
            Ok(())
        }
        Generator::Ref { column } | Generator::Other { column } => {
            check_lineage_column(spec, table, &lineage, column, &path.key("column"))?;
            Ok(())
        }
        Generator::After { column, min, max } => {
            check_lineage_column(spec, table, &lineage, column, &path.key("column"))?;
            if max < min {
                return Err(
                    Problem::new(path.key("max"), format!("expected max >= min ({min})"))
                        .with_value(format!("{:?}", max.to_string())),
                );
            }
            Ok(())
        }
        Generator::Pick { column, within } => {
            let (target, _) = check_column_ref(spec, column, &path.key("column"))?;
            let Some(within) = within else {
                return Ok(());
            };
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
        Generator::Position {} | Generator::Serial {} => Ok(()),
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
        Generator::List { of, min, max } => {
            if max < min {
                return Err(
                    Problem::new(path.key("max"), format!("expected max >= min ({min})"))
                        .with_value(*max),
                );
            }
            check_generator(spec, table, of, &path.key("of"))
        }
        Generator::Nullable { p, of } => {
            check_probability(*p, path.key("p"))?;
            check_generator(spec, table, of, &path.key("of"))
        }
        Generator::Handle {
            min_len, max_len, ..
        } => check_count_range(*min_len, *max_len, path, "min_len", "max_len"),
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
            if to <= from {
                return Err(Problem::new(
                    path.key("to"),
                    format!("expected a time after `from` ({from})"),
                )
                .with_value(format!("{:?}", to.to_string())));
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

pub(super) fn check_weights(weights: &[f64], choices: usize, path: &KeyPath) -> Check {
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
pub(super) fn column_dependencies(g: &Generator, out: &mut Vec<String>) {
    match g {
        Generator::Ref { column }
        | Generator::Other { column }
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
        Generator::Nullable { of, .. } | Generator::List { of, .. } => column_dependencies(of, out),
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

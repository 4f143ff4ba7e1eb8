//! From the catalog to a scenario: which table hangs under which (`per`),
//! how many rows each gets, a generator for every column, who acts and
//! what they read. Every choice carries the reason the file prints beside
//! it, so a reader knows what to change.

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{Column, ForeignKey, Statement, Table};

/// The source's reads a scenario takes at most, by their time.
const MEASURED_QUERIES: usize = 10;

/// Users at scale 1 when the app has a users table at the top.
pub const USERS: u64 = 1000;
/// Rows of a lookup table (referenced, never a parent).
const LOOKUP_ROWS: u64 = 50;

/// A generator as the file writes it (an inline TOML table) and why.
#[derive(Debug, Clone)]
pub struct Choice {
    pub generator: String,
    pub why: String,
}

impl Choice {
    fn new(generator: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            generator: generator.into(),
            why: why.into(),
        }
    }

    /// NULL with probability `p` (a nullable column), else this.
    fn nullable(self, p: f64, why: &str) -> Self {
        Self {
            generator: format!("{{ gen = \"nullable\", p = {p}, of = {} }}", self.generator),
            why: format!("{}; {why}", self.why),
        }
    }
}

/// One table's rows and columns.
#[derive(Debug, Clone)]
pub struct TableChoice {
    pub name: String,
    /// A fixed row count (root tables).
    pub rows: Option<u64>,
    pub per: Option<String>,
    /// The per-parent count distribution, inline TOML.
    pub count: Option<String>,
    pub why: String,
    pub columns: Vec<(String, Choice)>,
    /// Columns left to the database, and why.
    pub left_out: Vec<(String, String)>,
}

/// Who sends the requests.
#[derive(Debug, Clone)]
pub struct ActorChoice {
    pub table: String,
    pub column: String,
    pub why: String,
}

/// One read of the workload.
#[derive(Debug, Clone)]
pub struct QueryChoice {
    pub name: String,
    pub weight: u32,
    pub role: &'static str,
    pub sql: String,
    /// Inline TOML, one per `$n`.
    pub params: Vec<String>,
    pub why: String,
    /// A latency limit from what the source measured.
    pub limit: Option<String>,
}

/// The whole inference.
#[derive(Debug, Clone)]
pub struct Inferred {
    pub tables: Vec<TableChoice>,
    pub actor: ActorChoice,
    pub queries: Vec<QueryChoice>,
    /// Columns no generator could be chosen for, in words.
    pub gaps: Vec<String>,
}

/// Infers a scenario for `tables` (as the catalog read them), its reads
/// from `statements` when the source ran some.
pub fn infer(tables: &[Table], statements: &[Statement]) -> Inferred {
    let by_name: BTreeMap<&str, &Table> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let parents = parents(tables, &by_name);
    let lineage = |name: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut at = parents.get(name).cloned().flatten();
        while let Some(p) = at {
            if out.contains(&p) {
                break;
            }
            at = parents.get(p.as_str()).cloned().flatten();
            out.push(p);
        }
        out
    };
    let has_children: BTreeSet<&str> = parents.values().flatten().map(String::as_str).collect();
    let actor = actor(tables, &parents);
    let mut gaps = Vec::new();
    let mut choices = Vec::new();
    for table in order(tables, &parents) {
        let parent = parents.get(table.name.as_str()).cloned().flatten();
        let ancestors = lineage(&table.name);
        let parent_rows = parent
            .as_deref()
            .and_then(|p| by_name.get(p))
            .and_then(|p| p.rows);
        let (rows, count, why) = match &parent {
            None if table.rows.is_some() => {
                let rows = table.rows.unwrap_or_default().round().max(1.0) as u64;
                (
                    Some(rows),
                    None,
                    format!("{rows} rows, as the live table has (its row estimate)"),
                )
            }
            Some(p) if table.rows.is_some() && parent_rows.is_some_and(|r| r > 0.0) => {
                let mean = table.rows.unwrap_or_default() / parent_rows.unwrap_or(1.0);
                let (count, why) = measured_fan_out(mean, p);
                (None, Some(count), why)
            }
            None if table.name == "auth.users" => (
                Some(USERS),
                None,
                "the app's users (Supabase auth)".to_owned(),
            ),
            None if has_children.contains(table.name.as_str()) => (
                Some(USERS),
                None,
                "a top-level table with tables under it".to_owned(),
            ),
            None if referenced(tables, &table.name) => (
                Some(LOOKUP_ROWS),
                None,
                "a lookup table: others point at it, none hangs under it".to_owned(),
            ),
            None => (Some(USERS), None, "a table of its own".to_owned()),
            Some(p) => {
                let fk = parent_key(table, p);
                let (count, why) = fan_out(table, fk, p, ancestors.len(), &actor.table);
                (None, Some(count), why)
            }
        };
        let mut columns = Vec::new();
        let mut left_out = Vec::new();
        let determined = foreign_key_columns(table, parent.as_deref(), &ancestors, &lineage);
        for column in &table.columns {
            if table.name == "auth.users" {
                match auth_user_column(&column.name) {
                    Some(choice) => columns.push((column.name.clone(), choice)),
                    None => left_out.push((column.name.clone(), "Supabase's default".to_owned())),
                }
                continue;
            }
            if let Some(choice) = determined.get(&column.name) {
                columns.push((column.name.clone(), choice.clone()));
                continue;
            }
            let parent_table = parent.as_deref().and_then(|p| by_name.get(p).copied());
            match column_choice(table, column, parent_table) {
                Some(choice) => columns.push((column.name.clone(), choice)),
                None if column.generated => {
                    left_out.push((column.name.clone(), "generated by the database".to_owned()))
                }
                None if column.default.is_some() => left_out.push((
                    column.name.clone(),
                    format!(
                        "its default ({})",
                        column.default.as_deref().unwrap_or_default()
                    ),
                )),
                None if !column.not_null => left_out.push((
                    column.name.clone(),
                    format!("NULL: no generator for {}", column.type_name),
                )),
                None => {
                    gaps.push(format!(
                        "{}.{} ({}, NOT NULL, no default): no generator for this type; give it one",
                        table.name, column.name, column.type_name
                    ));
                    left_out.push((
                        column.name.clone(),
                        format!("NO GENERATOR for {}: give one", column.type_name),
                    ));
                }
            }
        }
        choices.push(TableChoice {
            name: table.name.clone(),
            rows,
            per: parent.clone(),
            count,
            why,
            columns,
            left_out,
        });
    }
    let measured = measured_queries(tables, &actor, &lineage, statements);
    let queries = if measured.is_empty() {
        queries(tables, &parents, &actor, &lineage)
    } else {
        measured
    };
    Inferred {
        tables: choices,
        actor,
        queries,
        gaps,
    }
}

/// The columns of Supabase's `auth.users` a signed-up user has.
fn auth_user_column(name: &str) -> Option<Choice> {
    let (generator, why) = match name {
        "id" => ("{ gen = \"uuid\" }", "the user's id, the JWT's `sub`"),
        "email" => ("{ gen = \"email\" }", "a unique e-mail address"),
        "aud" | "role" => (
            "{ gen = \"const\", value = \"authenticated\" }",
            "as Supabase Auth sets it",
        ),
        "created_at" => (
            "{ gen = \"timestamp\", from = \"2025-01-01\", to = \"2026-11-01\", growth = 1.5 }",
            "sign-ups over two years, more of them lately (a growing app)",
        ),
        "updated_at" => (
            "{ gen = \"after\", column = \"auth.users.created_at\", max = \"30d\" }",
            "some time after sign-up",
        ),
        _ => return None,
    };
    Some(Choice::new(generator, why))
}

/// Foreign keys whose every column is NOT NULL: the table cannot exist
/// without their target.
fn required_keys(table: &Table) -> impl Iterator<Item = &ForeignKey> {
    table.foreign_keys.iter().filter(|f| {
        f.target != table.name
            && f.columns
                .iter()
                .all(|c| table.column(c).is_some_and(|c| c.not_null))
    })
}

/// Each table's parent: the deepest table it cannot exist without, so a
/// child's keys to its parent and grandparents all agree (a segment's
/// story and user are the story's).
fn parents<'a>(
    tables: &'a [Table],
    by_name: &BTreeMap<&str, &'a Table>,
) -> BTreeMap<&'a str, Option<String>> {
    let mut out: BTreeMap<&str, Option<String>> = BTreeMap::new();
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    while out.len() < tables.len() {
        let ready: Vec<&Table> = tables
            .iter()
            .filter(|t| !out.contains_key(t.name.as_str()))
            .filter(|t| {
                required_keys(t).all(|f| {
                    out.contains_key(f.target.as_str()) || !by_name.contains_key(f.target.as_str())
                })
            })
            .collect();
        // A cycle of required keys: its first table starts as a root.
        let ready = if ready.is_empty() {
            tables
                .iter()
                .filter(|t| !out.contains_key(t.name.as_str()))
                .take(1)
                .collect()
        } else {
            ready
        };
        for t in ready {
            let parent = required_keys(t)
                .filter(|f| out.contains_key(f.target.as_str()))
                .map(|f| f.target.as_str())
                .max_by_key(|p| (depth.get(p).copied().unwrap_or(0), std::cmp::Reverse(*p)));
            let d = parent.map_or(0, |p| depth.get(p).copied().unwrap_or(0) + 1);
            depth.insert(&t.name, d);
            out.insert(&t.name, parent.map(str::to_owned));
        }
    }
    out
}

/// Parents before children.
fn order<'a>(tables: &'a [Table], parents: &BTreeMap<&str, Option<String>>) -> Vec<&'a Table> {
    let depth = |name: &str| {
        let mut d = 0;
        let mut at = parents.get(name).cloned().flatten();
        while let Some(p) = at {
            d += 1;
            if d > tables.len() {
                break;
            }
            at = parents.get(p.as_str()).cloned().flatten();
        }
        d
    };
    let mut out: Vec<&Table> = tables.iter().collect();
    out.sort_by_key(|t| (depth(&t.name), t.name.clone()));
    out
}

fn referenced(tables: &[Table], name: &str) -> bool {
    tables
        .iter()
        .any(|t| t.name != name && t.foreign_keys.iter().any(|f| f.target == name))
}

/// The key from `table` to its parent.
fn parent_key<'a>(table: &'a Table, parent: &str) -> Option<&'a ForeignKey> {
    required_keys(table)
        .filter(|f| f.target == parent)
        .max_by_key(|f| f.columns.len())
}

/// Rows per parent row with the live tables' mean, `mean`: what a live
/// database says, so the seeded counts match its own.
fn measured_fan_out(mean: f64, parent: &str) -> (String, String) {
    let why =
        format!("{mean:.2} per {parent} row on average, as the live tables' row counts have it");
    (
        format!("{{ dist = \"even\", mean = {:.4} }}", mean.max(0.0)),
        why,
    )
}

/// The share of NULLs a nullable column gets: the live share when known.
fn null_share(column: &Column, otherwise: f64) -> f64 {
    column
        .stats
        .as_ref()
        .map_or(otherwise, |s| (s.null_frac * 1000.0).round() / 1000.0)
}

/// A text column's most common values and their weights, when they
/// cover nearly all of its (non-NULL) rows: the live distribution.
fn common_values(column: &Column) -> Option<Choice> {
    let stats = column.stats.as_ref()?;
    let covered: f64 = stats.common.iter().map(|(_, s)| s).sum();
    let non_null = 1.0 - stats.null_frac;
    if stats.common.is_empty() || stats.common.len() > 100 || covered < 0.95 * non_null {
        return None;
    }
    let values: Vec<String> = stats.common.iter().map(|(v, _)| v.clone()).collect();
    let weights: Vec<String> = stats
        .common
        .iter()
        .map(|(_, s)| format!("{:.4}", s / covered))
        .collect();
    Some(Choice::new(
        format!(
            "{{ gen = \"enum\", values = {}, weights = [{}] }}",
            toml_list(&values),
            weights.join(", ")
        ),
        "the live column's most common values and their shares (pg_stats)",
    ))
}

/// How many rows each parent row gets.
fn fan_out(
    table: &Table,
    key: Option<&ForeignKey>,
    parent: &str,
    depth: usize,
    actor: &str,
) -> (String, String) {
    let columns: BTreeSet<&String> = key.map(|k| k.columns.iter().collect()).unwrap_or_default();
    let one_to_one = std::iter::once(&table.primary_key)
        .chain(&table.uniques)
        .any(|u| !u.is_empty() && u.iter().all(|c| columns.contains(c)));
    if one_to_one {
        return (
            "{ dist = \"fixed\", value = 1 }".to_owned(),
            format!("one per {parent} row: its key to {parent} is unique"),
        );
    }
    // A key or unique set of the parent's key plus another foreign key
    // column: a pair may appear once, so one row per parent.
    let pairs = std::iter::once(&table.primary_key)
        .chain(&table.uniques)
        .any(|u| {
            u.iter().any(|c| columns.contains(c))
                && u.iter().any(|c| {
                    !columns.contains(c)
                        && table
                            .foreign_keys
                            .iter()
                            .any(|f| f.columns.contains(c) && f.target != parent)
                })
        });
    if pairs {
        return (
            "{ dist = \"fixed\", value = 1 }".to_owned(),
            format!(
                "one per {parent} row: (its {parent} key, another key) is unique, and a random second key could repeat"
            ),
        );
    }
    if parent == actor || depth <= 1 {
        (
            "{ dist = \"zipf\", max = 100, exponent = 1.3 }".to_owned(),
            format!(
                "per {parent} row, skewed (Zipf): most have a few, a few have many, as real users do"
            ),
        )
    } else {
        (
            "{ dist = \"uniform\", min = 0, max = 8 }".to_owned(),
            format!("0 to 8 per {parent} row"),
        )
    }
}

/// Generators of foreign-key columns: from the parent and ancestors (so
/// they agree), a row under the same ancestor for keys to a sibling, any
/// row for a lookup table or the table itself.
fn foreign_key_columns(
    table: &Table,
    parent: Option<&str>,
    ancestors: &[String],
    lineage: &dyn Fn(&str) -> Vec<String>,
) -> BTreeMap<String, Choice> {
    let mut out: BTreeMap<String, Choice> = BTreeMap::new();
    // Keys to the parent first, then to other ancestors: they fix the
    // columns other keys share.
    let mut keys: Vec<&ForeignKey> = table.foreign_keys.iter().collect();
    keys.sort_by_key(|f| {
        if Some(f.target.as_str()) == parent {
            0
        } else if ancestors.contains(&f.target) {
            1
        } else {
            2
        }
    });
    for key in keys {
        let free: Vec<(&String, &String)> = key
            .columns
            .iter()
            .zip(&key.target_columns)
            .filter(|(c, _)| !out.contains_key(*c))
            .collect();
        let nullable = key
            .columns
            .iter()
            .any(|c| table.column(c).is_some_and(|c| !c.not_null));
        if Some(key.target.as_str()) == parent || ancestors.contains(&key.target) {
            for (column, target) in free {
                out.insert(
                    column.clone(),
                    Choice::new(
                        format!("{{ gen = \"ref\", column = \"{}.{target}\" }}", key.target),
                        format!("the {} row this row belongs to", key.target),
                    ),
                );
            }
            continue;
        }
        let [(column, target)] = free.as_slice() else {
            // A composite key to an unrelated table: only its first column
            // can be drawn; the rest stay NULL where allowed.
            continue;
        };
        let within = if key.target == table.name {
            None
        } else {
            let theirs = lineage(&key.target);
            ancestors.iter().find(|a| theirs.contains(a)).cloned()
        };
        let choice = match &within {
            Some(w) => Choice::new(
                format!(
                    "{{ gen = \"pick\", column = \"{}.{target}\", within = \"{w}\" }}",
                    key.target
                ),
                format!("one of the same {w} row's {} rows", key.target),
            ),
            None if key.target == table.name => Choice::new(
                format!("{{ gen = \"pick\", column = \"{}.{target}\" }}", key.target),
                "another row of this table (a self-reference)".to_owned(),
            ),
            None => Choice::new(
                format!("{{ gen = \"pick\", column = \"{}.{target}\" }}", key.target),
                format!("any {} row", key.target),
            ),
        };
        let share = key
            .columns
            .iter()
            .filter_map(|c| table.column(c))
            .find(|c| !c.not_null)
            .map_or(0.3, |c| null_share(c, 0.3));
        let choice = if nullable && share > 0.0 {
            choice.nullable(share, &format!("optional: {:.0}% NULL", share * 100.0))
        } else {
            choice
        };
        out.insert((*column).clone(), choice);
    }
    out
}

/// Values a CHECK allows a column to take: `col IN ('a', 'b')`.
/// The columns of `table` a CHECK names (quoted literals aside).
pub fn mentioned<'a>(table: &'a Table, check: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut unquoted = String::new();
    for (i, part) in check.split('\'').enumerate() {
        if i % 2 == 0 {
            unquoted.push_str(part);
            unquoted.push(' ');
        }
    }
    for word in unquoted.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if let Some(c) = table.column(word)
            && !out.contains(&c.name.as_str())
        {
            out.push(c.name.as_str());
        }
    }
    out
}

/// The CHECKs of `table` that name exactly `columns`.
fn checks_on<'a>(table: &'a Table, columns: &[&str]) -> impl Iterator<Item = &'a String> {
    let wanted: BTreeSet<&str> = columns.iter().copied().collect();
    table
        .checks
        .iter()
        .filter(move |c| mentioned(table, c).into_iter().collect::<BTreeSet<_>>() == wanted)
}

/// CHECKs across a column with fixed values and a number, for the server
/// to resolve into ranges: (the checks on the two, the column with values,
/// its values, the number column).
pub fn rule_candidates(table: &Table) -> Vec<(Vec<String>, String, Vec<String>, String)> {
    let mut out = Vec::new();
    for check in &table.checks {
        let [a, b] = mentioned(table, check)[..] else {
            continue;
        };
        for (by, number) in [(a, b), (b, a)] {
            let values = table
                .column(by)
                .filter(|c| !c.labels.is_empty())
                .map(|c| c.labels.clone())
                .or_else(|| check_values(table, by));
            let numeric = table
                .column(number)
                .is_some_and(|c| ["int2", "int4", "int8", "numeric"].contains(&c.base.as_str()));
            if let (Some(values), true) = (values, numeric) {
                let checks = table
                    .checks
                    .iter()
                    .filter(|c| mentioned(table, c).iter().all(|m| *m == by || *m == number))
                    .cloned()
                    .collect();
                out.push((checks, by.to_owned(), values, number.to_owned()));
            }
        }
    }
    out
}

fn check_values(table: &Table, column: &str) -> Option<Vec<String>> {
    checks_on(table, &[column]).find_map(|check| {
        let at = check.find("= ANY (")?;
        let before = &check[..at];
        let named =
            before.ends_with(&format!("({column} ")) || before.contains(&format!("(({column})::"));
        if !named {
            return None;
        }
        let array = at + check[at..].find("ARRAY[")?;
        let inside = &check[array + "ARRAY[".len()..];
        let inside = &inside[..inside.find(']')?];
        let values: Vec<String> = inside
            .split(", ")
            .filter_map(|item| {
                let start = item.find('\'')?;
                let end = item.rfind('\'')?;
                (end > start).then(|| item[start + 1..end].replace("''", "'"))
            })
            .collect();
        (!values.is_empty()).then_some(values)
    })
}

/// Bounds a CHECK puts on a numeric column: `col >= 2`, `col > 0`, `col <= 14`.
fn check_bounds(table: &Table, column: &str) -> (Option<i64>, Option<i64>) {
    let (mut lo, mut hi) = (None, None);
    for check in checks_on(table, &[column]) {
        for part in check.split(['(', ')']) {
            let part = part.trim();
            let Some(rest) = part.strip_prefix(column).map(str::trim) else {
                continue;
            };
            let (op, value) = match rest.split_once(' ') {
                Some((op, v)) => (op, v.trim()),
                None => continue,
            };
            let Ok(value) = value.parse::<i64>() else {
                continue;
            };
            match op {
                ">=" => lo = Some(lo.map_or(value, |l: i64| l.max(value))),
                ">" => lo = Some(lo.map_or(value + 1, |l: i64| l.max(value + 1))),
                "<=" => hi = Some(hi.map_or(value, |h: i64| h.min(value))),
                "<" => hi = Some(hi.map_or(value - 1, |h: i64| h.min(value - 1))),
                "<>" if value == 0 => lo = Some(lo.map_or(1, |l: i64| l.max(1))),
                _ => {}
            }
        }
    }
    (lo, hi)
}

/// Another column this one must come after: `CHECK (ends_at > starts_at)`.
fn later_than(table: &Table, column: &str) -> Option<String> {
    table
        .checks
        .iter()
        .filter(|c| mentioned(table, c).len() == 2)
        .find_map(|check| {
            for op in [" > ", " >= "] {
                let needle = format!("({column}{op}");
                if let Some(at) = check.find(&needle) {
                    let rest = &check[at + needle.len()..];
                    let other: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if table.column(&other).is_some() {
                        return Some(other);
                    }
                }
            }
            None
        })
}

fn words(name: &str) -> Vec<&str> {
    name.split('_').collect()
}

/// A generator for a column that is no foreign key, from its type,
/// constraints and name; None leaves it to the database.
fn column_choice(table: &Table, column: &Column, parent: Option<&Table>) -> Option<Choice> {
    if column.generated {
        return None;
    }
    let name = column.name.as_str();
    let w = words(name);
    let unique = table
        .uniques
        .iter()
        .chain(std::iter::once(&table.primary_key))
        .any(|u| u.len() == 1 && u[0] == name);
    let rule = table.rules.iter().find(|r| r.column == name);
    let choice = if let Some(rule) = rule {
        let cases: Vec<String> = rule
            .cases
            .iter()
            .map(|(value, lo, hi)| {
                format!(
                    "{} = {{ gen = \"int\", min = {lo}, max = {hi} }}",
                    toml::Value::String(value.clone())
                )
            })
            .collect();
        Choice::new(
            format!(
                "{{ gen = \"case\", column = \"{}.{}\", cases = {{ {} }} }}",
                table.name,
                rule.by,
                cases.join(", ")
            ),
            format!(
                "by {}: each value gets a range its CHECK allows, as PostgreSQL evaluated it",
                rule.by
            ),
        )
    } else if column.identity || is_serial(column) {
        Choice::new(
            "{ gen = \"serial\" }",
            "an identity/serial key: 1, 2, 3... (its sequence moves past them)",
        )
    } else if let Some(common) = (["text", "varchar", "bpchar", "citext"]
        .contains(&column.base.as_str())
        || !column.labels.is_empty())
    .then(|| common_values(column))
    .flatten()
    {
        common
    } else if !column.labels.is_empty() {
        Choice::new(
            format!(
                "{{ gen = \"enum\", values = {} }}",
                toml_list(&column.labels)
            ),
            format!("the values of enum {}", column.type_name),
        )
    } else if let Some(values) = check_values(table, name) {
        Choice::new(
            format!("{{ gen = \"enum\", values = {} }}", toml_list(&values)),
            "the values its CHECK allows",
        )
    } else {
        match column.base.as_str() {
            "uuid" => Choice::new("{ gen = \"uuid\" }", "a UUID (the row's own)"),
            "bool" => {
                let p = if w.first().is_some_and(|f| ["is", "has", "can"].contains(f)) {
                    0.2
                } else {
                    0.5
                };
                Choice::new(format!("{{ gen = \"bool\", p = {p} }}"), "a flag")
            }
            "text" | "varchar" | "bpchar" | "citext" => text_choice(column, &w, unique)?,
            "int2" | "int4" | "int8" => {
                int_choice(table, column, &w, parent.map(|p| p.name.as_str()))?
            }
            "numeric" | "float4" | "float8" => {
                let (lo, hi) = check_bounds(table, name);
                let scale = numeric_scale(&column.type_name).unwrap_or(2);
                let (lo, hi) = (lo.unwrap_or(0), hi.unwrap_or(lo.unwrap_or(0).max(0) + 1000));
                Choice::new(
                    format!("{{ gen = \"decimal\", min = {lo}, max = {hi}, scale = {scale} }}"),
                    "a number in its CHECK's range, else 0 to 1000",
                )
            }
            "timestamptz" | "timestamp" | "date" => time_choice(table, column, &w, parent)?,
            "json" | "jsonb" if column.default.is_some() => return None,
            "json" | "jsonb" => Choice::new(
                "{ gen = \"json\", fields = { note = { gen = \"sentence\", min_words = 2, max_words = 6 } } }",
                "a small JSON object: describe its real fields here",
            ),
            _ => return None,
        }
    };
    Some(if column.not_null || column.identity {
        choice
    } else if column.stats.is_some() {
        let share = null_share(column, 0.0);
        if share > 0.0 {
            choice.nullable(share, &format!("{:.0}% NULL, as live", share * 100.0))
        } else {
            choice
        }
    } else if w.last() == Some(&"at")
        && w.first()
            .is_some_and(|f| ["deleted", "archived"].contains(f))
    {
        choice.nullable(0.95, "mostly NULL: few rows are deleted")
    } else {
        choice.nullable(0.2, "nullable: 20% NULL")
    })
}

fn is_serial(column: &Column) -> bool {
    column
        .default
        .as_deref()
        .is_some_and(|d| d.starts_with("nextval("))
}

fn numeric_scale(type_name: &str) -> Option<u32> {
    let inside = type_name.split_once('(')?.1.trim_end_matches(')');
    inside.split_once(',')?.1.trim().parse().ok()
}

fn max_length(type_name: &str) -> Option<u32> {
    type_name
        .split_once('(')?
        .1
        .trim_end_matches(')')
        .parse()
        .ok()
}

fn text_choice(column: &Column, w: &[&str], unique: bool) -> Option<Choice> {
    let has = |word: &str| w.contains(&word);
    let last = w.last().copied().unwrap_or_default();
    let choice = if has("email") {
        Choice::new("{ gen = \"email\" }", "an e-mail address (by its name)")
    } else if unique && max_length(&column.type_name).is_some_and(|n| n < 36) {
        Choice::new(
            "{ gen = \"serial\" }",
            "unique short text: the row's number keeps every row distinct",
        )
    } else if unique {
        Choice::new(
            "{ gen = \"uuid\" }",
            "unique text: a UUID's text keeps every row distinct",
        )
    } else if ["phone", "mobile", "tel", "telephone"]
        .iter()
        .any(|n| has(n))
    {
        Choice::new(
            "{ gen = \"int\", min = 2000000000, max = 9999999999 }",
            "a ten-digit phone number (by its name)",
        )
    } else if ["first", "given"].iter().any(|n| has(n)) {
        Choice::new("{ gen = \"first_name\" }", "a first name (by its name)")
    } else if has("name") || has("username") || last == "by" {
        Choice::new("{ gen = \"name\" }", "a person's name (by its name)")
    } else if has("title") || has("subject") || has("headline") {
        Choice::new(
            "{ gen = \"title\", min_words = 2, max_words = 6 }",
            "a title (by its name)",
        )
    } else if ["url", "uri", "link", "avatar", "image", "photo", "path"]
        .iter()
        .any(|n| has(n))
    {
        Choice::new(
            format!(
                "{{ gen = \"url\", prefix = \"https://example.com/{}/\" }}",
                column.name
            ),
            "a URL (by its name)",
        )
    } else if [
        "content",
        "body",
        "text",
        "description",
        "bio",
        "notes",
        "message",
        "prompt",
        "comment",
    ]
    .iter()
    .any(|n| has(n))
    {
        Choice::new(
            "{ gen = \"paragraph\", min_sentences = 1, max_sentences = 4 }",
            "prose (by its name)",
        )
    } else if column.default.is_some() {
        return None;
    } else if max_length(&column.type_name).is_some_and(|n| n < 24) {
        let n = max_length(&column.type_name).unwrap_or(1) as usize;
        Choice::new(
            format!("{{ gen = \"const\", value = {:?} }}", "x".repeat(n.min(3))),
            format!(
                "short text ({}): one value; give it its real ones",
                column.type_name
            ),
        )
    } else {
        Choice::new(
            "{ gen = \"sentence\", min_words = 1, max_words = 4 }",
            "a few words",
        )
    };
    Some(choice)
}

fn int_choice(table: &Table, column: &Column, w: &[&str], parent: Option<&str>) -> Option<Choice> {
    let name = column.name.as_str();
    let positional = [
        "position", "sort", "order", "index", "rank", "seq", "number", "no", "num",
    ]
    .iter()
    .any(|n| w.contains(n));
    let numbered_under_parent = parent.is_some()
        && table
            .uniques
            .iter()
            .chain(std::iter::once(&table.primary_key))
            .any(|u| {
                u.len() >= 2
                    && u.contains(&column.name)
                    && table.foreign_keys.iter().any(|f| {
                        Some(f.target.as_str()) == parent && u.iter().any(|c| f.columns.contains(c))
                    })
            });
    if positional && numbered_under_parent {
        return Some(Choice::new(
            "{ gen = \"position\" }",
            "1, 2, 3... under its parent row (unique with the parent's key)",
        ));
    }
    if column.default.is_some() && check_bounds(table, name) == (None, None) && !w.contains(&"age")
    {
        return None;
    }
    let (lo, hi) = check_bounds(table, name);
    let top = match column.base.as_str() {
        "int2" => 32_767,
        _ => i64::from(i32::MAX),
    };
    let (default_lo, default_hi) = if w.contains(&"age") {
        (1, 90)
    } else if ["count", "quantity", "qty"].iter().any(|n| w.contains(n)) {
        (0, 100)
    } else {
        (0, 1000)
    };
    let lo = lo.unwrap_or(default_lo);
    let hi = hi.unwrap_or(default_hi.max(lo + 1000)).min(top);
    Some(Choice::new(
        format!("{{ gen = \"int\", min = {lo}, max = {hi} }}"),
        "an integer within its CHECK (else by its name)",
    ))
}

fn time_choice(
    table: &Table,
    column: &Column,
    w: &[&str],
    parent: Option<&Table>,
) -> Option<Choice> {
    let first = w.first().copied().unwrap_or_default();
    let created = table
        .columns
        .iter()
        .find(|c| c.name == "created_at" || c.name == "inserted_at")
        .filter(|c| c.name != column.name);
    if let Some(earlier) = later_than(table, &column.name) {
        return Some(Choice::new(
            format!(
                "{{ gen = \"after\", column = \"{}.{earlier}\", min = \"1m\", max = \"30d\" }}",
                table.name
            ),
            format!("after {earlier}, as its CHECK requires"),
        ));
    }
    if let Some(created) = created
        && [
            "updated",
            "modified",
            "deleted",
            "archived",
            "completed",
            "ended",
            "finished",
        ]
        .contains(&first)
    {
        return Some(Choice::new(
            format!(
                "{{ gen = \"after\", column = \"{}.{}\", max = \"30d\" }}",
                table.name, created.name
            ),
            format!("some time after {}", created.name),
        ));
    }
    // A child's first moment follows its parent's: a page is written after
    // its story.
    if let Some(parent) = parent
        && matches!(column.name.as_str(), "created_at" | "inserted_at")
        && parent.column(&column.name).is_some()
    {
        return Some(Choice::new(
            format!(
                "{{ gen = \"after\", column = \"{}.{}\", max = \"30d\" }}",
                parent.name, column.name
            ),
            format!("some time after its {} row's {}", parent.name, column.name),
        ));
    }
    Some(Choice::new(
        "{ gen = \"timestamp\", from = \"2025-01-01\", to = \"2026-11-01\", growth = 1.5 }",
        "over the last two years, more recent rows more common (a growing app)",
    ))
}

fn toml_list(values: &[String]) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|v| toml::Value::String(v.clone()).to_string())
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// The users who act: the table keyed by Supabase's user id, else the
/// top table with most tables under it.
fn actor(tables: &[Table], parents: &BTreeMap<&str, Option<String>>) -> ActorChoice {
    let to_users = |t: &Table| {
        t.foreign_keys
            .iter()
            .find(|f| f.target == "auth.users" && f.columns.len() == 1)
            .map(|f| f.columns[0].clone())
    };
    if let Some((t, column)) = tables
        .iter()
        .filter_map(|t| to_users(t).map(|c| (t, c)))
        .find(|(t, c)| t.primary_key == [c.clone()])
        .or_else(|| tables.iter().find_map(|t| to_users(t).map(|c| (t, c))))
    {
        return ActorChoice {
            table: t.name.clone(),
            column,
            why: format!(
                "{} is keyed by Supabase's user id (auth.users): requests sign in as its rows",
                t.name
            ),
        };
    }
    let descendants = |name: &str| {
        parents
            .iter()
            .filter(|(_, p)| {
                let mut at: Option<String> = (*p).clone();
                let mut hops = 0;
                while let Some(x) = at {
                    if x == name {
                        return true;
                    }
                    hops += 1;
                    if hops > tables.len() {
                        break;
                    }
                    at = parents.get(x.as_str()).cloned().flatten();
                }
                false
            })
            .count()
    };
    let top = tables
        .iter()
        .filter(|t| parents.get(t.name.as_str()).cloned().flatten().is_none())
        .filter(|t| t.primary_key.len() == 1)
        .max_by_key(|t| (descendants(&t.name), std::cmp::Reverse(t.name.clone())));
    match top {
        Some(t) => ActorChoice {
            table: t.name.clone(),
            column: t.primary_key[0].clone(),
            why: format!(
                "{} has the most tables under it: requests act as its rows (no Supabase auth in these migrations)",
                t.name
            ),
        },
        None => ActorChoice {
            table: tables.first().map(|t| t.name.clone()).unwrap_or_default(),
            column: "id".to_owned(),
            why: "no table has a single-column key: edit the actor".to_owned(),
        },
    }
}

/// One read per table under the actor, its most common access path: a
/// user's own rows by the key to them, newest first where there is a
/// time; a parent's rows by the key to it.
fn queries(
    tables: &[Table],
    parents: &BTreeMap<&str, Option<String>>,
    actor: &ActorChoice,
    lineage: &dyn Fn(&str) -> Vec<String>,
) -> Vec<QueryChoice> {
    let supabase = tables.iter().any(|t| t.name == "auth.users");
    let rls = |name: &str| tables.iter().any(|t| t.name == name && t.rls);
    let role_of = |name: &str| {
        if supabase && rls(name) {
            "authenticated"
        } else {
            "postgres"
        }
    };
    let mut out = vec![QueryChoice {
        name: format!("read_{}", identifier(&actor.table)),
        weight: 2,
        role: role_of(&actor.table),
        sql: format!(
            "select * from {} where {} = $1",
            qualified(&actor.table),
            quote(&actor.column)
        ),
        params: vec![format!(
            "{{ from = \"actor\", column = \"{}\" }}",
            actor.column
        )],
        why: format!("the user's own {} row", actor.table),
        limit: None,
    }];
    let mut under: Vec<&Table> = tables
        .iter()
        .filter(|t| lineage(&t.name).contains(&actor.table))
        .collect();
    under.sort_by_key(|t| (lineage(&t.name).len(), t.name.clone()));
    for t in under.into_iter().take(8) {
        let Some(parent) = parents.get(t.name.as_str()).cloned().flatten() else {
            continue;
        };
        let Some(key) = parent_key(t, &parent) else {
            continue;
        };
        let role = role_of(&t.name);
        let order = ["created_at", "inserted_at", "updated_at"]
            .iter()
            .find(|c| t.column(c).is_some())
            .map(|c| format!(" order by {c} desc"))
            .unwrap_or_default();
        let relation = qualified(&t.name);
        let (param, why) = if parent == actor.table {
            let target = key
                .columns
                .iter()
                .zip(&key.target_columns)
                .find(|(_, tc)| **tc == actor.column);
            match target {
                Some((c, _)) => (
                    (
                        c.clone(),
                        format!("{{ from = \"actor\", column = \"{}\" }}", actor.column),
                    ),
                    format!("a user's own {} rows", t.name),
                ),
                None => continue,
            }
        } else {
            (
                (
                    key.columns[0].clone(),
                    format!(
                        "{{ from = \"owned\", column = \"{parent}.{}\" }}",
                        key.target_columns[0]
                    ),
                ),
                format!("the {} rows of one of the user's own {parent} rows", t.name),
            )
        };
        let limit = if parent == actor.table { 20 } else { 50 };
        out.push(QueryChoice {
            name: format!("read_{}", identifier(&t.name)),
            weight: if parent == actor.table { 3 } else { 1 },
            role,
            sql: format!(
                "select * from {relation} where {} = $1{order} limit {limit}",
                quote(&param.0)
            ),
            params: vec![param.1],
            why: format!(
                "{why}{}",
                if role == "authenticated" {
                    ", as the signed-in user under RLS"
                } else {
                    ", as the owner (no RLS on it)"
                }
            ),
            limit: None,
        });
    }
    out
}

/// The source's own reads, by the time they took: weights from their
/// calls, each `$n` bound to where its compared column's values come from
/// (the acting user, one of the user's rows, or a fresh value), run as the
/// role that ran them, with a p99 limit of ten times their measured mean.
/// A read whose parameters cannot all be bound is left out.
fn measured_queries(
    tables: &[Table],
    actor: &ActorChoice,
    lineage: &dyn Fn(&str) -> Vec<String>,
    statements: &[Statement],
) -> Vec<QueryChoice> {
    let most = statements.iter().map(|s| s.calls).max().unwrap_or(1).max(1);
    let mut out: Vec<QueryChoice> = Vec::new();
    for statement in statements {
        if out.len() == MEASURED_QUERIES {
            break;
        }
        let sql = statement.query.trim();
        let used: Vec<&Table> = tables
            .iter()
            .filter(|t| mentions_table(sql, &t.name))
            .collect();
        let Some(first) = used.first() else { continue };
        let Some(params) = (1..=placeholders(sql))
            .map(|n| bind(sql, n, &used, actor, lineage))
            .collect::<Option<Vec<String>>>()
        else {
            continue;
        };
        let role = match statement.role.as_str() {
            "anon" => "anon",
            "authenticated" => "authenticated",
            "service_role" => "service_role",
            _ => "postgres",
        };
        let base = format!("top_{}", identifier(&first.name));
        let name = (1..)
            .map(|i| {
                if i == 1 {
                    base.clone()
                } else {
                    format!("{base}_{i}")
                }
            })
            .find(|n| !out.iter().any(|q| &q.name == n))
            .unwrap_or(base);
        let limit_ms = (statement.mean_ms * 10.0).max(10.0).ceil();
        out.push(QueryChoice {
            name,
            weight: ((statement.calls as f64 / most as f64) * 100.0)
                .round()
                .max(1.0) as u32,
            role,
            sql: sql.to_owned(),
            params,
            why: format!(
                "the source ran it {} times as {}, {:.2} ms on average (pg_stat_statements)",
                statement.calls, statement.role, statement.mean_ms
            ),
            limit: Some(format!("p99 < {limit_ms}ms")),
        });
    }
    out
}

/// Whether `sql` reads `table` (as `public.x`, `"x"` or a bare `x`).
fn mentions_table(sql: &str, table: &str) -> bool {
    let bare = table.rsplit('.').next().unwrap_or(table);
    let lower = sql.to_lowercase();
    lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"'))
        .map(|w| w.trim_matches('"').replace("\"", ""))
        .any(|w| w == table || w == bare || w == format!("public.{bare}"))
        && (lower.contains(" from ") || lower.contains(" join "))
}

/// The highest `$n` of a statement.
fn placeholders(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<usize>()
                .ok()
        })
        .max()
        .unwrap_or(0)
}

/// Where `$n` of `sql` gets its values: the column it is compared with
/// (`x.user_id = $1`), found in one of `tables`; a LIMIT or OFFSET a page
/// size.
fn bind(
    sql: &str,
    n: usize,
    tables: &[&Table],
    actor: &ActorChoice,
    lineage: &dyn Fn(&str) -> Vec<String>,
) -> Option<String> {
    let lower = sql.to_lowercase();
    let needle = format!("${n}");
    let at = lower
        .match_indices(&needle)
        .find(|(i, _)| !lower[i + needle.len()..].starts_with(|c: char| c.is_ascii_digit()))?
        .0;
    let before = lower[..at].trim_end();
    if before.ends_with("limit") {
        return Some("{ from = \"value\", of = { gen = \"int\", min = 10, max = 50 } }".to_owned());
    }
    if before.ends_with("offset") {
        return Some("{ from = \"value\", of = { gen = \"int\", min = 0, max = 100 } }".to_owned());
    }
    let before = before
        .strip_suffix('=')
        .or_else(|| before.strip_suffix("<="))
        .or_else(|| before.strip_suffix(">="))
        .or_else(|| before.strip_suffix('<'))
        .or_else(|| before.strip_suffix('>'))?
        .trim_end();
    let column: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '"')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .trim_matches('"')
        .to_owned();
    let table = tables.iter().find(|t| t.column(&column).is_some())?;
    if table.name == actor.table && column == actor.column {
        return Some(format!(
            "{{ from = \"actor\", column = \"{}\" }}",
            actor.column
        ));
    }
    // A key column: its values are the referenced rows' (a page's story is
    // one of the user's stories).
    // The acting user's own id first, then the narrowest key.
    let mut keys: Vec<(&ForeignKey, &String)> = table
        .foreign_keys
        .iter()
        .filter_map(|k| {
            let i = k.columns.iter().position(|c| *c == column)?;
            Some((k, &k.target_columns[i]))
        })
        .collect();
    keys.sort_by_key(|(k, target)| {
        (
            !(k.target == actor.table && **target == actor.column),
            k.columns.len(),
        )
    });
    for (key, target) in keys {
        if key.target == actor.table && *target == actor.column {
            return Some(format!(
                "{{ from = \"actor\", column = \"{}\" }}",
                actor.column
            ));
        }
        if lineage(&key.target).contains(&actor.table) {
            return Some(format!(
                "{{ from = \"owned\", column = \"{}.{target}\" }}",
                key.target
            ));
        }
    }
    if lineage(&table.name).contains(&actor.table) {
        return Some(format!(
            "{{ from = \"owned\", column = \"{}.{column}\" }}",
            table.name
        ));
    }
    let c = table.column(&column)?;
    let choice = column_choice(table, c, None)?;
    // A fresh value of the column's own generator; the ones that read
    // other rows cannot stand alone.
    (!choice.generator.contains("\"ref\"") && !choice.generator.contains("\"after\""))
        .then(|| format!("{{ from = \"value\", of = {} }}", choice.generator))
}

/// A name of lowercase letters, digits and underscores from any text (a
/// table's, a folder's): what scenario and query names must be.
pub fn identifier(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A table name as SQL: `public.profiles`, `"auth"."users"`.
fn qualified(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, table)) => format!("{}.{}", quote(schema), quote(table)),
        None => format!("public.{}", quote(name)),
    }
}

fn quote(ident: &str) -> String {
    if ident
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !ident.starts_with(|c: char| c.is_ascii_digit())
    {
        ident.to_owned()
    } else {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, base: &str, not_null: bool) -> Column {
        Column {
            name: name.into(),
            type_name: base.into(),
            base: base.into(),
            labels: Vec::new(),
            not_null,
            default: None,
            identity: false,
            generated: false,
            domain_checks: Vec::new(),
            stats: None,
        }
    }

    fn table(name: &str, columns: Vec<Column>) -> Table {
        Table {
            name: name.into(),
            rls: false,
            columns,
            primary_key: vec!["id".into()],
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            policies: Vec::new(),
            rules: Vec::new(),
            rows: None,
        }
    }

    fn key(columns: &[&str], target: &str, target_columns: &[&str]) -> ForeignKey {
        ForeignKey {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            target: target.into(),
            target_columns: target_columns.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn checks_give_values_bounds_and_order() {
        let mut t = table("t", vec![column("age", "int2", true)]);
        t.checks = vec![
            "CHECK (((age >= 2) AND (age <= 14)))".into(),
            "CHECK ((role = ANY (ARRAY['parent'::text, 'teacher'::text, 'o''brien'::text])))".into(),
            "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))".into(),
            "CHECK ((amount <> 0))".into(),
            "CHECK ((ends_at > starts_at))".into(),
        ];
        for (name, base) in [
            ("starts_at", "timestamptz"),
            ("ends_at", "timestamptz"),
            ("amount", "int4"),
            ("role", "text"),
            ("status", "varchar"),
            ("kind", "text"),
        ] {
            t.columns.push(column(name, base, true));
        }
        // A rule across two columns bounds neither alone.
        t.checks.push(
            "CHECK ((((kind = 'generation'::text) = (amount < 0)) OR (kind = 'adjustment'::text)))"
                .into(),
        );
        assert_eq!(mentioned(&t, &t.checks[5]), ["kind", "amount"]);
        assert_eq!(check_bounds(&t, "age"), (Some(2), Some(14)));
        assert_eq!(check_bounds(&t, "amount"), (Some(1), None));
        assert_eq!(
            check_values(&t, "role"),
            Some(vec!["parent".into(), "teacher".into(), "o'brien".into()])
        );
        assert_eq!(
            check_values(&t, "status"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(check_values(&t, "age"), None);
        assert_eq!(later_than(&t, "ends_at"), Some("starts_at".into()));
    }

    #[test]
    fn children_hang_under_their_deepest_required_parent() {
        let users = table("users", vec![column("id", "uuid", true)]);
        let mut posts = table(
            "posts",
            vec![column("id", "uuid", true), column("user_id", "uuid", true)],
        );
        posts.foreign_keys = vec![key(&["user_id"], "users", &["id"])];
        let mut comments = table(
            "comments",
            vec![
                column("id", "uuid", true),
                column("user_id", "uuid", true),
                column("post_id", "uuid", true),
                column("reply_to", "uuid", false),
            ],
        );
        comments.foreign_keys = vec![
            key(&["user_id"], "users", &["id"]),
            key(&["post_id"], "posts", &["id"]),
            key(&["reply_to"], "comments", &["id"]),
        ];
        let inferred = infer(&[comments, posts, users], &[]);
        let per: Vec<(&str, Option<&str>)> = inferred
            .tables
            .iter()
            .map(|t| (t.name.as_str(), t.per.as_deref()))
            .collect();
        assert_eq!(
            per,
            [
                ("users", None),
                ("posts", Some("users")),
                ("comments", Some("posts"))
            ]
        );
        let comments = &inferred.tables[2];
        let generator_of = |c: &str| {
            comments
                .columns
                .iter()
                .find(|(n, _)| n == c)
                .map(|(_, g)| g.generator.as_str())
                .unwrap_or_default()
        };
        assert_eq!(
            generator_of("post_id"),
            "{ gen = \"ref\", column = \"posts.id\" }"
        );
        assert_eq!(
            generator_of("user_id"),
            "{ gen = \"ref\", column = \"users.id\" }"
        );
        assert_eq!(
            generator_of("reply_to"),
            "{ gen = \"nullable\", p = 0.3, of = { gen = \"pick\", column = \"comments.id\" } }"
        );
        assert_eq!(inferred.actor.table, "users");
        let reads: Vec<&str> = inferred.queries.iter().map(|q| q.sql.as_str()).collect();
        assert_eq!(
            reads,
            [
                "select * from public.users where id = $1",
                "select * from public.posts where user_id = $1 limit 20",
                "select * from public.comments where post_id = $1 limit 50"
            ]
        );
    }
}

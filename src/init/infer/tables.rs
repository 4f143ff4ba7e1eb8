//! The shape of the data: which table hangs under which (`per`), how many
//! rows each parent row gets, and the generators of foreign-key columns
//! that keep a child's keys agreeing with its parent's.

use std::collections::{BTreeMap, BTreeSet};

use super::super::catalog::{ForeignKey, Table};
use super::Choice;
use super::columns::null_share;

/// Each table's parent: the deepest table it cannot exist without, so a
/// child's keys to its parent and grandparents all agree (a segment's
/// story and user are the story's).
pub(super) fn parents<'a>(
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
                t.required_keys().all(|f| {
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
            let parent = t
                .required_keys()
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
pub(super) fn order<'a>(
    tables: &'a [Table],
    parents: &BTreeMap<&str, Option<String>>,
) -> Vec<&'a Table> {
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

pub(super) fn referenced(tables: &[Table], name: &str) -> bool {
    tables
        .iter()
        .any(|t| t.name != name && t.foreign_keys.iter().any(|f| f.target == name))
}

/// Rows per parent row with the live tables' mean, `mean`: what a live
/// database says, so the seeded counts match its own.
pub(super) fn measured_fan_out(mean: f64, parent: &str) -> (String, String) {
    let why =
        format!("{mean:.2} per {parent} row on average, as the live tables' row counts have it");
    (
        format!("{{ dist = \"even\", mean = {:.4} }}", mean.max(0.0)),
        why,
    )
}

/// How many rows each parent row gets.
pub(super) fn fan_out(
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
    // Two keys to the parent in one unique set (follower, followee): a few
    // distinct others per parent row.
    let to_parent: Vec<&ForeignKey> = table
        .foreign_keys
        .iter()
        .filter(|f| f.target == parent)
        .collect();
    if to_parent.len() >= 2 {
        return (
            "{ dist = \"uniform\", min = 0, max = 8 }".to_owned(),
            format!("0 to 8 per {parent} row, each naming another {parent} row once"),
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
/// row for a lookup table or the table itself. Long on purpose: one pass
/// over the keys in the order their choices depend on each other (the
/// parent's first, then ancestors', then siblings' and lookups').
pub(super) fn foreign_key_columns(
    table: &Table,
    parent: Option<&str>,
    ancestors: &[String],
    lineage: &dyn Fn(&str) -> Vec<String>,
    kept: &[&Table],
) -> BTreeMap<String, Choice> {
    let mut out: BTreeMap<String, Choice> = BTreeMap::new();
    // Keys to tables the migrations fill: one of the values there.
    for key in &table.foreign_keys {
        let Some(target) = kept.iter().find(|t| t.name == key.target) else {
            continue;
        };
        let [(column, target_column)] = key
            .columns
            .iter()
            .zip(&key.target_columns)
            .collect::<Vec<_>>()[..]
        else {
            continue;
        };
        let values = target
            .migrated
            .as_ref()
            .and_then(|m| m.values.iter().find(|(c, _)| c == target_column))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if values.is_empty() {
            continue;
        }
        let choice = Choice::new(
            format!(
                "{{ gen = \"enum\", values = {} }}",
                super::columns::toml_list(&values)
            ),
            format!("one of the {} rows the migrations insert", key.target),
        );
        let nullable = table.column(column).is_some_and(|c| !c.not_null);
        out.insert(
            column.clone(),
            if nullable {
                choice.nullable(0.2, "optional: 20% NULL")
            } else {
                choice
            },
        );
    }
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
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    for key in keys
        .into_iter()
        .filter(|k| !kept.iter().any(|t| t.name == k.target))
    {
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
        let to_lineage = Some(key.target.as_str()) == parent || ancestors.contains(&key.target);
        if to_lineage && !reached.insert(key.target.as_str()) {
            // A second key to the same ancestor (a follow's followee):
            // another of its rows, never this row's own.
            for (column, target) in free {
                out.insert(
                    column.clone(),
                    Choice::new(
                        format!("{{ gen = \"other\", column = \"{}.{target}\" }}", key.target),
                        format!(
                            "another {} row than the one this row belongs to, a different one for each row under it",
                            key.target
                        ),
                    ),
                );
            }
            continue;
        }
        if to_lineage {
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

/// A table of one row: its single-column key's CHECK allows one value
/// (`id int primary key default 1 check (id = 1)`).
pub(super) fn is_singleton(table: &Table) -> bool {
    let [key] = table.primary_key.as_slice() else {
        return false;
    };
    let (lo, hi) = super::checks::check_bounds(table, key);
    lo.is_some() && lo == hi
        || super::checks::check_values(table, key).is_some_and(|v| v.len() == 1)
}

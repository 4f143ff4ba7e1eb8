//! What the acting users read: one read per table under them, or the
//! source's own costliest reads with their parameters bound.

use std::collections::BTreeMap;

use super::super::catalog::{ForeignKey, Statement, Table};
use super::columns::column_choice;
use super::{ActorChoice, QueryChoice, identifier, qualified, quote};

/// The source's reads a scenario takes at most, by their time.
const MEASURED_QUERIES: usize = 10;

/// One read per table under the actor, its most common access path: a
/// user's own rows by the key to them, newest first where there is a
/// time; a parent's rows by the key to it. Long on purpose: each query's
/// SQL is written beside the reason the scenario prints for it.
pub(super) fn queries(
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
    // Supabase's users table is the platform's: the app does not read it.
    let own_row = (actor.table != "auth.users").then(|| QueryChoice {
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
        write: false,
    });
    let mut out: Vec<QueryChoice> = own_row.into_iter().collect();
    let mut under: Vec<&Table> = tables
        .iter()
        .filter(|t| lineage(&t.name).contains(&actor.table))
        .collect();
    under.sort_by_key(|t| (lineage(&t.name).len(), t.name.clone()));
    // A table the signed-in user may not read would answer 42501 or no
    // row on every call: `unread` says why it is left out.
    for t in under
        .into_iter()
        .filter(|t| role_of(&t.name) != "authenticated" || t.signed_in.select)
        .take(8)
    {
        let Some(parent) = parents.get(t.name.as_str()).cloned().flatten() else {
            continue;
        };
        let Some(key) = t.parent_key(&parent) else {
            continue;
        };
        let role = role_of(&t.name);
        let order = newest_first(t);
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
            why: format!("{why}{}", as_whom(role)),
            limit: None,
            write: false,
        });
    }
    // One row by its key, as a client opens an item: the first table
    // directly under the user that has a key of its own.
    let opened = tables.iter().find(|t| {
        (role_of(&t.name) != "authenticated" || t.signed_in.select)
            && parents.get(t.name.as_str()).cloned().flatten().as_deref()
                == Some(actor.table.as_str())
            && matches!(t.primary_key.as_slice(), [k] if t.parent_key(&actor.table)
                .is_some_and(|f| !f.columns.contains(k)))
    });
    if let Some(t) = opened {
        let key = &t.primary_key[0];
        let role = role_of(&t.name);
        out.push(QueryChoice {
            name: format!("open_{}", identifier(&t.name)),
            weight: 2,
            role,
            sql: format!(
                "select * from {} where {} = $1",
                qualified(&t.name),
                quote(key)
            ),
            params: vec![format!(
                "{{ from = \"owned\", column = \"{}.{key}\" }}",
                t.name
            )],
            why: format!(
                "one of the user's own {} rows by its key, as a client opens it{}",
                t.name,
                if role == "authenticated" {
                    ", under RLS"
                } else {
                    ""
                }
            ),
            limit: None,
            write: false,
        });
    }
    out.extend(tenant_reads(tables, parents, actor, &role_of));
    out
}

/// `order by created_at desc` where the table keeps a creation time.
fn newest_first(table: &Table) -> String {
    ["created_at", "inserted_at", "updated_at"]
        .iter()
        .find(|c| table.column(c).is_some())
        .map(|c| format!(" order by {c} desc"))
        .unwrap_or_default()
}

/// Who a read runs as, for its comment.
fn as_whom(role: &str) -> &'static str {
    if role == "authenticated" {
        ", as the signed-in user under RLS"
    } else {
        ", as the owner (no RLS on it)"
    }
}

/// Reads of a tenant's data (a multi-tenant app): tables under a row the
/// acting user points at (`members.org_id` -> the organisation's contacts
/// and deals), by the key to it, with the user's own value of that key.
fn tenant_reads(
    tables: &[Table],
    parents: &BTreeMap<&str, Option<String>>,
    actor: &ActorChoice,
    role_of: &dyn Fn(&str) -> &'static str,
) -> Vec<QueryChoice> {
    let Some(actor_table) = tables.iter().find(|t| t.name == actor.table) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in &actor_table.foreign_keys {
        let ([column], [target_column]) = (key.columns.as_slice(), key.target_columns.as_slice())
        else {
            continue;
        };
        if key.target == "auth.users" || key.target == actor.table {
            continue;
        }
        for t in tables.iter().filter(|t| {
            (role_of(&t.name) != "authenticated" || t.signed_in.select)
                && t.name != actor.table
                && parents.get(t.name.as_str()).cloned().flatten().as_deref()
                    == Some(key.target.as_str())
        }) {
            let Some(to_tenant) = t
                .parent_key(&key.target)
                .filter(|k| k.target_columns.len() == 1 && k.target_columns[0] == *target_column)
            else {
                continue;
            };
            let order = newest_first(t);
            let role = role_of(&t.name);
            out.push(QueryChoice {
                name: format!("read_{}", identifier(&t.name)),
                weight: 2,
                role,
                sql: format!(
                    "select * from {} where {} = $1{order} limit 50",
                    qualified(&t.name),
                    quote(&to_tenant.columns[0])
                ),
                params: vec![format!("{{ from = \"actor\", column = \"{column}\" }}")],
                why: format!(
                    "the {} rows of the user's own {} (the user's {column}){}",
                    t.name,
                    key.target,
                    as_whom(role)
                ),
                limit: None,
                write: false,
            });
        }
    }
    out.truncate(4);
    out
}

/// The source's own reads, by the time they took: weights from their
/// calls, each `$n` bound to where its compared column's values come from
/// (the acting user, one of the user's rows, or a fresh value), run as the
/// role that ran them, with a p99 limit of ten times their measured mean.
/// A read whose parameters cannot all be bound is left out.
pub(super) fn measured_queries(
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
            write: false,
        });
    }
    out
}

/// Whether `sql` reads `table` (as `public.x`, `"x"` or a bare `x`).
pub(super) fn mentions_table(sql: &str, table: &str) -> bool {
    let bare = table.rsplit('.').next().unwrap_or(table);
    let lower = sql.to_lowercase();
    lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"'))
        .map(|w| w.trim_matches('"').replace("\"", ""))
        .any(|w| w == table || w == bare || w == format!("public.{bare}"))
        && (lower.contains(" from ") || lower.contains(" join "))
}

/// The highest `$n` of a statement.
pub(super) fn placeholders(sql: &str) -> usize {
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
pub(super) fn bind(
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

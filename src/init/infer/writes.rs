//! What the acting users write, where a grant and a policy let them: an
//! insert of an own row into each table directly under them, with values
//! drawn fresh from the column's own generator, and an update of one of
//! their rows. And which tables they cannot read, said in the file.

use super::super::catalog::Table;
use super::{ActorChoice, QueryChoice, TableChoice, identifier, qualified, quote};

/// Generators that stand alone: a value needs no other row.
const STANDALONE: &[&str] = &[
    "uuid",
    "name",
    "first_name",
    "email",
    "title",
    "sentence",
    "paragraph",
    "url",
    "int",
    "decimal",
    "enum",
    "bool",
    "timestamp",
    "json",
    "const",
    "list",
    "handle",
];

/// The generator's kind: `{ gen = "name" }` is `name`.
fn kind(generator: &str) -> &str {
    generator.split('"').nth(1).unwrap_or_default()
}

/// Whether a value of `generator` can be drawn for a request.
fn standalone(generator: &str) -> bool {
    match kind(generator) {
        "nullable" => generator
            .split_once(", of = ")
            .is_some_and(|(_, inner)| standalone(inner)),
        // A request's handle carries a 13-digit suffix (a random row), so
        // it needs room for it.
        "handle" => generator
            .split("max_len = ")
            .nth(1)
            .and_then(|r| r.split([',', ' ']).next())
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n >= 14),
        // Any row of a table (a lookup's): drawn as a request's value too.
        "pick" => !generator.contains("within"),
        k => STANDALONE.contains(&k),
    }
}

/// Tables under the acting user that the signed-in user may not read,
/// each with the reason.
pub(super) fn unread(
    tables: &[Table],
    actor: &ActorChoice,
    lineage: &dyn Fn(&str) -> Vec<String>,
) -> Vec<String> {
    let supabase = tables.iter().any(|t| t.name == "auth.users");
    tables
        .iter()
        .filter(|t| supabase && t.rls && !t.signed_in.select)
        .filter(|t| t.name == actor.table || lineage(&t.name).contains(&actor.table))
        .map(|t| {
            format!(
                "{}: `authenticated` has no SELECT grant or policy on it, so a read would fail with 42501 or return no row",
                t.name
            )
        })
        .collect()
}

/// An insert of an own row into each table directly under the acting
/// user that allows it, and an update of one of the user's rows.
pub(super) fn writes(
    tables: &[Table],
    choices: &[TableChoice],
    actor: &ActorChoice,
) -> Vec<QueryChoice> {
    let supabase = tables.iter().any(|t| t.name == "auth.users");
    let mut out = Vec::new();
    for choice in choices
        .iter()
        .filter(|c| c.per.as_deref() == Some(actor.table.as_str()))
    {
        let Some(table) = tables.iter().find(|t| t.name == choice.name) else {
            continue;
        };
        // One row per user: another insert would repeat its key.
        if choice.count.as_deref() == Some("{ dist = \"fixed\", value = 1 }") {
            continue;
        }
        let role = if supabase && table.rls {
            "authenticated"
        } else {
            "postgres"
        };
        if role == "authenticated" && !table.signed_in.insert {
            continue;
        }
        if let Some(insert) = insert(table, choice, actor, role) {
            out.push(insert);
        }
        if (role != "authenticated" || table.signed_in.update && table.signed_in.select)
            && let Some(update) = update(table, choice, role)
        {
            out.push(update);
        }
    }
    out.truncate(4);
    out
}

fn insert(
    table: &Table,
    choice: &TableChoice,
    actor: &ActorChoice,
    role: &'static str,
) -> Option<QueryChoice> {
    let key = table.parent_key(&actor.table)?;
    let mut columns = Vec::new();
    let mut params = Vec::new();
    // SQL for each column's value: `$n`, or a later time than another's.
    let mut values: Vec<String> = Vec::new();
    for column in &table.columns {
        if column.generated || column.identity {
            continue;
        }
        if let Some(i) = key.columns.iter().position(|c| *c == column.name) {
            columns.push(quote(&column.name));
            params.push(format!(
                "{{ from = \"actor\", column = \"{}\" }}",
                key.target_columns[i]
            ));
            values.push(format!("${}", params.len()));
            continue;
        }
        let generator = choice
            .columns
            .iter()
            .find(|(n, _)| *n == column.name)
            .map(|(_, c)| c.generator.as_str());
        // A time after another of this row's (`ends_at` after `starts_at`).
        let earlier = generator
            .filter(|g| kind(g) == "after")
            .and_then(|g| g.split('"').nth(3))
            .and_then(|c| c.strip_prefix(&format!("{}.", table.name)))
            .and_then(|c| columns.iter().position(|x| *x == quote(c)));
        match generator {
            Some(g) if standalone(g) => {
                columns.push(quote(&column.name));
                params.push(format!("{{ from = \"value\", of = {g} }}"));
                values.push(format!("${}", params.len()));
            }
            Some(_) if earlier.is_some() => {
                columns.push(quote(&column.name));
                values.push(format!(
                    "{}::{} + interval '1 hour'",
                    values[earlier.unwrap_or_default()],
                    column.type_name
                ));
            }
            // The database's default, or NULL where a rule allows it.
            _ if column.default.is_some() => {}
            Some(g) if !column.not_null && !matches!(kind(g), "case") => {}
            _ => return None,
        }
    }
    Some(QueryChoice {
        name: format!("insert_{}", identifier(&table.name)),
        weight: 1,
        role,
        sql: format!(
            "insert into {} ({}) values ({})",
            qualified(&table.name),
            columns.join(", "),
            values.join(", ")
        ),
        params,
        why: format!(
            "a user adds an own {} row{}",
            table.name,
            if role == "authenticated" {
                ", as the signed-in user under its insert policy"
            } else {
                ", as the owner"
            }
        ),
        limit: None,
        write: true,
    })
}

/// An update of one of the user's rows: a text column that no key,
/// unique set or CHECK involves gets a fresh value.
fn update(table: &Table, choice: &TableChoice, role: &'static str) -> Option<QueryChoice> {
    let [key] = table.primary_key.as_slice() else {
        return None;
    };
    let free = |c: &str| {
        !table.uniques.iter().any(|u| u.iter().any(|x| x == c))
            && !table
                .foreign_keys
                .iter()
                .any(|f| f.columns.iter().any(|x| x == c))
            && !table
                .checks
                .iter()
                .any(|check| super::checks::mentioned(table, check).contains(&c))
    };
    let (column, generator) = choice.columns.iter().find(|(name, c)| {
        name != key
            && free(name)
            && matches!(
                kind(&c.generator),
                "title" | "sentence" | "paragraph" | "name"
            )
    })?;
    Some(QueryChoice {
        name: format!("update_{}", identifier(&table.name)),
        weight: 1,
        role,
        sql: format!(
            "update {} set {} = $2 where {} = $1",
            qualified(&table.name),
            quote(column),
            quote(key)
        ),
        params: vec![
            format!("{{ from = \"owned\", column = \"{}.{key}\" }}", table.name),
            format!("{{ from = \"value\", of = {} }}", generator.generator),
        ],
        why: format!("a user edits one of their own {} rows", table.name),
        limit: None,
        write: true,
    })
}

//! Who sends the requests.

use std::collections::BTreeMap;

use super::super::catalog::Table;
use super::ActorChoice;

/// The users who act: the table keyed by Supabase's user id, else the
/// top table with most tables under it.
pub(super) fn actor(tables: &[Table], parents: &BTreeMap<&str, Option<String>>) -> ActorChoice {
    let to_users = |t: &Table| {
        t.foreign_keys
            .iter()
            .find(|f| f.target == "auth.users" && f.columns.len() == 1)
            .map(|f| f.columns[0].clone())
    };
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
    // Of the tables keyed by the user id (profiles, user_settings), the
    // one the most tables hang under.
    if let Some((t, column)) = tables
        .iter()
        .filter_map(|t| to_users(t).map(|c| (t, c)))
        .filter(|(t, c)| t.primary_key == [c.clone()])
        .max_by_key(|(t, _)| (descendants(&t.name), std::cmp::Reverse(t.name.clone())))
    {
        return ActorChoice {
            claims: Vec::new(),
            table: t.name.clone(),
            column,
            why: format!(
                "{} is keyed by Supabase's user id (auth.users): requests sign in as its rows",
                t.name
            ),
        };
    }
    if tables.iter().any(|t| t.name == "auth.users") {
        return ActorChoice {
            claims: Vec::new(),
            table: "auth.users".to_owned(),
            column: "id".to_owned(),
            why: "no table is keyed by the user id: requests sign in as Supabase's users (auth.users)"
                .to_owned(),
        };
    }
    let top = tables
        .iter()
        .filter(|t| parents.get(t.name.as_str()).cloned().flatten().is_none())
        .filter(|t| t.primary_key.len() == 1)
        .max_by_key(|t| (descendants(&t.name), std::cmp::Reverse(t.name.clone())));
    match top {
        Some(t) => ActorChoice {
            claims: Vec::new(),
            table: t.name.clone(),
            column: t.primary_key[0].clone(),
            why: format!(
                "{} has the most tables under it: requests act as its rows (no Supabase auth in these migrations)",
                t.name
            ),
        },
        None => ActorChoice {
            claims: Vec::new(),
            table: tables.first().map(|t| t.name.clone()).unwrap_or_default(),
            column: "id".to_owned(),
            why: "no table has a single-column key: edit the actor".to_owned(),
        },
    }
}

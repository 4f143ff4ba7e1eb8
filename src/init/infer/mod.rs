//! From the catalog to a scenario: which table hangs under which (`per`),
//! how many rows each gets, a generator for every column, who acts and
//! what they read. Every choice carries the reason the file prints beside
//! it, so a reader knows what to change.

mod actor;
mod checks;
mod columns;
mod queries;
mod tables;
mod text;
mod writes;

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{Statement, Table};
pub use checks::{mentioned, rule_candidates};
pub(in crate::init) use columns::toml_list;
use columns::{TableColumns, table_columns};
use tables::{
    fan_out, foreign_key_columns, is_singleton, measured_fan_out, order, parents, referenced,
};

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
    pub(super) fn new(generator: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            generator: generator.into(),
            why: why.into(),
        }
    }

    /// NULL with probability `p` (a nullable column), else this.
    pub(super) fn nullable(self, p: f64, why: &str) -> Self {
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
    /// Whether `rows` grows with the scale.
    pub scaled: bool,
    pub per: Option<String>,
    /// The per-parent count distribution, inline TOML.
    pub count: Option<String>,
    pub why: String,
    pub columns: Vec<(String, Choice)>,
    /// Columns left to the database, and why.
    pub left_out: Vec<(String, String)>,
    /// The column the rows load in the order of: the insertion time, when
    /// the table has one.
    pub order: Option<String>,
}

/// Who sends the requests.
#[derive(Debug, Clone)]
pub struct ActorChoice {
    pub table: String,
    pub column: String,
    pub why: String,
    /// JWT claims the app's policies read, from the actor's columns:
    /// (dotted claim path, column).
    pub claims: Vec<(String, String)>,
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
    /// A write (`access = "write"`): an insert or update of the user's rows.
    pub write: bool,
}

/// The whole inference.
#[derive(Debug, Clone)]
pub struct Inferred {
    pub tables: Vec<TableChoice>,
    /// Tables the workload leaves alone, and why (a grant or policy the
    /// signed-in user lacks).
    pub unread: Vec<String>,
    /// Tables left as the migrations fill them, with their rows.
    pub kept: Vec<(String, u64)>,
    pub actor: ActorChoice,
    pub queries: Vec<QueryChoice>,
    /// Columns no generator could be chosen for, in words.
    pub gaps: Vec<String>,
}

impl Inferred {
    /// The writes again, after the generators they draw from changed.
    pub fn refresh_writes(&mut self, tables: &[Table]) {
        self.queries.retain(|q| !q.write);
        let writes = writes::writes(tables, &self.tables, &self.actor);
        self.queries.extend(writes);
    }
}

/// Infers a scenario for `tables` (as the catalog read them), its reads
/// from `statements` when the source ran some.
pub fn infer(all: &[Table], statements: &[Statement], claims: &[Vec<String>]) -> Inferred {
    // Tables the migrations fill themselves (currencies, a settings row)
    // keep those rows: seeding more would break their keys and their
    // meaning. Keys to them draw from the rows there.
    let (kept, seeded): (Vec<&Table>, Vec<&Table>) = all.iter().partition(|t| {
        t.name != "auth.users" && t.migrated.is_some() && t.required_keys().next().is_none()
    });
    let tables: Vec<Table> = seeded.into_iter().cloned().collect();
    let tables = tables.as_slice();
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
    let mut actor = actor::actor(tables, &parents);
    // A claim the policies read whose name is a column of the acting
    // user's row (`app_metadata.org_id` and `members.org_id`) carries it.
    if let Some(table) = by_name.get(actor.table.as_str()) {
        actor.claims = claims
            .iter()
            .filter_map(|path| {
                let last = path.last()?;
                table.column(last)?;
                Some((path.join("."), last.clone()))
            })
            .collect();
    }
    let mut gaps = Vec::new();
    let mut choices = Vec::new();
    for table in order(tables, &parents) {
        let parent = parents.get(table.name.as_str()).cloned().flatten();
        let ancestors = lineage(&table.name);
        let parent_rows = parent
            .as_deref()
            .and_then(|p| by_name.get(p))
            .and_then(|p| p.rows);
        let singleton = parent.is_none() && is_singleton(table);
        let (rows, count, why) = size(
            table,
            parent.as_deref(),
            parent_rows,
            singleton,
            &Family {
                tables,
                has_children: &has_children,
                actor: &actor.table,
                depth: ancestors.len(),
            },
        );
        let determined = foreign_key_columns(table, parent.as_deref(), &ancestors, &lineage, &kept);
        let parent_table = parent.as_deref().and_then(|p| by_name.get(p).copied());
        let TableColumns { columns, left_out } =
            table_columns(table, parent_table, &determined, &mut gaps);
        // Lookup tables and single rows keep their size at every scale.
        let scaled = !(singleton
            || (parent.is_none()
                && rows == Some(LOOKUP_ROWS)
                && !has_children.contains(table.name.as_str())
                && referenced(tables, &table.name)));
        choices.push(TableChoice {
            name: table.name.clone(),
            rows,
            scaled,
            per: parent.clone(),
            count,
            why,
            order: insertion_time(&columns),
            columns,
            left_out,
        });
    }
    let measured = queries::measured_queries(tables, &actor, &lineage, statements);
    let queries = if measured.is_empty() {
        queries::queries(tables, &parents, &actor, &lineage)
    } else {
        measured
    };
    let unread = writes::unread(tables, &actor, &lineage);
    let mut queries = queries;
    queries.extend(writes::writes(tables, &choices, &actor));
    Inferred {
        unread,
        tables: choices,
        kept: kept
            .iter()
            .map(|t| (t.name.clone(), t.migrated.as_ref().map_or(0, |m| m.rows)))
            .collect(),
        actor,
        queries,
        gaps,
    }
}

/// Where a table sits among the others, for its size.
struct Family<'a> {
    tables: &'a [Table],
    /// Tables with tables under them.
    has_children: &'a BTreeSet<&'a str>,
    /// The acting user's table.
    actor: &'a str,
    /// How many tables it hangs under.
    depth: usize,
}

/// A table's size: fixed rows (a root table) or a count per parent row,
/// and why, in the scenario's words.
fn size(
    table: &Table,
    parent: Option<&str>,
    parent_rows: Option<f64>,
    singleton: bool,
    f: &Family<'_>,
) -> (Option<u64>, Option<String>, String) {
    match parent {
        None if singleton => (
            Some(1),
            None,
            "one row at every scale: its key's CHECK allows a single value".to_owned(),
        ),
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
        None if f.has_children.contains(table.name.as_str()) => (
            Some(USERS),
            None,
            "a top-level table with tables under it".to_owned(),
        ),
        None if referenced(f.tables, &table.name) => (
            Some(LOOKUP_ROWS),
            None,
            "a lookup table: others point at it, none hangs under it".to_owned(),
        ),
        None => (Some(USERS), None, "a table of its own".to_owned()),
        Some(p) => {
            let fk = table.parent_key(p);
            let (count, why) = fan_out(table, fk, p, f.depth, f.actor);
            (None, Some(count), why)
        }
    }
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
pub(super) fn qualified(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, table)) => format!("{}.{}", quote(schema), quote(table)),
        None => format!("public.{}", quote(name)),
    }
}

/// PostgreSQL's reserved key words: a column named `group` or `user`
/// must be quoted.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

pub(super) fn quote(ident: &str) -> String {
    if ident
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !ident.starts_with(|c: char| c.is_ascii_digit())
        && !RESERVED.contains(&ident)
    {
        ident.to_owned()
    } else {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }
}

/// The column holding when a row was inserted (`created_at`, `inserted_at`),
/// generated as a time: the order an app writes the table's rows in.
fn insertion_time(columns: &[(String, Choice)]) -> Option<String> {
    columns
        .iter()
        .find(|(name, choice)| {
            matches!(name.as_str(), "created_at" | "inserted_at")
                && ["{ gen = \"timestamp\"", "{ gen = \"after\""]
                    .iter()
                    .any(|g| choice.generator.starts_with(g))
        })
        .map(|(name, _)| name.clone())
}

#[cfg(test)]
pub(super) mod fixtures {
    use super::super::catalog::{Column, ForeignKey, Table};

    pub(super) fn column(name: &str, base: &str, not_null: bool) -> Column {
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

    pub(super) fn table(name: &str, columns: Vec<Column>) -> Table {
        Table {
            name: name.into(),
            rls: false,
            columns,
            primary_key: vec!["id".into()],
            uniques: Vec::new(),
            partial_uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            policies: Vec::new(),
            signed_in: super::super::catalog::Access::default(),
            rules: Vec::new(),
            rows: None,
            migrated: None,
        }
    }

    pub(super) fn key(columns: &[&str], target: &str, target_columns: &[&str]) -> ForeignKey {
        ForeignKey {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            target: target.into(),
            target_columns: target_columns.iter().map(|c| c.to_string()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{column, key, table};
    use super::*;

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
        let inferred = infer(&[comments, posts, users], &[], &[]);
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
                "select * from public.comments where post_id = $1 limit 50",
                // One of the user's posts opened by its key.
                "select * from public.posts where id = $1",
                // A user adds a post: its key to the user from the actor,
                // its own id fresh.
                "insert into public.posts (id, user_id) values ($1, $2)"
            ]
        );
    }
}

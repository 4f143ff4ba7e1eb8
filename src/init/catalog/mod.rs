//! What `init` reads of a migrated database: the app's tables, their
//! columns, keys, checks and policies, as small typed structs.

mod access;
mod migrated;
mod rules;

use tokio_postgres::Client;

use crate::pg::{PgError, QueryContext};
pub use access::{Access, jwt_claims};
use access::{link_to_users, signed_in_access};
pub use migrated::{Migrated, read_migrated};
pub use rules::{Allowed, Rule, resolve_rule};

/// Schemas that belong to the platform, not to the app.
const PLATFORM_SCHEMAS: &[&str] = &[
    "pg_catalog",
    "information_schema",
    "pg_toast",
    "auth",
    "storage",
    "extensions",
    "realtime",
    "_realtime",
    "graphql",
    "graphql_public",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "supabase_functions",
    "supabase_migrations",
    "net",
    "cron",
    "pgbouncer",
    "_analytics",
    "schemabench_hypopg",
];

/// One column.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// As `format_type` prints it: `character varying(80)`, `numeric(10,2)`.
    pub type_name: String,
    /// The base type's name, through domains: `int4`, `text`, `timestamptz`.
    pub base: String,
    /// Labels of an enum type, in order.
    pub labels: Vec<String>,
    pub not_null: bool,
    pub default: Option<String>,
    pub identity: bool,
    pub generated: bool,
    /// CHECKs of its domain, on `VALUE`.
    pub domain_checks: Vec<String>,
    /// What the planner's statistics say of it (a live database's).
    pub stats: Option<ColumnStats>,
}

/// A column's `pg_stats`; its common values withheld as placeholders
/// unless the user asked for them ([`LiveValues`]).
#[derive(Debug, Clone, Default)]
pub struct ColumnStats {
    pub null_frac: f64,
    /// The most common values and their shares of the rows.
    pub common: Vec<(String, f64)>,
}

/// A foreign key.
#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    /// `public.stories`, or `auth.users`.
    pub target: String,
    pub target_columns: Vec<String>,
}

/// One table of the app.
#[derive(Debug, Clone)]
pub struct Table {
    /// Qualified unless in `public`: `profiles`, `auth.users`, `app.items`.
    pub name: String,
    pub rls: bool,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub uniques: Vec<Vec<String>>,
    /// Unique indexes with a WHERE clause: (columns, predicate).
    pub partial_uniques: Vec<(Vec<String>, String)>,
    pub foreign_keys: Vec<ForeignKey>,
    /// `CHECK (...)` as `pg_get_constraintdef` prints it.
    pub checks: Vec<String>,
    /// Each policy's USING and WITH CHECK expressions.
    pub policies: Vec<String>,
    /// What a signed-in user (`authenticated`) may do to it: granted, and
    /// where RLS is on, allowed by a policy for that command.
    pub signed_in: Access,
    /// Numbers a CHECK ties to another column's value, as PostgreSQL
    /// evaluated them.
    pub rules: Vec<Rule>,
    /// The planner's row estimate (`pg_class.reltuples`), when analyzed.
    pub rows: Option<f64>,
    /// Rows the migrations themselves inserted (a lookup table's, a
    /// settings row), and the values of its columns other tables point at.
    pub migrated: Option<Migrated>,
}

/// A statement the source ran, as `pg_stat_statements` keeps it.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Normalized: constants as `$1`, `$2`...
    pub query: String,
    pub calls: i64,
    pub mean_ms: f64,
    /// The role that ran it (`authenticated` through PostgREST).
    pub role: String,
}

/// The reads that took most of the source's time (top `limit` by total
/// time), when `pg_stat_statements` is there; none otherwise.
pub async fn read_statements(client: &Client, limit: i64) -> Result<Vec<Statement>, PgError> {
    let schema: Option<String> = client
        .query_opt(
            "select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace
              where e.extname = 'pg_stat_statements'",
            &[],
        )
        .await
        .context_db("looking for pg_stat_statements")?
        .map(|r| r.get(0));
    let Some(schema) = schema else {
        return Ok(Vec::new());
    };
    let rows = client
        .query(
            &format!(
                "select s.query, s.calls, s.mean_exec_time, r.rolname::text
                   from {}.pg_stat_statements s join pg_roles r on r.oid = s.userid
                  where s.dbid = (select oid from pg_database where datname = current_database())
                    and s.query ~* '^\\s*(select|with)\\s'
                    and s.query !~* '(pg_catalog|pg_stat|information_schema|set_config|pg_class|pg_namespace)'
                  order by s.total_exec_time desc
                  limit $1",
                crate::pg::quote_ident(&schema)
            ),
            &[&limit],
        )
        .await;
    // Reading the view needs pg_read_all_stats or the statements' owner: a
    // role without it gets no query mix, not a failed init.
    let Ok(rows) = rows else {
        return Ok(Vec::new());
    };
    Ok(rows
        .iter()
        .map(|r| Statement {
            query: r.get(0),
            calls: r.get(1),
            mean_ms: r.get(2),
            role: r.get(3),
        })
        .collect())
}

/// Whether the live values of a column may be written into a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveValues {
    /// Only values the schema itself names (enum labels, values a CHECK
    /// lists); any other value becomes a placeholder with the live share.
    Withheld,
    /// The live most common values as they are (`--copy-values`).
    Copied,
}

/// `value` as the schema names it: an enum label, or a literal of one of
/// the table's or the column's CHECKs. A value the schema names is not
/// data, so it may leave the database.
fn named_by_schema(table: &Table, column: &Column, value: &str) -> bool {
    let literal = format!("'{}'", value.replace('\'', "''"));
    column.labels.iter().any(|l| l == value)
        || table
            .checks
            .iter()
            .chain(&column.domain_checks)
            .any(|c| c.contains(&literal))
}

/// Adds the planner's statistics: each table's row estimate and each
/// column's NULL share and most common values (as `live` allows). Reads
/// only the catalog.
pub async fn read_statistics(
    client: &Client,
    tables: &mut [Table],
    live: LiveValues,
) -> Result<(), PgError> {
    for table in tables.iter_mut() {
        let (schema, name) = table
            .name
            .split_once('.')
            .unwrap_or(("public", table.name.as_str()));
        let row = client
            .query_opt(
                "select c.reltuples::float8 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where n.nspname = $1 and c.relname = $2",
                &[&schema, &name],
            )
            .await
            .context_db("reading row estimates")?;
        table.rows = row.map(|r| r.get::<_, f64>(0)).filter(|r| *r >= 0.0);
        let stats = client
            .query(
                "select attname::text, null_frac::float8,
                        coalesce(most_common_vals::text::text[], '{}'),
                        coalesce(most_common_freqs::float8[], '{}')
                   from pg_stats where schemaname = $1 and tablename = $2",
                &[&schema, &name],
            )
            .await
            .context_db("reading column statistics")?;
        for r in stats {
            let column: String = r.get(0);
            let values: Vec<String> = r.get(2);
            let shares: Vec<f64> = r.get(3);
            let Some(at) = table.columns.iter().position(|c| c.name == column) else {
                continue;
            };
            let c = &table.columns[at];
            // Live values stay in the database unless asked for: the
            // share of each survives, under a name of its own.
            let values: Vec<String> = values
                .into_iter()
                .enumerate()
                .map(|(i, v)| match live {
                    LiveValues::Withheld if !named_by_schema(table, c, &v) => {
                        format!("{}_{}", c.name, i + 1)
                    }
                    _ => v,
                })
                .collect();
            table.columns[at].stats = Some(ColumnStats {
                null_frac: r.get(1),
                common: values.into_iter().zip(shares).collect(),
            });
        }
    }
    Ok(())
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Foreign keys whose every column is NOT NULL: the table cannot exist
    /// without their target.
    pub fn required_keys(&self) -> impl Iterator<Item = &ForeignKey> {
        self.foreign_keys.iter().filter(|f| {
            f.target != self.name
                && f.columns
                    .iter()
                    .all(|c| self.column(c).is_some_and(|c| c.not_null))
        })
    }

    /// The key from this table to its parent.
    pub fn parent_key(&self, parent: &str) -> Option<&ForeignKey> {
        self.required_keys()
            .filter(|f| f.target == parent)
            .max_by_key(|f| f.columns.len())
    }
}

/// The name a scenario file gives a table: bare in `public`.
fn scenario_name(schema: &str, table: &str) -> String {
    if schema == "public" {
        table.to_owned()
    } else {
        format!("{schema}.{table}")
    }
}

/// The app's tables, and `auth.users` when one of them references it.
pub async fn read(client: &Client) -> Result<Vec<Table>, PgError> {
    let rows = client
        .query(
            "select c.oid, n.nspname, c.relname, c.relrowsecurity
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relkind in ('r', 'p') and not c.relispartition
                and (n.nspname <> all($1) or (n.nspname = 'auth' and c.relname = 'users'))
                and n.nspname not like 'pg\\_%'
              order by n.nspname <> 'auth', n.nspname, c.relname",
            &[&PLATFORM_SCHEMAS],
        )
        .await
        .context_db("listing the migrated tables")?;
    let mut tables = Vec::with_capacity(rows.len());
    for row in rows {
        let oid: u32 = row.get(0);
        let (schema, name): (String, String) = (row.get(1), row.get(2));
        tables.push(Table {
            name: scenario_name(&schema, &name),
            rls: row.get(3),
            columns: columns(client, oid).await?,
            primary_key: Vec::new(),
            uniques: Vec::new(),
            partial_uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            policies: policies(client, oid).await?,
            signed_in: signed_in_access(client, oid, row.get(3)).await?,
            rules: Vec::new(),
            rows: None,
            migrated: None,
        });
        let table = tables.last_mut().expect("just pushed");
        constraints(client, oid, table).await?;
        // A domain's CHECK binds its columns as a table CHECK would.
        let domain_checks: Vec<String> = table
            .columns
            .iter()
            .flat_map(|c| {
                c.domain_checks
                    .iter()
                    .map(move |check| check.replace("VALUE", &c.name))
            })
            .collect();
        table.checks.extend(domain_checks);
    }
    for table in tables.iter_mut().filter(|t| t.name != "auth.users") {
        link_to_users(table);
    }
    // auth.users only when the app's tables point at it.
    let referenced = tables
        .iter()
        .any(|t| t.foreign_keys.iter().any(|f| f.target == "auth.users"));
    if !referenced {
        tables.retain(|t| t.name != "auth.users");
    }
    Ok(tables)
}

async fn columns(client: &Client, table: u32) -> Result<Vec<Column>, PgError> {
    let rows = client
        .query(
            "select a.attname,
                    case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod)
                         else format_type(a.atttypid, a.atttypmod) end,
                    a.attnotnull,
                    pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '', a.attgenerated <> '',
                    coalesce(bt.typname, t.typname)::text,
                    coalesce((select array_agg(e.enumlabel::text order by e.enumsortorder)
                                from pg_enum e where e.enumtypid = case when t.typcategory = 'A' then t.typelem
                                                                   else coalesce(bt.oid, t.oid) end), '{}'),
                    coalesce((select array_agg(pg_get_constraintdef(k.oid) order by k.conname)
                                from pg_constraint k where t.typtype = 'd' and k.contypid = t.oid), '{}')
               from pg_attribute a
               join pg_type t on t.oid = a.atttypid
               left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
               left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
              where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
              order by a.attnum",
            &[&table],
        )
        .await
        .context_db("reading columns")?;
    Ok(rows
        .iter()
        .map(|r| Column {
            domain_checks: r.get(8),
            stats: None,
            name: r.get(0),
            type_name: r.get(1),
            not_null: r.get(2),
            default: r.get(3),
            identity: r.get(4),
            generated: r.get(5),
            base: r.get(6),
            labels: r.get(7),
        })
        .collect())
}

async fn constraints(client: &Client, oid: u32, table: &mut Table) -> Result<(), PgError> {
    let rows = client
        .query(
            "select c.contype::text,
                    array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i)
                          join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i),
                    case when c.contype = 'f' then
                      (select case when n.nspname = 'public' then r.relname::text
                                   else n.nspname || '.' || r.relname end
                         from pg_class r join pg_namespace n on n.oid = r.relnamespace
                        where r.oid = c.confrelid) end,
                    array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i)
                          join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i),
                    pg_get_constraintdef(c.oid)
               from pg_constraint c
              where c.conrelid = $1
              order by c.conname",
            &[&oid],
        )
        .await
        .context_db("reading constraints")?;
    for r in rows {
        let kind: String = r.get(0);
        let columns: Vec<String> = r.get(1);
        match kind.as_str() {
            "p" => table.primary_key = columns,
            "u" => table.uniques.push(columns),
            "f" => table.foreign_keys.push(ForeignKey {
                columns,
                target: r.get::<_, Option<String>>(2).unwrap_or_default(),
                target_columns: r.get(3),
            }),
            "c" => table.checks.push(r.get(4)),
            _ => {}
        }
    }
    // Unique indexes that back no constraint (`create unique index`), on
    // plain columns; a partial one keeps its predicate.
    let indexes = client
        .query(
            "select array(select a.attname::text from unnest(i.indkey) with ordinality k(n, o)
                          join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n order by k.o),
                    pg_get_expr(i.indpred, i.indrelid)
               from pg_index i join pg_class x on x.oid = i.indexrelid
              where i.indrelid = $1 and i.indisunique and i.indexprs is null
                and not exists (select from pg_constraint c where c.conindid = i.indexrelid)
              order by x.relname",
            &[&oid],
        )
        .await
        .context_db("reading unique indexes")?;
    for r in indexes {
        let columns: Vec<String> = r.get(0);
        match r.get::<_, Option<String>>(1) {
            Some(predicate) => table.partial_uniques.push((columns, predicate)),
            None if !table.uniques.contains(&columns) => table.uniques.push(columns),
            None => {}
        }
    }
    // Keys in column order, so choices do not depend on constraint names.
    let position = |c: &String| table.columns.iter().position(|x| &x.name == c);
    table
        .foreign_keys
        .sort_by_key(|f| f.columns.iter().map(position).min().flatten());
    Ok(())
}

async fn policies(client: &Client, table: u32) -> Result<Vec<String>, PgError> {
    let rows = client
        .query(
            "select concat_ws(' ', pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid))
               from pg_policy where polrelid = $1 order by polname",
            &[&table],
        )
        .await
        .context_db("reading policies")?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

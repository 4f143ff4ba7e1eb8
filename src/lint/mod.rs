//! Schema rules on a migrated database, after Supabase's splinter: the
//! performance and security lints that apply to plain PostgreSQL, each
//! finding with its object, its rule and its fix.

use tokio_postgres::Client;

use crate::pg::database::{self, Marker, SeedState};
use crate::pg::{PgError, QueryContext, Server};
use crate::results::{IndexUsage, LintFinding as Finding, LintLevel as Level};
use crate::scenario::Scenario;
use crate::seed::SeedError;

/// Why a scenario could not be linted.
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(transparent)]
    Schema(#[from] SeedError),
}

/// The scenario's schema (the Supabase set-up and its migrations, no data)
/// in a scratch database of its own, linted, then dropped.
pub async fn scenario(
    server: &Server,
    scenario: &Scenario,
    usage: Option<&[IndexUsage]>,
) -> Result<Vec<Finding>, LintError> {
    let name = database::data_db_name(
        &format!("lint_{}", scenario.data_name),
        &scenario.data_fingerprint(),
    );
    let admin = server.admin(&server.maintenance_db()).await?;
    database::take_turn(&admin, &format!("linting {name}")).await?;
    let marker = Marker::scratch(
        format!("lint {}", scenario.data_name),
        "",
        SeedState::Seeding,
    );
    let owner = server.identity().await?.owner_role();
    database::fresh(&admin, owner, &name, &marker, None).await?;
    let linted = async {
        let client = server.owner(&name).await?;
        crate::seed::apply_schema(server, &name, &client, &scenario.migrations).await?;
        Ok::<_, LintError>(lint(&client, usage).await?)
    }
    .await;
    database::drop_owned(&admin, &name).await?;
    linted
}

/// Schemas that belong to the platform or to extensions, never linted.
const PLATFORM_SCHEMAS: &str = "('pg_catalog', 'information_schema', 'pg_toast', 'auth', 'extensions', \
     'storage', 'graphql', 'graphql_public', 'realtime', 'supabase_functions', 'vault', 'pgsodium', 'net', 'cron')";

/// Every rule's name, for the report of a clean schema.
pub const RULES: [&str; 7] = [
    "unindexed_foreign_keys",
    "auth_rls_initplan",
    "multiple_permissive_policies",
    "duplicate_index",
    "function_search_path_mutable",
    "rls_disabled_in_public",
    "unused_index",
];

async fn rows(client: &Client, sql: &str) -> Result<Vec<tokio_postgres::Row>, PgError> {
    client
        .query(sql, &[])
        .await
        .context_db("linting the schema")
}

/// Runs every rule against the database `client` is connected to;
/// `unused_index` only when the index usage of a run is given. A foreign
/// key counts as indexed when its first column leads an index: a
/// tenant-safe key `(story_id, user_id)` is served by the index on
/// `story_id`, which already narrows a parent's delete to its few rows.
pub async fn lint(client: &Client, usage: Option<&[IndexUsage]>) -> Result<Vec<Finding>, PgError> {
    let mut out = Vec::new();
    out.extend(unindexed_foreign_keys(client).await?);
    out.extend(auth_rls_initplan(client).await?);
    out.extend(multiple_permissive_policies(client).await?);
    out.extend(duplicate_index(client).await?);
    out.extend(function_search_path_mutable(client).await?);
    out.extend(rls_disabled_in_public(client).await?);
    if let Some(usage) = usage {
        out.extend(unused_index(client, usage).await?);
    }
    Ok(out)
}

/// Foreign keys whose first column leads no index.
async fn unindexed_foreign_keys(client: &Client) -> Result<Vec<Finding>, PgError> {
    let mut out = Vec::new();
    for row in rows(
        client,
        &format!(
            "select c.conrelid::regclass::text, c.conname::text,
                    (select string_agg(quote_ident(a.attname), ', ' order by k.ord)
                       from unnest(c.conkey) with ordinality k(attnum, ord)
                       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum)
               from pg_constraint c join pg_namespace n on n.oid = c.connamespace
              where c.contype = 'f' and n.nspname not in {PLATFORM_SCHEMAS}
                and not exists (
                  select from pg_index i
                   where i.indrelid = c.conrelid
                     and (string_to_array(i.indkey::text, ' ')::int2[])[1] = c.conkey[1])
              order by 1, 2"
        ),
    )
    .await?
    {
        let (table, name, columns): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        out.push(Finding {
            rule: "unindexed_foreign_keys".to_owned(),
            level: Level::Performance,
            object: format!("{table} ({name})"),
            fix: format!("create index on {table} ({columns})"),
        });
    }
    Ok(out)
}

/// Policies that call `auth.uid()` and its kin once per row.
async fn auth_rls_initplan(client: &Client) -> Result<Vec<Finding>, PgError> {
    let mut out = Vec::new();
    for row in rows(
        client,
        &format!(
            "select schemaname || '.' || tablename, policyname::text,
                    coalesce(qual, '') || ' ' || coalesce(with_check, '')
               from pg_policies where schemaname not in {PLATFORM_SCHEMAS} order by 1, 2"
        ),
    )
    .await?
    {
        let (table, policy, expr): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        if per_row_calls(&expr) > 0 {
            out.push(Finding {
                rule: "auth_rls_initplan".to_owned(),
                level: Level::Performance,
                object: format!("{table} policy {policy}"),
                fix: "wrap auth.uid(), auth.jwt(), auth.role() and current_setting() in (select ...), so they run once per statement, not once per row".to_owned(),
            });
        }
    }
    Ok(out)
}

/// More than one permissive policy for one role and command.
async fn multiple_permissive_policies(client: &Client) -> Result<Vec<Finding>, PgError> {
    let mut out = Vec::new();
    for row in rows(
        client,
        &format!(
            "select p.schemaname || '.' || p.tablename, r.role::text, c.cmd,
                    string_agg(p.policyname, ', ' order by p.policyname)
               from pg_policies p
              cross join unnest(p.roles) r(role)
              cross join unnest(case when p.cmd = 'ALL' then array['SELECT', 'INSERT', 'UPDATE', 'DELETE']
                                     else array[p.cmd] end) c(cmd)
              where p.permissive = 'PERMISSIVE' and p.schemaname not in {PLATFORM_SCHEMAS}
              group by 1, 2, 3 having count(*) > 1 order by 1, 2, 3"
        ),
    )
    .await?
    {
        let (table, role, cmd, policies): (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        out.push(Finding {
            rule: "multiple_permissive_policies".to_owned(),
            level: Level::Performance,
            object: format!("{table} for {role} on {cmd}: {policies}"),
            fix: "merge them into one policy (their conditions joined by or): each permissive policy is evaluated for every row".to_owned(),
        });
    }
    Ok(out)
}

/// Indexes that are the same index twice.
async fn duplicate_index(client: &Client) -> Result<Vec<Finding>, PgError> {
    let mut out = Vec::new();
    for row in rows(
        client,
        &format!(
            "select i.indrelid::regclass::text, string_agg(i.indexrelid::regclass::text, ', ' order by i.indexrelid::regclass::text)
               from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
              where n.nspname not in {PLATFORM_SCHEMAS}
              group by i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text,
                       coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
             having count(*) > 1 order by 1, 2"
        ),
    )
    .await?
    {
        let (table, indexes): (String, String) = (row.get(0), row.get(1));
        out.push(Finding {
            rule: "duplicate_index".to_owned(),
            level: Level::Performance,
            object: format!("{table}: {indexes}"),
            fix: "drop all but one: each copy costs every write and its size".to_owned(),
        });
    }
    Ok(out)
}

/// Functions whose search_path a caller can change.
async fn function_search_path_mutable(client: &Client) -> Result<Vec<Finding>, PgError> {
    let mut out = Vec::new();
    for row in rows(
        client,
        &format!(
            "select p.oid::regprocedure::text
               from pg_proc p join pg_namespace n on n.oid = p.pronamespace
              where n.nspname not in {PLATFORM_SCHEMAS} and p.prokind in ('f', 'p')
                and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
                and not exists (select from unnest(coalesce(p.proconfig, '{{}}')) s where s like 'search_path=%')
              order by 1"
        ),
    )
    .await?
    {
        let function: String = row.get(0);
        out.push(Finding {
            rule: "function_search_path_mutable".to_owned(),
            level: Level::Security,
            fix: format!("alter function {function} set search_path = ''"),
            object: function,
        });
    }
    Ok(out)
}

/// Tables of `public` without row level security.
async fn rls_disabled_in_public(client: &Client) -> Result<Vec<Finding>, PgError> {
    let mut out = Vec::new();
    for row in rows(
        client,
        "select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity order by 1",
    )
    .await?
    {
        let table: String = row.get(0);
        out.push(Finding {
            rule: "rls_disabled_in_public".to_owned(),
            level: Level::Security,
            fix: format!("alter table {table} enable row level security, and give it policies"),
            object: table,
        });
    }
    Ok(out)
}

/// Indexes no query of the run used (not those that enforce or serve a key).
async fn unused_index(client: &Client, usage: &[IndexUsage]) -> Result<Vec<Finding>, PgError> {
    let mut out = Vec::new();
    // Unique indexes enforce, and an index that serves a foreign key
    // keeps a parent's delete from scanning: unused by the workload
    // is no reason to drop either.
    let needed: Vec<String> = rows(
        client,
        "select indexrelid::regclass::text from pg_index where indisunique or indisprimary
         union
         select i.indexrelid::regclass::text
           from pg_index i join pg_constraint c on c.conrelid = i.indrelid and c.contype = 'f'
          where (string_to_array(i.indkey::text, ' ')::int2[])[1] = c.conkey[1]",
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    for u in usage
        .iter()
        .filter(|u| u.scans == 0 && !needed.contains(&u.index))
    {
        out.push(Finding {
            rule: "unused_index".to_owned(),
            level: Level::Performance,
            object: u.index.clone(),
            fix: format!(
                "no query of the run used it: drop index {} if the workload is representative",
                u.index
            ),
        });
    }
    Ok(out)
}

/// Calls in a policy expression that PostgreSQL evaluates once per row:
/// `auth.uid()` and its kin outside a `(select ...)`, which the planner
/// runs once as an InitPlan. `pg_policies` prints the wrapped form as
/// `( SELECT auth.uid() AS uid)`.
fn per_row_calls(expr: &str) -> usize {
    [
        "auth.uid()",
        "auth.jwt()",
        "auth.role()",
        "current_setting(",
    ]
    .iter()
    .map(|call| {
        let all = expr.matches(call).count();
        let wrapped = expr.matches(&format!("SELECT {call}")).count();
        all.saturating_sub(wrapped)
    })
    .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_calls_outside_a_select_run_once_per_row() {
        assert_eq!(per_row_calls("(user_id = auth.uid())"), 1);
        assert_eq!(per_row_calls("(user_id = ( SELECT auth.uid() AS uid))"), 0);
        assert_eq!(
            per_row_calls(
                "((user_id = ( SELECT auth.uid() AS uid)) OR ((auth.jwt() ->> 'role'::text) = 'admin'::text))"
            ),
            1
        );
        assert_eq!(per_row_calls("is_public"), 0);
    }
}

//! Catalog reads every run makes: what the server is, and the settings
//! PostgREST applies per role.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::{PgError, QueryContext};
use crate::results::ServerInfo;

/// Settings reported with every run.
const REPORTED_SETTINGS: &[&str] = &[
    "shared_buffers",
    "work_mem",
    "effective_cache_size",
    "random_page_cost",
    "max_connections",
    "jit",
    "max_parallel_workers_per_gather",
    "synchronous_commit",
];

/// The server's version and key settings, reported with every run;
/// `cluster` is schemabench's own when it started the server.
pub async fn server_info(
    admin: &Client,
    cluster: Option<&super::EmbeddedCluster>,
) -> Result<ServerInfo, PgError> {
    let version: String = admin
        .query_one("select version()", &[])
        .await
        .context_db("reading the server version")?
        .get(0);
    let names: Vec<&str> = REPORTED_SETTINGS.to_vec();
    let rows = admin
        .query(
            "select name, current_setting(name) from pg_settings where name = any($1) order by 1",
            &[&names],
        )
        .await
        .context_db("reading server settings")?;
    Ok(ServerInfo {
        version,
        throwaway: cluster.is_some(),
        settings: rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
        memory_limit_bytes: cluster.and_then(|c| c.memory_cap()).and_then(Result::ok),
    })
}

/// Each role's own `ALTER ROLE ... SET` settings (this database's and the
/// cluster-wide ones), by role name.
pub async fn role_settings(
    admin: &Client,
) -> Result<BTreeMap<String, Vec<(String, String)>>, PgError> {
    let rows = admin
        .query(
            "select r.rolname::text, split_part(c, '=', 1), substr(c, strpos(c, '=') + 1)
               from pg_db_role_setting s join pg_roles r on r.oid = s.setrole, unnest(s.setconfig) c
              where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
              order by 1, 2",
            &[],
        )
        .await
        .context_db("reading the API roles' settings")?;
    let mut settings: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for row in rows {
        settings
            .entry(row.get(0))
            .or_default()
            .push((row.get(1), row.get(2)));
    }
    Ok(settings)
}

//! One request, sent the way Supabase sends it.
//!
//! For `anon`, `authenticated` and `service_role`, schemabench replays what
//! PostgREST does for one API call on a connection logged in as
//! `authenticator`: `BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY|WRITE`,
//! one prepared `set_config(..., true)` query for the search path, the
//! role's own settings (statement_timeout), the role, the JWT claims, the
//! request method and path; then the statement; then `COMMIT`. `postgres`
//! queries run raw on an owner connection.

use std::collections::HashMap;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::Statement;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use super::DriveError;
use super::workload::{Request, Workload};
use crate::measure::Outcome;
use crate::scenario::workload::{Access, Protocol, Role};
use crate::seed::value::Value;

/// The search path PostgREST sets on Supabase (`db-schemas` + extras).
const SEARCH_PATH: &str = "\"public\", \"extensions\"";

/// What every worker shares.
pub struct Shared {
    pub workload: Workload,
    pub protocol: Protocol,
    /// Connection settings of `authenticator`, for API roles.
    pub api_config: tokio_postgres::Config,
    /// Owner connection settings, for `as = "postgres"`.
    pub raw_config: tokio_postgres::Config,
    /// The server's TLS connector.
    pub tls: tokio_postgres_rustls::MakeRustlsConnect,
    /// Parameter types of each query, learned once by preparing it.
    pub param_types: Vec<Vec<Type>>,
    /// The pre-request `set_config` statement text per role.
    pub pre_request: HashMap<Role, PreRequest>,
}

/// The connection pools of one driver thread. Each driver thread has its
/// own, created on that thread, so a worker and its connection's I/O task
/// always run on the same thread (no cross-thread wake-ups per request).
pub struct Pools {
    api: Pool,
    raw: Pool,
}

impl Pools {
    /// Pools of up to `size` connections each; must be called inside the
    /// driver thread's runtime.
    pub fn new(shared: &Shared, size: usize) -> Result<Self, DriveError> {
        let build = |config: &tokio_postgres::Config| {
            let manager = Manager::from_config(
                config.clone(),
                shared.tls.clone(),
                ManagerConfig {
                    recycling_method: RecyclingMethod::Fast,
                },
            );
            Pool::builder(manager)
                .max_size(size.max(1))
                .build()
                .map_err(|e| DriveError::Connections(e.to_string()))
        };
        Ok(Self {
            api: build(&shared.api_config)?,
            raw: build(&shared.raw_config)?,
        })
    }

    /// Opens `n` connections in each pool the workload uses, before the
    /// phase clock starts, so connecting is not measured as query latency.
    /// Returns the first connection error, if any.
    pub async fn open(&self, shared: &Shared, n: usize) -> Result<(), DriveError> {
        let roles: Vec<Role> = shared.workload.queries.iter().map(|q| q.role).collect();
        for (pool, used) in [
            (&self.api, roles.iter().any(|r| *r != Role::Postgres)),
            (&self.raw, roles.contains(&Role::Postgres)),
        ] {
            if used {
                let connections = futures_util::future::join_all((0..n).map(|_| pool.get())).await;
                for c in connections {
                    drop(c.map_err(|e| DriveError::Connections(describe_pool_error(&e)))?);
                }
            }
        }
        Ok(())
    }
}

/// A pool's error with the server's own words: a refused login reads
/// "password authentication failed for user ...", not "db error".
fn describe_pool_error(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => crate::pg::describe_db_error(e),
        other => other.to_string(),
    }
}

/// PostgREST's per-request settings query for one role.
#[derive(Debug, Clone)]
pub struct PreRequest {
    pub sql: String,
    /// Values after the five fixed ones: the role's own settings.
    pub role_settings: Vec<String>,
    pub role: &'static str,
}

impl PreRequest {
    /// Builds the query from the role's `ALTER ROLE ... SET` settings, which
    /// PostgREST applies itself on every request.
    pub fn new(role: &'static str, settings: &[(String, String)]) -> Self {
        let mut sql = "select set_config('search_path', $1, true), set_config('role', $2, true), \
                       set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), \
                       set_config('request.path', $5, true)"
            .to_owned();
        for (i, (name, _)) in settings.iter().enumerate() {
            sql.push_str(&format!(
                ", set_config('{}', ${}, true)",
                name.replace('\'', "''"),
                i + 6
            ));
        }
        Self {
            sql,
            role_settings: settings.iter().map(|(_, v)| v.clone()).collect(),
            role,
        }
    }
}

/// One pooled connection with the statements this worker prepared on it,
/// kept locally so the hot path never hashes SQL text.
struct Conn {
    client: Object,
    statements: Vec<Option<Statement>>,
    pre_request: HashMap<Role, Statement>,
}

/// A worker's connections, taken from the pools on first use and replaced
/// when one breaks.
#[derive(Default)]
pub struct Connections {
    api: Option<Conn>,
    raw: Option<Conn>,
}

/// Maps a client error to an outcome.
fn classify(e: &tokio_postgres::Error) -> Outcome {
    match e.as_db_error() {
        Some(db) if *db.code() == SqlState::QUERY_CANCELED => Outcome::Timeout,
        Some(db) => Outcome::Error {
            code: db.code().code().to_owned(),
            message: db.message().to_owned(),
        },
        None if e.is_closed() => Outcome::Error {
            code: "connection".to_owned(),
            message: e.to_string(),
        },
        None => Outcome::Error {
            code: "client".to_owned(),
            message: e.to_string(),
        },
    }
}

fn pool_error(e: impl std::fmt::Display) -> Outcome {
    Outcome::Error {
        code: "connection".to_owned(),
        message: format!("no connection from the pool: {e}"),
    }
}

/// Inlines parameters as literals, for the simple protocol (highest
/// placeholder first so `$1` never matches inside `$10`).
fn inline(sql: &str, params: &[Value]) -> String {
    let mut text = sql.to_owned();
    for (i, v) in params.iter().enumerate().rev() {
        text = text.replace(&format!("${}", i + 1), &v.to_sql_literal());
    }
    text
}

impl Connections {
    /// Runs one request and says how it ended. A broken connection is
    /// dropped so the next request gets a fresh one.
    pub async fn execute(&mut self, shared: &Shared, pools: &Pools, request: &Request) -> Outcome {
        let raw = shared.workload.queries[request.query].role == Role::Postgres;
        let slot = if raw { &mut self.raw } else { &mut self.api };
        if slot.is_none() {
            let pool = if raw { &pools.raw } else { &pools.api };
            match pool.get().await {
                Ok(client) => {
                    *slot = Some(Conn {
                        client,
                        statements: vec![None; shared.workload.queries.len()],
                        pre_request: HashMap::new(),
                    })
                }
                Err(e) => return pool_error(e),
            }
        }
        let Some(conn) = slot.as_mut() else {
            return pool_error("unavailable");
        };
        let result = if raw {
            conn.statement(shared, request).await
        } else {
            conn.api_request(shared, request).await
        };
        match result {
            Ok(()) => Outcome::Ok,
            Err(e) => {
                let outcome = classify(&e);
                if conn.client.is_closed() {
                    if let Some(broken) = slot.take() {
                        // Out of the pool for good; deadpool opens a new one.
                        let _ = Object::take(broken.client);
                    }
                } else if !raw {
                    let _ = conn.client.batch_execute("rollback").await;
                }
                outcome
            }
        }
    }
}

impl Conn {
    async fn api_request(
        &mut self,
        shared: &Shared,
        request: &Request,
    ) -> Result<(), tokio_postgres::Error> {
        let query = &shared.workload.queries[request.query];
        let Some(pre) = shared.pre_request.get(&query.role) else {
            return self.statement(shared, request).await;
        };
        let (begin, method) = match query.access {
            Access::Read => ("begin isolation level read committed read only", "GET"),
            Access::Write => ("begin isolation level read committed read write", "POST"),
        };
        self.client.batch_execute(begin).await?;
        let settings = match self.pre_request.get(&query.role) {
            Some(s) => s.clone(),
            None => {
                let s = self.client.prepare(&pre.sql).await?;
                self.pre_request.insert(query.role, s.clone());
                s
            }
        };
        let mut values: Vec<&(dyn ToSql + Sync)> = vec![
            &SEARCH_PATH,
            &pre.role,
            &request.claims,
            &method,
            &query.path,
        ];
        values.extend(pre.role_settings.iter().map(|s| s as &(dyn ToSql + Sync)));
        self.client.execute(&settings, &values).await?;
        self.statement(shared, request).await?;
        self.client.batch_execute("commit").await
    }

    /// The workload's own statement, in the chosen protocol.
    async fn statement(
        &mut self,
        shared: &Shared,
        request: &Request,
    ) -> Result<(), tokio_postgres::Error> {
        let query = &shared.workload.queries[request.query];
        let params: Vec<&(dyn ToSql + Sync)> = request
            .params
            .iter()
            .map(|v| v as &(dyn ToSql + Sync))
            .collect();
        match shared.protocol {
            Protocol::Prepared => {
                let statement = match &self.statements[request.query] {
                    Some(s) => s.clone(),
                    None => {
                        let s = self.client.prepare(&query.sql).await?;
                        self.statements[request.query] = Some(s.clone());
                        s
                    }
                };
                // Every row arrives and is skipped rather than decoded: the
                // server's work is measured, not the client's row handling.
                self.client.execute(&statement, &params).await.map(drop)
            }
            Protocol::Extended => {
                let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
                    .iter()
                    .zip(&shared.param_types[request.query])
                    .map(|(v, t)| (*v, t.clone()))
                    .collect();
                self.client.query_typed(&query.sql, &typed).await.map(drop)
            }
            Protocol::Simple => self
                .client
                .simple_query(&inline(&query.sql, &request.params))
                .await
                .map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_settings_become_extra_set_config_calls() {
        let pre = PreRequest::new("anon", &[("statement_timeout".into(), "3s".into())]);
        assert!(
            pre.sql
                .ends_with(", set_config('statement_timeout', $6, true)")
        );
        assert_eq!(pre.role_settings, vec!["3s".to_owned()]);
    }

    #[test]
    fn simple_protocol_inlines_from_the_highest_placeholder() {
        let params: Vec<Value> = (1..=10).map(Value::Int).collect();
        assert_eq!(inline("select $1, $10", &params), "select 1, 10");
    }
}

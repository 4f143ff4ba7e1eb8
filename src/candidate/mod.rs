//! Candidates: each configuration gets its own copy of the seeded data
//! (`CREATE DATABASE ... TEMPLATE`), its SQL applied and timed, `VACUUM
//! ANALYZE`d, and its cost recorded: DDL time and the sizes of what changed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use tokio_postgres::Client;

use crate::pg::database::{self, Marker, SeedState};
use crate::pg::{PgError, QueryContext, Server, quote_ident};
use crate::results::{CandidateCost, RelationSize};
use crate::scenario::spec::CandidateSpec;
use crate::scenario::workload::WorkloadSpec;

/// The name of the unchanged configuration.
pub const BASELINE: &str = "baseline";

/// A configuration to run: the baseline (no SQL) or a scenario candidate.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub name: String,
    pub description: String,
    pub sql: String,
    pub settings: BTreeMap<String, String>,
    /// Query name -> replacement SQL.
    pub queries: BTreeMap<String, String>,
}

impl Candidate {
    pub fn baseline() -> Self {
        Self {
            name: BASELINE.to_owned(),
            description: "the schema as migrated".to_owned(),
            sql: String::new(),
            settings: BTreeMap::new(),
            queries: BTreeMap::new(),
        }
    }

    /// From a validated spec: its SQL file (relative to `dir`), then its
    /// `sql`, so a variant of a file's change adds only what differs.
    pub fn from_spec(spec: &CandidateSpec, dir: &Path) -> std::io::Result<Self> {
        let sql = match &spec.file {
            Some(file) if spec.sql.trim().is_empty() => std::fs::read_to_string(dir.join(file))?,
            Some(file) => format!(
                "{}\n;\n{}",
                std::fs::read_to_string(dir.join(file))?,
                spec.sql
            ),
            None => spec.sql.clone(),
        };
        Ok(Self {
            name: spec.name.clone(),
            description: spec.description.clone(),
            sql,
            settings: spec.settings.clone(),
            queries: spec.queries.clone(),
        })
    }

    /// The workload as this candidate runs it: its query replacements in.
    pub fn workload(&self, spec: &WorkloadSpec) -> WorkloadSpec {
        let mut spec = spec.clone();
        for q in &mut spec.queries {
            if let Some(sql) = self.queries.get(&q.name) {
                q.sql = sql.clone();
            }
        }
        spec
    }
}

/// A candidate with its own database, ready to run.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub candidate: Candidate,
    pub database: String,
    pub cost: CandidateCost,
}

/// Why a candidate could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum CandidateError {
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(
        "candidate {name}: its SQL failed{at}: {}",
        crate::pg::describe_db_error(error)
    )]
    Sql {
        name: String,
        /// Where in its SQL, from the server's error position.
        at: String,
        /// Described in the message, so not a `source` printed again.
        error: tokio_postgres::Error,
    },
}

/// Name of a candidate's copy of `template`.
pub fn copy_name(template: &str, index: usize) -> String {
    format!("{template}_c{index}")
}

/// Name of configuration `arm`'s prepared copy of `template`, kept for
/// its later sittings to copy ([`copy_prepared`]).
pub fn prepared_name(template: &str, arm: usize) -> String {
    format!("{template}_p{arm}")
}

/// Clones the seeded template for a candidate, applies its SQL and
/// settings, vacuums and analyzes, and measures the result. No connection
/// to the template may be open meanwhile.
pub async fn prepare(
    server: &Server,
    admin: &Client,
    template: &str,
    index: usize,
    candidate: Candidate,
) -> Result<Prepared, CandidateError> {
    prepare_as(
        server,
        admin,
        template,
        &copy_name(template, index),
        candidate,
    )
    .await
}

/// [`prepare`], into the database `name`.
pub async fn prepare_as(
    server: &Server,
    admin: &Client,
    template: &str,
    name: &str,
    candidate: Candidate,
) -> Result<Prepared, CandidateError> {
    let copy_seconds = copy(server, admin, template, name, &candidate).await?;
    match configure(server, admin, name, &candidate).await {
        Ok(cost) => Ok(Prepared {
            candidate,
            database: name.to_owned(),
            cost: CandidateCost {
                copy_seconds,
                ..cost
            },
        }),
        Err(e) => {
            // A copy that failed to set up is of no use to anyone; the
            // error that stopped it is the one to report.
            let _ = database::drop_owned(admin, name).await;
            Err(e)
        }
    }
}

/// A copy `name` of a candidate's `prepared` database: its SQL, `VACUUM`
/// and `ANALYZE` already in the files, so only its settings (kept per
/// database, not copied) are applied. Its cost stays the preparation's.
pub async fn copy_prepared(
    server: &Server,
    admin: &Client,
    prepared: &Prepared,
    name: &str,
) -> Result<Prepared, CandidateError> {
    let candidate = prepared.candidate.clone();
    copy(server, admin, &prepared.database, name, &candidate).await?;
    if let Err(e) = apply_settings(admin, name, &candidate).await {
        let _ = database::drop_owned(admin, name).await;
        return Err(e);
    }
    Ok(Prepared {
        candidate,
        database: name.to_owned(),
        cost: prepared.cost.clone(),
    })
}

/// `name` made afresh from `template` for `candidate`; its seconds.
async fn copy(
    server: &Server,
    admin: &Client,
    template: &str,
    name: &str,
    candidate: &Candidate,
) -> Result<f64, CandidateError> {
    let marker = Marker::scratch(
        format!("candidate {}", candidate.name),
        "",
        SeedState::Ready,
    );
    let owner = server.identity().await?.owner_role();
    let copying = Instant::now();
    database::fresh(admin, owner, name, &marker, Some(template)).await?;
    Ok(copying.elapsed().as_secs_f64())
}

/// The candidate's settings on database `name`.
async fn apply_settings(
    admin: &Client,
    name: &str,
    candidate: &Candidate,
) -> Result<(), CandidateError> {
    for (setting, value) in &candidate.settings {
        admin
            .batch_execute(&format!(
                "alter database {} set {setting} = '{value}'",
                quote_ident(name)
            ))
            .await
            .context_db(format!("candidate {}: setting {setting}", candidate.name))?;
    }
    Ok(())
}

/// Applies the candidate's settings and SQL to its fresh copy `name`,
/// refreshes what it changed and measures the result.
async fn configure(
    server: &Server,
    admin: &Client,
    name: &str,
    candidate: &Candidate,
) -> Result<CandidateCost, CandidateError> {
    apply_settings(admin, name, candidate).await?;
    let client = server.owner(name).await?;
    let before = relations(&client).await?;
    let ddl = Instant::now();
    if !candidate.sql.trim().is_empty() {
        let identity = server.identity().await?;
        let failed = |error: tokio_postgres::Error| CandidateError::Sql {
            name: candidate.name.clone(),
            at: format!(
                "{}{}",
                crate::pg::error_position(&candidate.sql, &error),
                identity
                    .refusal(&error)
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            error,
        };
        let rest = crate::pg::owner::extensions_first(
            identity,
            &server.admin(name).await?,
            &candidate.sql,
        )
        .await
        .map_err(failed)?;
        client.batch_execute(&rest).await.map_err(failed)?;
    }
    let ddl_seconds = ddl.elapsed().as_secs_f64();
    let vacuum = Instant::now();
    refresh(&client, &before, &candidate.name).await?;
    let vacuum_analyze_seconds = vacuum.elapsed().as_secs_f64();
    Ok(CandidateCost {
        copy_seconds: 0.0,
        ddl_seconds,
        vacuum_analyze_seconds,
        database_bytes: client
            .query_one("select pg_database_size(current_database())", &[])
            .await
            .context_db("measuring the database")?
            .get(0),
        relations: relation_sizes(&client).await?,
    })
}

/// Every relation's `(oid, relfilenode)` outside the system schemas.
async fn relations(client: &Client) -> Result<(Vec<u32>, Vec<u32>), PgError> {
    let rows = client
        .query(
            "select c.oid, c.relfilenode from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')",
            &[],
        )
        .await
        .context_db("listing relations")?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, u32>(0), r.get::<_, u32>(1)))
        .unzip())
}

/// `VACUUM` of the whole copy, and `ANALYZE` of only the tables the
/// candidate created, rewrote or gave an expression index. Every copy
/// inherits the seeded data's statistics; a fresh ANALYZE draws a new
/// random sample, and on TaleForge that alone gave one copy another plan
/// (and a "slower" verdict) for a query no candidate touched.
async fn refresh(
    client: &Client,
    before: &(Vec<u32>, Vec<u32>),
    name: &str,
) -> Result<(), PgError> {
    // A partitioned table's ANALYZE also analyzes its partitions, so a
    // partition whose table is analyzed is not named again: TaleForge's
    // monthly logs took 5.5 s analyzed twice, 2.8 s once.
    let changed = client
        .query(
            "with changed as (
               select t.oid from pg_class t join pg_namespace n on n.oid = t.relnamespace
                where t.relkind in ('r', 'p', 'm') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
                  and (not exists (select from unnest($1::oid[], $2::oid[]) b(oid, node)
                                    where b.oid = t.oid and b.node = t.relfilenode)
                       or exists (select from pg_index i where i.indrelid = t.oid and i.indexprs is not null
                                    and i.indexrelid <> all ($1::oid[]))))
             select c.oid::regclass::text from changed c
              where not exists (select from pg_partition_ancestors(c.oid) a
                                 where a.relid <> c.oid and a.relid in (select oid from changed))
              order by 1",
            &[&before.0, &before.1],
        )
        .await
        .context_db(format!("candidate {name}: finding the relations it changed"))?;
    client
        .batch_execute("vacuum")
        .await
        .context_db(format!("candidate {name}: vacuum"))?;
    let changed: Vec<String> = changed.iter().map(|r| r.get(0)).collect();
    if !changed.is_empty() {
        client
            .batch_execute(&format!("analyze {}", changed.join(", ")))
            .await
            .context_db(format!("candidate {name}: analyze"))?;
    }
    Ok(())
}

async fn relation_sizes(client: &Client) -> Result<Vec<RelationSize>, PgError> {
    let rows = client
        .query(
            // Partitions count under their partitioned table or index.
            "select r.oid::regclass::text,
                    case r.relkind when 'r' then 'table' when 'i' then 'index' when 'm' then 'materialized view'
                                   when 'p' then 'partitioned table' when 'I' then 'partitioned index' else r.relkind::text end
                    || case when count(*) > 1 then format(' (%s partitions)', count(*) - 1) else '' end,
                    sum(pg_total_relation_size(c.oid))::int8
               from pg_class c
               join pg_namespace n on n.oid = c.relnamespace
               join pg_class r on r.oid = coalesce(pg_partition_root(c.oid), c.oid)
              where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'extensions')
                and c.relkind in ('r', 'i', 'm', 'p', 'I')
              group by r.oid, r.relkind
              order by 1",
            &[],
        )
        .await
        .context_db("measuring relation sizes")?;
    Ok(rows
        .iter()
        .map(|r| RelationSize {
            name: r.get(0),
            kind: r.get(1),
            bytes: r.get(2),
        })
        .collect())
}

/// Drops the candidates' copies.
pub async fn drop_copies(admin: &Client, prepared: &[Prepared]) -> Result<(), PgError> {
    for p in prepared {
        database::drop_owned(admin, &p.database).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_stay_within_postgres_name_limits() {
        let template = database::data_db_name(&"x".repeat(40), "0123456789abcdef");
        assert!(copy_name(&template, 12).len() <= 63);
    }
}

//! The planner's side of the advice: in a scratch copy of the seeded data,
//! each slow query is explained as its role with its claims, then again
//! with every proposed index made real to the planner only, by HypoPG
//! (nothing is built, so hundreds are tried in seconds).

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_postgres::Client;

use super::AdviseError;
use super::columns::{self, Proposal};
use crate::drive::session::Shared;
use crate::drive::workload::Request;
use crate::observe::explain;
use crate::pg::database::{self, Marker, SeedState};
use crate::pg::{PgError, QueryContext, Server};
use crate::scenario::workload::{Protocol, WorkloadSpec};
use crate::seed::plan::DataPlan;
use crate::seed::rng::{cell_rng, combine};

/// Requests explained per query: users with many rows and with few.
const SAMPLES: u64 = 5;

/// The schema HypoPG's functions live in inside the scratch copy.
const HYPOPG_SCHEMA: &str = "schemabench_hypopg";

/// Schemas whose tables are never proposed an index.
const PLATFORM: [&str; 4] = ["auth", "extensions", "pg_catalog", "storage"];

/// A slow query and what the planner thinks of the indexes tried for it.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Index of the query in the workload.
    pub query: usize,
    /// Summed planner cost of the sampled requests, as the schema stands.
    pub cost: f64,
    /// Hypothetical indexes tried.
    pub tried: usize,
    /// Each index the planner used, with the summed cost it planned.
    pub used: Vec<Priced>,
}

/// An index the planner chose, and at what cost.
#[derive(Debug, Clone)]
pub struct Priced {
    pub proposal: Proposal,
    pub cost: f64,
    /// HypoPG's estimate of the index's size.
    pub bytes: i64,
}

/// Explains `queries` in a scratch copy of `template` with and without
/// each proposed index, and lists the relation names already taken; the
/// copy is dropped afterwards, whatever happened.
pub async fn plan(
    server: &Server,
    template: &str,
    workload: &WorkloadSpec,
    data: Arc<DataPlan>,
    seed: u64,
    queries: &[usize],
) -> Result<(Vec<Planned>, Vec<String>), AdviseError> {
    let name = format!("{template}_hypo");
    let admin = server.admin(&server.maintenance_db()).await?;
    let marker = Marker::scratch("advise (hypothetical indexes)", "", SeedState::Ready);
    let owner = server.identity().await?.owner_role();
    database::fresh(&admin, owner, &name, &marker, Some(template)).await?;
    let planned = async {
        // The owner plans the workload's queries; hypopg (not a trusted
        // extension) is the URL's user's to create, in the owner's schema.
        let client = server.owner(&name).await?;
        client
            .batch_execute(&format!("create schema {HYPOPG_SCHEMA}"))
            .await
            .context_db("making hypopg's schema")?;
        server
            .admin(&name)
            .await?
            .batch_execute(&format!("create extension hypopg schema {HYPOPG_SCHEMA}"))
            .await
            .map_err(|e| AdviseError::NoHypopg(crate::pg::describe_db_error(&e)))?;
        let shared =
            crate::drive::shared(server, &name, workload, data, Protocol::Extended).await?;
        let mut out = Vec::new();
        for &query in queries {
            out.push(plan_query(&client, &shared, seed, query).await?);
        }
        // Names an advised index must not take.
        let taken = client
            .query(
                "select relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')",
                &[],
            )
            .await
            .context_db("listing relation names")?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok((out, taken))
    }
    .await;
    database::drop_owned(&admin, &name).await?;
    planned
}

/// The requests whose plans stand for `query`: the same for every index tried.
fn samples(shared: &Shared, seed: u64, query: usize) -> Vec<Request> {
    (0..SAMPLES)
        .map(|k| {
            shared
                .workload
                .request(query, &mut cell_rng(combine(&[seed, query as u64, k])))
        })
        .collect()
}

async fn plan_query(
    client: &Client,
    shared: &Shared,
    seed: u64,
    query: usize,
) -> Result<Planned, AdviseError> {
    let name = &shared.workload.queries[query].name;
    let requests = samples(shared, seed, query);
    let plans = explain_all(client, shared, &requests)
        .await
        .map_err(|e| AdviseError::Explain {
            query: name.clone(),
            problem: e,
        })?;
    let cost = plans.iter().map(total_cost).sum();
    let mut proposals = Vec::new();
    for plan in &plans {
        for scan in columns::scans(&plan[0]["Plan"]) {
            let Some(table_columns) = table_columns(client, &scan.table).await? else {
                continue;
            };
            let uses = columns::uses(&plan[0]["Plan"], &scan, &table_columns);
            for p in columns::proposals(&scan.table, &uses) {
                if !proposals.contains(&p) {
                    proposals.push(p);
                }
            }
        }
    }
    let mut used = Vec::new();
    for proposal in &proposals {
        if let Some(priced) = try_index(client, shared, &requests, proposal).await? {
            used.push(priced);
        }
    }
    Ok(Planned {
        query,
        cost,
        tried: proposals.len(),
        used,
    })
}

/// The plans of every request, or the server's words for why one failed.
async fn explain_all(
    client: &Client,
    shared: &Shared,
    requests: &[Request],
) -> Result<Vec<serde_json::Value>, String> {
    let mut out = Vec::new();
    for r in requests {
        out.push(
            explain(client, shared, r, "verbose, format json")
                .await
                .map_err(|e| crate::pg::describe_db_error(&e))?,
        );
    }
    Ok(out)
}

fn total_cost(explain: &serde_json::Value) -> f64 {
    explain[0]["Plan"]["Total Cost"].as_f64().unwrap_or(0.0)
}

/// Whether a plan names the index `name` anywhere.
fn uses_index(node: &serde_json::Value, name: &str) -> bool {
    node.get("Index Name").and_then(|v| v.as_str()) == Some(name)
        || node
            .get("Plans")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
            .any(|child| uses_index(child, name))
}

/// The columns of an ordinary table (name -> is boolean); `None` for the
/// platform's tables and for anything HypoPG cannot index (views,
/// partitioned parents, foreign tables).
async fn table_columns(
    client: &Client,
    table: &str,
) -> Result<Option<BTreeMap<String, bool>>, PgError> {
    if PLATFORM
        .iter()
        .any(|schema| table.starts_with(&format!("{schema}.")))
    {
        return Ok(None);
    }
    let rows = client
        .query(
            "select a.attname::text, a.atttypid = 'bool'::regtype
               from pg_attribute a join pg_class c on c.oid = a.attrelid
              where a.attrelid = to_regclass($1) and c.relkind in ('r', 'm')
                and a.attnum > 0 and not a.attisdropped",
            &[&table],
        )
        .await
        .context_db(format!("reading the columns of {table}"))?;
    Ok((!rows.is_empty()).then(|| rows.iter().map(|r| (r.get(0), r.get(1))).collect()))
}

/// The summed cost of the requests with `proposal` known to the planner,
/// if it used it; a proposal HypoPG refuses is skipped.
async fn try_index(
    client: &Client,
    shared: &Shared,
    requests: &[Request],
    proposal: &Proposal,
) -> Result<Option<Priced>, AdviseError> {
    let created = client
        .query_one(
            &format!("select indexrelid, indexname from {HYPOPG_SCHEMA}.hypopg_create_index($1)"),
            &[&proposal.definition()],
        )
        .await;
    let result = async {
        let Ok(row) = created else {
            return Ok(None);
        };
        let (oid, index): (u32, String) = (row.get(0), row.get(1));
        let plans = explain_all(client, shared, requests)
            .await
            .map_err(|problem| AdviseError::Explain {
                query: shared.workload.queries[requests[0].query].name.clone(),
                problem,
            })?;
        if !plans.iter().any(|p| uses_index(&p[0]["Plan"], &index)) {
            return Ok(None);
        }
        let bytes: i64 = client
            .query_one(
                &format!("select {HYPOPG_SCHEMA}.hypopg_relation_size($1)::int8"),
                &[&oid],
            )
            .await
            .context_db("sizing a hypothetical index")?
            .get(0);
        Ok(Some(Priced {
            proposal: proposal.clone(),
            cost: plans.iter().map(total_cost).sum(),
            bytes,
        }))
    }
    .await;
    client
        .batch_execute(&format!("select {HYPOPG_SCHEMA}.hypopg_reset()"))
        .await
        .context_db("forgetting a hypothetical index")?;
    result
}

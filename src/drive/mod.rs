//! Driving load: the workload's queries as real users, phase after phase,
//! every latency into the measurement layer. What to drive and in which
//! order is the pipeline's; this module is the load engine.

pub mod engine;
pub mod session;
pub mod workload;

use std::collections::HashMap;
use std::sync::Arc;

use tokio_postgres::Client;

use crate::measure::QueryMeasurements;
use crate::pg::{PgError, Server, catalog};
use crate::results::{PhaseResult, QueryResult};
use crate::scenario::workload::{Protocol, Role, WorkloadSpec};
use crate::seed::plan::DataPlan;
use engine::PhaseOutcome;
use session::{PreRequest, Shared};
use workload::Workload;

/// Why load could not be driven.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(
        "query {query} does not prepare: {}",
        crate::pg::describe_db_error(source)
    )]
    BadQuery {
        query: String,
        source: tokio_postgres::Error,
    },
    #[error("cannot open the load connections: {0}")]
    Connections(String),
    #[error("cannot start the load's driver threads")]
    Threads(#[source] std::io::Error),
    #[error("the shards could not start a phase together: {0}")]
    Start(String),
    #[error("a driver thread failed")]
    Join(#[source] tokio::task::JoinError),
}

/// Everything the workers of one database share: the workload, prepared
/// and typed against that database, and how each role's requests begin.
pub async fn shared(
    server: &Server,
    database: &str,
    spec: &WorkloadSpec,
    plan: Arc<DataPlan>,
    protocol: Protocol,
) -> Result<Shared, DriveError> {
    let client = server.owner(database).await?;
    let workload = Workload::new(spec, plan);
    Ok(Shared {
        protocol,
        api_config: server.api_config(database),
        raw_config: server.owner_config(database).await?,
        tls: server.tls().clone(),
        param_types: prepare_all(&client, &workload).await?,
        pre_request: pre_requests(&client).await?,
        workload,
    })
}

/// Prepares every query once: a typo fails here, before any load, and the
/// parameter types serve the extended protocol.
async fn prepare_all(
    admin: &Client,
    workload: &Workload,
) -> Result<Vec<Vec<tokio_postgres::types::Type>>, DriveError> {
    let mut types = Vec::new();
    for q in &workload.queries {
        let statement = admin
            .prepare(&q.sql)
            .await
            .map_err(|source| DriveError::BadQuery {
                query: q.name.clone(),
                source,
            })?;
        types.push(statement.params().to_vec());
    }
    Ok(types)
}

/// The per-request settings query of each API role, with the role's own
/// `ALTER ROLE ... SET` settings as PostgREST applies them.
async fn pre_requests(admin: &Client) -> Result<HashMap<Role, PreRequest>, DriveError> {
    let settings = catalog::role_settings(admin).await?;
    Ok([
        (Role::Anon, "anon"),
        (Role::Authenticated, "authenticated"),
        (Role::ServiceRole, "service_role"),
    ]
    .into_iter()
    .map(|(role, name)| {
        (
            role,
            PreRequest::new(
                name,
                settings.get(name).map(Vec::as_slice).unwrap_or_default(),
            ),
        )
    })
    .collect())
}

/// Every query's figures from its measurements over `elapsed_s` seconds.
pub fn query_results(
    workload: &Workload,
    measurements: &[QueryMeasurements],
    elapsed_s: f64,
) -> Vec<QueryResult> {
    workload
        .queries
        .iter()
        .zip(measurements)
        .map(|(q, m)| {
            let role = serde_json::to_value(q.role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let access = serde_json::to_value(q.access)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            m.result(&q.name, role, access, elapsed_s)
        })
        .collect()
}

/// One phase of one round as results keep it; `partner` ran beside it.
pub fn phase_result(
    workload: &Workload,
    outcome: &PhaseOutcome,
    round: u32,
    partner: Option<&str>,
) -> PhaseResult {
    let elapsed_s = outcome.elapsed.as_secs_f64();
    // Served requests: the queries also count arrivals never sent, as
    // failed requests.
    let requests: u64 = outcome
        .queries
        .iter()
        .map(QueryMeasurements::count)
        .sum::<u64>()
        .saturating_sub(outcome.dropped);
    let planned = outcome.phase.planned();
    // This process's share, so shards add up to the whole.
    let shard = outcome.phase.shard;
    PhaseResult {
        name: planned.name,
        round,
        partner: partner.map(str::to_owned),
        warmup: planned.warmup,
        offered: planned.offered.share(shard),
        elapsed_s,
        requests,
        throughput: requests as f64 / elapsed_s.max(1e-9),
        late: outcome.late,
        dropped: outcome.dropped,
        generator: outcome.generator,
        queries: query_results(workload, &outcome.queries, elapsed_s),
        timeline: outcome.timeline.clone(),
    }
}

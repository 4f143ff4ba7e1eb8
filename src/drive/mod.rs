//! Driving load: the workload's queries as real users, phase after phase,
//! every latency into the measurement layer, results into the report.

pub mod engine;
pub mod session;
pub mod spec;
pub mod workload;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use tokio_postgres::Client;

use crate::measure::QueryMeasurements;
use crate::measure::timeline::Timeline;
use crate::pg::{PgError, QueryContext, Server};
use crate::report::files::{ReportDir, ReportError};
use crate::report::model::{
    PhaseResult, QueryResult, RESULTS_VERSION, RunResults, ScenarioInfo, ServerInfo, TableRows,
};
use crate::scenario::Scenario;
use crate::seed::plan::DataPlan;
use crate::seed::{SeedError, SeedOptions, SeedReport};
use engine::{Mode, Phase, PhaseOutcome, PhaseOverrides, run_phase};
use session::{PreRequest, Shared};
use spec::{Protocol, Role};
use workload::Workload;

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

/// Why a run failed before or between phases.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("scenario {0} has no [workload] or no [load] section: `run` needs both")]
    NoWorkload(String),
    #[error(transparent)]
    Seed(#[from] SeedError),
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
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("cannot start the timeline collector: {0}")]
    Timeline(std::io::Error),
}

/// Command-line choices of `run`.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub overrides: PhaseOverrides,
    pub protocol: Option<Protocol>,
    pub out: Option<PathBuf>,
    pub progress: bool,
}

/// Seeds (or reuses) the data, runs every phase and writes the report.
pub async fn run(
    server: &Server,
    scenario: &Scenario,
    options: &RunOptions,
) -> Result<(RunResults, ReportDir), RunError> {
    let spec = &scenario.spec;
    let (Some(workload_spec), Some(load)) = (&spec.workload, &spec.load) else {
        return Err(RunError::NoWorkload(scenario.path.display().to_string()));
    };
    let phases: Vec<Phase> = load
        .phases
        .iter()
        .map(|p| Phase::from_spec(p, options.overrides))
        .collect();
    let query_names: Vec<String> = workload_spec
        .queries
        .iter()
        .map(|q| q.name.clone())
        .collect();
    let report = ReportDir::create(options.out.as_deref(), &spec.name, &query_names)?;

    let seeded = crate::seed::seed(
        server,
        scenario,
        &SeedOptions {
            progress: options.progress,
            ..SeedOptions::default()
        },
    )
    .await?;
    let plan = Arc::new(DataPlan::new(spec));
    let admin = server.connect(&seeded.database).await?;
    let protocol = options.protocol.unwrap_or(load.protocol);
    let workload = Workload::new(workload_spec, Arc::clone(&plan));
    let param_types = prepare_all(&admin, &workload).await?;
    let shared = Arc::new(Shared {
        protocol,
        api_config: server.api_config(&seeded.database),
        raw_config: server.config_for(&seeded.database),
        param_types,
        pre_request: pre_requests(&admin).await?,
        workload,
    });

    let mut results = RunResults {
        version: RESULTS_VERSION,
        schemabench_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: chrono::Utc::now().to_rfc3339(),
        complete: false,
        scenario: scenario_info(scenario, &seeded),
        server: server_info(&admin, server.cluster.is_some()).await?,
        protocol: format!("{protocol:?}").to_lowercase(),
        phases: Vec::new(),
        queries: Vec::new(),
    };
    report.write(&results)?;

    let hlogs = query_names.iter().map(|q| report.hlog_path(q)).collect();
    let timeline = Timeline::start(
        query_names,
        phases.iter().map(|p| p.name.clone()).collect(),
        hlogs,
    )
    .map_err(RunError::Timeline)?;
    let mut measured: Vec<PhaseOutcome> = Vec::new();
    for (index, phase) in phases.iter().enumerate() {
        let outcome = run_phase(Arc::clone(&shared), &timeline, index, phase, spec.seed)
            .await
            .map_err(RunError::Connections)?;
        results
            .phases
            .push(phase_result(&shared.workload, &outcome));
        if !phase.warmup {
            measured.push(outcome);
        }
        results.queries = totals(&shared.workload, &measured);
        report.write(&results)?;
    }
    drop(timeline);
    results.complete = true;
    report.write(&results)?;
    Ok((results, report))
}

/// Prepares every query once: a typo fails here, before any load, and the
/// parameter types serve the extended protocol.
async fn prepare_all(
    admin: &Client,
    workload: &Workload,
) -> Result<Vec<Vec<tokio_postgres::types::Type>>, RunError> {
    let mut types = Vec::new();
    for q in &workload.queries {
        let statement = admin
            .prepare(&q.sql)
            .await
            .map_err(|source| RunError::BadQuery {
                query: q.name.clone(),
                source,
            })?;
        types.push(statement.params().to_vec());
    }
    Ok(types)
}

/// The per-request settings query of each API role, with the role's own
/// `ALTER ROLE ... SET` settings as PostgREST applies them.
async fn pre_requests(admin: &Client) -> Result<HashMap<Role, PreRequest>, RunError> {
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

fn scenario_info(scenario: &Scenario, seeded: &SeedReport) -> ScenarioInfo {
    ScenarioInfo {
        name: scenario.spec.name.clone(),
        file: scenario.path.display().to_string(),
        seed: scenario.spec.seed,
        scale: scenario.spec.scale,
        data_fingerprint: scenario.data_fingerprint(),
        database: seeded.database.clone(),
        tables: seeded
            .tables
            .iter()
            .map(|(name, rows)| TableRows {
                name: name.clone(),
                rows: *rows,
            })
            .collect(),
    }
}

async fn server_info(admin: &Client, throwaway: bool) -> Result<ServerInfo, RunError> {
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
        throwaway,
        settings: rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
    })
}

fn query_results(
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
            QueryResult::new(&q.name, role, access, m, elapsed_s)
        })
        .collect()
}

fn phase_result(workload: &Workload, outcome: &PhaseOutcome) -> PhaseResult {
    let elapsed_s = outcome.elapsed.as_secs_f64();
    let requests: u64 = outcome.queries.iter().map(QueryMeasurements::count).sum();
    let (mode, clients, rate, arrivals) = match outcome.phase.mode {
        Mode::Closed { clients } => ("closed", clients, None, None),
        Mode::Open {
            rate,
            arrivals,
            workers,
        } => (
            "open",
            workers,
            Some(rate),
            Some(format!("{arrivals:?}").to_lowercase()),
        ),
    };
    PhaseResult {
        name: outcome.phase.name.clone(),
        warmup: outcome.phase.warmup,
        mode: mode.to_owned(),
        clients,
        rate,
        arrivals,
        elapsed_s,
        requests,
        throughput: requests as f64 / elapsed_s.max(1e-9),
        late: outcome.late,
        dropped: outcome.dropped,
        queries: query_results(workload, &outcome.queries, elapsed_s),
        timeline: outcome.timeline.clone(),
    }
}

/// Every query merged over the measured phases.
fn totals(workload: &Workload, measured: &[PhaseOutcome]) -> Vec<QueryResult> {
    let mut merged: Vec<QueryMeasurements> = workload
        .queries
        .iter()
        .map(|_| QueryMeasurements::default())
        .collect();
    for outcome in measured {
        for (m, q) in merged.iter_mut().zip(&outcome.queries) {
            m.merge(q);
        }
    }
    let elapsed_s: f64 = measured.iter().map(|o| o.elapsed.as_secs_f64()).sum();
    query_results(workload, &merged, elapsed_s)
}

//! `migrate`: what a migration costs the app's users while it runs. The
//! DDL is applied to a fresh copy of the seeded data a few seconds into
//! the scenario's load, while the lock tables are sampled; when it builds
//! an index without `CONCURRENTLY`, the same is measured again with it on
//! another fresh copy, and the report says which to ship.

mod locks;
pub mod statements;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::candidate::{self, Candidate};
use crate::drive::engine::{Beside, Phase, PhaseOverrides, Stop, run_phase};
use crate::measure::timeline::{Slot, Timeline};
use crate::pg::{PgError, QueryContext, Server};
use crate::report::files::ReportDir;
use crate::report::headline::duration;
use crate::results::migration::{MIGRATION_VERSION, TableRows};
use crate::results::{MigrationResults, MigrationVariant, exit};
use crate::scenario::Scenario;
use crate::seed::plan::DataPlan;
use crate::seed::rng::combine;
use crate::seed::{SeedError, SeedOptions};
use statements::{Rules, SplitError, Statement};

/// Load after the DDL ends, when a phase counted in transactions gives no length.
const AFTER_DDL: Duration = Duration::from_secs(10);

/// Why a migration could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "scenario {0} has no [workload] or no [load] section: `migrate` runs the DDL under its load"
    )]
    NoWorkload(String),
    #[error("--phase {0}: no such phase in the scenario (phases: {1})")]
    UnknownPhase(String, String),
    #[error("the migration has no statement to run")]
    Empty,
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(transparent)]
    Drive(#[from] crate::drive::DriveError),
    #[error(transparent)]
    Candidate(#[from] crate::candidate::CandidateError),
    #[error(transparent)]
    Report(#[from] crate::report::files::ReportError),
    #[error("cannot start the timeline collector: {0}")]
    Timeline(std::io::Error),
}

impl MigrateError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NoWorkload(_) | Self::UnknownPhase(..) | Self::Empty | Self::Split(_) => {
                exit::USAGE
            }
            Self::Pg(e) => e.exit_code(),
            _ => exit::RUN_FAILED,
        }
    }
}

/// What `migrate` is asked to do.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// The scenario phase whose load the DDL runs under [default: the
    /// first measured one].
    pub phase: Option<String>,
    pub overrides: PhaseOverrides,
    /// How long into the load the DDL starts.
    pub at: Duration,
    pub out: Option<std::path::PathBuf>,
    pub progress: bool,
    /// The configuration the DDL runs on [default: the baseline]: a
    /// candidate's copy, with its query replacements in the load (to
    /// refresh its materialized view under load, say).
    pub on: Option<Candidate>,
}

/// One way to apply the DDL.
struct Way {
    name: &'static str,
    statements: Vec<String>,
    one_transaction: bool,
}

/// The ways to measure: as written (in one transaction, as migration
/// tools apply a file, unless it builds concurrently, which cannot run in
/// one), then with every plain index build made concurrent.
fn ways(statements: &[Statement]) -> Vec<Way> {
    let mut out = vec![Way {
        name: "as written",
        statements: statements.iter().map(|s| s.sql.clone()).collect(),
        one_transaction: !statements.iter().any(Statement::is_concurrent),
    }];
    if statements.iter().any(|s| s.concurrently().is_some()) {
        out.push(Way {
            name: "concurrently",
            statements: statements
                .iter()
                .map(|s| s.concurrently().unwrap_or_else(|| s.sql.clone()))
                .collect(),
            one_transaction: false,
        });
    }
    out
}

/// The load phase the DDL runs under, long enough to hold it.
fn load_phase(scenario: &Scenario, options: &MigrateOptions) -> Result<Phase, MigrateError> {
    let load = scenario
        .spec
        .load
        .as_ref()
        .filter(|_| scenario.spec.workload.is_some())
        .ok_or_else(|| MigrateError::NoWorkload(scenario.path.display().to_string()))?;
    let spec = match &options.phase {
        Some(name) => load
            .phases
            .iter()
            .find(|p| &p.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = load.phases.iter().map(|p| p.name.as_str()).collect();
                MigrateError::UnknownPhase(name.clone(), names.join(", "))
            })?,
        None => load
            .phases
            .iter()
            .find(|p| !p.warmup)
            .or(load.phases.first())
            .ok_or_else(|| MigrateError::NoWorkload(scenario.path.display().to_string()))?,
    };
    let mut phase = Phase::from_spec(spec, options.overrides);
    phase.warmup = false;
    if let Stop::Transactions(_) = phase.stop {
        phase.stop = Stop::After(options.at + AFTER_DDL);
    }
    Ok(phase)
}

/// The statements of `sql` and the phase they will run under, or what is
/// wrong with either: callable before any server is touched.
pub fn check(
    scenario: &Scenario,
    sql: &str,
    options: &MigrateOptions,
) -> Result<(Vec<Statement>, Phase), MigrateError> {
    let statements = statements::split(sql)?;
    if statements.is_empty() {
        return Err(MigrateError::Empty);
    }
    Ok((statements, load_phase(scenario, options)?))
}

/// Measures `sql` under the scenario's load, as written and (for index
/// builds) concurrently, and writes the report.
pub async fn migrate(
    server: &Server,
    scenario: &Scenario,
    sql: &str,
    source: &str,
    options: &MigrateOptions,
) -> Result<(MigrationResults, ReportDir), MigrateError> {
    let (statements, phase) = check(scenario, sql, options)?;
    let Some(workload) = &scenario.spec.workload else {
        return Err(MigrateError::NoWorkload(
            scenario.path.display().to_string(),
        ));
    };
    let on = options.on.clone().unwrap_or_else(Candidate::baseline);
    let workload = &on.workload(workload);
    let names: Vec<String> = workload.queries.iter().map(|q| q.name.clone()).collect();
    let ways = ways(&statements);
    let dir = ReportDir::at(
        options
            .out
            .clone()
            .unwrap_or_else(|| ReportDir::default_path(&scenario.spec.name, "migrate-")),
    )?;
    let seeded = crate::seed::seed(
        server,
        scenario,
        &SeedOptions {
            progress: options.progress,
            ..SeedOptions::default()
        },
    )
    .await?;
    let admin = server.admin(&server.maintenance_db()).await?;
    crate::pg::database::take_turn(&admin, &format!("running on {}", seeded.database)).await?;
    let slots = ways
        .iter()
        .map(|w| Slot {
            label: w.name.replace(' ', "_"),
            paired: false,
        })
        .collect();
    let hlogs = names.iter().map(|q| dir.hlog_path(q)).collect();
    std::fs::create_dir_all(dir.path.join(crate::report::files::INTERVALS_DIR))
        .map_err(MigrateError::Timeline)?;
    let timeline = Timeline::start(names.clone(), slots, hlogs, std::time::Instant::now())
        .map_err(MigrateError::Timeline)?;
    let data = Arc::new(DataPlan::new(&scenario.spec));
    let mut variants = Vec::new();
    for (index, way) in ways.iter().enumerate() {
        let prepared =
            candidate::prepare(server, &admin, &seeded.database, index, on.clone()).await?;
        let measured = async {
            let shared = Arc::new(
                crate::drive::shared(
                    server,
                    &prepared.database,
                    workload,
                    Arc::clone(&data),
                    scenario
                        .spec
                        .load
                        .as_ref()
                        .map(|l| l.protocol)
                        .unwrap_or_default(),
                )
                .await?,
            );
            let ddl = server.owner(&prepared.database).await?;
            let sampler = server.admin(&prepared.database).await?;
            let setting = Under {
                timeline: &timeline,
                slot: index,
                phase: &phase,
                seed: combine(&[scenario.spec.seed, 0]),
                at: options.at,
                names: &names,
            };
            under_load(&setting, shared, ddl, &sampler, way).await
        }
        .await;
        candidate::drop_copies(&admin, &[prepared]).await?;
        variants.push(measured?);
    }
    let results = MigrationResults {
        version: MIGRATION_VERSION,
        schemabench_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: chrono::Utc::now().to_rfc3339(),
        scenario: crate::pipeline::scenario_info(scenario, &seeded),
        source: source.to_owned(),
        on: on.name.clone(),
        load: phase.planned(),
        ddl_at_s: options.at.as_secs_f64(),
        warnings: statements.iter().flat_map(Statement::warnings).collect(),
        advice: advice(&variants),
        variants,
    };
    dir.put_all(crate::report::files::MIGRATION_OUTPUTS, &results)?;
    Ok((results, dir))
}

/// What one measurement under load needs besides its copy.
struct Under<'a> {
    timeline: &'a Timeline,
    slot: usize,
    phase: &'a Phase,
    seed: u64,
    at: Duration,
    names: &'a [String],
}

/// Runs the load on a copy, the DDL `at` into it on `ddl`, and samples the
/// lock tables on `sampler` for as long as the DDL runs.
async fn under_load(
    setting: &Under<'_>,
    shared: Arc<crate::drive::session::Shared>,
    ddl: Client,
    sampler: &Client,
    way: &Way,
) -> Result<MigrationVariant, MigrateError> {
    let pid: i32 = ddl
        .query_one("select pg_backend_pid()", &[])
        .await
        .context_db("reading the DDL session's pid")?
        .get(0);
    let workload = Arc::clone(&shared);
    let origin = setting.timeline.started.elapsed().as_secs();
    let load = run_phase(
        shared,
        setting.timeline,
        setting.slot,
        setting.phase,
        setting.seed,
        true,
        Beside::default(),
    );
    let running = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&running);
    let statements = way.statements.clone();
    let (at, one_transaction) = (setting.at, way.one_transaction);
    let task = tokio::spawn(async move {
        tokio::time::sleep(at).await;
        flag.store(true, Ordering::SeqCst);
        let started = Instant::now();
        let result = apply(&ddl, &statements, one_transaction).await;
        (result, started.elapsed())
    });
    let sampling = async {
        let mut sampled = locks::Sampled::default();
        while !task.is_finished() {
            if running.load(Ordering::SeqCst) {
                locks::sample(sampler, pid, setting.names, &mut sampled).await?;
            }
            tokio::time::sleep(locks::EVERY).await;
        }
        Ok::<_, PgError>(sampled)
    };
    let (outcome, sampled) = tokio::join!(load, sampling);
    let (outcome, sampled) = (outcome?, sampled?);
    let (result, took) = task.await.map_err(crate::drive::DriveError::Join)?;
    let queries = crate::drive::query_results(
        &workload.workload,
        &outcome.queries,
        outcome.elapsed.as_secs_f64(),
    );
    // Whole seconds of the load only: a last partial second's worst
    // latency stands on a handful of requests.
    let whole = outcome.elapsed.as_secs();
    let mut timeline = outcome.timeline;
    for point in &mut timeline {
        point.second = point.second.saturating_sub(origin);
    }
    timeline.retain(|p| p.second < whole);
    Ok(MigrationVariant {
        name: way.name.to_owned(),
        sql: way.statements.join(";\n") + ";",
        one_transaction: way.one_transaction,
        ddl_seconds: took.as_secs_f64(),
        ddl_error: result.as_ref().err().cloned(),
        rows: result.unwrap_or_default(),
        locks_held: sampled.locks_held.iter().cloned().collect(),
        ddl_waited_ms: sampled.ddl_waited_ms,
        samples: sampled.samples,
        blocked: sampled.blocked(),
        most_blocked_at_once: sampled.most_at_once,
        longest_wait_ms: sampled.longest_wait_ms(),
        requests: queries.iter().map(|q| q.count).sum(),
        errors: queries.iter().map(|q| q.errors).sum(),
        timeouts: queries.iter().map(|q| q.timeouts).sum(),
        timeline,
    })
}

/// Rows each table gained, changed and lost in this transaction so far:
/// statistics of the migration's own work (its cascades and triggers run in
/// the same backend), unmoved by the load's sessions.
const ROWS_WRITTEN: &str = "select schemaname || '.' || relname, n_tup_ins, n_tup_upd, n_tup_del \
       from pg_stat_xact_user_tables \
      where n_tup_ins + n_tup_upd + n_tup_del > 0 \
      order by n_tup_ins + n_tup_upd + n_tup_del desc, 1";

/// Runs the statements, in one transaction or one by one; the server's
/// words if one fails (a failed transaction is rolled back). In one
/// transaction, the rows it wrote per table, read before it commits.
async fn apply(
    client: &Client,
    statements: &[String],
    one_transaction: bool,
) -> Result<Vec<TableRows>, String> {
    let describe = |e: tokio_postgres::Error| crate::pg::describe_db_error(&e);
    if one_transaction {
        let written = async {
            client
                .batch_execute(&format!("begin;\n{};", statements.join(";\n")))
                .await?;
            let rows = client.query(ROWS_WRITTEN, &[]).await?;
            client.batch_execute("commit").await?;
            Ok(rows)
        };
        return match written.await {
            Ok(rows) => Ok(rows.iter().map(table_rows).collect()),
            Err(e) => {
                let _ = client.batch_execute("rollback").await;
                Err(describe(e))
            }
        };
    }
    for s in statements {
        client.batch_execute(s).await.map_err(describe)?;
    }
    Ok(Vec::new())
}

/// One row of [`ROWS_WRITTEN`].
fn table_rows(row: &tokio_postgres::Row) -> TableRows {
    let count = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
    TableRows {
        table: row.get(0),
        inserted: count(1),
        updated: count(2),
        deleted: count(3),
    }
}

/// Which way to ship, in one sentence, from what the ways measured.
pub fn advice(variants: &[MigrationVariant]) -> String {
    let felt = |v: &MigrationVariant| -> String {
        if v.blocked_requests() == 0 {
            format!("blocked no request in its {}", duration(v.ddl_seconds))
        } else {
            format!(
                "blocked {} request(s) for up to {:.0} ms in its {}",
                v.blocked_requests(),
                v.longest_wait_ms,
                duration(v.ddl_seconds)
            )
        }
    };
    let Some(written) = variants.first() else {
        return String::new();
    };
    if let Some(e) = &written.ddl_error {
        return format!("Do not ship: the migration failed as written: {e}.");
    }
    let Some(concurrent) = variants.get(1) else {
        return format!(
            "As written it {}{}.",
            felt(written),
            if written.blocked_requests() > 0 {
                "; the stall grows with the tables it locks"
            } else {
                ""
            }
        );
    };
    if let Some(e) = &concurrent.ddl_error {
        return format!(
            "Ship as written (it {}): CONCURRENTLY failed: {e}.",
            felt(written)
        );
    }
    let projected = |v: &MigrationVariant| -> String {
        format!(
            "at 10x the rows the plain build would hold writers for about {}, at 100x {} (a build sorts its rows: a little more than linear)",
            duration(v.ddl_seconds * 10.0),
            duration(v.ddl_seconds * 100.0)
        )
    };
    match (written.blocked_requests(), concurrent.blocked_requests()) {
        (_, 0) if written.blocked_requests() > 0 => format!(
            "Ship CONCURRENTLY: as written it {}; concurrently it {}; {}.",
            felt(written),
            felt(concurrent),
            projected(written)
        ),
        (0, 0) => format!(
            "Ship CONCURRENTLY: neither blocked a request at this size (as written {}, concurrently {}), but {}.",
            duration(written.ddl_seconds),
            duration(concurrent.ddl_seconds),
            projected(written)
        ),
        _ => format!(
            "Weigh: as written it {}; concurrently it {} too.",
            felt(written),
            felt(concurrent)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_index_build_is_also_measured_concurrently_and_one_by_one() {
        let found = statements::split("create index a on t (x);\nanalyze t").expect("splits");
        let measured = ways(&found);
        let shown: Vec<(&str, Vec<&str>, bool)> = measured
            .iter()
            .map(|w| {
                (
                    w.name,
                    w.statements.iter().map(String::as_str).collect(),
                    w.one_transaction,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "as written",
                    vec!["create index a on t (x)", "analyze t"],
                    true
                ),
                (
                    "concurrently",
                    vec!["create index concurrently a on t (x)", "analyze t"],
                    false
                )
            ]
        );
        let policy = statements::split("create policy p on t using (true)").expect("splits");
        assert_eq!(ways(&policy).len(), 1);
    }
}

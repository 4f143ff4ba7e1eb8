//! Seeding: create a database, apply the Supabase set-up and the migrations,
//! generate every row deterministically and bulk-load it with binary COPY,
//! several streams at once, then rebuild constraints and ANALYZE.

pub mod copy;
pub mod defer;
pub mod dist;
mod load;
pub mod plan;
pub mod rng;
mod schema;
pub mod size;
pub mod value;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use indicatif::ProgressBar;
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use crate::pg::database::{self, Found, Marker, SeedState};
use crate::pg::{PgError, QueryContext, Server, quote_ident};
use crate::scenario::Scenario;
use copy::{EncodeError, HEADER, RowEncoder, TRAILER};
use defer::Deferred;
use load::load;
use plan::DataPlan;
pub use schema::apply_schema;

/// Rows per COPY statement: big enough to amortise the statement, small
/// enough that the largest table spreads over every stream.
const CHUNK_ROWS: u64 = 50_000;
/// Rows encoded per buffer handed to the COPY stream.
const BATCH_ROWS: u64 = 1_000;

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(
        "migration {file} failed{at}: {}{hint}",
        crate::pg::describe_db_error(error)
    )]
    Migration {
        /// The file, with `:line:column` where the statement is known.
        file: String,
        /// Where in the file, from the server's error position, when the
        /// file names no line.
        at: String,
        /// What probably went wrong (a lost `;`), or nothing.
        hint: String,
        /// Described in the message, so not a `source` printed again.
        error: tokio_postgres::Error,
    },
    #[error("the scenario key that made the row: {key}")]
    Generated {
        /// `tables.T.columns.C`, or `tables.T` when several columns share the blame.
        key: String,
        #[source]
        source: Box<SeedError>,
    },
    #[error("migration {file} cannot be read: {problem}")]
    MigrationText { file: String, problem: String },
    #[error(
        "migration {file}:{line}: the extension {name:?} is not installed on this server: {remedy}"
    )]
    Extension {
        file: String,
        line: u64,
        name: String,
        remedy: String,
    },
    #[error("the scenario seeds {table}, but {problem} after the migrations ran")]
    Schema { table: String, problem: String },
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// How to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Parallel COPY streams (and index builds).
    pub workers: usize,
    /// Seed again even when a matching seeded database exists.
    pub fresh: bool,
    /// Show progress bars (on a terminal).
    pub progress: bool,
}

/// COPY streams a seed opens by default: one per core.
pub fn default_streams() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            workers: default_streams(),
            fresh: false,
            progress: true,
        }
    }
}

/// What seeding did and how long each stage took.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub database: String,
    pub reused: bool,
    pub rows: u64,
    pub tables: Vec<(String, u64)>,
    pub schema_time: Duration,
    pub load_time: Duration,
    pub constraint_time: Duration,
    pub analyze_time: Duration,
    pub total_time: Duration,
}

/// A table ready to load: its plan index, column list and database types.
#[derive(Debug, Clone)]
pub struct LoadTarget {
    pub table: usize,
    pub name: String,
    pub columns: Vec<String>,
    pub types: Vec<Type>,
}

impl LoadTarget {
    /// The `COPY ... (FORMAT binary)` statement, reading from `source`
    /// (`STDIN` or a quoted server-side file).
    pub fn copy_statement(&self, source: &str) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| quote_ident(c)).collect();
        format!(
            "copy {} ({}) from {source} (format binary)",
            quote_ident(&self.name),
            columns.join(", ")
        )
    }
}

/// Seeds the scenario's data database, or reuses a matching one.
pub async fn seed(
    server: &Server,
    scenario: &Scenario,
    options: &SeedOptions,
) -> Result<SeedReport, SeedError> {
    let plan = tokio::task::spawn_blocking({
        let spec = scenario.spec.clone();
        move || DataPlan::new(&spec)
    })
    .await
    .expect("plan building does not panic");
    seed_planned(server, scenario, &Arc::new(plan), options).await
}

/// The report of a seeded database found ready and used as it is.
fn reused(name: String, rows: u64, plan: &DataPlan, started: Instant) -> SeedReport {
    // Said once per database: capacity reuses it for every step.
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.contains(&name) {
        tracing::info!("reusing seeded database {name} ({rows} rows)");
        said.push(name.clone());
    }
    drop(said);
    SeedReport {
        database: name,
        reused: true,
        rows,
        tables: plan
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.rows()))
            .collect(),
        schema_time: Duration::ZERO,
        load_time: Duration::ZERO,
        constraint_time: Duration::ZERO,
        analyze_time: Duration::ZERO,
        total_time: started.elapsed(),
    }
}

/// [`seed`] with the scenario's data plan already built (a run needs it
/// again to draw its requests' parameters).
pub async fn seed_planned(
    server: &Server,
    scenario: &Scenario,
    plan: &Arc<DataPlan>,
    options: &SeedOptions,
) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    let spec = &scenario.spec;
    let fingerprint = scenario.data_fingerprint();
    let name = database::data_db_name(&scenario.data_name, &fingerprint);
    let admin = server.admin(&server.maintenance_db()).await?;
    // Held until `admin` closes, when this function returns.
    database::take_turn(&admin, &format!("seeding {name}")).await?;
    let mut marker = Marker {
        scenario: scenario.data_name.clone(),
        fingerprint,
        seed: spec.seed,
        scale: spec.scale,
        state: SeedState::Seeding,
        rows: 0,
    };
    let owner = server.identity().await?.owner_role();
    let found = database::find(&admin, &name).await?;
    // Seeded before schemabench stepped down (owned by the URL's user):
    // the owner could not work in it, so it is seeded again.
    let owned_right = match (&found, owner) {
        (Found::Ours(_), Some(role)) => database::owner_of(&admin, &name).await? == role,
        _ => true,
    };
    match found {
        Found::Ours(existing)
            if existing.state == SeedState::Ready
                && existing.fingerprint == marker.fingerprint
                && owned_right
                && !options.fresh =>
        {
            return Ok(reused(name, existing.rows, plan, started));
        }
        Found::NotOurs => return Err(PgError::NotOurs { name }.into()),
        Found::Ours(_) => database::drop_owned(&admin, &name).await?,
        Found::Missing => {}
    }
    database::create(&admin, owner, &name, &marker, None).await?;

    let client = server.owner(&name).await?;
    apply_schema(server, &name, &client, &scenario.migrations).await?;
    let schema_time = started.elapsed();

    let targets = load_targets(&client, plan).await?;
    check_encoding(plan, &targets)?;

    let deferred = Deferred::take(
        &client,
        &targets.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
    )
    .await?;
    let clients = connect_many(server, &name, options.workers).await?;
    let load_started = Instant::now();
    let loaded = load(&clients, plan, &targets, options.progress).await;
    with_key(&client, loaded).await?;
    let load_time = load_started.elapsed();

    let constraints_started = Instant::now();
    let keyed = run_statements(
        &clients,
        deferred.keys_and_indexes.clone(),
        "rebuilding keys and indexes",
    )
    .await;
    with_key(&client, keyed.map_err(SeedError::Pg)).await?;
    let linked = run_statements(
        &clients,
        deferred.foreign_keys.clone(),
        "adding foreign keys",
    )
    .await;
    with_key(&client, linked.map_err(SeedError::Pg)).await?;
    client
        .batch_execute(&deferred.enable_triggers_sql())
        .await
        .context_db("re-enabling triggers")?;
    advance_sequences(&client, &targets).await?;
    let constraint_time = constraints_started.elapsed();

    let analyze_started = Instant::now();
    // VACUUM as well: it sets the visibility map now, not whenever
    // autovacuum reaches the freshly loaded tables, so every copy of the
    // data starts alike and a query reads the same buffers run after run
    // (index-only scans otherwise visit the heap until autovacuum came).
    let analyze = targets
        .iter()
        .map(|t| format!("vacuum (analyze) {}", quote_ident(&t.name)))
        .collect();
    run_statements(&clients, analyze, "vacuuming and analyzing").await?;
    let analyze_time = analyze_started.elapsed();

    marker.state = SeedState::Ready;
    marker.rows = plan.total_rows();
    database::set_marker(&admin, &name, &marker).await?;
    // Seeded data stays for the runs that reuse it.
    crate::pg::unfinished::finished(&name);
    Ok(SeedReport {
        database: name,
        reused: false,
        rows: marker.rows,
        tables: plan
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.rows()))
            .collect(),
        schema_time,
        load_time,
        constraint_time,
        analyze_time,
        total_time: started.elapsed(),
    })
}

/// Moves every sequence behind a loaded column (identity, serial) past the
/// largest value loaded: COPY writes such columns without drawing from
/// their sequences, and the workload's first insert would collide with a
/// seeded row.
async fn advance_sequences(client: &Client, targets: &[LoadTarget]) -> Result<(), SeedError> {
    let tables: Vec<String> = targets.iter().map(|t| quote_ident(&t.name)).collect();
    let rows = client
        .query(
            "select s.seq, c.oid::regclass::text, quote_ident(a.attname)
               from pg_class c
               join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
               cross join lateral (select pg_get_serial_sequence(c.oid::regclass::text, a.attname) as seq) s
              where c.oid = any($1::text[]::regclass[]) and s.seq is not null",
            &[&tables],
        )
        .await
        .context_db("finding the loaded tables' sequences")?;
    for row in rows {
        let (sequence, table, column): (String, String, String) =
            (row.get(0), row.get(1), row.get(2));
        client
            .execute(
                &format!(
                    "select setval($1::text::regclass, coalesce((select max({column}) from {table}), 0) + 1, false)"
                ),
                &[&sequence],
            )
            .await
            .context_db(format!("moving sequence {sequence} past the loaded rows"))?;
    }
    Ok(())
}

/// A loading error the data broke (a CHECK, NOT NULL, a key) with the
/// scenario key whose generator made the row, as far as the server names
/// the constraint's columns.
async fn with_key<T>(client: &Client, result: Result<T, SeedError>) -> Result<T, SeedError> {
    let error = match result {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let SeedError::Pg(PgError::Query { error: db, .. }) = &error else {
        return Err(error);
    };
    let Some(db) = db.as_db_error() else {
        return Err(error);
    };
    let Some(table) = db.table() else {
        return Err(error);
    };
    let name = match db.schema() {
        Some(schema) if schema != "public" => format!("{schema}.{table}"),
        _ => table.to_owned(),
    };
    let columns: Vec<String> = match (db.column(), db.constraint()) {
        (Some(column), _) => vec![column.to_owned()],
        (None, Some(constraint)) => client
            .query_opt(
                "select array(select a.attname::text from pg_attribute a
                               where a.attrelid = c.conrelid and a.attnum = any(c.conkey) order by a.attnum)
                   from pg_constraint c
                  where c.conname = $1 and c.conrelid = to_regclass(quote_ident($2) || '.' || quote_ident($3))",
                &[&constraint, &db.schema().unwrap_or("public"), &table],
            )
            .await
            .ok()
            .flatten()
            .map(|r| r.get(0))
            .unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    let key = match columns.as_slice() {
        [column] => format!("tables.{name}.columns.{column}"),
        [] => format!("tables.{name}"),
        several => format!("tables.{name} (columns {})", several.join(", ")),
    };
    Err(SeedError::Generated {
        key,
        source: Box::new(error),
    })
}

/// Looks up each seeded table's column types; a table or column the
/// migrations did not create is named here, before any row is loaded.
pub async fn load_targets(client: &Client, plan: &DataPlan) -> Result<Vec<LoadTarget>, SeedError> {
    let mut targets = Vec::new();
    for (index, table) in plan.tables.iter().enumerate() {
        let exists: bool = client
            .query_one(
                "select to_regclass($1) is not null",
                &[&quote_ident(&table.name)],
            )
            .await
            .context_db("looking up seeded tables")?
            .get(0);
        if !exists {
            return Err(SeedError::Schema {
                table: table.name.clone(),
                problem: "no such table exists".to_owned(),
            });
        }
        let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let rows = client
            .query(
                "select attname::text, format_type(atttypid, atttypmod) from pg_attribute
                 where attrelid = $1::text::regclass and attnum > 0 and not attisdropped",
                &[&quote_ident(&table.name)],
            )
            .await
            .context_db("reading column types")?;
        let known: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        if let Some(missing) = columns.iter().find(|c| !known.contains(c)) {
            return Err(SeedError::Schema {
                table: table.name.clone(),
                problem: format!(
                    "it has no column {missing:?} (columns: {})",
                    known.join(", ")
                ),
            });
        }
        let probe = format!(
            "select {} from {} limit 0",
            columns
                .iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", "),
            quote_ident(&table.name)
        );
        let statement = client
            .prepare(&probe)
            .await
            .context_db(format!("reading the columns of {}", table.name))?;
        targets.push(LoadTarget {
            table: index,
            name: table.name.clone(),
            columns,
            types: statement
                .columns()
                .iter()
                .map(|c| c.type_().clone())
                .collect(),
        });
    }
    Ok(targets)
}

/// Encodes the first row of every table so a generator that does not fit
/// its column fails before anything is loaded.
fn check_encoding(plan: &DataPlan, targets: &[LoadTarget]) -> Result<(), EncodeError> {
    let mut scratch = BytesMut::new();
    for target in targets.iter().filter(|t| plan.tables[t.table].rows() > 0) {
        RowEncoder::new(plan, target.table, &target.types).encode(0..1, &mut scratch)?;
        scratch.clear();
    }
    Ok(())
}

/// Opens `n` connections to a database as its owner.
async fn connect_many(server: &Server, database: &str, n: usize) -> Result<Vec<Client>, PgError> {
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        clients.push(server.owner(database).await?);
    }
    Ok(clients)
}

/// Runs jobs on a set of connections, each connection taking the next job
/// as soon as it is free; stops at the first error.
pub async fn on_each_client<J, F, E>(clients: &[Client], jobs: Vec<J>, work: F) -> Result<(), E>
where
    F: AsyncFn(&Client, J) -> Result<(), E>,
{
    let queue = Mutex::new(VecDeque::from(jobs));
    let next = || queue.lock().map(|mut q| q.pop_front()).ok().flatten();
    let workers = clients.iter().map(|client| async {
        while let Some(job) = next() {
            work(client, job).await?;
        }
        Ok(())
    });
    futures_util::future::try_join_all(workers)
        .await
        .map(|_| ())
}

async fn run_statements(
    clients: &[Client],
    statements: Vec<String>,
    what: &str,
) -> Result<(), PgError> {
    on_each_client(clients, statements, async |client: &Client, sql: String| {
        client
            .batch_execute(&sql)
            .await
            .context_db(format!("{what}: {sql}"))
    })
    .await
}

/// Row ranges of every table, largest tables first so the streams finish together.
pub fn chunks(plan: &DataPlan, targets: &[LoadTarget]) -> Vec<(usize, std::ops::Range<u64>)> {
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(plan.tables[targets[*i].table].rows()));
    let mut jobs = Vec::new();
    for i in order {
        let rows = plan.tables[targets[i].table].rows();
        let mut start = 0;
        while start < rows {
            let end = (start + CHUNK_ROWS).min(rows);
            jobs.push((i, start..end));
            start = end;
        }
    }
    jobs
}

/// Streams a chunk's binary COPY data: header, rows in batches, trailer.
/// Encoding runs on a blocking thread so it overlaps the network writes.
/// `rows` are positions in the table's load `order` (the rows themselves
/// without one).
pub fn encode_chunk(
    plan: Arc<DataPlan>,
    target: LoadTarget,
    rows: std::ops::Range<u64>,
    order: Option<Arc<Vec<u64>>>,
    bar: Option<ProgressBar>,
) -> tokio::sync::mpsc::Receiver<Result<Bytes, EncodeError>> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let encoder = RowEncoder::new(&plan, target.table, &target.types);
        let mut buf = BytesMut::with_capacity(256 * 1024);
        buf.extend_from_slice(HEADER);
        let mut start = rows.start;
        while start < rows.end {
            let end = (start + BATCH_ROWS).min(rows.end);
            let encoded = match &order {
                Some(order) => encoder.encode(
                    order[start as usize..end as usize].iter().copied(),
                    &mut buf,
                ),
                None => encoder.encode(start..end, &mut buf),
            };
            if let Err(e) = encoded {
                let _ = tx.blocking_send(Err(e));
                return;
            }
            if end == rows.end {
                buf.extend_from_slice(TRAILER);
            }
            let batch = buf.split().freeze();
            // Room for the next batch up front: growing the buffer while
            // encoding copied every batch once more.
            buf.reserve(batch.len() + batch.len() / 4);
            if tx.blocking_send(Ok(batch)).is_err() {
                return;
            }
            if let Some(bar) = &bar {
                bar.inc(end - start);
            }
            start = end;
        }
    });
    rx
}

//! Seeding speed against the physical floor on this machine.
//!
//! Seeds the TaleForge data (scale from SCHEMABENCH_SCALE, default 1), then
//! loads the very same rows — the same binary COPY bytes, written to files —
//! into the same tables of a second database with server-side
//! `COPY ... FROM 'file' (FORMAT binary)` on as many streams, and prints the
//! ratio. Both run in one process on one server, one after the other, five
//! times (SCHEMABENCH_REPEATS), and the medians are printed.
//!
//! Where the server shares the machine's cores with the generators, the
//! load cannot beat the floor by more than the generators' CPU allows:
//! with the floor's streams keeping every core busy, the load needs at
//! least the floor plus the client's CPU seconds over the cores. That
//! bound is printed beside the measured ratio.
//!
//!     cargo bench --bench seed_floor
//!     SCHEMABENCH_SCALE=0.2 DATABASE_URL=postgres://... cargo bench --bench seed_floor

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use bytes::BytesMut;
use schemabench::pg::database::{self, Marker, SeedState};
use schemabench::pg::{QueryContext, Server};
use schemabench::scenario::Scenario;
use schemabench::scenario::units::Scale;
use schemabench::seed::copy::{HEADER, RowEncoder, TRAILER};
use schemabench::seed::defer::Deferred;
use schemabench::seed::plan::DataPlan;
use schemabench::seed::{
    LoadTarget, SeedOptions, apply_schema, chunks, load_targets, on_each_client, seed,
};
use tokio_postgres::Client;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let scale: Scale = match std::env::var("SCHEMABENCH_SCALE") {
        Ok(text) => text.parse().map_err(anyhow::Error::msg)?,
        Err(_) => Scale::constant(1.0),
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/taleforge/scenario.toml");
    let scenario = Scenario::load(&path)?.with_overrides(None, Some(scale))?;
    let server = Server::open(std::env::var("DATABASE_URL").ok().as_deref()).await?;
    let options = SeedOptions {
        fresh: true,
        ..SeedOptions::default()
    };
    println!(
        "seeding TaleForge at scale {scale} on {} with {} streams",
        server.describe(),
        options.workers
    );

    let repeats: usize = std::env::var("SCHEMABENCH_REPEATS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let plan = Arc::new(DataPlan::new(&scenario.spec));
    let admin = server.admin(&server.maintenance_db()).await?;
    let dir = tempfile::Builder::new()
        .prefix("schemabench-floor-")
        .tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let mut times: Vec<Repeat> = Vec::new();
    let mut files = Vec::new();
    for repeat in 1..=repeats {
        let cpu_before = process_cpu()?;
        let report = seed(&server, &scenario, &options).await?;
        let client_cpu = process_cpu()? - cpu_before;
        println!(
            "{repeat}. schemabench seed: {} rows, load {:.2} s, keys+indexes+FKs {:.2} s, analyze {:.2} s, total {:.2} s",
            report.rows,
            report.load_time.as_secs_f64(),
            report.constraint_time.as_secs_f64(),
            report.analyze_time.as_secs_f64(),
            report.total_time.as_secs_f64()
        );
        let floor_db = format!("{}_floor", report.database);
        let (client, targets) =
            floor_database(&server, &admin, &scenario, &plan, &floor_db).await?;
        if files.is_empty() {
            files = write_files(dir.path(), &plan, &targets)?;
        }
        let floor = floor_load(&server, &floor_db, &targets, &files, options.workers).await?;
        println!("   floor (server-side binary COPY from files): {floor:.2} s");
        println!(
            "   client CPU {client_cpu:.2} s ({:.2} µs a row); on {cores} cores the load needs at least {:.2}x the floor",
            client_cpu * 1e6 / report.rows as f64,
            (floor + client_cpu / cores) / floor
        );
        times.push(Repeat {
            load: report.load_time.as_secs_f64(),
            whole: report.total_time.as_secs_f64(),
            floor,
            client_cpu,
        });
        drop(client);
        database::drop_owned(&admin, &floor_db).await?;
    }
    let median = |pick: &dyn Fn(&Repeat) -> f64| {
        let mut values: Vec<f64> = times.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    println!(
        "medians of {repeats}: seeding load / floor = {:.2} (goal <= 1.15; the client's CPU allows no less than {:.2}); whole seed {:.2} s (goal about 6.5 s at scale 1), whole seed / floor = {:.2}; client CPU {:.2} s",
        median(&|t| t.load / t.floor),
        median(&|t| (t.floor + t.client_cpu / cores) / t.floor),
        median(&|t| t.whole),
        median(&|t| t.whole / t.floor),
        median(&|t| t.client_cpu)
    );
    Ok(())
}

/// One repeat's figures, in seconds.
struct Repeat {
    /// Seeding's load phase.
    load: f64,
    /// The whole seed: schema, load, keys and indexes, analyze.
    whole: f64,
    /// Server-side COPY of the same rows from files.
    floor: f64,
    /// This process's CPU while seeding (its generators and connections).
    client_cpu: f64,
}

/// CPU seconds this process has used, all its threads together.
fn process_cpu() -> anyhow::Result<f64> {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)?;
    let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    Ok(seconds(usage.user_time()) + seconds(usage.system_time()))
}

/// A fresh database with the scenario's schema and its deferred keys and
/// indexes taken off, as seeding loads into: the floor's target.
async fn floor_database(
    server: &Server,
    admin: &Client,
    scenario: &Scenario,
    plan: &DataPlan,
    floor_db: &str,
) -> anyhow::Result<(Client, Vec<LoadTarget>)> {
    database::drop_owned(admin, floor_db).await?;
    let marker = Marker {
        scenario: "seed_floor".into(),
        fingerprint: String::new(),
        seed: scenario.spec.seed,
        scale: scenario.spec.scale,
        state: SeedState::Seeding,
        rows: 0,
    };
    let owner = server.identity().await?.owner_role();
    database::create(admin, owner, floor_db, &marker, None).await?;
    let client = server.owner(floor_db).await?;
    apply_schema(server, floor_db, &client, &scenario.migrations).await?;
    let targets = load_targets(&client, plan).await?;
    Deferred::take(
        &client,
        &targets.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
    )
    .await?;
    Ok((client, targets))
}

/// The very rows seeding sends, as binary COPY files the server can read.
fn write_files(
    dir: &Path,
    plan: &DataPlan,
    targets: &[LoadTarget],
) -> anyhow::Result<Vec<(usize, std::path::PathBuf)>> {
    let written = Instant::now();
    let mut files = Vec::new();
    for (n, (i, rows)) in chunks(plan, targets).iter().enumerate() {
        let file = dir.join(format!("{n}.bin"));
        let mut buf = BytesMut::new();
        buf.extend_from_slice(HEADER);
        RowEncoder::new(plan, targets[*i].table, &targets[*i].types)
            .encode(rows.clone(), &mut buf)?;
        buf.extend_from_slice(TRAILER);
        let mut f = std::fs::File::create(&file)?;
        f.write_all(&buf)?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
        files.push((*i, file));
    }
    println!(
        "wrote the rows as binary COPY files in {:.2} s",
        written.elapsed().as_secs_f64()
    );
    Ok(files)
}

/// Seconds the server takes to load `files` on `workers` streams.
async fn floor_load(
    server: &Server,
    floor_db: &str,
    targets: &[LoadTarget],
    files: &[(usize, std::path::PathBuf)],
    workers: usize,
) -> anyhow::Result<f64> {
    // Reading the server's files takes the URL's user (pg_read_server_files).
    let mut clients: Vec<Client> = Vec::new();
    for _ in 0..workers.max(1) {
        clients.push(server.admin(floor_db).await?);
    }
    let started = Instant::now();
    on_each_client(
        &clients,
        files.to_vec(),
        async |client: &Client, (i, file): (usize, std::path::PathBuf)| {
            let source = format!("'{}'", file.display());
            client
                .batch_execute(&targets[i].copy_statement(&source))
                .await
                .context_db(format!("server-side COPY into {}", targets[i].name))
        },
    )
    .await
    .context("floor load")?;
    Ok(started.elapsed().as_secs_f64())
}

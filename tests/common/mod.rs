//! Shared test fixtures: one throwaway PostgreSQL cluster per test binary
//! (its watchdog removes it when the binary exits) and small scenarios.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use schemabench::pg::{EmbeddedCluster, Server};
use schemabench::scenario::Scenario;

static CLUSTER: OnceLock<EmbeddedCluster> = OnceLock::new();

/// The shared cluster, started on first use, its API login role admitted
/// as `schemabench` admits it in the clusters it starts itself.
pub fn cluster() -> &'static EmbeddedCluster {
    CLUSTER.get_or_init(|| {
        let cluster = EmbeddedCluster::start().expect("start a throwaway PostgreSQL cluster");
        let url = format!(
            "postgresql://postgres:{}@127.0.0.1:{}/postgres",
            cluster.password(),
            cluster.port
        );
        // Its own thread and runtime: the caller may be inside one.
        std::thread::spawn(move || {
            block_on(async {
                Server::open(Some(&url))
                    .await
                    .expect("connect")
                    .admit_api_login()
                    .await
                    .expect("admit authenticator")
            })
        })
        .join()
        .expect("admitting the API login role");
        cluster
    })
}

/// Runs `work` to its end on a runtime of its own (for tests that are not
/// async themselves).
pub fn block_on<F: std::future::Future>(work: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(work)
}

/// A superuser URL of the shared cluster, with its password.
pub fn database_url() -> String {
    url_as("postgres", "postgres")
}

/// A URL for another login role on the shared cluster (its login roles
/// share the cluster's password).
pub fn url_as(user: &str, database: &str) -> String {
    format!(
        "postgresql://{user}:{}@127.0.0.1:{}/{database}",
        cluster().password(),
        cluster().port
    )
}

/// The shared cluster as a [`Server`].
pub async fn server() -> Server {
    Server::open(Some(&database_url()))
        .await
        .expect("connect to the shared cluster")
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Asserts the JSON file at `path` matches the published schema
/// `schemas/<schema>`.
#[allow(dead_code)] // not every test binary writes a schema'd file
pub fn assert_matches_schema(path: &Path, schema: &str) {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable file")).expect("json");
    let schema_text =
        std::fs::read_to_string(repo_path(&format!("schemas/{schema}"))).expect("schema file");
    let schema_json: serde_json::Value = serde_json::from_str(&schema_text).expect("schema json");
    let validator = jsonschema::validator_for(&schema_json).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{} violates {schema}: {errors:?}",
        path.display()
    );
}

/// The TaleForge scenario at a small scale with its own seed, so tests that
/// seed in parallel get their own databases.
pub fn taleforge(seed: u64, scale: f64) -> Scenario {
    Scenario::load(&repo_path("scenarios/taleforge/scenario.toml"))
        .expect("the TaleForge scenario is valid")
        .with_overrides(
            Some(seed),
            Some(schemabench::scenario::units::Scale::constant(scale)),
        )
        .expect("valid overrides")
}

/// Quiet seeding options for tests.
pub fn quiet() -> schemabench::seed::SeedOptions {
    schemabench::seed::SeedOptions {
        workers: 2,
        fresh: false,
        progress: false,
    }
}

/// A scenario file in `dir` with TaleForge's tables and migrations (plus an
/// optional extra migration) under another name, and the given workload,
/// load and thresholds sections. Returns its path.
pub fn taleforge_variant(
    dir: &Path,
    name: &str,
    file: &str,
    extra_migration: Option<&str>,
    rest: &str,
) -> PathBuf {
    let original = std::fs::read_to_string(repo_path("scenarios/taleforge/scenario.toml"))
        .expect("read TaleForge");
    let data = original
        .split("[workload.actor]")
        .next()
        .expect("data part");
    let mut migrations: Vec<String> = [
        "001_schema.sql",
        "002_functions_triggers.sql",
        "003_rls.sql",
    ]
    .iter()
    .map(|m| {
        format!(
            "{:?}",
            repo_path(&format!("scenarios/taleforge/migrations/{m}"))
                .display()
                .to_string()
        )
    })
    .collect();
    if let Some(sql) = extra_migration {
        let path = dir.join(format!("{file}.sql"));
        std::fs::write(&path, sql).expect("write migration");
        migrations.push(format!("{:?}", path.display().to_string()));
    }
    let start = data.find("migrations = [").expect("migrations");
    let end = start + data[start..].find(']').expect("end of migrations") + 1;
    let text = format!(
        "{}migrations = [{}]{}{rest}",
        &data[..start].replace("name = \"taleforge\"", &format!("name = \"{name}\"")),
        migrations.join(", "),
        &data[end..],
    );
    let path = dir.join(format!("{file}.toml"));
    std::fs::write(&path, text).expect("write scenario");
    path
}

/// Runs `sql` in a rolled-back transaction as an API role on the shared
/// cluster, the way PostgREST does: `sub` signed in, or anon.
pub async fn as_role(
    role: &str,
    sub: Option<&str>,
    database: &str,
    sql: &str,
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let client = Server::open(Some(&url_as("authenticator", database)))
        .await
        .expect("authenticator URL")
        .admin(database)
        .await
        .expect("connect as authenticator");
    let claims = match sub {
        Some(sub) => format!(r#"{{"sub":"{sub}","role":"{role}"}}"#),
        None => format!(r#"{{"role":"{role}"}}"#),
    };
    client.batch_execute("begin").await?;
    client
        .execute(
            "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)",
            &[&role, &claims],
        )
        .await?;
    let rows = client.query(sql, &[]).await;
    client.batch_execute("rollback").await?;
    rows
}

/// The shared server, TaleForge seeded into it at `scale` with its own
/// `seed`, and a connection to its maintenance database as the URL's user.
pub async fn seeded_taleforge(
    seed: u64,
    scale: f64,
) -> (
    Server,
    schemabench::seed::SeedReport,
    tokio_postgres::Client,
) {
    let server = server().await;
    let report = schemabench::seed::seed(&server, &taleforge(seed, scale), &quiet())
        .await
        .expect("seed");
    let admin = server
        .admin(&server.maintenance_db())
        .await
        .expect("admin connection");
    (server, report, admin)
}

/// A candidate configuration of `sql`, with `settings` applied to its copy.
pub fn candidate(
    name: &str,
    sql: &str,
    settings: &[(&str, &str)],
) -> schemabench::candidate::Candidate {
    schemabench::candidate::Candidate {
        name: name.to_owned(),
        sql: sql.to_owned(),
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..schemabench::candidate::Candidate::baseline()
    }
}

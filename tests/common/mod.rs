//! Shared test fixtures: one throwaway PostgreSQL cluster per test binary
//! (its watchdog removes it when the binary exits) and small scenarios.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use schemabench::pg::{EmbeddedCluster, Server};
use schemabench::scenario::Scenario;

static CLUSTER: OnceLock<EmbeddedCluster> = OnceLock::new();

/// The shared cluster, started on first use.
pub fn cluster() -> &'static EmbeddedCluster {
    CLUSTER.get_or_init(|| EmbeddedCluster::start().expect("start a throwaway PostgreSQL cluster"))
}

/// A superuser URL of the shared cluster.
pub fn database_url() -> String {
    format!(
        "postgresql://postgres@127.0.0.1:{}/postgres",
        cluster().port
    )
}

/// A URL for another role on the shared cluster.
pub fn url_as(user: &str, database: &str) -> String {
    format!(
        "postgresql://{user}@127.0.0.1:{}/{database}",
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

/// The TaleForge scenario at a small scale with its own seed, so tests that
/// seed in parallel get their own databases.
pub fn taleforge(seed: u64, scale: f64) -> Scenario {
    Scenario::load(&repo_path("scenarios/taleforge/scenario.toml"))
        .expect("the TaleForge scenario is valid")
        .with_overrides(Some(seed), Some(scale))
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

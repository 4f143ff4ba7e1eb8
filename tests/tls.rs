//! TLS as libpq's `sslmode` and `sslrootcert` ask, against the throwaway
//! cluster's TCP port (it serves a certificate signed by a CA of its own).

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use schemabench::pg::Server;

/// The shared cluster's superuser, reached as `host` at 127.0.0.1, with
/// the given TLS options.
fn url(host: &str, options: &str) -> String {
    let cluster = common::cluster();
    format!(
        "host={host} hostaddr=127.0.0.1 port={} user=postgres password={} dbname=postgres {options}",
        cluster.port,
        cluster.password()
    )
}

/// Whether the server sees this connection encrypted.
async fn encrypted(url: &str) -> Result<bool, String> {
    let server = Server::open(Some(url))
        .await
        .map_err(|e| format!("{e:#}"))?;
    let client = server
        .admin("postgres")
        .await
        .map_err(|e| format!("{e}: {:?}", std::error::Error::source(&e)))?;
    let row = client
        .query_one(
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test]
async fn each_sslmode_connects_as_libpq_would() {
    let ca = common::cluster().ca_certificate();
    let ca = ca.display();
    let checked = format!("sslmode=verify-full sslrootcert={ca}");
    assert_eq!(encrypted(&url("localhost", &checked)).await, Ok(true));
    assert_eq!(encrypted(&url("127.0.0.1", &checked)).await, Ok(true));
    // The default (prefer) and require encrypt without checking.
    assert_eq!(encrypted(&url("localhost", "")).await, Ok(true));
    assert_eq!(
        encrypted(&url("elsewhere", "sslmode=require")).await,
        Ok(true)
    );
    assert_eq!(
        encrypted(&url("localhost", "sslmode=disable")).await,
        Ok(false)
    );
    // verify-ca checks the chain, not the name; verify-full both.
    let chain_only = format!("sslmode=verify-ca sslrootcert={ca}");
    assert_eq!(encrypted(&url("elsewhere", &chain_only)).await, Ok(true));
    let wrong_name = encrypted(&url("elsewhere", &checked)).await;
    assert!(
        wrong_name
            .as_ref()
            .is_err_and(|e| e.to_lowercase().contains("certificate")),
        "{wrong_name:?}"
    );
}

#[tokio::test]
async fn a_certificate_from_another_authority_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().expect("key");
    let other = params.self_signed(&key).expect("other CA");
    let path = dir.path().join("other.crt");
    std::fs::write(&path, other.pem()).expect("write");
    for mode in ["verify-full", "verify-ca", "require"] {
        let options = format!("sslmode={mode} sslrootcert={}", path.display());
        let refused = encrypted(&url("localhost", &options)).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_lowercase().contains("certificate")),
            "{mode}: {refused:?}"
        );
    }
}

#[test]
fn tls_options_that_cannot_work_are_usage_errors() {
    let cluster = common::cluster();
    let base = format!(
        "postgresql://postgres:{}@127.0.0.1:{}/postgres",
        cluster.password(),
        cluster.port
    );
    let missing = std::env::temp_dir().join("schemabench-no-such-root.crt");
    for (query, says) in [
        ("sslmode=always", "sslmode=always: expected disable"),
        (
            &format!("sslmode=verify-full&sslrootcert={}", missing.display()),
            "schemabench-no-such-root.crt",
        ),
    ] {
        Command::cargo_bin("schemabench")
            .expect("binary")
            .args(["seed", "--database-url", &format!("{base}?{query}")])
            .arg(common::repo_path("scenarios/taleforge/scenario.toml"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains(cluster.password()).not());
    }
}

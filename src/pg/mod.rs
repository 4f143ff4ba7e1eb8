//! The PostgreSQL server schemabench works against: a throwaway embedded
//! cluster by default, or an external one given by URL, in which it only
//! ever touches databases it created itself.

pub mod catalog;
mod cgroup;
pub mod cluster;
pub mod database;
pub mod owner;
mod passfile;
pub mod statements;
pub mod tls;
pub mod unfinished;

use std::str::FromStr;

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

pub use cluster::{ClusterError, EmbeddedCluster};

/// The Supabase platform set-up applied to every database before
/// migrations, as the database's owner.
pub const SUPABASE_SQL: &str = include_str!("supabase.sql");
/// The platform's roles, cluster-wide, as the URL's user.
pub const SUPABASE_ROLES_SQL: &str = include_str!("supabase_roles.sql");
/// `pg_stat_statements` in a database, as the URL's user.
pub const SUPABASE_STATS_SQL: &str = include_str!("supabase_stats.sql");

/// Errors talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("invalid database URL ({})", redact_url(url))]
    BadUrl {
        url: String,
        source: tokio_postgres::Error,
    },
    #[error("cannot connect to {target}")]
    Connect {
        target: String,
        source: tokio_postgres::Error,
    },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("{context}: {}", describe_db_error(error))]
    Query {
        context: String,
        /// Described in the message, so not a `source` printed again.
        error: tokio_postgres::Error,
    },
    #[error(
        "refusing to touch database {name:?}: schemabench did not create it (its comment does not carry schemabench's marker)"
    )]
    NotOurs { name: String },
}

impl PgError {
    /// A connection string that does not parse or asks for TLS that
    /// cannot be set up is the user's to fix; the rest failed the run.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BadUrl { .. } | Self::Tls(_) => crate::results::exit::USAGE,
            _ => crate::results::exit::RUN_FAILED,
        }
    }
}

/// A server error's message with its detail, hint and SQLSTATE.
pub fn describe_db_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; {detail}"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            text
        }
        None => e.to_string(),
    }
}

/// Where in `sql` the server put its error, as ` at line L, column C`
/// (empty when it named no position): PostgreSQL counts characters from 1
/// over the whole string sent.
pub fn error_position(sql: &str, e: &tokio_postgres::Error) -> String {
    let Some(tokio_postgres::error::ErrorPosition::Original(at)) =
        e.as_db_error().and_then(|db| db.position())
    else {
        return String::new();
    };
    let before: Vec<char> = sql.chars().take((*at as usize).saturating_sub(1)).collect();
    let line = before.iter().filter(|&&c| c == '\n').count() + 1;
    let column = before.iter().rev().take_while(|&&c| c != '\n').count() + 1;
    format!(" at line {line}, column {column}")
}

/// Extension trait: attach what was being done to a query error.
pub trait QueryContext<T> {
    fn context_db(self, context: impl Into<String>) -> Result<T, PgError>;
}

impl<T> QueryContext<T> for Result<T, tokio_postgres::Error> {
    fn context_db(self, context: impl Into<String>) -> Result<T, PgError> {
        self.map_err(|error| PgError::Query {
            context: context.into(),
            error,
        })
    }
}

/// A URL with any password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<not a URL>".to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.split("password=").next().unwrap_or(url).to_owned();
    };
    let user = userinfo.split(':').next().unwrap_or_default();
    format!("{scheme}://{user}:***@{host}")
        .split("password=")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The server `url` names as libpq's environment (`PGHOST`, `PGPORT`,
/// `PGUSER`, `PGDATABASE`, `PGPASSWORD`, `PGSSLMODE`, `PGSSLROOTCERT`):
/// how a libpq tool (`pg_dump`) is pointed at it with nothing on its
/// command line, which every user of the machine can read. URLs and
/// key/value strings alike, parsed as every connection parses them.
pub fn libpq_environment(url: &str) -> Result<Vec<(&'static str, String)>, PgError> {
    let split = tls::split(url)?;
    let config = Config::from_str(&split.rest).map_err(|source| PgError::BadUrl {
        url: url.to_owned(),
        source,
    })?;
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    let mut env = vec![("PGSSLMODE", split.mode.name().to_owned())];
    for (key, value) in [
        ("PGHOST", (!hosts.is_empty()).then(|| hosts.join(","))),
        ("PGPORT", (!ports.is_empty()).then(|| ports.join(","))),
        ("PGUSER", config.get_user().map(str::to_owned)),
        ("PGDATABASE", config.get_dbname().map(str::to_owned)),
        (
            "PGPASSWORD",
            config
                .get_password()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
        ),
        (
            "PGSSLROOTCERT",
            split.root_cert.map(|p| p.display().to_string()),
        ),
    ] {
        env.extend(value.map(|v| (key, v)));
    }
    Ok(env)
}

/// A server to work in, and how to reach it.
pub struct Server {
    config: Config,
    /// TLS as the URL's `sslmode` and `sslrootcert` ask (none for a
    /// throwaway cluster, reached over its socket).
    tls: MakeRustlsConnect,
    /// Present when schemabench started the server itself.
    pub cluster: Option<EmbeddedCluster>,
    /// Who runs scenario SQL, decided on first need: a read-only use
    /// (`init --from-database`'s source) never creates a role.
    identity: tokio::sync::OnceCell<owner::Identity>,
}

impl Server {
    /// Starts a throwaway cluster when `url` is `None`.
    pub async fn open(url: Option<&str>) -> Result<Self, PgError> {
        Self::open_with(url, None).await
    }

    /// [`open`](Self::open); a throwaway cluster sized for `memory` bytes
    /// when given ([`EmbeddedCluster::start_with`]).
    pub async fn open_with(url: Option<&str>, memory: Option<u64>) -> Result<Self, PgError> {
        match url {
            Some(url) => {
                let split = tls::split(url)?;
                let mut config =
                    Config::from_str(&split.rest).map_err(|source| PgError::BadUrl {
                        url: url.to_owned(),
                        source,
                    })?;
                config.ssl_mode(split.mode.wire());
                passfile::fill_password(&mut config);
                let server = Self {
                    config,
                    tls: tls::connector(split.mode, split.root_cert.as_deref())?,
                    cluster: None,
                    identity: tokio::sync::OnceCell::new(),
                };
                unfinished::reach(
                    server.config_for(&server.maintenance_db()),
                    server.tls.clone(),
                    server.describe(),
                );
                Ok(server)
            }
            None => {
                let cluster =
                    tokio::task::spawn_blocking(move || EmbeddedCluster::start_with(memory))
                        .await
                        .map_err(|e| ClusterError::Step {
                            step: "starting the cluster",
                            detail: e.to_string(),
                        })??;
                let mut config = Config::new();
                config
                    .host_path(&cluster.socket_dir)
                    .port(cluster.port)
                    .user("postgres")
                    .password(cluster.password());
                config.ssl_mode(tls::SslMode::Disable.wire());
                let server = Self {
                    config,
                    tls: tls::connector(tls::SslMode::Disable, None)?,
                    cluster: Some(cluster),
                    identity: tokio::sync::OnceCell::new(),
                };
                server.admit_api_login().await?;
                Ok(server)
            }
        }
    }

    /// PostgREST logs in as `authenticator`: in a throwaway cluster that
    /// role is schemabench's (created here, as the Supabase set-up would)
    /// and shares the cluster's password, sent only as a SCRAM verifier.
    /// Only for clusters schemabench started: a real server's role is left
    /// as it is.
    pub async fn admit_api_login(&self) -> Result<(), PgError> {
        let password = self.config.get_password().unwrap_or_default();
        let verifier = postgres_protocol::password::scram_sha_256(password);
        let client = self.admin(&self.maintenance_db()).await?;
        client
            .batch_execute(&format!(
                "do $$ begin
                   if not exists (select from pg_roles where rolname = 'authenticator') then
                     create role authenticator login noinherit;
                     comment on role authenticator is 'schemabench: Supabase API role emulation';
                   end if;
                 end $$;
                 alter role authenticator password '{verifier}'"
            ))
            .await
            .context_db("admitting the API login role")
    }

    /// Where the server is, without credentials.
    pub fn describe(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let kind = if self.cluster.is_some() {
            "throwaway cluster"
        } else {
            "server"
        };
        format!(
            "{kind} {host}:{port} as {}",
            self.config.get_user().unwrap_or("(default user)")
        )
    }

    /// Connection settings for one database as the URL's user.
    pub fn config_for(&self, database: &str) -> Config {
        let mut config = self.config.clone();
        config.dbname(database);
        config.application_name("schemabench");
        config
    }

    /// Connection settings of PostgREST's login role `authenticator`. Its
    /// password, where the server needs one, comes from
    /// SCHEMABENCH_AUTHENTICATOR_PASSWORD (otherwise the URL's is tried).
    pub fn api_config(&self, database: &str) -> Config {
        let mut config = self.config_for(database);
        config
            .user("authenticator")
            .application_name("schemabench-api");
        if let Ok(password) = std::env::var("SCHEMABENCH_AUTHENTICATOR_PASSWORD") {
            config.password(password);
        }
        config
    }

    /// The maintenance database to create and drop databases from.
    pub fn maintenance_db(&self) -> String {
        self.config.get_dbname().unwrap_or("postgres").to_owned()
    }

    /// Opens one connection to `database` as the URL's user: for creating
    /// and dropping databases, roles, extensions and reading statistics,
    /// never for scenario SQL.
    pub async fn admin(&self, database: &str) -> Result<Client, PgError> {
        connect(&self.config_for(database), &self.tls, &self.describe()).await
    }

    /// Who runs scenario SQL here ([`owner::step_down`]), decided once.
    pub async fn identity(&self) -> Result<&owner::Identity, PgError> {
        self.identity
            .get_or_try_init(|| async {
                let admin = self.admin(&self.maintenance_db()).await?;
                owner::step_down(&admin, &self.config).await
            })
            .await
    }

    /// Connection settings for `database` as the role scenario SQL runs as
    /// (the workload's own connections).
    pub async fn owner_config(&self, database: &str) -> Result<Config, PgError> {
        Ok(match self.identity().await? {
            owner::Identity::SteppedDown { config, .. } => {
                let mut config = Config::clone(config);
                config.dbname(database).application_name("schemabench");
                config
            }
            _ => self.config_for(database),
        })
    }

    /// Opens one connection to `database` as the role scenario SQL runs as:
    /// migrations, candidates, seeding, the workload.
    pub async fn owner(&self, database: &str) -> Result<Client, PgError> {
        let config = self.owner_config(database).await?;
        let target = match config.get_user() {
            Some(user) if Some(user) != self.config.get_user() => {
                format!("{} (as {user})", self.describe())
            }
            _ => self.describe(),
        };
        connect(&config, &self.tls, &target).await
    }

    /// Opens one connection to `database` as the URL's user, trying again for up to `limit`
    /// while the server cannot be reached or is still starting: after a
    /// restart mid-run, a run waits for its server rather than giving up.
    pub async fn reconnect(
        &self,
        database: &str,
        limit: std::time::Duration,
    ) -> Result<Client, PgError> {
        let started = std::time::Instant::now();
        let mut said = false;
        loop {
            match self.admin(database).await {
                Ok(client) => return Ok(client),
                Err(e) if started.elapsed() >= limit => return Err(e),
                Err(e) => {
                    if !std::mem::replace(&mut said, true) {
                        eprintln!("{e}; waiting up to {} s for the server", limit.as_secs());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
        }
    }

    /// The TLS connector every connection to this server uses.
    pub fn tls(&self) -> &MakeRustlsConnect {
        &self.tls
    }
}

/// Connects and drives the connection on a background task.
async fn connect(
    config: &Config,
    tls: &MakeRustlsConnect,
    target: &str,
) -> Result<Client, PgError> {
    let (client, connection) =
        config
            .connect(tls.clone())
            .await
            .map_err(|source| PgError::Connect {
                target: target.to_owned(),
                source,
            })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("connection closed: {e}");
        }
    });
    Ok(client)
}

/// Double-quotes an identifier, schema-qualified names part by part.
pub fn quote_ident(name: &str) -> String {
    name.split('.')
        .map(|part| format!("\"{}\"", part.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_libpq_tool_gets_the_server_through_its_environment() {
        let env = |url: &str| -> Vec<(&str, String)> {
            let mut e = libpq_environment(url).expect("parses");
            e.sort();
            e
        };
        let own = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
            let mut e: Vec<_> = pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
            e.sort();
            e
        };
        assert_eq!(
            env(
                "postgres://me:s%40cret@db.example.com:6543/app?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem"
            ),
            own(&[
                ("PGDATABASE", "app"),
                ("PGHOST", "db.example.com"),
                ("PGPASSWORD", "s@cret"),
                ("PGPORT", "6543"),
                ("PGSSLMODE", "verify-full"),
                ("PGSSLROOTCERT", "/tmp/ca.pem"),
                ("PGUSER", "me"),
            ])
        );
        // A password as a URL parameter, and a quoted one with a space.
        assert!(env("postgres://ro@host/db?password=X").contains(&("PGPASSWORD", "X".to_owned())));
        assert!(
            env("host=db user=me password='a b' dbname=app")
                .contains(&("PGPASSWORD", "a b".to_owned()))
        );
        let e = libpq_environment("host=db password='unclosed").expect_err("bad");
        assert!(!e.to_string().contains("unclosed"), "{e}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://me:s3cret@db.example.com:5432/app"),
            "postgres://me:***@db.example.com:5432/app"
        );
        assert!(!redact_url("postgresql://u:p%40ss@h/db?sslmode=require").contains("p%40ss"));
        assert!(!redact_url("host=h password=hunter2").contains("hunter2"));
    }

    #[test]
    fn identifiers_are_quoted_per_part() {
        assert_eq!(quote_ident("auth.users"), "\"auth\".\"users\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }
}

//! `schemabench init`: a complete, commented scenario for a team's own
//! schema. From migrations: they are applied to a scratch database (after
//! the same Supabase set-up a run uses) and its catalog is read. From a
//! live database: its catalog and planner statistics are read in a
//! read-only session and its schema dumped (`pg_dump --schema-only`) as the
//! scenario's migration; no row leaves it. Either way the file is written
//! with a generator for every column, a `per` tree that keeps foreign keys
//! consistent, the acting users and one read per table, then loaded back
//! and validated, as `check` would.

mod catalog;
pub use catalog::LiveValues;
pub mod infer;
mod prove;
mod render;

use std::path::{Path, PathBuf};

use crate::pg::database::{self, Marker, SeedState};
use crate::pg::{PgError, Server};
use crate::scenario::{Migration, Scenario, ScenarioError};
use crate::seed::SeedError;

/// Why `init` could not write a scenario.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("--from-migrations {dir}: {problem}")]
    Migrations { dir: String, problem: String },
    #[error("cannot dump the schema of the source database: {0}")]
    Dump(String),
    #[error("{0} exists: give --force to replace it, or another --out")]
    Exists(String),
    #[error("cannot write {path}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("trying the inferred workload on a sample: {0}")]
    Trial(String),
    #[error(
        "the scenario init wrote does not validate (a bug in init; the file is kept to look at)"
    )]
    Invalid(#[source] ScenarioError),
}

impl InitError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Migrations { .. } | Self::Exists(_) | Self::Seed(_) => {
                crate::results::exit::USAGE
            }
            Self::Pg(e) => e.exit_code(),
            _ => crate::results::exit::RUN_FAILED,
        }
    }
}

/// Where the schema comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A folder of `*.sql` migrations, applied in name order.
    Migrations(PathBuf),
    /// A live database's URL: read, never written; its live values
    /// written into the scenario only as `live` allows.
    Database {
        url: String,
        live: catalog::LiveValues,
    },
}

/// The source's statements looked at, by their time (the catalog reads of
/// tools among them are passed over).
const STATEMENTS: i64 = 200;

/// Samples seeded and fixed before what still breaks becomes a TO DO.
const FIX_ROUNDS: usize = 16;

/// What to infer from and where to write.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub source: Source,
    /// The folder the scenario goes to (`scenario.toml` in it).
    pub out: PathBuf,
    pub name: String,
    /// Replace an existing `scenario.toml`.
    pub force: bool,
}

/// What `init` wrote.
#[derive(Debug)]
pub struct InitReport {
    pub file: PathBuf,
    pub scenario: Scenario,
    pub inferred: infer::Inferred,
}

/// The scenario name a folder suggests: `~/code/story-app/supabase/migrations`
/// gives `story_app`.
pub fn suggested_name(migrations: &Path) -> String {
    let absolute = std::fs::canonicalize(migrations).unwrap_or_else(|_| migrations.to_owned());
    let parts: Vec<String> = absolute
        .components()
        .filter_map(|c| c.as_os_str().to_str().map(str::to_owned))
        .collect();
    let pick = parts
        .iter()
        .rev()
        .find(|p| !["migrations", "supabase", "db", "sql", "schema"].contains(&p.as_str()))
        .cloned()
        .unwrap_or_else(|| "app".to_owned());
    let name = infer::identifier(&pick);
    match name.chars().next() {
        Some(c) if c.is_ascii_lowercase() => name,
        _ => format!("app_{name}"),
    }
}

/// Infers and writes the scenario; `server` holds the scratch database
/// when the source is migrations.
pub async fn init(server: &Server, options: &InitOptions) -> Result<InitReport, InitError> {
    let file = options.out.join("scenario.toml");
    if file.exists() && !options.force {
        return Err(InitError::Exists(file.display().to_string()));
    }
    let write_error = |source| InitError::Write {
        path: file.display().to_string(),
        source,
    };
    let (tables, claims, statements, migrations_dir, command) = match &options.source {
        Source::Migrations(dir) => {
            let migrations = read_migrations(dir)?;
            let (tables, claims) = read_schema(server, &options.name, &migrations).await?;
            std::fs::create_dir_all(&options.out).map_err(write_error)?;
            let command = format!("schemabench init --from-migrations {}", dir.display());
            (tables, claims, Vec::new(), dir.clone(), command)
        }
        Source::Database { url, live } => {
            let dir = options.out.join("migrations");
            let (tables, claims, statements) = read_live(url, &dir, *live).await?;
            let command = format!(
                "schemabench init --from-database {}",
                crate::pg::redact_url(url)
            );
            (tables, claims, statements, dir, command)
        }
    };
    let mut inferred = infer::infer(&tables, &statements, &claims);
    let entry = format!(
        "{}/*.sql",
        relative(&options.out, &migrations_dir).display()
    );
    let origin = render::Origin {
        name: &options.name,
        command: &command,
        migrations: &entry,
    };
    let write = |inferred: &infer::Inferred| -> Result<Scenario, InitError> {
        std::fs::write(&file, render::scenario(inferred, &origin)).map_err(write_error)?;
        Scenario::load(&file).map_err(InitError::Invalid)
    };
    let mut scenario = write(&inferred)?;
    // From migrations, a sample is seeded on the scratch server until it
    // goes in whole; a live source's file is not seeded anywhere.
    if matches!(options.source, Source::Migrations(_)) {
        let mut writes_allowed = true;
        for _ in 0..FIX_ROUNDS {
            let sampled = match prove::sample(server, &scenario).await {
                // A write init made that the server will not take (a type
                // it guessed wrong): the writes go, the reads are tried again.
                Err(InitError::Trial(why)) if inferred.queries.iter().any(|q| q.write) => {
                    writes_allowed = false;
                    inferred.queries.retain(|q| !q.write);
                    inferred
                        .unread
                        .push(format!("the inferred writes left out: {why}"));
                    scenario = write(&inferred)?;
                    continue;
                }
                other => other?,
            };
            let broken = match sampled {
                prove::Sample::Broken(broken) => broken,
                prove::Sample::Seeded { useless } => {
                    if !useless.is_empty() {
                        inferred
                            .queries
                            .retain(|q| !useless.iter().any(|(name, _)| *name == q.name));
                        inferred.unread.extend(
                            useless
                                .into_iter()
                                .map(|(name, why)| format!("query {name} left out: {why}")),
                        );
                        scenario = write(&inferred)?;
                    }
                    break;
                }
            };
            let fixed = prove::fix(server, &mut inferred, &tables, &broken).await;
            if fixed && writes_allowed {
                inferred.refresh_writes(&tables);
            } else {
                inferred.gaps.push(broken.to_do(&tables));
            }
            scenario = write(&inferred)?;
            if !fixed {
                break;
            }
        }
    }
    Ok(InitReport {
        file,
        scenario,
        inferred,
    })
}

/// Every `*.sql` file of `dir`, in name order, with its SQL.
fn read_migrations(dir: &Path) -> Result<Vec<Migration>, InitError> {
    let bad = |problem: String| InitError::Migrations {
        dir: dir.display().to_string(),
        problem,
    };
    let files = crate::scenario::migration_files(dir, Path::new("*.sql")).map_err(&bad)?;
    files
        .iter()
        .map(|path| {
            std::fs::read_to_string(path)
                .map(|sql| Migration {
                    path: path.clone(),
                    sql,
                })
                .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))
        })
        .collect()
}

/// CHECK rules across two columns, resolved by the server `client` is on.
async fn resolve_rules(
    client: &tokio_postgres::Client,
    tables: &mut [catalog::Table],
) -> Result<(), PgError> {
    for table in tables.iter_mut() {
        for (checks, by, values, column) in infer::rule_candidates(table) {
            let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
            if let Some(rule) =
                catalog::resolve_rule(client, table, &checks, &by, &values, &column).await?
            {
                table.rules.push(rule);
            }
        }
    }
    Ok(())
}

/// A live database's tables with their statistics, read in a read-only
/// session, and its schema dumped into `dir` as the scenario's migration.
async fn read_live(
    url: &str,
    dir: &Path,
    live: catalog::LiveValues,
) -> Result<
    (
        Vec<catalog::Table>,
        Vec<Vec<String>>,
        Vec<catalog::Statement>,
    ),
    InitError,
> {
    let source = Server::open(Some(url)).await?;
    let client = source.admin(&source.maintenance_db()).await?;
    // Every statement of this session is refused any write.
    client
        .batch_execute("set default_transaction_read_only = on")
        .await
        .map_err(|error| PgError::Query {
            context: "making the session read-only".to_owned(),
            error,
        })?;
    let mut tables = catalog::read(&client).await?;
    resolve_rules(&client, &mut tables).await?;
    catalog::read_statistics(&client, &mut tables, live).await?;
    let mut schemas: Vec<&str> = tables
        .iter()
        .filter(|t| t.name != "auth.users")
        .map(|t| t.name.split_once('.').map_or("public", |(s, _)| s))
        .collect();
    schemas.sort_unstable();
    schemas.dedup();
    std::fs::create_dir_all(dir).map_err(|e| InitError::Dump(format!("{}: {e}", dir.display())))?;
    dump_schema(url, &schemas, &dir.join("0001_schema.sql"))?;
    let statements = catalog::read_statements(&client, STATEMENTS).await?;
    let claims = catalog::jwt_claims(&client, &tables).await?;
    Ok((tables, claims, statements))
}

/// `pg_dump --schema-only` of `schemas` into `file`, the server (and its
/// password) through the environment rather than the command line.
fn dump_schema(url: &str, schemas: &[&str], file: &Path) -> Result<(), InitError> {
    let bin = crate::pg::cluster::find_server_binaries()
        .map_err(|e| InitError::Dump(e.to_string()))?
        .join("pg_dump");
    let environment =
        crate::pg::libpq_environment(url).map_err(|e| InitError::Dump(e.to_string()))?;
    let mut command = std::process::Command::new(&bin);
    command.envs(environment);
    command
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--no-publications",
            "--no-subscriptions",
            "--no-security-labels",
            "--no-tablespaces",
        ])
        .arg("--file")
        .arg(file);
    for schema in schemas {
        command.arg("--schema").arg(schema);
    }
    let output = command
        .output()
        .map_err(|e| InitError::Dump(format!("{}: {e}", bin.display())))?;
    if !output.status.success() {
        return Err(InitError::Dump(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    let dumped = std::fs::read_to_string(file)
        .map_err(|e| InitError::Dump(format!("{}: {e}", file.display())))?;
    std::fs::write(file, as_migration(&dumped))
        .map_err(|e| InitError::Dump(format!("{}: {e}", file.display())))
}

/// A schema dump as a migration applied after the Supabase set-up: psql's
/// meta-commands (`\restrict`) out, schemas created only where missing
/// (`public` always is), and the dump's session settings (an empty
/// search_path) undone at its end.
fn as_migration(dump: &str) -> String {
    let mut out: String = dump
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .map(|l| match l.strip_prefix("CREATE SCHEMA ") {
            Some(rest) if !rest.starts_with("IF NOT EXISTS") => {
                format!("CREATE SCHEMA IF NOT EXISTS {rest}\n")
            }
            _ => format!("{l}\n"),
        })
        .collect();
    out.push_str("\nRESET ALL;\n");
    out
}

/// The migrated schema's tables, read from a scratch database that is
/// dropped again whatever happens.
async fn read_schema(
    server: &Server,
    name: &str,
    migrations: &[Migration],
) -> Result<(Vec<catalog::Table>, Vec<Vec<String>>), InitError> {
    let admin = server.admin(&server.maintenance_db()).await?;
    let scratch = format!(
        "{}_init",
        database::data_db_name(name, &fingerprint(migrations))
    );
    let marker = Marker::scratch(name, fingerprint(migrations), SeedState::Seeding);
    let owner = server.identity().await?.owner_role();
    database::fresh(&admin, owner, &scratch, &marker, None).await?;
    let read = async {
        let client = server.owner(&scratch).await?;
        crate::seed::apply_schema(server, &scratch, &client, migrations).await?;
        let mut tables = catalog::read(&client).await?;
        resolve_rules(&client, &mut tables).await?;
        catalog::read_migrated(&client, &mut tables).await?;
        let claims = catalog::jwt_claims(&client, &tables).await?;
        Ok::<_, InitError>((tables, claims))
    }
    .await;
    database::drop_owned(&admin, &scratch).await?;
    read
}

fn fingerprint(migrations: &[Migration]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for m in migrations {
        m.sql.hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

/// `to` as seen from `from` (both folders): `../../supabase/migrations`.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let (Ok(from), Ok(to)) = (std::fs::canonicalize(from), std::fs::canonicalize(to)) else {
        return to.to_owned();
    };
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in from.components().skip(common) {
        out.push("..");
    }
    for part in to.components().skip(common) {
        out.push(part);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_becomes_a_migration() {
        let dump = "\\restrict abc\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE SCHEMA public;\nCREATE SCHEMA IF NOT EXISTS app;\nCREATE TABLE public.t (id int);\n\\unrestrict abc\n";
        assert_eq!(
            as_migration(dump),
            "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE SCHEMA IF NOT EXISTS public;\nCREATE SCHEMA IF NOT EXISTS app;\nCREATE TABLE public.t (id int);\n\nRESET ALL;\n"
        );
    }

    #[test]
    fn names_and_paths_come_from_the_folders() {
        assert_eq!(
            suggested_name(Path::new("/no/such/Story-App/supabase/migrations")),
            "story_app"
        );
        assert_eq!(suggested_name(Path::new("/9lives/db")), "app_9lives");
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("scenarios/mine");
        let migrations = dir.path().join("app/supabase/migrations");
        std::fs::create_dir_all(&out).expect("out");
        std::fs::create_dir_all(&migrations).expect("migrations");
        assert_eq!(
            relative(&out, &migrations),
            PathBuf::from("../../app/supabase/migrations")
        );
    }
}

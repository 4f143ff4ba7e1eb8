//! `schemabench init`: a complete, commented scenario for a team's own
//! schema. The migrations are applied to a scratch database (after the same
//! Supabase set-up a run uses), the catalog is read, and the file is
//! written with a generator for every column, a `per` tree that keeps
//! foreign keys consistent, the acting users and one read per table; then it
//! is loaded back and validated, as `check` would.

mod catalog;
pub mod infer;
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

/// What to infer from and where to write.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// A folder of `*.sql` migrations, applied in name order.
    pub migrations: PathBuf,
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
    let name: String = pick
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    match name.chars().next() {
        Some(c) if c.is_ascii_lowercase() => name,
        _ => format!("app_{name}"),
    }
}

/// Infers and writes the scenario.
pub async fn init(server: &Server, options: &InitOptions) -> Result<InitReport, InitError> {
    let bad = |problem: String| InitError::Migrations {
        dir: options.migrations.display().to_string(),
        problem,
    };
    let files =
        crate::scenario::migration_files(&options.migrations, Path::new("*.sql")).map_err(&bad)?;
    let migrations = files
        .iter()
        .map(|path| {
            std::fs::read_to_string(path)
                .map(|sql| Migration {
                    path: path.clone(),
                    sql,
                })
                .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let file = options.out.join("scenario.toml");
    if file.exists() && !options.force {
        return Err(InitError::Exists(file.display().to_string()));
    }
    let tables = read_schema(server, &options.name, &migrations).await?;
    let inferred = infer::infer(&tables);
    let write_error = |source| InitError::Write {
        path: file.display().to_string(),
        source,
    };
    std::fs::create_dir_all(&options.out).map_err(write_error)?;
    let entry = format!(
        "{}/*.sql",
        relative(&options.out, &options.migrations).display()
    );
    let command = format!(
        "schemabench init --from-migrations {}",
        options.migrations.display()
    );
    let text = render::scenario(
        &inferred,
        &render::Origin {
            name: &options.name,
            command: &command,
            migrations: &entry,
        },
    );
    std::fs::write(&file, text).map_err(write_error)?;
    let scenario = Scenario::load(&file).map_err(InitError::Invalid)?;
    Ok(InitReport {
        file,
        scenario,
        inferred,
    })
}

/// The migrated schema's tables, read from a scratch database that is
/// dropped again whatever happens.
async fn read_schema(
    server: &Server,
    name: &str,
    migrations: &[Migration],
) -> Result<Vec<catalog::Table>, InitError> {
    let admin = server.connect(&server.maintenance_db()).await?;
    let scratch = format!(
        "{}_init",
        database::data_db_name(name, &fingerprint(migrations))
    );
    database::drop_owned(&admin, &scratch).await?;
    let marker = Marker {
        scenario: name.to_owned(),
        fingerprint: fingerprint(migrations),
        seed: 0,
        scale: 0.0,
        state: SeedState::Seeding,
        rows: 0,
    };
    database::create(&admin, &scratch, &marker, None).await?;
    let read = async {
        let client = server.connect(&scratch).await?;
        crate::seed::apply_schema(&client, migrations).await?;
        let mut tables = catalog::read(&client).await?;
        for table in &mut tables {
            for (checks, by, values, column) in infer::rule_candidates(table) {
                let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
                if let Some(rule) =
                    catalog::resolve_rule(&client, table, &checks, &by, &values, &column).await?
                {
                    table.rules.push(rule);
                }
            }
        }
        Ok::<_, InitError>(tables)
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

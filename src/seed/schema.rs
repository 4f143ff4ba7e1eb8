//! A database's schema: the Supabase platform stand-in, then the scenario's
//! migrations, each file one transaction of statements as the Supabase CLI
//! applies it, so an error names the file, line and column of its statement.
//! The database's owner runs them ([`crate::pg::owner`]); the URL's user
//! only makes the platform's roles, statement statistics and extensions.

use std::borrow::Cow;

use tokio_postgres::Client;

use super::SeedError;
use crate::pg::owner::{self, Identity};
use crate::pg::statements::{self, Statement};
use crate::pg::{QueryContext, SUPABASE_ROLES_SQL, SUPABASE_SQL, SUPABASE_STATS_SQL, Server};
use crate::scenario::Migration;

/// Extensions the platform stand-in replaces with schemas of its own
/// (they record calls instead of making them): a migration's
/// `create extension` of one of them is passed over where the server
/// lacks it.
const STAND_INS: &[(&str, &str)] = &[
    ("pg_net", "net"),
    ("pg_cron", "cron"),
    ("supabase_vault", "vault"),
    ("pg_graphql", "graphql"),
    // Named by `supabase db dump` of older projects, used by no app table.
    ("pgsodium", "pgsodium"),
    ("pgjwt", "extensions"),
];

/// Debian's package for an extension Supabase offers, where Debian has one.
const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("postgis", "postgresql-15-postgis-3"),
    ("postgis_topology", "postgresql-15-postgis-3"),
    ("pgrouting", "postgresql-15-pgrouting"),
    ("pg_partman", "postgresql-15-partman"),
    ("pg_repack", "postgresql-15-repack"),
    ("rum", "postgresql-15-rum"),
    ("hypopg", "postgresql-15-hypopg"),
    ("plpgsql_check", "postgresql-15-plpgsql-check"),
    ("pgtap", "postgresql-15-pgtap"),
    ("orafce", "postgresql-15-orafce"),
];

/// First words of statements that move rows rather than make the schema.
const DATA_STEPS: &[&str] = &["do", "insert", "update", "delete", "select", "with"];

/// The Supabase platform set-up, then the scenario's migrations in order,
/// into `database`; `client` is a connection to it as its owner.
pub async fn apply_schema(
    server: &Server,
    database: &str,
    client: &Client,
    migrations: &[Migration],
) -> Result<(), SeedError> {
    let identity = server.identity().await?;
    let admin = server.admin(database).await?;
    platform(&admin, SUPABASE_ROLES_SQL).await?;
    if identity.owner_role().is_some() {
        owner::join_platform_roles(&admin).await?;
    }
    platform(client, SUPABASE_SQL).await?;
    platform(&admin, SUPABASE_STATS_SQL).await?;
    let on = On {
        owner: client,
        admin: &admin,
        identity,
    };
    for migration in migrations {
        apply(&on, migration).await?;
    }
    Ok(())
}

/// One part of the built-in Supabase set-up.
async fn platform(client: &Client, sql: &str) -> Result<(), SeedError> {
    client
        .batch_execute(sql)
        .await
        .map_err(|error| SeedError::Migration {
            file: "(built-in Supabase set-up)".to_owned(),
            at: crate::pg::error_position(sql, &error),
            hint: String::new(),
            error,
        })
}

/// The connections a migration's statements run on.
struct On<'a> {
    owner: &'a Client,
    admin: &'a Client,
    identity: &'a Identity,
}

/// Where one statement of a migration runs, once the owner runs them.
#[derive(Debug, PartialEq)]
enum Runs<'a> {
    /// As the database's owner, this text.
    AsOwner(Cow<'a, str>),
    /// As the URL's user: `create extension` (supautils lets a Supabase
    /// project's `postgres` create any extension the platform offers).
    AsAdmin,
    /// Not at all: `ALTER ... OWNER TO` the superuser of a dump gives what
    /// the owner already has.
    PassedOver,
}

/// How a statement written for a superuser `admin` (a dump's `postgres`)
/// runs as the owner: ownership handed to `admin` stays with the owner,
/// default privileges `FOR ROLE admin` become the owner's own.
fn runs<'a>(statement: &'a Statement, admin: Option<&str>) -> Runs<'a> {
    let Some(admin) = admin else {
        return Runs::AsOwner(Cow::Borrowed(&statement.sql));
    };
    if statement.starts_with(&["create", "extension"]) {
        return Runs::AsAdmin;
    }
    let owner_to = (1..statement.word_count())
        .rev()
        .find(|&k| statement.word(k) == Some("owner") && statement.word(k + 1) == Some("to"));
    if statement.starts_with(&["alter"])
        && let Some(k) = owner_to
        && statement
            .name_after(k + 1)
            .is_some_and(|(name, end)| name == admin && statement.sql[end..].trim().is_empty())
    {
        return Runs::PassedOver;
    }
    if statement.starts_with(&["alter", "default", "privileges", "for"])
        && matches!(statement.word(4), Some("role" | "user"))
        && let (Some(from), Some((name, end))) = (statement.word_offset(3), statement.name_after(4))
        && name == admin
        && !statement.sql[end..].trim_start().starts_with(',')
    {
        let sql = format!(
            "{}{}",
            &statement.sql[..from],
            statement.sql[end..].trim_start()
        );
        return Runs::AsOwner(Cow::Owned(sql));
    }
    Runs::AsOwner(Cow::Borrowed(&statement.sql))
}

/// One migration file: its statements in one transaction.
async fn apply(on: &On<'_>, migration: &Migration) -> Result<(), SeedError> {
    let client = on.owner;
    let admin_user = match on.identity {
        Identity::SteppedDown { admin, .. } => Some(admin.as_str()),
        _ => None,
    };
    let file = migration.path.display().to_string();
    let found = statements::split(&migration.sql).map_err(|e| SeedError::MigrationText {
        file: file.clone(),
        problem: e.to_string(),
    })?;
    client
        .batch_execute("begin")
        .await
        .context_db("starting a migration's transaction")?;
    for statement in &found {
        if let Some(name) = created_extension(statement)
            && !available(client, &name).await?
        {
            if STAND_INS.iter().any(|(e, _)| *e == name) {
                continue;
            }
            return Err(SeedError::Extension {
                file,
                line: statement.line,
                remedy: remedy(&name),
                name,
            });
        }
        // A data step may refuse an empty database ("no profiles found,
        // sign up a user first"): the schema is what is wanted before the
        // rows are seeded, so such a step is passed over, and said.
        let data_step = DATA_STEPS.iter().any(|w| statement.starts_with(&[w]));
        if data_step {
            client
                .batch_execute("savepoint schemabench_data_step")
                .await
                .context_db("marking a data step of a migration")?;
        }
        let ran = match runs(statement, admin_user) {
            Runs::PassedOver => {
                tracing::debug!(
                    "{file}:{}: ownership stays with {}",
                    statement.line,
                    owner::OWNER_ROLE
                );
                continue;
            }
            Runs::AsAdmin => on.admin.batch_execute(&statement.sql).await,
            Runs::AsOwner(sql) => client.batch_execute(&sql).await,
        };
        let refused_empty = ran.as_ref().err().and_then(|e| e.code()).is_some_and(|c| {
            *c == tokio_postgres::error::SqlState::RAISE_EXCEPTION
                || *c == tokio_postgres::error::SqlState::NO_DATA_FOUND
        });
        if data_step && refused_empty {
            let reason = ran
                .as_ref()
                .err()
                .and_then(|e| e.as_db_error())
                .map(|db| db.message().to_owned())
                .unwrap_or_default();
            client
                .batch_execute("rollback to savepoint schemabench_data_step")
                .await
                .context_db("passing over a data step of a migration")?;
            tracing::warn!(
                "{file}:{}: passed over a data step that refused the empty database before seeding ({reason})",
                statement.line
            );
            continue;
        }
        if let Err(error) = ran {
            let at = error.as_db_error().and_then(|db| match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(p)) => {
                    Some((*p as usize).saturating_sub(1))
                }
                _ => None,
            });
            let byte = statement.start + at.unwrap_or(0);
            let (line, column) = statements::line_and_column(&migration.sql, byte);
            let syntax = error.code() == Some(&tokio_postgres::error::SqlState::SYNTAX_ERROR);
            let hint = at
                .filter(|_| syntax)
                .and_then(|at| statements::missing_semicolon(&migration.sql, statement, at))
                .or_else(|| on.identity.refusal(&error))
                .map(|h| format!("; {h}"))
                .unwrap_or_default();
            return Err(SeedError::Migration {
                file: format!("{file}:{line}:{column}"),
                at: String::new(),
                hint,
                error,
            });
        }
    }
    client
        .batch_execute("commit")
        .await
        .map_err(|error| SeedError::Migration {
            file: file.clone(),
            at: " at its end (commit)".to_owned(),
            hint: String::new(),
            error,
        })?;
    // A dump's session settings (`set_config('search_path', '', false)`)
    // end with its file: the next migration starts from the platform's.
    client
        .batch_execute(r#"reset all; set search_path = "$user", public, extensions"#)
        .await
        .context_db(format!("resetting the session after {file}"))?;
    Ok(())
}

/// The extension a `create extension [if not exists] NAME` statement makes.
fn created_extension(statement: &Statement) -> Option<String> {
    if !statement.starts_with(&["create", "extension"]) {
        return None;
    }
    let rest = &statement.sql[statement.word_offset(1)? + "extension".len()..];
    let rest = rest.trim_start();
    let rest = match rest.get(..13) {
        Some(head) if head.eq_ignore_ascii_case("if not exists") => rest[13..].trim_start(),
        _ => rest,
    };
    let name = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?.to_owned(),
        None => rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase(),
    };
    (!name.is_empty()).then_some(name)
}

async fn available(client: &Client, name: &str) -> Result<bool, SeedError> {
    Ok(client
        .query_one(
            "select exists (select from pg_available_extensions where name = $1)",
            &[&name],
        )
        .await
        .context_db("looking up the server's extensions")?
        .get(0))
}

/// How to get an extension this server lacks.
fn remedy(name: &str) -> String {
    const ELSEWHERE: &str = "give --database-url of a server that has it, such as the supabase/postgres image docker/compose.yaml pins";
    match DEBIAN_PACKAGES.iter().find(|(e, _)| *e == name) {
        Some((_, package)) => {
            format!("install Debian's {package} (apt-get install {package}), or {ELSEWHERE}")
        }
        None => format!("Debian has no package for it: {ELSEWHERE}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump written by `postgres` (a superuser here) runs as the owner:
    /// what hands ownership to it is passed over, its default privileges
    /// become the owner's; other roles and lists are left as written.
    #[test]
    fn a_superusers_dump_runs_as_the_owner() {
        let sql = r#"ALTER TABLE "public"."notes" OWNER TO "postgres";
alter function public.f() owner to postgres;
ALTER TABLE public.t OWNER TO supabase_admin;
ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "public" GRANT ALL ON TABLES TO "anon";
alter default privileges for role postgres, supabase_admin grant all on tables to anon;
create extension if not exists pg_trgm;
alter table t alter column owner type text;
"#;
        let found = statements::split(sql).expect("split");
        let ran: Vec<Runs> = found.iter().map(|s| runs(s, Some("postgres"))).collect();
        assert_eq!(
            ran,
            [
                Runs::PassedOver,
                Runs::PassedOver,
                Runs::AsOwner(found[2].sql.as_str().into()),
                Runs::AsOwner(
                    r#"ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT ALL ON TABLES TO "anon""#
                        .into()
                ),
                Runs::AsOwner(found[4].sql.as_str().into()),
                Runs::AsAdmin,
                Runs::AsOwner(found[6].sql.as_str().into()),
            ]
        );
        // Not stepped down: everything as written, on one connection.
        assert!(
            found
                .iter()
                .all(|s| runs(s, None) == Runs::AsOwner(s.sql.as_str().into()))
        );
    }

    #[test]
    fn created_extensions_are_named_however_written() {
        let names: Vec<Option<String>> = [
            "create extension if not exists \"uuid-ossp\" with schema extensions",
            "CREATE EXTENSION vector",
            "create extension IF NOT EXISTS pg_net schema extensions",
            "create table extension (id int)",
        ]
        .iter()
        .map(|sql| {
            let found = statements::split(sql).expect("splits");
            created_extension(&found[0])
        })
        .collect();
        assert_eq!(
            names,
            [
                Some("uuid-ossp".to_owned()),
                Some("vector".to_owned()),
                Some("pg_net".to_owned()),
                None
            ]
        );
        assert!(remedy("postgis").contains("apt-get install postgresql-15-postgis-3"));
        assert!(remedy("vector").contains("supabase/postgres"));
    }
}

//! Databases schemabench owns: named `schemabench_…` and marked by a COMMENT
//! that records what they hold. Nothing without the marker is ever dropped
//! or changed.

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::{PgError, QueryContext, quote_ident};

/// Prefix of every database name schemabench creates.
pub const NAME_PREFIX: &str = "schemabench_";
/// Prefix of the COMMENT that marks a database as schemabench's.
const MARKER_PREFIX: &str = "schemabench:";

/// Whether a database finished seeding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedState {
    Seeding,
    Ready,
}

/// What a schemabench database holds, kept in its COMMENT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub scenario: String,
    pub fingerprint: String,
    pub seed: u64,
    pub scale: f64,
    pub state: SeedState,
    pub rows: u64,
}

impl Marker {
    /// A database a step makes for itself (a scratch schema, a candidate's
    /// copy, a shards' board), not seeded data: what made it, for which
    /// data if any, and whether it is ready.
    pub fn scratch(
        made_by: impl Into<String>,
        fingerprint: impl Into<String>,
        state: SeedState,
    ) -> Self {
        Self {
            scenario: made_by.into(),
            fingerprint: fingerprint.into(),
            seed: 0,
            scale: 0.0,
            state,
            rows: 0,
        }
    }
}

/// A database's presence as seen from the server.
#[derive(Debug, PartialEq)]
pub enum Found {
    Missing,
    /// Exists but carries no schemabench marker: hands off.
    NotOurs,
    Ours(Marker),
}

/// The data database name for a scenario and data fingerprint.
pub fn data_db_name(scenario: &str, fingerprint: &str) -> String {
    let short: String = fingerprint.chars().take(12).collect();
    let scenario: String = scenario.chars().take(30).collect();
    format!("{NAME_PREFIX}{scenario}_{short}")
}

/// Looks a database up and reads its marker.
pub async fn find(admin: &Client, name: &str) -> Result<Found, PgError> {
    let row = admin
        .query_opt(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = $1",
            &[&name],
        )
        .await
        .context_db(format!("looking up database {name}"))?;
    Ok(match row {
        None => Found::Missing,
        Some(row) => {
            let comment: Option<String> = row.get(0);
            match comment
                .as_deref()
                .and_then(|c| c.strip_prefix(MARKER_PREFIX))
                .and_then(|json| serde_json::from_str::<Marker>(json).ok())
            {
                Some(marker) if name.starts_with(NAME_PREFIX) => Found::Ours(marker),
                _ => Found::NotOurs,
            }
        }
    })
}

/// Creates a new database and marks it as schemabench's.
/// `name` made afresh: whatever of ours had the name is dropped first
/// (what is not ours is never touched: `create` then fails on it), then
/// it is created, marked, from `template` or empty.
pub async fn fresh(
    admin: &Client,
    owner: Option<&str>,
    name: &str,
    marker: &Marker,
    template: Option<&str>,
) -> Result<(), PgError> {
    drop_owned(admin, name).await?;
    create(admin, owner, name, marker, template).await
}

/// Creates a database of ours, owned by `owner` (the role scenario SQL
/// runs as, [`super::owner`]) or else the URL's user.
pub async fn create(
    admin: &Client,
    owner: Option<&str>,
    name: &str,
    marker: &Marker,
    template: Option<&str>,
) -> Result<(), PgError> {
    debug_assert!(name.starts_with(NAME_PREFIX));
    let template = match template {
        Some(t) => format!(
            " template {}{}",
            quote_ident(t),
            copy_strategy(admin).await?
        ),
        None => String::new(),
    };
    let owner = owner
        .map(|o| format!(" owner {}", quote_ident(o)))
        .unwrap_or_default();
    admin
        .batch_execute(&format!(
            "create database {}{template}{owner}",
            quote_ident(name)
        ))
        .await
        .context_db(format!("creating database {name}"))?;
    super::unfinished::started(name);
    set_marker(admin, name, marker).await
}

/// How a copy of a template is made: by its files after a checkpoint
/// (`FILE_COPY`) where the server offers the choice (PostgreSQL 15 on),
/// not block by block through the WAL (`WAL_LOG`, 15's default), which
/// writes the whole copy twice, to the WAL and at the next checkpoint:
/// TaleForge's seeded data copied in 0.92 s against 1.85 s at scale 1
/// (0.62 GB, five interleaved pairs) and 6.8 s against 16.7 s at scale 10
/// (6.0 GB, three), the next checkpoint included (`benches/copies.py`).
async fn copy_strategy(admin: &Client) -> Result<&'static str, PgError> {
    let version: i32 = admin
        .query_one("select current_setting('server_version_num')::int", &[])
        .await
        .context_db("reading the server's version")?
        .get(0);
    Ok(if version >= 150_000 {
        " strategy file_copy"
    } else {
        ""
    })
}

/// The role that owns a database.
pub async fn owner_of(admin: &Client, name: &str) -> Result<String, PgError> {
    Ok(admin
        .query_one(
            "select pg_get_userbyid(datdba)::text from pg_database where datname = $1",
            &[&name],
        )
        .await
        .context_db(format!("looking up database {name}'s owner"))?
        .get(0))
}

/// Rewrites the marker of a database schemabench created.
pub async fn set_marker(admin: &Client, name: &str, marker: &Marker) -> Result<(), PgError> {
    let json = serde_json::to_string(marker).unwrap_or_default();
    let comment = format!("{MARKER_PREFIX}{json}").replace('\'', "''");
    admin
        .batch_execute(&format!(
            "comment on database {} is '{comment}'",
            quote_ident(name)
        ))
        .await
        .context_db(format!("marking database {name}"))
}

/// Waits until no other schemabench session holds `what` on this server,
/// then holds it for as long as `client` stays open: two processes that
/// seed, or run, the same scenario on one server take turns instead of
/// dropping each other's databases. Says so when it has to wait.
pub async fn take_turn(client: &Client, what: &str) -> Result<(), PgError> {
    let key = format!("schemabench {what}");
    let free: bool = client
        .query_one("select pg_try_advisory_lock(hashtext($1))", &[&key])
        .await
        .context_db(format!("locking {what}"))?
        .get(0);
    if !free {
        eprintln!("another schemabench is busy with {what} on this server; waiting for it");
        client
            .execute("select pg_advisory_lock(hashtext($1))", &[&key])
            .await
            .context_db(format!("waiting for {what}"))?;
    }
    Ok(())
}

/// Drops a database, only if it carries schemabench's marker.
pub async fn drop_owned(admin: &Client, name: &str) -> Result<(), PgError> {
    match find(admin, name).await? {
        Found::Missing => Ok(()),
        Found::NotOurs => Err(PgError::NotOurs {
            name: name.to_owned(),
        }),
        Found::Ours(_) => {
            admin
                .batch_execute(&format!("drop database {} with (force)", quote_ident(name)))
                .await
                .context_db(format!("dropping database {name}"))?;
            super::unfinished::finished(name);
            Ok(())
        }
    }
}

/// Drops every unfinished database ([`super::unfinished`]) on the existing
/// server, as far as it can be reached; what cannot be dropped the next
/// run of the scenario reclaims by its marker.
pub async fn drop_unfinished() {
    let Some((config, tls, described, names)) = super::unfinished::take() else {
        return;
    };
    let Ok(admin) = super::connect(&config, &tls, &described).await else {
        return;
    };
    for name in names {
        if drop_owned(&admin, &name).await.is_ok() {
            eprintln!("dropped {name}, which this run had not finished");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_prefix_and_stay_within_postgres_limits() {
        let name = data_db_name(&"x".repeat(80), "0123456789abcdef");
        assert!(name.starts_with(NAME_PREFIX));
        assert!(name.len() <= 63);
    }
}

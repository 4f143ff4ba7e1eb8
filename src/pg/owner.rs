//! Least privilege for scenario SQL. On a superuser's connection (the
//! throwaway cluster's `postgres`, or a URL naming a superuser) schemabench
//! steps down: the databases it creates belong to `schemabench_owner`, a
//! login role with no superuser, role or database creation rights, and
//! migrations, candidates, seeding and the workload run as it. That is how
//! Supabase runs a project's SQL (its `postgres` role is no superuser), and
//! a scenario's `COPY ... TO PROGRAM`, `ALTER SYSTEM` or `DROP DATABASE`
//! of someone else's database fails instead of running. What only a
//! superuser may do (cluster-wide roles, `pg_stat_statements`, extensions
//! not marked trusted, statistics) stays on the URL's connection.
//!
//! The role's password is derived from the URL's, so every schemabench
//! process given the same URL logs in with the same one (shards, parallel
//! runs) and no secret is stored anywhere; the server keeps only a SCRAM
//! verifier of it.

use sha2::{Digest, Sha256};
use tokio_postgres::{Client, Config};

use super::{PgError, QueryContext};

/// The role scenario SQL runs as when the URL's user is a superuser.
pub const OWNER_ROLE: &str = "schemabench_owner";

/// Serialises changes to the owner role between schemabench processes on
/// one server: two sessions altering one role's catalog row at once fail
/// with "tuple concurrently updated".
const ROLE_LOCK: i64 = 0x5343_4845_4d41_4f57;

/// Who runs what on a server, decided once per process.
#[derive(Debug, Clone)]
pub enum Identity {
    /// The URL's user (`admin`) is a superuser: scenario SQL runs as
    /// [`OWNER_ROLE`], logged in with `config`.
    SteppedDown { config: Box<Config>, admin: String },
    /// The URL's user is no superuser (a Supabase project's `postgres`):
    /// it already is the least privilege that works, and runs everything.
    AsIs { user: String },
    /// A superuser given without a password: there is nothing to derive
    /// the owner's from, so scenario SQL runs as the superuser (said).
    Superuser { user: String },
}

impl Identity {
    /// The role that owns the databases schemabench creates, when not the
    /// URL's user.
    pub fn owner_role(&self) -> Option<&'static str> {
        matches!(self, Self::SteppedDown { .. }).then_some(OWNER_ROLE)
    }

    /// Why the server refused a scenario statement, where that is the
    /// stepping down: said beside the statement's file and line.
    pub fn refusal(&self, error: &tokio_postgres::Error) -> Option<String> {
        let refused =
            error.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE);
        (refused && matches!(self, Self::SteppedDown { .. })).then(|| {
            format!(
                "scenario SQL runs as {OWNER_ROLE}, which is no superuser (nor is a Supabase project's postgres): what needs more is not done on anyone's server"
            )
        })
    }

    /// A line for the run's output: what runs as whom.
    pub fn describe(&self) -> String {
        match self {
            Self::SteppedDown { admin, .. } => format!(
                "scenario SQL (migrations, candidates, seeding, queries) runs as {OWNER_ROLE} (no superuser); roles, extensions and statistics as {admin}"
            ),
            Self::AsIs { user } => {
                format!("scenario SQL runs as {user}, which is no superuser")
            }
            Self::Superuser { user } => format!(
                "scenario SQL runs as {user}, a superuser: the URL gives no password to derive {OWNER_ROLE}'s from"
            ),
        }
    }
}

/// Runs a script's `create extension` statements on `admin` (the URL's
/// user) when schemabench stepped down, and returns the rest for the owner
/// with those statements blanked out, so the server's error positions in
/// it still point into the text as written.
pub async fn extensions_first<'a>(
    identity: &Identity,
    admin: &Client,
    sql: &'a str,
) -> Result<std::borrow::Cow<'a, str>, tokio_postgres::Error> {
    let found = match (identity, super::statements::split(sql)) {
        (Identity::SteppedDown { .. }, Ok(found)) => found,
        // Unreadable SQL goes to the server as written, which says why.
        _ => return Ok(sql.into()),
    };
    let mut rest = sql.to_owned();
    for statement in found
        .iter()
        .filter(|s| s.starts_with(&["create", "extension"]))
    {
        admin.batch_execute(&statement.sql).await?;
        let blank: String = statement
            .sql
            .chars()
            .map(|c| if c == '\n' { c } else { ' ' })
            .collect();
        rest.replace_range(
            statement.start..statement.start + statement.sql.len(),
            &blank,
        );
    }
    Ok(rest.into())
}

/// The owner's password: a digest of the URL's, never stored or shown.
fn derived_password(admin_password: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"schemabench_owner\0");
    hash.update(admin_password);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Decides who runs scenario SQL, creating or updating the owner role where
/// the URL's user is a superuser. A role of that name schemabench did not
/// create (no `schemabench:` comment) is refused, never altered.
pub async fn step_down(admin: &Client, config: &Config) -> Result<Identity, PgError> {
    let row = admin
        .query_one(
            "select current_user::text, rolsuper from pg_roles where rolname = current_user",
            &[],
        )
        .await
        .context_db("reading the URL's role")?;
    let (user, superuser): (String, bool) = (row.get(0), row.get(1));
    if !superuser {
        return Ok(Identity::AsIs { user });
    }
    let Some(password) = config.get_password() else {
        return Ok(Identity::Superuser { user });
    };
    let derived = derived_password(password);
    let verifier = postgres_protocol::password::scram_sha_256(derived.as_bytes());
    let comment: Option<Option<String>> = admin
        .query_opt(
            "select shobj_description(oid, 'pg_authid') from pg_roles where rolname = $1",
            &[&OWNER_ROLE],
        )
        .await
        .context_db("looking up schemabench's owner role")?
        .map(|r| r.get(0));
    if let Some(comment) = comment
        && !comment.is_some_and(|c| c.starts_with("schemabench:"))
    {
        return Err(PgError::NotOurs {
            name: format!("role {OWNER_ROLE}"),
        });
    }
    admin
        .batch_execute(&format!(
            "begin;
             select pg_advisory_xact_lock({ROLE_LOCK});
             do $owner$ begin
               if not exists (select from pg_roles where rolname = '{OWNER_ROLE}') then
                 create role {OWNER_ROLE} login nosuperuser nocreatedb nocreaterole noreplication bypassrls;
                 comment on role {OWNER_ROLE} is 'schemabench: owns the databases schemabench creates; scenario SQL runs as it';
               end if;
             end $owner$;
             alter role {OWNER_ROLE} login nosuperuser nocreatedb nocreaterole noreplication bypassrls password '{verifier}';
             commit"
        ))
        .await
        .context_db(format!("creating the role {OWNER_ROLE}"))?;
    let mut owner = config.clone();
    owner.user(OWNER_ROLE).password(derived);
    Ok(Identity::SteppedDown {
        config: Box::new(owner),
        admin: user,
    })
}

/// Lets the owner act as the Supabase roles schemabench created (as a
/// project's `postgres` may: `set role authenticated`, default privileges
/// for `supabase_admin`). Roles it did not create, or superusers, never.
/// Set-ups of several databases run at once (an advisory lock is per
/// database and would not order them): a grant another process made at
/// the same moment is taken as done.
pub async fn join_platform_roles(admin: &Client) -> Result<(), PgError> {
    admin
        .batch_execute(&format!(
            "do $join$
             declare r record;
             begin
               for r in
                 select g.rolname from pg_roles g
                   join pg_shdescription d on d.objoid = g.oid and d.classoid = 'pg_authid'::regclass
                  where d.description like 'schemabench:%' and not g.rolsuper and g.rolname <> '{OWNER_ROLE}'
                    and not pg_has_role('{OWNER_ROLE}', g.oid, 'member')
               loop
                 begin
                   execute format('grant %I to {OWNER_ROLE}', r.rolname);
                 exception when unique_violation or duplicate_object then
                   null; -- granted by another schemabench at the same moment
                 end;
               end loop;
             end $join$"
        ))
        .await
        .context_db(format!("letting {OWNER_ROLE} act as the API roles"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owners_password_is_a_stable_digest_of_the_urls() {
        let a = derived_password(b"secret");
        assert_eq!(a, derived_password(b"secret"));
        assert_ne!(a, derived_password(b"secret2"));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("secret"));
    }
}

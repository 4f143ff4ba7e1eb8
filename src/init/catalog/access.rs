//! What the signed-in user may do and who they are to the app's policies:
//! grants and policies per command, the JWT claims policies read, and
//! columns tied to the user without a foreign key.

use tokio_postgres::Client;

use super::{ForeignKey, PLATFORM_SCHEMAS, Table};
use crate::pg::{PgError, QueryContext};

/// The JWT claim paths the app's policies and functions read
/// (`auth.jwt() -> 'app_metadata' ->> 'org_id'` is `[app_metadata, org_id]`).
pub async fn jwt_claims(client: &Client, tables: &[Table]) -> Result<Vec<Vec<String>>, PgError> {
    let functions = client
        .query(
            "select p.prosrc from pg_proc p join pg_namespace n on n.oid = p.pronamespace
              where n.nspname <> all($1) and n.nspname not like 'pg\\_%'",
            &[&PLATFORM_SCHEMAS],
        )
        .await
        .context_db("reading the app's functions")?;
    let texts = functions
        .iter()
        .map(|r| r.get::<_, String>(0))
        .chain(tables.iter().flat_map(|t| t.policies.iter().cloned()));
    let mut out: Vec<Vec<String>> = Vec::new();
    for text in texts {
        for path in claim_paths(&text) {
            if !out.contains(&path) {
                out.push(path);
            }
        }
    }
    Ok(out)
}

/// Claim paths in one text: what follows each `jwt()` as `-> 'a' ->> 'b'`.
fn claim_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("jwt()") {
        let mut rest = text[at + "jwt()".len()..].trim_start_matches([')', ' ', '\n']);
        let mut path = Vec::new();
        while let Some(after) = rest.strip_prefix("->") {
            let after = after.strip_prefix('>').unwrap_or(after).trim_start();
            let Some(quoted) = after.strip_prefix('\'') else {
                break;
            };
            let Some(end) = quoted.find('\'') else { break };
            path.push(quoted[..end].to_owned());
            rest = quoted[end + 1..].trim_start_matches(|c: char| c == ')' || c.is_whitespace());
            // A cast (`::text`) ends the path.
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

/// Commands a role may run on a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub select: bool,
    pub insert: bool,
    pub update: bool,
}

impl Default for Access {
    /// Everything: a schema without Supabase's roles runs as the owner.
    fn default() -> Self {
        Self {
            select: true,
            insert: true,
            update: true,
        }
    }
}

/// What `authenticated` may do to table `oid`: its grants, and where RLS
/// is on, a permissive policy for the command that applies to it.
pub(super) async fn signed_in_access(
    client: &Client,
    oid: u32,
    rls: bool,
) -> Result<Access, PgError> {
    let row = client
        .query_opt(
            "select has_table_privilege(r.oid, $1::oid, 'SELECT'), has_table_privilege(r.oid, $1::oid, 'INSERT'),
                    has_table_privilege(r.oid, $1::oid, 'UPDATE'),
                    array(select p.polcmd::text from pg_policy p
                           where p.polrelid = $1::oid and p.polpermissive
                             and (0::oid = any(p.polroles) or r.oid = any(p.polroles)))
               from pg_roles r where r.rolname = 'authenticated'",
            &[&oid],
        )
        .await
        .context_db("reading what a signed-in user may do")?;
    let Some(row) = row else {
        return Ok(Access::default());
    };
    let commands: Vec<String> = row.get(3);
    let allowed = |cmd: &str| !rls || commands.iter().any(|c| c == cmd || c == "*");
    Ok(Access {
        select: row.get::<_, bool>(0) && allowed("r"),
        insert: row.get::<_, bool>(1) && allowed("a"),
        update: row.get::<_, bool>(2) && allowed("w"),
    })
}

/// A uuid column the app ties to the signed-in user without a foreign key
/// (`user_id uuid default auth.uid()`, a policy's `user_id = auth.uid()`)
/// holds a user's id all the same: it is read as a key to `auth.users`, so
/// its values are real users' and requests find their own rows.
pub(super) fn link_to_users(table: &mut Table) {
    let policies: Vec<String> = table
        .policies
        .iter()
        .map(|p| p.replace("( SELECT auth.uid() AS uid)", "auth.uid()"))
        .collect();
    let tied: Vec<String> = table
        .columns
        .iter()
        .filter(|c| c.base == "uuid")
        .filter(|c| {
            !table
                .foreign_keys
                .iter()
                .any(|f| f.columns.contains(&c.name))
        })
        .filter(|c| {
            let name = &c.name;
            c.default
                .as_deref()
                .is_some_and(|d| d.contains("auth.uid()"))
                || policies.iter().any(|p| {
                    p.contains(&format!("({name} = auth.uid())"))
                        || p.contains(&format!("(auth.uid() = {name})"))
                })
        })
        .map(|c| c.name.clone())
        .collect();
    for column in tied {
        table.foreign_keys.push(ForeignKey {
            columns: vec![column],
            target: "auth.users".to_owned(),
            target_columns: vec!["id".to_owned()],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::Column;
    use super::*;

    #[test]
    fn a_column_policies_tie_to_the_user_becomes_a_key_to_users() {
        let column = |name: &str, default: Option<&str>| Column {
            name: name.into(),
            type_name: "uuid".into(),
            base: "uuid".into(),
            labels: Vec::new(),
            not_null: true,
            default: default.map(str::to_owned),
            identity: false,
            generated: false,
            domain_checks: Vec::new(),
            stats: None,
        };
        let mut table = Table {
            name: "todos".into(),
            rls: true,
            columns: vec![
                column("id", Some("gen_random_uuid()")),
                column("user_id", None),
                column("created_by", Some("auth.uid()")),
                column("list_id", None),
            ],
            primary_key: vec!["id".into()],
            uniques: Vec::new(),
            partial_uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            policies: vec!["(user_id = ( SELECT auth.uid() AS uid))".into()],
            signed_in: Access::default(),
            rules: Vec::new(),
            rows: None,
            migrated: None,
        };
        link_to_users(&mut table);
        let linked: Vec<&str> = table
            .foreign_keys
            .iter()
            .map(|f| f.columns[0].as_str())
            .collect();
        assert_eq!(linked, ["user_id", "created_by"]);
    }

    #[test]
    fn claim_paths_follow_jwt_calls() {
        assert_eq!(
            claim_paths(
                "select nullif((select auth.jwt()) -> 'app_metadata' ->> 'org_id', '')::uuid"
            ),
            [vec!["app_metadata".to_owned(), "org_id".to_owned()]]
        );
        assert_eq!(
            claim_paths("((auth.jwt() ->> 'user_role'::text) = 'admin'::text)"),
            [vec!["user_role".to_owned()]]
        );
        assert!(claim_paths("auth.uid() = user_id").is_empty());
    }
}

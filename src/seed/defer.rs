//! Loading first, constraints after, as bulk loaders (pg_restore) do:
//! foreign keys, keys and indexes of the seeded tables are taken off before
//! COPY and rebuilt afterwards, and user triggers are paused meanwhile.

use tokio_postgres::Client;

use crate::pg::{PgError, QueryContext, quote_ident};

/// The DDL set aside during loading, to be put back in order.
#[derive(Debug, Default)]
pub struct Deferred {
    /// Indexes and primary/unique/exclusion keys: rebuilt first.
    pub keys_and_indexes: Vec<String>,
    /// Foreign keys: added once the keys they point at exist.
    pub foreign_keys: Vec<String>,
    /// `(table, trigger)` pairs paused during loading.
    triggers: Vec<(String, String)>,
}

impl Deferred {
    /// Reads the definitions and removes them from `tables`.
    pub async fn take(client: &Client, tables: &[String]) -> Result<Self, PgError> {
        // As identifiers: `"Accounts"` keeps its capital, `auth.users` its schema.
        let tables: Vec<String> = tables.iter().map(|t| quote_ident(t)).collect();
        let ctx = "reading the constraints and indexes of the seeded tables";
        let fks = client
            .query(
                "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint
                 where contype = 'f' and (conrelid = any($1::text[]::regclass[]) or confrelid = any($1::text[]::regclass[]))
                 order by 1, 2",
                &[&tables],
            )
            .await
            .context_db(ctx)?;
        let keys = client
            .query(
                "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint
                 where contype in ('p', 'u', 'x') and conrelid = any($1::text[]::regclass[]) order by 1, 2",
                &[&tables],
            )
            .await
            .context_db(ctx)?;
        let indexes = client
            .query(
                "select indexrelid::regclass::text, pg_get_indexdef(indexrelid) from pg_index i
                 where indrelid = any($1::text[]::regclass[])
                   and not exists (select from pg_constraint c where c.conindid = i.indexrelid and c.contype in ('p', 'u', 'x'))
                 order by 1",
                &[&tables],
            )
            .await
            .context_db(ctx)?;
        let triggers = client
            .query(
                "select tgrelid::regclass::text, tgname from pg_trigger
                 where not tgisinternal and tgenabled <> 'D' and tgrelid = any($1::text[]::regclass[]) order by 1, 2",
                &[&tables],
            )
            .await
            .context_db(ctx)?;

        let mut drop = String::new();
        let mut deferred = Deferred::default();
        let constraints = [
            (&fks, &mut deferred.foreign_keys),
            (&keys, &mut deferred.keys_and_indexes),
        ];
        for (rows, restore) in constraints {
            for row in rows {
                let (table, name, def): (String, String, String) =
                    (row.get(0), row.get(1), row.get(2));
                let name = quote_ident(&name);
                drop.push_str(&format!("alter table {table} drop constraint {name};\n"));
                restore.push(format!("alter table {table} add constraint {name} {def}"));
            }
        }
        for row in &indexes {
            let (name, def): (String, String) = (row.get(0), row.get(1));
            drop.push_str(&format!("drop index {name};\n"));
            deferred.keys_and_indexes.push(def);
        }
        for row in &triggers {
            let (table, name): (String, String) = (row.get(0), row.get(1));
            drop.push_str(&format!(
                "alter table {table} disable trigger {};\n",
                quote_ident(&name)
            ));
            deferred.triggers.push((table, name));
        }
        client
            .batch_execute(&drop)
            .await
            .context_db("setting constraints and indexes aside for loading")?;
        Ok(deferred)
    }

    /// Statements that switch the paused triggers back on.
    pub fn enable_triggers_sql(&self) -> String {
        self.triggers
            .iter()
            .map(|(table, name)| {
                format!(
                    "alter table {table} enable trigger {};\n",
                    quote_ident(name)
                )
            })
            .collect()
    }
}

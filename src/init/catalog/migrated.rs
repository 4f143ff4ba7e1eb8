//! What the migrations themselves put in the tables (a lookup's rows, a
//! settings row), read back from the scratch database they ran in.

use tokio_postgres::Client;

use super::Table;
use crate::pg::{PgError, QueryContext};

/// What the migrations left in a table.
#[derive(Debug, Clone, Default)]
pub struct Migrated {
    pub rows: u64,
    /// Values of the referenced columns, as text, in order.
    pub values: Vec<(String, Vec<String>)>,
}

/// Rows the migrations left in each table, read back from the scratch
/// database they ran in (never from a live database): at most this many
/// values per referenced column.
const MIGRATED_VALUES: i64 = 200;

/// Fills each table's [`Migrated`] from the scratch database.
pub async fn read_migrated(client: &Client, tables: &mut [Table]) -> Result<(), PgError> {
    let referenced: Vec<(String, String)> = tables
        .iter()
        .flat_map(|t| {
            t.foreign_keys.iter().flat_map(|f| {
                f.target_columns
                    .iter()
                    .map(|c| (f.target.clone(), c.clone()))
            })
        })
        .collect();
    for table in tables.iter_mut() {
        let relation = relation(&table.name);
        let rows: i64 = client
            .query_one(
                &format!("select count(*) from (select from {relation} limit 100001) t"),
                &[],
            )
            .await
            .context_db(format!(
                "counting the rows the migrations left in {}",
                table.name
            ))?
            .get(0);
        if rows == 0 {
            continue;
        }
        let mut values = Vec::new();
        for (_, column) in referenced.iter().filter(|(t, _)| *t == table.name) {
            if values
                .iter()
                .any(|(c, _): &(String, Vec<String>)| c == column)
            {
                continue;
            }
            let column_sql = crate::pg::quote_ident(column);
            let found: Vec<String> = client
                .query(
                    &format!(
                        "select distinct {column_sql}::text from {relation} where {column_sql} is not null order by 1 limit $1"
                    ),
                    &[&MIGRATED_VALUES],
                )
                .await
                .context_db(format!("reading {}.{column}", table.name))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            values.push((column.clone(), found));
        }
        table.migrated = Some(Migrated {
            rows: rows as u64,
            values,
        });
    }
    Ok(())
}

/// A scenario table name as SQL: `public.x`, `"auth"."users"`.
fn relation(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, table)) => format!(
            "{}.{}",
            crate::pg::quote_ident(schema),
            crate::pg::quote_ident(table)
        ),
        None => format!("public.{}", crate::pg::quote_ident(name)),
    }
}

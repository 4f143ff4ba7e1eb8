//! CHECKs across two columns, resolved by asking the server what each
//! value of one allows of the other.

use tokio_postgres::Client;

use super::Table;
use crate::pg::PgError;

/// A CHECK across two columns, resolved: for each value of `by` (a column
/// with a fixed set of values), what it allows of `column`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub by: String,
    pub column: String,
    pub cases: Vec<(String, Allowed)>,
}

/// What a rule allows the other column for one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// A number in this range.
    Range(i64, i64),
    /// Only NULL.
    Null,
    /// Anything but NULL.
    Set,
    /// NULL or not.
    Either,
}

/// Ranges tried for a number a rule constrains.
const RANGES: [(i64, i64); 3] = [(1, 1000), (-1000, -1), (0, 0)];

/// A value of a base type, as text, to stand for "not NULL".
fn sample_text(base: &str) -> Option<&'static str> {
    Some(match base {
        "timestamptz" | "timestamp" | "date" => "2026-01-01",
        "text" | "varchar" | "bpchar" | "citext" => "x",
        "uuid" => "00000000-0000-0000-0000-000000000001",
        "int2" | "int4" | "int8" | "numeric" | "float4" | "float8" => "1",
        "bool" => "true",
        "json" | "jsonb" => "{}",
        _ => return None,
    })
}

/// For each value of `by`, what every check in `checks` (on `by` and
/// `column` only) allows of `column`, asked of the server itself: for a
/// number the first of [`RANGES`] whose ends and middle pass, else whether
/// NULL and a non-NULL value pass. None when a value allows nothing tried.
pub async fn resolve_rule(
    client: &Client,
    table: &Table,
    checks: &[&str],
    by: &str,
    values: &[String],
    column: &str,
) -> Result<Option<Rule>, PgError> {
    let (Some(by_type), Some(column_type)) = (table.column(by), table.column(column)) else {
        return Ok(None);
    };
    let condition: Vec<String> = checks
        .iter()
        .map(|c| {
            let body = c
                .trim_start_matches("CHECK ")
                .trim_end_matches(" NOT VALID");
            format!("coalesce({body}, true)")
        })
        .collect();
    let numeric = ["int2", "int4", "int8", "numeric"].contains(&column_type.base.as_str());
    // Every row of `$2` (text, NULL for NULL) paired with the value `$1`.
    let sql = format!(
        "select bool_and({}) from (select $1::text::{}, v::{} from unnest($2::text[]) as v) as t({}, {})",
        condition.join(" and "),
        by_type.type_name,
        column_type.type_name,
        crate::pg::quote_ident(by),
        crate::pg::quote_ident(column),
    );
    async fn passes(
        client: &Client,
        sql: &str,
        value: &String,
        tried: Vec<Option<String>>,
    ) -> bool {
        client
            .query_one(sql, &[value, &tried])
            .await
            .map(|r| r.get::<_, Option<bool>>(0) == Some(true))
            .unwrap_or(false)
    }
    let mut cases = Vec::new();
    for value in values {
        let allowed = if numeric {
            let mut found = None;
            for (lo, hi) in RANGES {
                let mid = lo + (hi - lo) / 2;
                let tried = [lo, hi, mid].iter().map(|n| Some(n.to_string())).collect();
                if passes(client, &sql, value, tried).await {
                    found = Some(Allowed::Range(lo, hi));
                    break;
                }
            }
            found
        } else {
            let Some(sample) = sample_text(&column_type.base) else {
                return Ok(None);
            };
            let null = passes(client, &sql, value, vec![None]).await;
            let set = passes(client, &sql, value, vec![Some(sample.to_owned())]).await;
            match (null, set) {
                (true, true) => Some(Allowed::Either),
                (true, false) => Some(Allowed::Null),
                (false, true) => Some(Allowed::Set),
                (false, false) => None,
            }
        };
        match allowed {
            Some(a) => cases.push((value.clone(), a)),
            None => return Ok(None),
        }
    }
    if cases.iter().all(|(_, a)| *a == Allowed::Either) {
        return Ok(None);
    }
    Ok(Some(Rule {
        by: by.to_owned(),
        column: column.to_owned(),
        cases,
    }))
}

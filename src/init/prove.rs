//! `init` proves its own file before it says it wrote it: a small sample
//! is seeded on the same server, exactly as `seed` would, and what the
//! sample breaks is fixed from the constraint where init knows how, or
//! left as a `TO DO` that names the scenario key, the constraint and the
//! failing row (`check` refuses such a file).

use tokio_postgres::error::SqlState;

use super::InitError;
use super::catalog::Table;
use super::infer::{Choice, Inferred};
use crate::pg::database;
use crate::pg::{PgError, Server};
use crate::scenario::Scenario;
use crate::scenario::units::Scale;
use crate::seed::{SeedError, SeedOptions};

/// The sample's scale: enough rows per parent to meet per-parent limits,
/// small enough to seed in a second.
const SAMPLE_SCALE: Scale = Scale::constant(0.05);

/// What the sample broke.
#[derive(Debug, Clone)]
pub struct Broken {
    pub table: String,
    pub constraint: String,
    /// The constraint as PostgreSQL prints it.
    pub definition: String,
    pub code: SqlState,
    /// The server's detail: the failing row, or the repeated key.
    pub detail: String,
    pub message: String,
}

/// What seeding a sample showed.
#[derive(Debug)]
pub enum Sample {
    /// A row the sample could not load.
    Broken(Broken),
    /// Every row went in; the queries that measured nothing on it, each
    /// with why (no row on any call, or failing calls).
    Seeded { useless: Vec<(String, String)> },
}

/// Requests of each phase when the inferred workload is tried on the sample.
const TRIAL_REQUESTS: u64 = 150;

/// Seeds a sample of `scenario`, and when every row went in, runs its
/// workload on it once; the sample's database is dropped either way.
pub async fn sample(server: &Server, scenario: &Scenario) -> Result<Sample, InitError> {
    let sample = scenario
        .clone()
        .with_overrides(None, Some(SAMPLE_SCALE))
        .map_err(InitError::Invalid)?;
    let name = database::data_db_name(&sample.data_name, &sample.data_fingerprint());
    let options = SeedOptions {
        workers: 2,
        fresh: true,
        progress: false,
    };
    let seeded = crate::seed::seed(server, &sample, &options).await;
    let outcome = match &seeded {
        Ok(_) => Ok(Some(Sample::Seeded {
            useless: try_workload(server, &sample).await?,
        })),
        Err(error) => describe(server, &name, error)
            .await
            .map(|b| b.map(Sample::Broken)),
    };
    let admin = server.admin(&server.maintenance_db()).await?;
    database::drop_owned(&admin, &name).await?;
    match (seeded, outcome?) {
        (_, Some(found)) => Ok(found),
        (Err(error), None) => Err(InitError::Seed(error)),
        (Ok(_), None) => Ok(Sample::Seeded {
            useless: Vec::new(),
        }),
    }
}

/// Runs the workload once on the seeded sample (a short baseline-only
/// run, as `run` would make it); the queries that measured nothing useful.
async fn try_workload(
    server: &Server,
    sample: &Scenario,
) -> Result<Vec<(String, String)>, InitError> {
    let out = tempfile::Builder::new()
        .prefix("schemabench-init-trial-")
        .tempdir()
        .map_err(|source| InitError::Write {
            path: std::env::temp_dir().display().to_string(),
            source,
        })?;
    let options = crate::pipeline::RunOptions {
        overrides: crate::drive::engine::PhaseOverrides {
            transactions: Some(TRIAL_REQUESTS),
            ..Default::default()
        },
        out: Some(out.path().to_owned()),
        rounds: Some(1),
        only: Some(Vec::new()),
        ..Default::default()
    };
    let _quiet = crate::progress::Quiet::begin();
    let (results, _) = crate::pipeline::run(server, sample, &options)
        .await
        .map_err(|e| InitError::Trial(e.to_string()))?;
    let Some(base) = results.candidates.first() else {
        return Ok(Vec::new());
    };
    let mut useless = Vec::new();
    for q in &base.queries {
        if q.count == 0 {
            continue;
        }
        if q.errors > 0 {
            let (code, first) = q
                .errors_by_sqlstate
                .iter()
                .max_by_key(|(_, e)| e.count)
                .map(|(code, e)| (code.clone(), e.sample.clone()))
                .unwrap_or_default();
            useless.push((
                q.name.clone(),
                format!(
                    "{} of its {} calls failed on a sample with SQLSTATE {code} ({first})",
                    q.errors, q.count
                ),
            ));
            continue;
        }
        let rows = base
            .work
            .iter()
            .find(|w| w.query == q.name)
            .and_then(|w| w.rows_per_call());
        if q.access == "read" && rows == Some(0.0) {
            useless.push((
                q.name.clone(),
                format!(
                    "returned no row on any of its {} calls on a sample (a policy or the data shape hides every row)",
                    q.count
                ),
            ));
        }
    }
    Ok(useless)
}

/// The broken constraint behind a seeding error, read from the sample's
/// database; None when the error is no constraint's.
async fn describe(
    server: &Server,
    database: &str,
    error: &SeedError,
) -> Result<Option<Broken>, InitError> {
    let error = match error {
        SeedError::Generated { source, .. } => source.as_ref(),
        other => other,
    };
    let SeedError::Pg(PgError::Query { error, .. }) = error else {
        return Ok(None);
    };
    let Some(db) = error.as_db_error() else {
        return Ok(None);
    };
    let (Some(constraint), Some(table)) = (db.constraint(), db.table()) else {
        // No constraint named (an index that could not be rebuilt): the
        // server's words, as a TO DO.
        return Ok(Some(Broken {
            table: String::new(),
            constraint: String::new(),
            definition: String::new(),
            code: db.code().clone(),
            detail: db.detail().unwrap_or_default().to_owned(),
            message: crate::pg::describe_db_error(error),
        }));
    };
    let client = server.admin(database).await?;
    let definition: String = client
        .query_opt(
            "select coalesce(
                 (select pg_get_constraintdef(c.oid) from pg_constraint c
                   where c.conname = $1 and c.conrelid = to_regclass(quote_ident($2))),
                 (select pg_get_indexdef(i.indexrelid) from pg_index i join pg_class x on x.oid = i.indexrelid
                   where x.relname = $1))",
            &[&constraint, &table],
        )
        .await
        .ok()
        .flatten()
        .and_then(|r| r.get::<_, Option<String>>(0))
        .unwrap_or_default();
    let schema = db.schema().filter(|s| *s != "public");
    Ok(Some(Broken {
        table: schema.map_or_else(|| table.to_owned(), |s| format!("{s}.{table}")),
        constraint: constraint.to_owned(),
        definition,
        code: db.code().clone(),
        detail: db.detail().unwrap_or_default().to_owned(),
        message: db.message().to_owned(),
    }))
}

/// Values of a column's type that a CHECK on it alone allows, listed by
/// the server from a range of candidates (the first of each month, say);
/// none when its type has no candidates or the server cannot evaluate it.
async fn allowed_values(
    server: &Server,
    column: &super::catalog::Column,
    check: &str,
) -> Vec<String> {
    let candidates = match column.base.as_str() {
        "date" => {
            "select to_char(d, 'YYYY-MM-DD'), d::date from generate_series(date '2025-01-01', date '2026-11-01', interval '1 day') d"
        }
        "timestamptz" | "timestamp" => {
            "select to_char(d at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), d from generate_series(timestamptz '2025-01-01', timestamptz '2026-11-01', interval '1 hour') d"
        }
        "int2" | "int4" | "int8" | "numeric" => {
            "select n::text, n from generate_series(-1000, 100000) n"
        }
        _ => return Vec::new(),
    };
    let body = check
        .trim_start_matches("CHECK ")
        .trim_end_matches(" NOT VALID");
    let sql = format!(
        "select shown from ({candidates}) as t(shown, {}) where {body} limit 100",
        crate::pg::quote_ident(&column.name)
    );
    let Ok(client) = server.admin(&server.maintenance_db()).await else {
        return Vec::new();
    };
    client
        .query(&sql, &[])
        .await
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default()
}

/// Fixes the inferred choice the broken constraint names, where init
/// knows a fix: true when something changed (seed the sample again).
pub async fn fix(
    server: &Server,
    inferred: &mut Inferred,
    tables: &[Table],
    broken: &Broken,
) -> bool {
    let Some(catalog) = tables.iter().find(|t| t.name == broken.table) else {
        return false;
    };
    let Some(choice) = inferred.tables.iter_mut().find(|t| t.name == broken.table) else {
        return false;
    };
    let mentioned = super::infer::mentioned(catalog, &broken.definition);
    match (&broken.code, mentioned.as_slice()) {
        // A CHECK on one column its generator breaks: the values the server
        // says it allows, else NULL where allowed (NULL passes every CHECK).
        (c, [column]) if *c == SqlState::CHECK_VIOLATION => {
            let Some(col) = catalog.column(column) else {
                return false;
            };
            let Some((_, generator)) = choice.columns.iter_mut().find(|(n, _)| n == column) else {
                return false;
            };
            let listed = generator.generator.contains("the values its CHECK allows")
                || generator.why.contains("as PostgreSQL listed them");
            let allowed = if listed {
                Vec::new()
            } else {
                allowed_values(server, col, &broken.definition).await
            };
            if !allowed.is_empty() {
                *generator = Choice {
                    generator: format!(
                        "{{ gen = \"enum\", values = {} }}",
                        super::infer::toml_list(&allowed)
                    ),
                    why: format!(
                        "values {} ({}) allows, as PostgreSQL listed them",
                        broken.constraint, broken.definition
                    ),
                };
                return true;
            }
            if col.not_null
                || generator
                    .generator
                    .starts_with("{ gen = \"nullable\", p = 1.0")
            {
                return false;
            }
            *generator = Choice {
                generator: format!(
                    "{{ gen = \"nullable\", p = 1.0, of = {} }}",
                    generator.generator
                ),
                why: format!(
                    "NULL: the sample broke {} ({}), which NULL passes; give it values that keep it",
                    broken.constraint, broken.definition
                ),
            };
            true
        }
        // A CHECK tying two optional columns' NULLs together (`(score is
        // null) = (graded_at is null)`): both always set.
        (c, [a, b]) if *c == SqlState::CHECK_VIOLATION => {
            let mut changed = false;
            for column in [a, b] {
                if let Some((_, generator)) = choice.columns.iter_mut().find(|(n, _)| n == column)
                    && let Some(inner) = without_nulls(&generator.generator)
                {
                    generator.generator = inner;
                    generator.why = format!(
                        "{}; never NULL: {} ties its NULLs to another column's",
                        generator.why, broken.constraint
                    );
                    changed = true;
                }
            }
            changed
        }
        // A unique set the per-parent count repeats: one row per parent;
        // a top table's unique set over few values: one row.
        (c, _) if *c == SqlState::UNIQUE_VIOLATION || *c == SqlState::EXCLUSION_VIOLATION => {
            let one = "{ dist = \"fixed\", value = 1 }";
            match (&choice.count, choice.rows) {
                (Some(count), _) if count != one => {
                    choice.count = Some(one.to_owned());
                    choice.why = format!(
                        "one per {} row: with more, the sample repeated {} ({})",
                        choice.per.as_deref().unwrap_or("parent"),
                        broken.constraint,
                        broken.detail
                    );
                    true
                }
                (None, Some(rows)) if rows > 1 => {
                    choice.rows = Some(1);
                    choice.scaled = false;
                    choice.why = format!(
                        "one row: with more, the sample repeated {} ({}), a unique set over few values; list its real rows in a migration",
                        broken.constraint, broken.detail
                    );
                    true
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The generator inside a `nullable` one.
fn without_nulls(generator: &str) -> Option<String> {
    let rest = generator.strip_prefix("{ gen = \"nullable\", p = ")?;
    let (_, inner) = rest.split_once(", of = ")?;
    Some(inner.strip_suffix(" }")?.to_owned())
}

impl Broken {
    /// The TO DO the file carries: the key to edit, the constraint, the row.
    pub fn to_do(&self, tables: &[Table]) -> String {
        let columns = tables
            .iter()
            .find(|t| t.name == self.table)
            .map(|t| super::infer::mentioned(t, &self.definition))
            .unwrap_or_default();
        let key = match columns.as_slice() {
            _ if self.table.is_empty() => "tables".to_owned(),
            [column] => format!("tables.{}.columns.{column}", self.table),
            _ => format!("tables.{}", self.table),
        };
        format!(
            "{key}: a sample seeded from this file broke {} ({}): {}; {}",
            self.constraint, self.definition, self.message, self.detail
        )
    }
}

//! The query mix, compiled against the data plan: each request picks a
//! query by weight, an acting user by a zipf law (a few users are very
//! active) and parameters from that user's own seeded rows, computed from
//! the plan without asking the database.

use std::sync::Arc;
use std::time::Duration;

use rand::RngExt;
use rand_distr::{Distribution as _, Zipf};

use crate::measure::QueryMeasurements;
use crate::scenario::validate::split_column;
use crate::scenario::workload::{Access, ParamSpec, Role, WorkloadSpec};
use crate::seed::plan::{DataPlan, Gen};
use crate::seed::rng::CellRng;
use crate::seed::value::Value;

/// Attempts to find a user who owns the rows a query needs.
const ACTOR_ATTEMPTS: usize = 20;

/// One query of the mix, ready to send.
#[derive(Debug, Clone)]
pub struct Query {
    pub name: String,
    pub role: Role,
    pub access: Access,
    /// The statement as sent (wrapped in PostgREST's response shape if asked).
    pub sql: String,
    pub path: String,
    pub think: Option<Duration>,
    params: Vec<Param>,
    /// The users who may send it, when it needs many rows of theirs.
    actors: Option<Actors>,
}

/// The users a query needing many owned rows may act as (`at_least`):
/// their rows in activity order, drawn by the workload's zipf law over
/// this shorter list, so the most active of them stays the most active.
#[derive(Debug, Clone)]
struct Actors {
    rows: Vec<u64>,
    activity: Option<Zipf<f64>>,
}

#[derive(Debug, Clone)]
enum Param {
    Actor {
        column: usize,
    },
    Owned {
        table: usize,
        column: usize,
        latest_by: Option<usize>,
    },
    Fresh(Gen),
}

/// One request: which query, as whom, with what values.
#[derive(Debug, Clone)]
pub struct Request {
    pub query: usize,
    pub params: Vec<Value>,
    /// The JWT claims PostgREST would put in `request.jwt.claims` (empty for
    /// raw `postgres` statements).
    pub claims: String,
}

/// The compiled workload.
#[derive(Debug)]
pub struct Workload {
    pub queries: Vec<Query>,
    cumulative: Vec<f64>,
    plan: Arc<DataPlan>,
    actor_table: usize,
    actor_column: usize,
    actor_email: Option<usize>,
    /// Custom claims: name and column of the actor's table.
    actor_claims: Vec<(String, usize)>,
    actor_rows: u64,
    activity: Option<Zipf<f64>>,
}

/// The comment every statement of query `name` starts with: it names the
/// query in `pg_stat_statements` (which keeps comments but replaces
/// constants, so the text as written rarely matches) and in server logs.
/// Names are identifiers, so no name can close the comment.
pub fn statement_tag(name: &str) -> String {
    format!("/* schemabench {name} */")
}

/// PostgREST's response shape around a read: the rows as one JSON body.
pub fn postgrest_shape(sql: &str) -> String {
    format!(
        "with pgrst_source as ({sql}) \
         select null::bigint as total_result_set, pg_catalog.count(_postgrest_t) as page_total, \
         coalesce(json_agg(_postgrest_t), '[]') as body, \
         nullif(current_setting('response.headers', true), '') as response_headers, \
         nullif(current_setting('response.status', true), '') as response_status, \
         '' as response_inserted \
         from (select * from pgrst_source) _postgrest_t"
    )
}

impl Workload {
    /// One empty measurement per query, in the workload's order.
    pub fn empty_measurements(&self) -> Vec<QueryMeasurements> {
        self.queries
            .iter()
            .map(|_| QueryMeasurements::default())
            .collect()
    }

    /// Per-query measurements of workers, phases or rounds added up.
    pub fn merge<'a>(
        &self,
        parts: impl IntoIterator<Item = &'a [QueryMeasurements]>,
    ) -> Vec<QueryMeasurements> {
        let mut merged = self.empty_measurements();
        for part in parts {
            for (m, q) in merged.iter_mut().zip(part) {
                m.merge(q);
            }
        }
        merged
    }

    /// Compiles a validated workload against the data plan.
    pub fn new(spec: &WorkloadSpec, plan: Arc<DataPlan>) -> Self {
        let actor_table = plan.table_index(&spec.actor.table).unwrap_or(0);
        let column = |table: usize, name: &str| plan.column_index(table, name).unwrap_or(0);
        let queries: Vec<Query> = spec
            .queries
            .iter()
            .map(|q| Query {
                name: q.name.clone(),
                role: q.role,
                access: q.access,
                sql: format!(
                    "{} {}",
                    statement_tag(&q.name),
                    if q.postgrest_shape && q.access == Access::Read {
                        postgrest_shape(q.sql.trim())
                    } else {
                        q.sql.trim().to_owned()
                    }
                ),
                path: q
                    .path
                    .clone()
                    .unwrap_or_else(|| format!("/rest/v1/rpc/{}", q.name)),
                think: q.think.map(|t| t.0),
                params: q
                    .params
                    .iter()
                    .map(|p| match p {
                        ParamSpec::Actor { column: c } => Param::Actor {
                            column: column(actor_table, c),
                        },
                        ParamSpec::Owned {
                            column: c,
                            latest_by,
                            ..
                        } => {
                            let (t, c) = split_column(c).unwrap_or(("", ""));
                            let table = plan.table_index(t).unwrap_or(0);
                            Param::Owned {
                                table,
                                column: column(table, c),
                                latest_by: latest_by.as_deref().map(|l| column(table, l)),
                            }
                        }
                        ParamSpec::Value { of } => Param::Fresh(plan.compile_free(of)),
                    })
                    .collect(),
                actors: owning(&plan, actor_table, &q.params, spec.actor.activity_exponent),
            })
            .collect();
        let total: f64 = spec.queries.iter().map(|q| q.weight).sum();
        let cumulative = spec
            .queries
            .iter()
            .scan(0.0, |acc, q| {
                *acc += q.weight / total;
                Some(*acc)
            })
            .collect();
        let actor_rows = plan.tables[actor_table].rows();
        let activity = zipf(actor_rows, spec.actor.activity_exponent);
        Self {
            queries,
            cumulative,
            actor_column: column(actor_table, &spec.actor.column),
            actor_email: spec
                .actor
                .email_column
                .as_deref()
                .map(|e| column(actor_table, e)),
            actor_claims: spec
                .actor
                .claims
                .iter()
                .map(|(claim, c)| (claim.clone(), column(actor_table, c)))
                .collect(),
            actor_table,
            actor_rows,
            activity,
            plan,
        }
    }

    /// Draws the next request.
    pub fn next(&self, rng: &mut CellRng) -> Request {
        let query = self.query_of(rng);
        self.request(query, rng)
    }

    /// The query of the next request `rng` draws: what an arrival that was
    /// never sent would have asked.
    pub fn query_of(&self, rng: &mut CellRng) -> usize {
        let u: f64 = rng.random();
        self.cumulative
            .partition_point(|c| *c <= u)
            .min(self.queries.len() - 1)
    }

    /// Draws a request for a given query.
    pub fn request(&self, query: usize, rng: &mut CellRng) -> Request {
        let q = &self.queries[query];
        let mut actor = self.actor(q, rng);
        let mut params = self.params(q, actor, rng);
        for _ in 0..ACTOR_ATTEMPTS {
            if params.is_some() {
                break;
            }
            actor = self.actor(q, rng);
            params = self.params(q, actor, rng);
        }
        let params = params.unwrap_or_else(|| vec![Value::Null; q.params.len()]);
        Request {
            query,
            claims: self.claims(q.role, actor),
            params,
        }
    }

    fn actor(&self, q: &Query, rng: &mut CellRng) -> u64 {
        match &q.actors {
            Some(a) => a.rows[rank(a.activity.as_ref(), a.rows.len() as u64, rng) as usize],
            None => rank(self.activity.as_ref(), self.actor_rows, rng),
        }
    }

    /// Parameter values, or `None` when the actor owns no row a parameter needs.
    fn params(&self, q: &Query, actor: u64, rng: &mut CellRng) -> Option<Vec<Value>> {
        q.params
            .iter()
            .map(|p| match p {
                Param::Actor { column } => Some(self.plan.value(self.actor_table, *column, actor)),
                Param::Owned {
                    table,
                    column,
                    latest_by,
                } => {
                    let (a, b) = self.plan.rows_under(*table, self.actor_table, actor);
                    if a == b {
                        return None;
                    }
                    let row = match latest_by {
                        Some(by) => (a..b)
                            .max_by_key(|r| match self.plan.value(*table, *by, *r) {
                                Value::Timestamp(t) | Value::Int(t) => t,
                                _ => i64::MIN,
                            })
                            .unwrap_or(a),
                        None => rng.random_range(a..b),
                    };
                    Some(self.plan.value(*table, *column, row))
                }
                Param::Fresh(g) => Some(self.plan.fresh(g, rng)),
            })
            .collect()
    }

    fn claims(&self, role: Role, actor: u64) -> String {
        if role == Role::Postgres {
            // Raw statements set no claims.
            return String::new();
        }
        let mut claims = serde_json::Map::new();
        let role_name = match role {
            Role::Anon => "anon",
            Role::Authenticated | Role::Postgres => "authenticated",
            Role::ServiceRole => "service_role",
        };
        claims.insert("role".into(), role_name.into());
        if role == Role::Authenticated {
            claims.insert(
                "sub".into(),
                self.plan
                    .value(self.actor_table, self.actor_column, actor)
                    .to_json(),
            );
            claims.insert("aud".into(), "authenticated".into());
            if let Some(email) = self.actor_email {
                claims.insert(
                    "email".into(),
                    self.plan.value(self.actor_table, email, actor).to_json(),
                );
            }
            for (claim, column) in &self.actor_claims {
                // `app_metadata.org_id` nests, as Supabase Auth nests it.
                let value = self.plan.value(self.actor_table, *column, actor).to_json();
                let path: Vec<&str> = claim.split('.').collect();
                insert_claim(&mut claims, &path, value);
            }
        }
        serde_json::Value::Object(claims).to_string()
    }
}

/// The zipf law of activity over `n` users (none: all equally active).
fn zipf(n: u64, exponent: f64) -> Option<Zipf<f64>> {
    (exponent > 0.0)
        .then(|| Zipf::new(n as f64, exponent).ok())
        .flatten()
}

/// A 0-based activity rank among `n` users.
fn rank(activity: Option<&Zipf<f64>>, n: u64, rng: &mut CellRng) -> u64 {
    match activity {
        Some(zipf) => (zipf.sample(rng) as u64)
            .saturating_sub(1)
            .min(n.saturating_sub(1)),
        None => rng.random_range(0..n.max(1)),
    }
}

/// The users owning at least what a query's `owned` parameters ask, each
/// bound lowered to the most any user owns (a small scale's deepest page);
/// `None` when the query asks no bound or no user meets them all.
fn owning(
    plan: &DataPlan,
    actor_table: usize,
    params: &[ParamSpec],
    exponent: f64,
) -> Option<Actors> {
    let actor_rows = plan.tables[actor_table].rows();
    let owned = |table: usize, actor: u64| {
        let (a, b) = plan.rows_under(table, actor_table, actor);
        b - a
    };
    let bounds: Vec<(usize, u64)> = params
        .iter()
        .filter_map(|p| match p {
            ParamSpec::Owned {
                column,
                at_least: Some(n),
                ..
            } => {
                let (t, _) = split_column(column)?;
                let table = plan.table_index(t)?;
                let most = (0..actor_rows).map(|r| owned(table, r)).max()?;
                Some((table, (*n).min(most)))
            }
            _ => None,
        })
        .collect();
    if bounds.is_empty() {
        return None;
    }
    let rows: Vec<u64> = (0..actor_rows)
        .filter(|&r| bounds.iter().all(|&(t, n)| owned(t, r) >= n))
        .collect();
    (!rows.is_empty()).then(|| Actors {
        activity: zipf(rows.len() as u64, exponent),
        rows,
    })
}

/// Puts `value` at `path` in the claims, making the objects on the way.
fn insert_claim(
    claims: &mut serde_json::Map<String, serde_json::Value>,
    path: &[&str],
    value: serde_json::Value,
) {
    match path {
        [] => {}
        [last] => {
            claims.insert((*last).to_owned(), value);
        }
        [first, rest @ ..] => {
            let entry = claims
                .entry((*first).to_owned())
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if !entry.is_object() {
                *entry = serde_json::Value::Object(serde_json::Map::new());
            }
            if let Some(inner) = entry.as_object_mut() {
                insert_claim(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::units::Scale;

    fn taleforge(scale: f64) -> (Workload, Arc<DataPlan>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/taleforge/scenario.toml");
        let spec = crate::scenario::Scenario::load(&path)
            .and_then(|s| s.with_overrides(None, Some(Scale::constant(scale))))
            .expect("taleforge")
            .spec;
        let plan = Arc::new(DataPlan::new(&spec));
        let workload = spec.workload.as_ref().expect("a workload");
        (Workload::new(workload, plan.clone()), plan)
    }

    /// `n` draws of `query`'s actor: (row, stories the actor owns).
    fn actors(scale: f64, query: &str, n: usize) -> Vec<(u64, u64)> {
        let (workload, plan) = taleforge(scale);
        let q = workload
            .queries
            .iter()
            .find(|q| q.name == query)
            .expect("query");
        let stories = plan.table_index("stories").expect("stories");
        let mut rng = crate::seed::rng::cell_rng(7);
        (0..n)
            .map(|_| {
                let actor = workload.actor(q, &mut rng);
                let (a, b) = plan.rows_under(stories, workload.actor_table, actor);
                (actor, b - a)
            })
            .collect()
    }

    /// A deep page is sent only by users who have that many stories, the
    /// most active of them most often; the feed's first page by anyone.
    #[test]
    fn at_least_draws_only_users_owning_that_many_rows() {
        let deep = actors(1.0, "feed_page_10", 2000);
        assert!(
            deep.iter().all(|&(_, n)| n >= 200),
            "{:?}",
            deep.iter().min_by_key(|d| d.1)
        );
        let drawn: Vec<u64> = deep.iter().map(|d| d.0).collect();
        let times = |actor: u64| drawn.iter().filter(|&&a| a == actor).count();
        let mut senders = drawn.clone();
        senders.sort_unstable();
        senders.dedup();
        let most_active = senders[0];
        assert!(senders.len() > 3, "{senders:?}");
        assert!(
            senders[1..].iter().all(|&a| times(a) < times(most_active)),
            "{senders:?}"
        );
        let first = actors(1.0, "story_feed", 2000);
        assert!(first.iter().filter(|&&(_, n)| n < 200).count() > 1000);
        // Where nobody has 200 stories, the users with the most send it.
        let small = actors(0.01, "feed_page_10", 200);
        let (workload, plan) = taleforge(0.01);
        let stories = plan.table_index("stories").expect("stories");
        let most = (0..workload.actor_rows)
            .map(|r| {
                let (a, b) = plan.rows_under(stories, workload.actor_table, r);
                b - a
            })
            .max()
            .expect("users");
        assert!(most < 200, "{most}");
        assert!(
            small.iter().all(|&(_, n)| n == most),
            "{small:?} against {most}"
        );
    }
}

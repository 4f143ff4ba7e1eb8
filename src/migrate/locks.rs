//! What the DDL did to the app's sessions while it ran, sampled from
//! `pg_stat_activity` and `pg_locks`: who waited on a lock, for how long,
//! running which query (named by the tag every workload statement starts
//! with), and which table locks the DDL held.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use crate::drive::workload::statement_tag;
use crate::pg::{PgError, QueryContext};
use crate::results::BlockedQuery;

/// How often the lock tables are read while the DDL runs.
pub const EVERY: std::time::Duration =
    std::time::Duration::from_millis(crate::results::migration::SAMPLE_EVERY_MS);

/// What the samples saw, gathered as they come.
#[derive(Debug, Default)]
pub struct Sampled {
    pub samples: u64,
    /// (query, pid, query start) of every blocked request seen, with its
    /// longest wait seen, ms.
    blocked: BTreeMap<(String, i32, String), f64>,
    pub most_at_once: u64,
    pub locks_held: BTreeSet<String>,
    pub ddl_waited_ms: f64,
}

impl Sampled {
    /// Blocked requests per query, most first.
    pub fn blocked(&self) -> Vec<BlockedQuery> {
        let mut per: BTreeMap<&str, BlockedQuery> = BTreeMap::new();
        for ((query, _, _), wait) in &self.blocked {
            let entry = per.entry(query).or_insert_with(|| BlockedQuery {
                query: query.clone(),
                requests: 0,
                longest_wait_ms: 0.0,
            });
            entry.requests += 1;
            entry.longest_wait_ms = entry.longest_wait_ms.max(*wait);
        }
        let mut out: Vec<BlockedQuery> = per.into_values().collect();
        out.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.query.cmp(&b.query)));
        out
    }

    /// One blocked request seen waiting `wait` ms so far.
    fn see(&mut self, query: String, pid: i32, started: String, wait: f64) {
        let seen = self.blocked.entry((query, pid, started)).or_insert(0.0);
        *seen = seen.max(wait);
    }

    /// The longest wait of any blocked request, ms.
    pub fn longest_wait_ms(&self) -> f64 {
        self.blocked.values().copied().fold(0.0, f64::max)
    }
}

/// The workload query a statement's text belongs to, by its leading tag.
fn query_of(text: &str, names: &[String]) -> String {
    names
        .iter()
        .find(|n| text.contains(&statement_tag(n)))
        .cloned()
        .unwrap_or_else(|| "(other)".to_owned())
}

/// Reads the lock tables once: every session of this database (but the
/// sampler and the DDL) that waits on another, and the DDL's table locks.
pub async fn sample(
    client: &Client,
    ddl_pid: i32,
    names: &[String],
    into: &mut Sampled,
) -> Result<(), PgError> {
    let waiting = client
        .query(
            "select a.pid, coalesce(a.query, ''), coalesce(a.query_start::text, ''),
                    extract(epoch from clock_timestamp() - coalesce(a.state_change, a.query_start))::float8 * 1000
               from pg_stat_activity a
              where a.datname = current_database() and a.pid not in (pg_backend_pid(), $1)
                and a.wait_event_type = 'Lock' and cardinality(pg_blocking_pids(a.pid)) > 0",
            &[&ddl_pid],
        )
        .await
        .context_db("sampling blocked sessions")?;
    into.samples += 1;
    into.most_at_once = into.most_at_once.max(waiting.len() as u64);
    for row in &waiting {
        into.see(
            query_of(row.get(1), names),
            row.get(0),
            row.get(2),
            row.get(3),
        );
    }
    let ddl = client
        .query(
            "select l.mode || ' on ' || l.relation::regclass::text, l.granted,
                    extract(epoch from clock_timestamp() - coalesce(a.state_change, a.query_start))::float8 * 1000
               from pg_locks l join pg_stat_activity a on a.pid = l.pid
               join pg_class c on c.oid = l.relation
              where l.pid = $1 and l.locktype = 'relation' and c.relkind in ('r', 'p', 'm')",
            &[&ddl_pid],
        )
        .await
        .context_db("sampling the DDL's locks")?;
    for row in &ddl {
        let (lock, granted, since): (String, bool, f64) = (row.get(0), row.get(1), row.get(2));
        if granted {
            into.locks_held.insert(lock);
        } else {
            into.ddl_waited_ms = into.ddl_waited_ms.max(since);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_requests_count_once_per_request_with_their_longest_wait() {
        let mut s = Sampled::default();
        for (query, pid, start, wait) in [
            ("insert", 10, "t1", 5.0),
            ("insert", 10, "t1", 25.0),
            ("insert", 11, "t2", 7.0),
            ("read", 12, "t3", 3.0),
        ] {
            s.see(query.into(), pid, start.into(), wait);
        }
        assert_eq!(
            s.blocked(),
            [
                BlockedQuery {
                    query: "insert".into(),
                    requests: 2,
                    longest_wait_ms: 25.0
                },
                BlockedQuery {
                    query: "read".into(),
                    requests: 1,
                    longest_wait_ms: 3.0
                }
            ]
        );
        assert_eq!(
            query_of("/* schemabench feed */ select 1", &["feed".into()]),
            "feed"
        );
    }
}

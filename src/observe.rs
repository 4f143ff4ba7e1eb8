//! Why a candidate changed things, not just that it did: the plan of a
//! representative execution of every query (run as the query's role with
//! its claims), `pg_stat_statements` figures of the run, and per-index
//! scans, flagging indexes no query used.

use std::collections::BTreeSet;

use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use crate::drive::session::Shared;
use crate::drive::workload::statement_tag;
use crate::pg::{PgError, QueryContext};
use crate::results::{IndexUsage, PlanSummary, StatementStats};
use crate::scenario::workload::{Access, Role};
use crate::seed::rng::cell_rng;

/// Longest filter kept in a node's label.
const FILTER_CHARS: usize = 160;

/// Walks a plan node and its children. Labels keep what matters under
/// RLS: whether a policy's `auth.uid()` runs once (an InitPlan) or per
/// row (a SubPlan, hashed or not), and the filters the policies add.
fn walk(node: &serde_json::Value, nodes: &mut Vec<String>, indexes: &mut BTreeSet<String>) {
    let text = |k: &str| node.get(k).and_then(|v| v.as_str());
    let mut label = match (text("Parent Relationship"), text("Subplan Name")) {
        (Some("InitPlan" | "SubPlan"), Some(name)) => format!("{name}: "),
        _ => String::new(),
    };
    label.push_str(text("Node Type").unwrap_or("?"));
    if let Some(index) = text("Index Name") {
        label.push_str(&format!(" using {index}"));
        indexes.insert(index.to_owned());
    }
    if let Some(relation) = text("Relation Name") {
        label.push_str(&format!(" on {relation}"));
    }
    if let Some(filter) = text("Filter") {
        let short: String = filter.chars().take(FILTER_CHARS).collect();
        let more = if short.len() < filter.len() {
            "..."
        } else {
            ""
        };
        label.push_str(&format!(" [filter: {short}{more}]"));
    }
    nodes.push(label);
    for child in node
        .get("Plans")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        walk(child, nodes, indexes);
    }
}

/// Summarises `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` output.
pub fn summarise(query: &str, explain: &serde_json::Value) -> PlanSummary {
    let top = &explain[0];
    let plan = &top["Plan"];
    let mut nodes = Vec::new();
    let mut indexes = BTreeSet::new();
    walk(plan, &mut nodes, &mut indexes);
    PlanSummary {
        query: query.to_owned(),
        nodes,
        indexes: indexes.into_iter().collect(),
        estimated_rows: plan["Plan Rows"].as_f64().unwrap_or(0.0),
        actual_rows: plan["Actual Rows"].as_f64().unwrap_or(0.0),
        shared_hit_blocks: plan["Shared Hit Blocks"].as_i64().unwrap_or(0),
        shared_read_blocks: plan["Shared Read Blocks"].as_i64().unwrap_or(0),
        planning_ms: top["Planning Time"].as_f64().unwrap_or(0.0),
        execution_ms: top["Execution Time"].as_f64().unwrap_or(0.0),
        changes: Vec::new(),
        error: None,
    }
}

/// Marks what a plan gained or lost against the baseline's plan.
pub fn diff(plan: &mut PlanSummary, baseline: &PlanSummary) {
    let before: BTreeSet<&String> = baseline.nodes.iter().collect();
    let after: BTreeSet<&String> = plan.nodes.iter().collect();
    plan.changes = after
        .difference(&before)
        .map(|n| format!("+ {n}"))
        .chain(before.difference(&after).map(|n| format!("- {n}")))
        .collect();
}

/// Takes the plan of one representative request per query: the same
/// parameters for every candidate, as the query's role with its claims,
/// rolled back so writes leave nothing behind.
pub async fn plans(client: &Client, shared: &Shared, seed: u64) -> Vec<PlanSummary> {
    let mut out = Vec::new();
    for (index, query) in shared.workload.queries.iter().enumerate() {
        let request = shared
            .workload
            .request(index, &mut cell_rng(seed ^ index as u64));
        let summary = match explain(client, shared, &request, "analyze, buffers, format json").await
        {
            Ok(json) => summarise(&query.name, &json),
            Err(e) => PlanSummary {
                query: query.name.clone(),
                error: Some(crate::pg::describe_db_error(&e)),
                ..PlanSummary::default()
            },
        };
        out.push(summary);
    }
    out
}

/// `EXPLAIN (options)` of one request, as its query's role with its
/// claims, in a transaction rolled back afterwards.
pub async fn explain(
    client: &Client,
    shared: &Shared,
    request: &crate::drive::workload::Request,
    options: &str,
) -> Result<serde_json::Value, tokio_postgres::Error> {
    let query = &shared.workload.queries[request.query];
    client.batch_execute("begin").await?;
    let result = async {
        if query.role != Role::Postgres
            && let Some(pre) = shared.pre_request.get(&query.role)
        {
            let method = if query.access == Access::Read {
                "GET"
            } else {
                "POST"
            };
            let mut values: Vec<&(dyn ToSql + Sync)> = vec![
                &"\"public\", \"extensions\"",
                &pre.role,
                &request.claims,
                &method,
                &query.path,
            ];
            values.extend(pre.role_settings.iter().map(|s| s as &(dyn ToSql + Sync)));
            client.query(&pre.sql, &values).await?;
        }
        let params: Vec<&(dyn ToSql + Sync)> = request
            .params
            .iter()
            .map(|v| v as &(dyn ToSql + Sync))
            .collect();
        let row = client
            .query_one(&format!("explain ({options}) {}", query.sql), &params)
            .await?;
        Ok(row.get::<_, serde_json::Value>(0))
    }
    .await;
    let _ = client.batch_execute("rollback").await;
    result
}

/// Index scans since the database's statistics began (the candidate copies
/// start from zero). The indexes of a partitioned table count as one, under
/// the parent's name: a month nobody queried does not make its index unused.
pub async fn index_usage(client: &Client) -> Result<Vec<IndexUsage>, PgError> {
    let rows = client
        .query(
            "select coalesce(pg_partition_root(indexrelid), indexrelid)::regclass::text,
                    coalesce(pg_partition_root(relid), relid)::regclass::text,
                    sum(idx_scan)::int8
               from pg_stat_user_indexes
              where schemaname = 'public'
              group by 1, 2 order by 2, 1",
            &[],
        )
        .await
        .context_db("reading index usage")?;
    Ok(rows
        .iter()
        .map(|r| IndexUsage {
            index: r.get(0),
            table: r.get(1),
            scans: r.get(2),
        })
        .collect())
}

/// Times (ms) of a fixed CPU-bound query that reads no table: the same work
/// on any schema and any data, so it measures only the machine. Empty if
/// the server refuses it.
pub async fn reference_times(client: &Client, times: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(times);
    for _ in 0..times {
        let started = std::time::Instant::now();
        if client
            .query_one(
                "select count(*) from generate_series(1, 200000) g where g % 7 = 3",
                &[],
            )
            .await
            .is_err()
        {
            return Vec::new();
        }
        out.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    out
}

/// When `pg_stat_statements` last started counting afresh (a reset, or a
/// server that lost its statistics in a crash), where the server says.
pub async fn statistics_since(client: &Client) -> Option<String> {
    client
        .query_one(
            "select stats_reset::text from extensions.pg_stat_statements_info",
            &[],
        )
        .await
        .ok()
        .and_then(|row| row.get(0))
}

/// `pg_stat_statements` figures of the workload's statements in this
/// database; empty where the extension is not installed.
pub async fn statement_stats(client: &Client, shared: &Shared) -> Vec<StatementStats> {
    let rows = client
        .query(
            "select query, sum(calls)::bigint, sum(total_exec_time) / nullif(sum(calls), 0), max(stddev_exec_time),
                    sum(shared_blks_hit)::bigint, sum(shared_blks_read)::bigint, sum(rows)::bigint,
                    sum(temp_blks_read + temp_blks_written)::bigint, sum(wal_bytes)::bigint
               from extensions.pg_stat_statements
              where dbid = (select oid from pg_database where datname = current_database())
              group by query",
            &[],
        )
        .await
        .unwrap_or_default();
    shared
        .workload
        .queries
        .iter()
        .filter_map(|q| {
            let tag = statement_tag(&q.name);
            let row = rows
                .iter()
                .find(|r| r.get::<_, String>(0).trim_start().starts_with(&tag))?;
            Some(StatementStats {
                query: q.name.clone(),
                calls: row.get(1),
                mean_exec_ms: row.get::<_, Option<f64>>(2).unwrap_or(0.0),
                stddev_exec_ms: row.get(3),
                shared_blks_hit: row.get(4),
                shared_blks_read: row.get(5),
                rows: row.get(6),
                temp_blks: row.get(7),
                wal_bytes: row.get(8),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_summarised_and_diffed() {
        let explain = serde_json::json!([{
            "Plan": {
                "Node Type": "Limit", "Plan Rows": 20.0, "Actual Rows": 20.0,
                "Shared Hit Blocks": 7, "Shared Read Blocks": 1,
                "Plans": [
                    {"Node Type": "Result", "Parent Relationship": "InitPlan", "Subplan Name": "InitPlan 1 (returns $0)"},
                    {"Node Type": "Index Scan", "Index Name": "stories_user_created_idx", "Relation Name": "stories",
                     "Filter": "(user_id = $0)"}
                ]
            },
            "Planning Time": 0.1, "Execution Time": 0.2
        }]);
        let mut candidate = summarise("feed", &explain);
        assert_eq!(
            candidate.nodes,
            vec![
                "Limit",
                "InitPlan 1 (returns $0): Result",
                "Index Scan using stories_user_created_idx on stories [filter: (user_id = $0)]"
            ]
        );
        assert_eq!(candidate.indexes, vec!["stories_user_created_idx"]);
        assert_eq!(candidate.shared_hit_blocks, 7);
        let baseline = PlanSummary {
            nodes: vec!["Limit".into(), "Sort".into(), "Seq Scan on stories".into()],
            ..PlanSummary::default()
        };
        diff(&mut candidate, &baseline);
        assert_eq!(
            candidate.changes,
            vec![
                "+ Index Scan using stories_user_created_idx on stories [filter: (user_id = $0)]",
                "+ InitPlan 1 (returns $0): Result",
                "- Seq Scan on stories",
                "- Sort"
            ]
        );
    }
}

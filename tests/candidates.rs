//! Candidate copies against a real server: every copy inherits the seeded
//! data's statistics, so two copies of the same schema plan alike; only
//! what a candidate creates or rewrites is analyzed afresh.

mod common;

use std::collections::BTreeMap;

use schemabench::candidate::{self, Candidate};
use schemabench::seed::seed;
use tokio_postgres::Client;

/// A digest of the planner statistics of every table in `public`.
async fn statistics(db: &Client) -> Vec<(String, String)> {
    db.query(
        "select tablename::text, md5(string_agg(concat_ws('|', attname, null_frac, n_distinct,
                most_common_vals::text, histogram_bounds::text, correlation), ',' order by attname))
           from pg_stats where schemaname = 'public' group by 1 order by 1",
        &[],
    )
    .await
    .expect("pg_stats")
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// A configuration with `sql`, sampling a mere 300 rows per table when it
/// analyzes: two fresh samples of the same table then differ.
fn configuration(name: &str, sql: &str) -> Candidate {
    Candidate {
        name: name.to_owned(),
        sql: sql.to_owned(),
        settings: BTreeMap::from([("default_statistics_target".to_owned(), "1".to_owned())]),
        ..Candidate::baseline()
    }
}

#[tokio::test]
async fn copies_share_the_seeded_statistics_and_new_relations_are_analyzed() {
    let server = common::server().await;
    let report = seed(&server, &common::taleforge(108, 0.02), &common::quiet())
        .await
        .expect("seed");
    let admin = server
        .connect(&server.maintenance_db())
        .await
        .expect("admin connection");
    let configurations = [
        configuration("twin_a", ""),
        configuration("twin_b", ""),
        configuration(
            "lower_titles",
            "create index stories_lower_title on public.stories (lower(title))",
        ),
    ];
    let mut prepared = Vec::new();
    for (i, c) in configurations.into_iter().enumerate() {
        prepared.push(
            candidate::prepare(&server, &admin, &report.database, i + 1, c)
                .await
                .expect("prepare"),
        );
    }
    let mut stats = Vec::new();
    for p in &prepared {
        let db = server.connect(&p.database).await.expect("connect");
        stats.push(statistics(&db).await);
    }
    assert!(stats[0].len() >= 11, "{:?}", stats[0]);
    assert_eq!(stats[0], stats[1], "two copies of one schema plan alike");
    // The expression index got statistics of its own; no table was
    // analyzed anew but the one it indexes.
    let expression = |s: &[(String, String)]| s.iter().any(|(t, _)| t == "stories_lower_title");
    assert!(expression(&stats[2]) && !expression(&stats[0]));
    let untouched = |s: &[(String, String)]| -> Vec<(String, String)> {
        s.iter()
            .filter(|(t, _)| t != "stories" && t != "stories_lower_title")
            .cloned()
            .collect()
    };
    assert_eq!(untouched(&stats[0]), untouched(&stats[2]));
    candidate::drop_copies(&admin, &prepared)
        .await
        .expect("drop the copies");
}

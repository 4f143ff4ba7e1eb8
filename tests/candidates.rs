//! Candidate copies against a real server: every copy inherits the seeded
//! data's statistics, so two copies of the same schema plan alike; only
//! what a candidate creates or rewrites is analyzed afresh.

mod common;

use schemabench::candidate::{self, Candidate};
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
    common::candidate(name, sql, &[("default_statistics_target", "1")])
}

#[tokio::test]
async fn copies_share_the_seeded_statistics_and_new_relations_are_analyzed() {
    let (server, report, admin) = common::seeded_taleforge(108, 0.02).await;
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
        let db = server.admin(&p.database).await.expect("connect");
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

/// A candidate that partitions a table gets every partition analyzed
/// exactly once: ANALYZE of the partitioned table covers its partitions,
/// so naming them as well would sample each twice.
#[tokio::test]
async fn a_partitioned_rewrite_analyzes_each_partition_once() {
    let (server, report, admin) = common::seeded_taleforge(110, 0.02).await;
    let sql = "create table public.probe_parts (id int, at date) partition by range (at);
               create table public.probe_parts_a partition of public.probe_parts for values from ('2025-01-01') to ('2025-07-01');
               create table public.probe_parts_b partition of public.probe_parts for values from ('2025-07-01') to ('2026-01-01');
               insert into public.probe_parts select g, date '2025-01-01' + g % 360 from generate_series(1, 2000) g";
    let prepared = candidate::prepare(
        &server,
        &admin,
        &report.database,
        1,
        configuration("parts", sql),
    )
    .await
    .expect("prepare");
    let db = server.admin(&prepared.database).await.expect("connect");
    // The analyzing session reports its counts when it ends.
    let mut counts = Vec::new();
    for _ in 0..100 {
        counts = db
            .query(
                "select relname::text, analyze_count from pg_stat_user_tables
                  where relname in ('probe_parts_a', 'probe_parts_b') order by 1",
                &[],
            )
            .await
            .expect("pg_stat_user_tables")
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
            .collect::<Vec<_>>();
        if counts.iter().all(|(_, n)| *n > 0) && counts.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        counts,
        [
            ("probe_parts_a".to_owned(), 1),
            ("probe_parts_b".to_owned(), 1)
        ]
    );
    drop(db);
    candidate::drop_copies(&admin, std::slice::from_ref(&prepared))
        .await
        .expect("drop the copy");
}

/// The databases on the shared cluster whose names start with `prefix`.
async fn databases(admin: &Client, prefix: &str) -> Vec<String> {
    admin
        .query(
            "select datname::text from pg_database where starts_with(datname, $1) order by 1",
            &[&prefix],
        )
        .await
        .expect("pg_database")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// A candidate whose SQL fails stops the run (exit 3, the line named), and
/// no copy stays behind: neither its own nor those made before it.
#[tokio::test]
async fn a_failing_candidate_leaves_no_copy_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rest = "[workload.actor]\ntable = \"profiles\"\n\
         [[workload.queries]]\nname = \"pages\"\nweight = 1\nas = \"postgres\"\naccess = \"read\"\n\
         sql = \"select count(*) from public.story_segments where story_id = $1\"\n\
         params = [{ from = \"owned\", column = \"stories.id\" }]\n\
         [load]\n[[load.phases]]\nname = \"steady\"\ntransactions = 10\nclients = 1\n\
         [[candidates]]\nname = \"fine\"\nsql = \"create index on public.stories (title)\"\n\
         [[candidates]]\nname = \"broken\"\nsql = \"select 1;\\nselect nosuchcolumn from public.stories\"\n";
    let scenario = common::taleforge_variant(dir.path(), "leftover_probe", "leftover", None, rest);
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("schemabench"))
        .arg("run")
        .arg(&scenario)
        .args(["--scale", "0.01", "--out"])
        .arg(dir.path().join("out"))
        .env("DATABASE_URL", common::database_url())
        .output()
        .expect("run schemabench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "candidate broken: its SQL failed at line 2, column 8: column \"nosuchcolumn\" does not exist"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("db error"),
        "the cause is printed once: {stderr}"
    );
    assert!(!stderr.contains("NOTICE"), "no server chatter: {stderr}");
    let server = common::server().await;
    let admin = server
        .admin(&server.maintenance_db())
        .await
        .expect("admin connection");
    let all = databases(&admin, "schemabench_leftover_probe").await;
    assert_eq!(
        all.len(),
        1,
        "only the seeded data stays, for reuse: {all:?}"
    );
}

/// A failed query's message carries the server's words once, not again
/// as a trailing "db error: ERROR: ..." cause.
#[tokio::test]
async fn a_query_error_prints_its_cause_once() {
    use schemabench::pg::QueryContext;
    let server = common::server().await;
    let db = server
        .admin(&server.maintenance_db())
        .await
        .expect("connect");
    let error = db
        .batch_execute("select nosuchcolumn")
        .await
        .context_db("probing")
        .expect_err("no such column");
    let text = format!("{:#}", anyhow::Error::from(error));
    assert_eq!(
        text.matches("does not exist").count(),
        1,
        "the cause is printed once: {text}"
    );
    assert!(
        text.starts_with("probing: column \"nosuchcolumn\" does not exist (SQLSTATE 42703)"),
        "{text}"
    );
}

/// The gallery's newest 20 of `language` on `db`, as the live query reads
/// them, and as `public.gallery_latest` reads them where it exists.
async fn galleries(db: &Client, language: &str) -> (Vec<String>, Vec<String>) {
    let ids = |rows: Vec<tokio_postgres::Row>| -> Vec<String> {
        rows.iter().map(|r| r.get::<_, String>(0)).collect()
    };
    let live = db
        .query(
            "select id::text from public.stories
              where is_public and deleted_at is null and metadata @> jsonb_build_object('language', $1::text)
              order by created_at desc limit 20",
            &[&language],
        )
        .await
        .expect("live gallery");
    let cached = db
        .query(
            "select id::text from public.gallery_latest($1)",
            &[&language],
        )
        .await
        .expect("cached gallery");
    (ids(live), ids(cached))
}

/// `gallery_trigger_cache` keeps its copy of the public stories by a
/// trigger, and `gallery_unlogged_cache` the same copy unlogged: the
/// gallery each serves is the live query's, story for story, before and
/// after a story is published, one is soft-deleted and one is written
/// public.
#[tokio::test]
async fn the_trigger_kept_gallery_is_the_live_gallery_after_every_kind_of_write() {
    let (server, report, admin) = common::seeded_taleforge(109, 0.02).await;
    let scenario = common::taleforge(109, 0.02);
    let dir = scenario.path.parent().expect("scenario folder");
    for (n, (name, persistence)) in [
        ("gallery_trigger_cache", "p"),
        ("gallery_unlogged_cache", "u"),
    ]
    .into_iter()
    .enumerate()
    {
        let spec = scenario
            .spec
            .candidates
            .iter()
            .find(|c| c.name == name)
            .expect("the candidate");
        let cache = Candidate::from_spec(spec, dir).expect("candidate SQL");
        let copy = candidate::prepare(&server, &admin, &report.database, n + 1, cache)
            .await
            .expect("copy");
        let db = server.admin(&copy.database).await.expect("connect");
        let kept: String = db
            .query_one(
                "select relpersistence::text from pg_class where oid = 'public.gallery_public'::regclass",
                &[],
            )
            .await
            .expect("persistence")
            .get(0);
        assert_eq!(kept, persistence, "{name}");
        same_gallery_after_writes(&db).await;
        candidate::drop_copies(&admin, &[copy]).await.expect("drop");
    }
}

/// Publishes, soft-deletes and inserts a public story on `db`, checking the
/// gallery against the live query before and after.
async fn same_gallery_after_writes(db: &Client) {
    let languages = ["es", "fr", "de"];
    for language in languages {
        let (live, cached) = galleries(db, language).await;
        assert!(!live.is_empty(), "{language}");
        assert_eq!(live, cached, "{language} as seeded");
    }
    db.batch_execute(
        "update public.stories set is_public = true, created_at = now()
          where id = (select id from public.stories where not is_public and deleted_at is null
                        and metadata ->> 'language' = 'es' order by id limit 1);
         update public.stories set deleted_at = now()
          where id = (select id::uuid from public.gallery_latest('fr') limit 1);
         insert into public.stories (user_id, title, genre, age_group, is_public, metadata)
         select id, 'Fresh', 'bedtime', '5-7', true, '{\"language\": \"de\"}' from public.profiles order by id limit 1;",
    )
    .await
    .expect("writes");
    for language in languages {
        let (live, cached) = galleries(db, language).await;
        assert_eq!(live, cached, "{language} after the writes");
    }
}

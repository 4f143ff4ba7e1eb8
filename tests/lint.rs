//! splinter's rules against a real migrated schema: TaleForge is clean, and
//! a schema that breaks each rule once gets one finding per rule.

mod common;

use schemabench::lint;
use schemabench::results::IndexUsage;
use schemabench::results::LintFinding as Finding;

fn rules_and_objects(findings: &[Finding]) -> Vec<(&str, &str)> {
    findings
        .iter()
        .map(|f| (f.rule.as_str(), f.object.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taleforge_is_clean_and_each_broken_rule_is_found() {
    let server = common::server().await;
    let taleforge = common::taleforge(42, 0.01);
    let clean = lint::scenario(&server, &taleforge, None)
        .await
        .expect("lint taleforge");
    assert_eq!(rules_and_objects(&clean), []);

    // TaleForge's migrations, then one that breaks every rule.
    let dir = tempfile::tempdir().expect("tempdir");
    let migrations = common::repo_path("scenarios/taleforge/migrations");
    for entry in std::fs::read_dir(&migrations).expect("migrations") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    std::fs::copy(
        common::repo_path("tests/fixtures/lint_bad.sql"),
        dir.path().join("900_lint_bad.sql"),
    )
    .expect("copy");
    let broken = taleforge
        .with_migrations_from(dir.path())
        .expect("a valid scenario");
    let usage = [
        IndexUsage {
            index: "bookmarks_user_a".into(),
            table: "bookmarks".into(),
            scans: 0,
        },
        // Unique: it enforces, so unused scans say nothing.
        IndexUsage {
            index: "bookmarks_pkey".into(),
            table: "bookmarks".into(),
            scans: 0,
        },
    ];
    let found = lint::scenario(&server, &broken, Some(&usage))
        .await
        .expect("lint the broken schema");
    assert_eq!(
        rules_and_objects(&found),
        [
            (
                "unindexed_foreign_keys",
                "bookmarks (bookmarks_story_id_fkey)"
            ),
            (
                "auth_rls_initplan",
                "public.bookmarks policy bookmarks: read own"
            ),
            (
                "multiple_permissive_policies",
                "public.bookmarks for authenticated on SELECT: bookmarks: read own, bookmarks: read shared"
            ),
            (
                "duplicate_index",
                "bookmarks: bookmarks_user_a, bookmarks_user_b"
            ),
            ("function_search_path_mutable", "touch()"),
            ("rls_disabled_in_public", "scratch"),
            ("unused_index", "bookmarks_user_a"),
        ]
    );
    assert_eq!(found[0].fix, "create index on bookmarks (story_id)");
    // The scratch databases are gone.
    let admin = server.admin("postgres").await.expect("admin");
    let left: i64 = admin
        .query_one(
            "select count(*) from pg_database where datname like 'schemabench_lint%'",
            &[],
        )
        .await
        .expect("pg_database")
        .get(0);
    assert_eq!(left, 0);
}

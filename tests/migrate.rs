//! `migrate` end to end with the real binary: a plain index build under
//! write load blocks the writers for as long as its transaction holds the
//! table's SHARE lock; the same build CONCURRENTLY blocks none.

mod common;

use assert_cmd::Command;
use schemabench::results::MigrationResults;
use schemabench::results::migration::TableRows;

/// TaleForge's data under two clients inserting generation logs (as the
/// service role, through PostgREST's transaction) and reading them; the
/// migration runs on the copy of a candidate that reads them through a
/// function of its own (which exists only where its SQL was applied).
const WORKLOAD: &str = "[workload.actor]\ntable = \"profiles\"\n\
    [[workload.queries]]\nname = \"log\"\nweight = 3\nas = \"service_role\"\naccess = \"write\"\n\
    sql = \"insert into public.generation_logs (user_id, story_id, kind, model, prompt_tokens, completion_tokens, credits_used, latency_ms, status) values ($1, $2, 'image', 'm', 1, 0, 3, 1, 'success')\"\n\
    params = [{ from = \"actor\", column = \"id\" }, { from = \"owned\", column = \"stories.id\" }]\n\
    [[workload.queries]]\nname = \"recent\"\nweight = 1\nas = \"authenticated\"\naccess = \"read\"\n\
    sql = \"select id from public.generation_logs where user_id = $1 limit 5\"\n\
    params = [{ from = \"actor\", column = \"id\" }]\n\
    [load]\n[[load.phases]]\nname = \"steady\"\nduration = \"6s\"\nclients = 2\n\
    [[candidates]]\nname = \"via_function\"\n\
    sql = \"create function public.recent_logs(p uuid) returns setof uuid language sql stable as $$ select id from public.generation_logs where user_id = p limit 5 $$\"\n\
    queries.recent = \"select * from public.recent_logs($1)\"\n";

/// The index build, then two seconds more in the same migration: at this
/// scale the build itself takes milliseconds, and the pause stands in for
/// the build of a large table, holding the lock as long whatever the
/// machine's speed. Then writes of known counts, one of them by a cascade.
const MIGRATION: &str = "create index generation_logs_model_idx on public.generation_logs (model);\n\
    select pg_sleep(2);\n\
    create table public.probe_parent (i int primary key);\n\
    create table public.probe_child (i int primary key references public.probe_parent on delete cascade);\n\
    insert into public.probe_parent select generate_series(1, 100);\n\
    insert into public.probe_child select generate_series(96, 100);\n\
    update public.probe_parent set i = i where i <= 10;\n\
    delete from public.probe_parent where i > 90;\n";

#[test]
fn a_plain_index_build_blocks_writers_and_the_concurrent_one_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("migrate_probe.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"migrate_probe\"\nextends = {:?}\n{WORKLOAD}",
            common::repo_path("scenarios/taleforge/scenario.toml")
                .display()
                .to_string()
        ),
    )
    .expect("write scenario");
    let sql = dir.path().join("20261126_model_index.sql");
    std::fs::write(&sql, MIGRATION).expect("write migration");
    let out = dir.path().join("report");
    let output = Command::cargo_bin("schemabench")
        .expect("binary")
        .env_remove("DATABASE_URL")
        .args(["migrate", "--scale", "0.02", "--seed", "302", "--at", "1s"])
        .args(["--on", "via_function"])
        .arg(&scenario)
        .arg("--sql")
        .arg(&sql)
        .arg("--out")
        .arg(&out)
        .args(["--database-url", &common::database_url()])
        .output()
        .expect("run migrate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "migrate failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    common::assert_matches_schema(&out.join("migration.json"), "migration.schema.json");
    let results: MigrationResults = serde_json::from_str(
        &std::fs::read_to_string(out.join("migration.json")).expect("migration.json"),
    )
    .expect("results");
    assert_eq!(results.on, "via_function");
    let rules: Vec<(&str, u64)> = results
        .warnings
        .iter()
        .map(|w| (w.rule.as_str(), w.line))
        .collect();
    assert_eq!(rules, [("require-concurrent-index-creation", 1)]);
    let names: Vec<&str> = results.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["as written", "concurrently"]);
    let (written, concurrent) = (&results.variants[0], &results.variants[1]);
    // As written: one transaction holding the SHARE lock; the writers wait.
    assert!(written.one_transaction);
    assert_eq!(written.ddl_error, None);
    assert!(
        written
            .locks_held
            .contains(&"ShareLock on generation_logs".to_owned()),
        "{:?}",
        written.locks_held
    );
    let blocked: Vec<&str> = written.blocked.iter().map(|b| b.query.as_str()).collect();
    assert_eq!(
        blocked,
        ["log"],
        "only the writers wait: {:?}",
        written.blocked
    );
    assert!(written.longest_wait_ms > 0.0);
    // The rows it wrote, its cascade included; not the load's logs, which
    // other sessions inserted meanwhile.
    let rows = |table: &str, inserted, updated, deleted| TableRows {
        table: table.into(),
        inserted,
        updated,
        deleted,
    };
    assert_eq!(
        written.rows,
        [
            rows("public.probe_parent", 100, 10, 10),
            rows("public.probe_child", 5, 0, 5)
        ]
    );
    // Concurrently: statement by statement, and no request waits.
    assert!(!concurrent.one_transaction);
    assert_eq!(concurrent.ddl_error, None);
    assert!(
        concurrent
            .sql
            .starts_with("create index concurrently generation_logs_model_idx"),
        "{}",
        concurrent.sql
    );
    assert_eq!(concurrent.blocked, [], "{concurrent:?}");
    // Statement by statement, no transaction holds the counts.
    assert_eq!(concurrent.rows, []);
    assert!(concurrent.samples > 0);
    assert!(
        results
            .advice
            .starts_with("Ship CONCURRENTLY: as written it blocked"),
        "{}",
        results.advice
    );
    assert!(stdout.contains(&results.advice), "{stdout}");
    assert!(
        stdout.contains("deleted 15 rows: public.probe_parent 10, public.probe_child 5"),
        "{stdout}"
    );
    for file in ["migration.md", "migration.html"] {
        let text = std::fs::read_to_string(out.join(file)).expect("report file");
        assert!(text.contains("Ship CONCURRENTLY"), "{file}");
        assert!(text.contains("inserted 105 rows"), "{file}");
    }
}

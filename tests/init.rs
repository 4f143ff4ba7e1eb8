//! `schemabench init` with the real binary on three schemas of different
//! shapes: each written scenario checks, seeds and runs with no edit, and
//! what was inferred is pinned where it matters (keys that agree, checks
//! that hold, sequences past the seeded rows).

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn schemabench() -> Command {
    let mut cmd = Command::cargo_bin("schemabench").expect("binary");
    cmd.env_remove("DATABASE_URL")
        .current_dir(common::repo_path(""));
    cmd
}

/// `init` of `migrations` into `out`; returns the scenario file's text.
fn init(migrations: &str, out: &Path, name: &str) -> String {
    schemabench()
        .args([
            "init",
            "--from-migrations",
            migrations,
            "--name",
            name,
            "--out",
        ])
        .arg(out)
        .arg("--database-url")
        .arg(common::database_url())
        .assert()
        .success();
    std::fs::read_to_string(out.join("scenario.toml")).expect("scenario written")
}

/// `check`, then a short `run` at a small scale (which seeds first), of
/// the written scenario, unedited; returns the run's results.
fn check_and_run(out: &Path) -> schemabench::results::RunResults {
    let file = out.join("scenario.toml");
    schemabench().arg("check").arg(&file).assert().success();
    let report = out.join("report");
    schemabench()
        .arg("run")
        .arg(&file)
        .args(["--scale", "0.02", "-T", "1s", "--out"])
        .arg(&report)
        .arg("--database-url")
        .arg(common::database_url())
        .assert()
        .success();
    schemabench::gate::baseline::load(&report.join("results.json")).expect("results")
}

/// The line of `text` that sets `key` in table `table`'s columns.
fn column_line<'a>(text: &'a str, table: &str, key: &str) -> &'a str {
    let section = format!("[tables.{table}.columns]");
    let start = text.find(&section).unwrap_or_else(|| panic!("{section}"));
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("{table}.{key}"))
}

fn table_line<'a>(text: &'a str, table: &str, key: &str) -> &'a str {
    let section = format!("[tables.{table}]");
    let start = text.find(&section).unwrap_or_else(|| panic!("{section}"));
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("{table}: {key}"))
}

fn every_query_answered(results: &schemabench::results::RunResults) {
    let base = &results.candidates[0];
    assert!(!base.queries.is_empty());
    for q in &base.queries {
        assert!(q.count > 0, "{} ran", q.name);
        assert_eq!(
            q.errors + q.timeouts,
            0,
            "{} failed: {:?}",
            q.name,
            q.errors_by_sqlstate
        );
    }
}

#[test]
fn taleforge_migrations_become_a_scenario_that_runs_unedited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("tf");
    let text = init("scenarios/taleforge/migrations", &out, "tf_inferred");
    // A page hangs under its story, and takes the story's user: the
    // composite key (story_id, user_id) holds.
    assert_eq!(
        table_line(&text, "story_segments", "per"),
        "per = \"stories\""
    );
    assert_eq!(
        column_line(&text, "story_segments", "user_id"),
        "user_id = { gen = \"ref\", column = \"stories.user_id\" }"
    );
    assert_eq!(
        column_line(&text, "story_segments", "position"),
        "position = { gen = \"position\" }"
    );
    // The ledger's rule across kind and amount, resolved by PostgreSQL.
    let amount = column_line(&text, "credit_transactions", "amount");
    assert!(
        amount.contains("\"generation\" = { gen = \"int\", min = -1000, max = -1 }")
            && amount.contains("\"purchase\" = { gen = \"int\", min = 1, max = 1000 }"),
        "{amount}"
    );
    // A story's child is one of the same parent's children.
    assert!(
        column_line(&text, "stories", "child_id")
            .contains("{ gen = \"pick\", column = \"child_profiles.id\", within = \"profiles\" }")
    );
    assert!(text.contains("table = \"profiles\""), "the actor");
    let results = check_and_run(&out);
    every_query_answered(&results);
    // Refused without --force: nothing is overwritten.
    schemabench()
        .args([
            "init",
            "--from-migrations",
            "scenarios/taleforge/migrations",
            "--out",
        ])
        .arg(&out)
        .arg("--database-url")
        .arg(common::database_url())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("exists: give --force"));
}

#[test]
fn the_bookclub_example_is_what_init_writes_and_its_keys_and_sequences_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("bookclub");
    let text = init("scenarios/bookclub/migrations", &out, "bookclub");
    // The worked example in scenarios/ is init's output, not hand-edited
    // (its migrations path aside, which is relative to where it lives).
    let committed = std::fs::read_to_string(common::repo_path("scenarios/bookclub/scenario.toml"))
        .expect("the example");
    let relative = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.starts_with("migrations = ") && !l.starts_with("description = "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        relative(&committed),
        relative(&text),
        "regenerate: schemabench init --from-migrations scenarios/bookclub/migrations --out scenarios/bookclub --force"
    );
    assert!(committed.contains("migrations = [\"migrations/*.sql\"]"));
    // Identity keys are numbered; a self-reference picks another row; the
    // domain's CHECK bounds its column; a cross-column CHECK orders times.
    assert_eq!(
        column_line(&text, "books", "id"),
        "id = { gen = \"serial\" }"
    );
    assert_eq!(
        column_line(&text, "comments", "reply_to"),
        "reply_to = { gen = \"nullable\", p = 0.3, of = { gen = \"pick\", column = \"comments.id\" } }"
    );
    assert!(
        column_line(&text, "shelves", "rating").contains("{ gen = \"int\", min = 1, max = 5 }")
    );
    assert!(
        column_line(&text, "comments", "edited_at")
            .contains("{ gen = \"after\", column = \"comments.created_at\"")
    );
    assert_eq!(
        column_line(&text, "shelves", "status"),
        "status = { gen = \"enum\", values = [\"want_to_read\", \"reading\", \"finished\", \"abandoned\"] }"
    );
    // A composite key of the parent and another key: one row per parent.
    assert_eq!(
        table_line(&text, "memberships", "count"),
        "count = { dist = \"fixed\", value = 1 }"
    );
    let results = check_and_run(&out);
    every_query_answered(&results);
    // The seeded identity sequences moved past the seeded rows: the app's
    // next insert gets the next number, not a duplicate key.
    let database = results.scenario.database.clone();
    let books = results
        .scenario
        .tables
        .iter()
        .find(|t| t.name == "books")
        .expect("books")
        .rows;
    let next = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let server = common::server().await;
                let client = server.connect(&database).await.expect("connect");
                let id: i64 = client
                    .query_one(
                        "insert into public.books (title, author_name) values ('t', 'a') returning id",
                        &[],
                    )
                    .await
                    .expect("an insert after seeding")
                    .get(0);
                client
                    .execute("delete from public.books where id = $1", &[&id])
                    .await
                    .expect("undo");
                id
            })
    })
    .join()
    .expect("insert");
    assert_eq!(next as u64, books + 1);
}

#[test]
fn a_plain_postgres_schema_runs_as_its_owner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out: PathBuf = dir.path().join("inventory");
    let text = init("tests/fixtures/init/inventory", &out, "inventory");
    assert!(!text.contains("auth.users"), "no Supabase auth in it");
    assert!(!text.contains("as = \"authenticated\""), "{text}");
    assert_eq!(
        column_line(&text, "order_lines", "line_no"),
        "line_no = { gen = \"position\" }"
    );
    // A short unique code: numbered, so it fits varchar(8) and never repeats.
    assert_eq!(
        column_line(&text, "warehouses", "code"),
        "code = { gen = \"serial\" }"
    );
    assert!(column_line(&text, "products", "price").contains("min = 0"));
    let results = check_and_run(&out);
    every_query_answered(&results);
}

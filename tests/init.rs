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

/// The line of `text` that sets `key` in TOML section `section`.
fn line_in<'a>(text: &'a str, section: &str, key: &str) -> &'a str {
    let header = format!("[{section}]");
    let start = text.find(&header).unwrap_or_else(|| panic!("{header}"));
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("{section}: {key}"))
}

/// The line of `text` that sets column `key` of table `table`.
fn column_line<'a>(text: &'a str, table: &str, key: &str) -> &'a str {
    line_in(text, &format!("tables.{table}.columns"), key)
}

/// The line of `text` that sets `key` of table `table` (rows, per, count).
fn table_line<'a>(text: &'a str, table: &str, key: &str) -> &'a str {
    line_in(text, &format!("tables.{table}"), key)
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
    // Its rows land in the order the app writes them, among other stories'.
    assert_eq!(
        table_line(&text, "story_segments", "order"),
        "order = \"created_at\""
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
    // The committed example itself checks (its header's paths are its own).
    schemabench()
        .args(["check", "scenarios/bookclub/scenario.toml"])
        .assert()
        .success();
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
    let next = common::block_on(async {
        let server = common::server().await;
        let client = server.admin(&database).await.expect("connect");
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
    });
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

/// A fingerprint of what a database holds that no read may change: its
/// schema (relations, columns, constraints, indexes, policies) and the rows
/// the server counted inserted, updated and deleted in it.
async fn untouchable(server: &schemabench::pg::Server, database: &str) -> (String, i64) {
    let client = server.admin(database).await.expect("connect");
    let schema: String = client
        .query_one(
            "select md5(string_agg(x, ',' order by x)) from (
               select c.relname::text || ':' || c.relkind::text || ':' || coalesce(pg_get_indexdef(c.oid), '') as x
                 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
               union all select conname::text || pg_get_constraintdef(oid) from pg_constraint
               union all select polname::text || coalesce(pg_get_expr(polqual, polrelid), '') from pg_policy
               union all select attrelid::regclass::text || '.' || attname::text || ':' || atttypid::text
                 from pg_attribute a join pg_class c on c.oid = a.attrelid
                where c.relnamespace = 'public'::regnamespace and a.attnum > 0) t",
            &[],
        )
        .await
        .expect("schema fingerprint")
        .get(0);
    let writes: i64 = client
        .query_one(
            "select (tup_inserted + tup_updated + tup_deleted)::int8 from pg_stat_database where datname = $1",
            &[&database],
        )
        .await
        .expect("writes")
        .get(0);
    (schema, writes)
}

/// Most common values of a column, from a fresh ANALYZE: (value, share).
async fn common(client: &tokio_postgres::Client, table: &str, column: &str) -> Vec<(String, f64)> {
    let row = client
        .query_one(
            "select most_common_vals::text::text[], most_common_freqs::float8[]
               from pg_stats where schemaname = 'public' and tablename = $1 and attname = $2",
            &[&table, &column],
        )
        .await
        .expect("pg_stats");
    let values: Vec<String> = row.get(0);
    let shares: Vec<f64> = row.get(1);
    values.into_iter().zip(shares).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_database_lends_its_counts_and_common_values_and_is_left_untouched() {
    let server = common::server().await;
    let source = schemabench::seed::seed(&server, &common::taleforge(9117, 0.05), &common::quiet())
        .await
        .expect("the source database");
    // The app's own reads, as PostgREST sends them: what the query mix
    // is learned from.
    let app = server.admin(&source.database).await.expect("connect");
    let users: Vec<uuid::Uuid> = app
        .query(
            "select user_id from public.stories group by user_id order by count(*) desc limit 10",
            &[],
        )
        .await
        .expect("users")
        .iter()
        .map(|r| r.get(0))
        .collect();
    for user in &users {
        app.batch_execute("begin; set local role authenticated")
            .await
            .expect("as the user");
        app.execute(
            "select set_config('request.jwt.claims', json_build_object('sub', $1::text, 'role', 'authenticated')::text, true)",
            &[&user.to_string()],
        )
        .await
        .expect("claims");
        let feed = app
            .query(
                "select id, title from public.stories where user_id = $1 order by created_at desc limit 20",
                &[user],
            )
            .await
            .expect("the feed");
        let story: uuid::Uuid = feed[0].get(0);
        for _ in 0..3 {
            app.query(
                "select position, content from public.story_segments where story_id = $1 order by position",
                &[&story],
            )
            .await
            .expect("a story's pages");
        }
        app.batch_execute("commit").await.expect("commit");
    }
    // People's names, few and common: the planner keeps them as most
    // common values, and they must not reach the scenario file.
    app.batch_execute(
        "update public.profiles set display_name = case when random() < 0.5 then 'Olivia Secret' else 'Liam Private' end;
         analyze public.profiles",
    )
    .await
    .expect("names");
    let before = untouchable(&server, &source.database).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("live");
    let url = common::url_as("postgres", &source.database);
    let init = schemabench()
        .args([
            "init",
            "--from-database",
            &url,
            "--name",
            "tf_live",
            "--out",
        ])
        .arg(&out)
        .arg("--database-url")
        .arg(common::database_url())
        .output()
        .expect("init");
    assert!(init.status.success(), "{init:?}");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(
        !said.contains(common::cluster().password()),
        "no password in the output"
    );
    // Read-only: the same schema, no row written.
    let after = untouchable(&server, &source.database).await;
    assert_eq!(after, before, "the source database changed");

    // Its schema came along as the scenario's migration; its row counts
    // within 5% and its enum-like columns' common values came along too;
    // values the schema does not name stayed behind, their shares kept.
    assert!(out.join("migrations/0001_schema.sql").is_file());
    let text = std::fs::read_to_string(out.join("scenario.toml")).expect("scenario.toml");
    assert!(
        !text.contains("Olivia") && !text.contains("Liam"),
        "no live value in the scenario file"
    );
    assert!(
        text.contains("\"display_name_1\", \"display_name_2\""),
        "the live names' shares under placeholders"
    );
    let scenario =
        schemabench::scenario::Scenario::load(&out.join("scenario.toml")).expect("valid");
    let seeded = schemabench::seed::seed(&server, &scenario, &common::quiet())
        .await
        .expect("the inferred scenario seeds unedited");
    for (table, rows) in &source.tables {
        let ours = seeded
            .tables
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, r)| *r)
            .unwrap_or_else(|| panic!("{table} seeded"));
        let ratio = ours as f64 / (*rows).max(1) as f64;
        assert!(
            (0.95..=1.05).contains(&ratio),
            "{table}: {ours} rows seeded for {rows} live ({ratio:.3})"
        );
    }
    // The query mix is the app's: both reads, bound to the acting user and
    // to one of the user's stories, as the role that ran them, weighted by
    // their calls (3 page reads per feed read).
    let text = std::fs::read_to_string(out.join("scenario.toml")).expect("scenario");
    let workload = &scenario.spec.workload.as_ref().expect("a workload").queries;
    let read = |table: &str| {
        workload
            .iter()
            .find(|q| q.name == format!("top_{table}"))
            .unwrap_or_else(|| panic!("top_{table} in {text}"))
    };
    let (feed, pages) = (read("stories"), read("story_segments"));
    assert!(
        feed.sql.contains("from public.stories where user_id = $1"),
        "{}",
        feed.sql
    );
    assert_eq!(
        feed.role,
        schemabench::scenario::workload::Role::Authenticated
    );
    assert_eq!(
        (feed.weight, pages.weight),
        (33.0, 100.0),
        "weights from the calls"
    );
    assert!(
        text.contains("params = [{ from = \"actor\", column = \"id\" }, { from = \"value\""),
        "{text}"
    );
    assert!(
        text.contains("params = [{ from = \"owned\", column = \"stories.id\" }]"),
        "{text}"
    );
    let report = out.join("report");
    // The inferred p99 limits are the source's own means times ten: a
    // busy machine may miss one (exit 4); the run still completed.
    let ran = schemabench()
        .arg("run")
        .arg(out.join("scenario.toml"))
        .args(["-T", "1s", "--out"])
        .arg(&report)
        .arg("--database-url")
        .arg(common::database_url())
        .output()
        .expect("run");
    assert!(
        matches!(ran.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    every_query_answered(
        &schemabench::gate::baseline::load(&report.join("results.json")).expect("results"),
    );
    let copy = server.admin(&seeded.database).await.expect("connect");
    for (table, column) in [
        ("stories", "genre"),
        ("stories", "status"),
        ("profiles", "role"),
        ("generation_logs", "kind"),
        ("subscriptions", "plan"),
    ] {
        let live = common(
            &server.admin(&source.database).await.expect("source"),
            table,
            column,
        )
        .await;
        let ours = common(&copy, table, column).await;
        let values = |c: &[(String, f64)]| -> std::collections::BTreeSet<String> {
            c.iter().map(|(v, _)| v.clone()).collect()
        };
        assert_eq!(values(&ours), values(&live), "{table}.{column}");
        for (value, share) in &live {
            let theirs = ours
                .iter()
                .find(|(v, _)| v == value)
                .map_or(0.0, |(_, s)| *s);
            assert!(
                (theirs - share).abs() < 0.03,
                "{table}.{column} = {value}: {theirs:.3} seeded, {share:.3} live"
            );
        }
    }
}

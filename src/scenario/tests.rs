//! Bad scenario files: each must fail with the file, line, column, key and
//! what was expected — and a good one must pass.

use std::path::PathBuf;

use super::{Scenario, ScenarioError};

const GOOD: &str = r#"
name = "mini"
migrations = ["m.sql"]
seed = 7

[tables.users]
rows = 10

[tables.users.columns]
id = { gen = "uuid" }
email = { gen = "email" }
created_at = { gen = "timestamp", from = "2025-01-01", to = "2026-01-01", growth = 1.0 }

[tables.posts]
per = "users"
count = { dist = "zipf", max = 20, exponent = 1.2 }

[tables.posts.columns]
id = { gen = "uuid" }
user_id = { gen = "ref", column = "users.id" }
title = { gen = "title" }
at = { gen = "after", column = "users.created_at", max = "3d" }

[workload.actor]
table = "users"

[[workload.queries]]
name = "feed"
weight = 1
access = "read"
sql = "select * from posts where user_id = $1"
params = [{ from = "actor", column = "id" }]

[load]
[[load.phases]]
name = "steady"
duration = "1s"
clients = 2

[[thresholds]]
query = "feed"
limits = ["p99 < 25ms", "error_rate < 0.1%"]
"#;

/// Writes `text` as a scenario beside a migration file and loads it.
fn load(text: &str) -> Result<Scenario, ScenarioError> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("m.sql"), "create table users (id uuid);")
        .expect("write migration");
    let path: PathBuf = dir.path().join("scenario.toml");
    std::fs::write(&path, text).expect("write scenario");
    Scenario::load(&path)
}

/// The error for `GOOD` with one substring replaced.
fn error_with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "test edits a line that exists: {from}");
    match load(&GOOD.replacen(from, to, 1)) {
        Ok(_) => panic!("accepted a bad scenario ({from} -> {to})"),
        Err(e) => e.to_string(),
    }
}

/// Asserts the message names the scenario file, a line and column, and each
/// of the given fragments.
fn assert_names(message: &str, line: usize, fragments: &[&str]) {
    assert!(
        message.contains(&format!("scenario.toml:{line}:")),
        "expected line {line} in: {message}"
    );
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "expected {fragment:?} in: {message}"
        );
    }
}

#[test]
fn the_good_scenario_loads() {
    let scenario = load(GOOD).expect("good scenario");
    assert_eq!(scenario.spec.tables.len(), 2);
    assert_eq!(scenario.migrations.len(), 1);
}

#[test]
fn threshold_limit_that_does_not_parse() {
    let m = error_with(r#""p99 < 25ms""#, r#""p98 < 25ms""#);
    assert_names(
        &m,
        42,
        &[
            "thresholds[0].limits[0]",
            "\"p98 < 25ms\"",
            "expected a limit such as",
        ],
    );
}

#[test]
fn threshold_on_an_unknown_query() {
    let m = error_with(r#"query = "feed""#, r#"query = "timeline""#);
    assert_names(
        &m,
        41,
        &["thresholds[0].query", "\"timeline\"", "workload query"],
    );
}

#[test]
fn unknown_top_level_key() {
    let m = error_with("seed = 7", "seeed = 7");
    assert_names(&m, 4, &["unknown key", "seeed", "expected one of"]);
}

#[test]
fn unknown_generator() {
    let m = error_with(
        r#"title = { gen = "title" }"#,
        r#"title = { gen = "headline" }"#,
    );
    assert_names(
        &m,
        21,
        &["tables.posts.columns.title", "headline", "expected one of"],
    );
}

#[test]
fn unknown_key_inside_a_generator() {
    let m = error_with(r#"{ gen = "title" }"#, r#"{ gen = "title", words = 3 }"#);
    assert_names(&m, 21, &["unknown key", "words"]);
}

#[test]
fn wrong_type() {
    let m = error_with("rows = 10", "rows = \"ten\"");
    assert_names(&m, 7, &["tables.users.rows", "wrong type"]);
}

#[test]
fn syntax_error() {
    let m = error_with("rows = 10", "rows = = 10");
    assert_names(&m, 7, &["scenario.toml"]);
}

#[test]
fn unknown_parent_table() {
    let m = error_with(r#"per = "users""#, r#"per = "people""#);
    assert_names(
        &m,
        15,
        &[
            "tables.posts.per",
            "\"people\"",
            "expected one of the scenario's tables: posts, users",
        ],
    );
}

#[test]
fn unknown_referenced_column() {
    let m = error_with(r#"column = "users.id""#, r#"column = "users.uuid""#);
    assert_names(
        &m,
        20,
        &[
            "tables.posts.columns.user_id.column",
            "users.uuid",
            "expected a generated column of users",
        ],
    );
}

#[test]
fn reference_to_a_table_that_is_not_an_ancestor() {
    let m = error_with(
        r#"email = { gen = "email" }"#,
        r#"email = { gen = "ref", column = "posts.title" }"#,
    );
    assert_names(&m, 11, &["tables.users.columns.email.column", "ancestor"]);
}

#[test]
fn parent_cycle() {
    let text = GOOD.replacen(
        "rows = 10",
        "per = \"posts\"\ncount = { dist = \"fixed\", value = 1 }",
        1,
    );
    let m = load(&text).expect_err("cycle").to_string();
    assert_names(&m, 16, &["tables.posts.per", "loops back"]);
}

#[test]
fn column_cycle() {
    let text = GOOD.replacen(
        r#"email = { gen = "email" }"#,
        r#"email = { gen = "case", column = "users.email", cases = { a = { gen = "email" } } }"#,
        1,
    );
    let m = load(&text).expect_err("column cycle").to_string();
    assert_names(&m, 11, &["tables.users.columns.email", "cycle"]);
}

#[test]
fn query_names_that_would_share_a_file_or_carry_markup() {
    for name in ["a/b", "<svg onload=alert(1)>", "Feed", ""] {
        let m = error_with(r#"name = "feed""#, &format!("name = {name:?}"));
        assert_names(
            &m,
            28,
            &[
                "workload.queries[0].name",
                "lowercase letters, digits and underscores",
            ],
        );
    }
}

#[test]
fn rows_past_a_billion_once_scaled() {
    let m = error_with("rows = 10", "rows = 1000000000000");
    assert_names(
        &m,
        7,
        &[
            "tables.users.rows",
            "1000000000000",
            "at most 1000000000 rows",
        ],
    );
    let m = error_with("seed = 7", "seed = 7\nscale = 200000000.0");
    assert_names(&m, 8, &["tables.users.rows", "scale 200000000"]);
}

#[test]
fn a_zero_length_phase() {
    let m = error_with("duration = \"1s\"", "duration = \"0s\"");
    assert_names(
        &m,
        37,
        &["load.phases[0].duration", "\"0s\"", "greater than 0"],
    );
}

#[test]
fn zipf_with_a_negative_exponent() {
    let m = error_with("exponent = 1.2", "exponent = -1.2");
    assert_names(
        &m,
        16,
        &["tables.posts.count.exponent", "-1.2", "greater than 0"],
    );
}

#[test]
fn uniform_with_min_above_max() {
    let m = error_with(
        r#"{ dist = "zipf", max = 20, exponent = 1.2 }"#,
        r#"{ dist = "uniform", min = 9, max = 3 }"#,
    );
    assert_names(
        &m,
        16,
        &["tables.posts.count.max", "expected max >= min (9)"],
    );
}

#[test]
fn probability_above_one() {
    let m = error_with(
        r#"title = { gen = "title" }"#,
        r#"title = { gen = "nullable", p = 1.5, of = { gen = "title" } }"#,
    );
    assert_names(
        &m,
        21,
        &[
            "tables.posts.columns.title.p",
            "1.5",
            "probability between 0 and 1",
        ],
    );
}

#[test]
fn timestamp_window_that_ends_before_it_starts() {
    let m = error_with(r#"to = "2026-01-01""#, r#"to = "2024-01-01""#);
    assert_names(&m, 12, &["created_at.to", "after `from`"]);
}

#[test]
fn unparsable_date() {
    let m = error_with(r#"from = "2025-01-01""#, r#"from = "last spring""#);
    // Inside a generator, serde points at the whole generator: the message
    // quotes the value it could not read.
    assert_names(&m, 12, &["created_at", "YYYY-MM-DD", "not \"last spring\""]);
}

#[test]
fn unparsable_duration() {
    let m = error_with(r#"max = "3d""#, r#"max = "three days""#);
    assert_names(
        &m,
        22,
        &["tables.posts.columns.at", "duration", "not \"three days\""],
    );
}

#[test]
fn missing_migration_file() {
    let m = error_with(
        r#"migrations = ["m.sql"]"#,
        r#"migrations = ["m.sql", "gone.sql"]"#,
    );
    assert_names(&m, 3, &["migrations[1]", "gone.sql", "does not exist"]);
}

#[test]
fn migration_globs_apply_in_name_order_and_one_that_matches_nothing_is_located() {
    let dir = tempfile::tempdir().expect("temp dir");
    let migrations = dir.path().join("supabase").join("migrations");
    std::fs::create_dir_all(&migrations).expect("folder");
    for (file, sql) in [
        ("20240102000000_b.sql", "select 2;"),
        ("20240101000000_a.sql", "create table users (id uuid);"),
        ("README.txt", "not a migration"),
    ] {
        std::fs::write(migrations.join(file), sql).expect("write");
    }
    let path = dir.path().join("scenario.toml");
    let text = GOOD.replacen(
        r#"migrations = ["m.sql"]"#,
        r#"migrations = ["supabase/migrations/*.sql"]"#,
        1,
    );
    std::fs::write(&path, &text).expect("write scenario");
    let scenario = Scenario::load(&path).expect("a glob of migrations");
    let names: Vec<String> = scenario
        .migrations
        .iter()
        .map(|m| {
            m.path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["20240101000000_a.sql", "20240102000000_b.sql"]);
    std::fs::write(&path, text.replace("*.sql", "*.pgsql")).expect("write scenario");
    let message = Scenario::load(&path)
        .expect_err("no file matches")
        .to_string();
    assert_names(&message, 3, &["migrations[0]", "*.pgsql", "matches none"]);
}

#[test]
fn rows_and_per_together() {
    let m = error_with(r#"per = "users""#, "rows = 5\nper = \"users\"");
    assert_names(&m, 14, &["tables.posts", "not both"]);
}

#[test]
fn enum_weights_that_do_not_match_values() {
    let m = error_with(
        r#"title = { gen = "title" }"#,
        r#"title = { gen = "enum", values = ["a", "b"], weights = [1] }"#,
    );
    assert_names(&m, 21, &["title.weights", "one weight per choice"]);
}

#[test]
fn query_parameter_count_must_match_placeholders() {
    let m = error_with("user_id = $1\"", "user_id = $1 and id = $2\"");
    assert_names(
        &m,
        32,
        &["workload.queries[0].params", "expected 2 parameter(s)"],
    );
}

#[test]
fn load_phase_without_duration_or_transactions() {
    let m = error_with("duration = \"1s\"\n", "");
    assert_names(
        &m,
        35,
        &[
            "load.phases[0]",
            "exactly one of `duration` or `transactions`",
        ],
    );
}

#[test]
fn bad_scenario_name() {
    let m = error_with(r#"name = "mini""#, r#"name = "Mini Bench""#);
    assert_names(&m, 2, &["name", "lowercase letters"]);
}

#[test]
fn an_actor_table_that_does_not_exist_is_named_at_its_own_key() {
    let m = error_with(
        "[workload.actor]\ntable = \"users\"",
        "[workload.actor]\ntable = \"members\"",
    );
    assert_names(&m, 25, &["workload.actor.table", "members"]);
}

#[test]
fn owned_parameter_outside_the_actor_tree() {
    let text = GOOD.replacen(
        r#"params = [{ from = "actor", column = "id" }]"#,
        r#"params = [{ from = "owned", column = "users.id" }]"#,
        1,
    );
    let m = load(&text).expect_err("owned outside actor").to_string();
    assert_names(&m, 32, &["params[0].column", "owned by users"]);
}

#[test]
fn unknown_key_beside_a_field_less_generator() {
    let m = error_with(
        r#"id = { gen = "uuid" }"#,
        r#"id = { gen = "uuid", version = 7 }"#,
    );
    assert_names(
        &m,
        10,
        &["tables.users.columns.id", "unknown key `version`"],
    );
}

#[test]
fn a_scenario_can_extend_another_and_share_its_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("m.sql"), "create table users (id uuid);")
        .expect("write migration");
    std::fs::write(dir.path().join("base.toml"), GOOD).expect("write base");
    let child = "name = \"other\"\nextends = \"base.toml\"\n[workload.actor]\ntable = \"users\"\n[[workload.queries]]\nname = \"one\"\nweight = 1\naccess = \"read\"\nsql = \"select 1\"\n[load]\n[[load.phases]]\nname = \"p\"\nduration = \"1s\"\nclients = 1\n";
    let path = dir.path().join("child.toml");
    std::fs::write(&path, child).expect("write child");
    let base = Scenario::load(&dir.path().join("base.toml")).expect("base");
    let scenario = Scenario::load(&path).expect("child");
    assert_eq!(scenario.data_name, "mini");
    assert_eq!(scenario.spec.seed, 7);
    assert_eq!(
        scenario.data_fingerprint(),
        base.data_fingerprint(),
        "same data, same database"
    );

    std::fs::write(&path, format!("{child}[tables.x]\nrows = 1\n")).expect("write child");
    let m = Scenario::load(&path)
        .expect_err("tables beside extends")
        .to_string();
    assert!(
        m.contains("child.toml:") && m.contains("no `tables` beside `extends`"),
        "{m}"
    );

    std::fs::write(
        dir.path().join("loop.toml"),
        "name = \"l\"\nextends = \"loop.toml\"\n",
    )
    .expect("write loop");
    let m = Scenario::load(&dir.path().join("loop.toml"))
        .expect_err("loop")
        .to_string();
    assert!(m.contains("extends") && m.contains("loop"), "{m}");
}

#[test]
fn load_order_by_a_column_that_holds_no_time() {
    let m = error_with(
        "count = { dist = \"zipf\", max = 20, exponent = 1.2 }",
        "count = { dist = \"zipf\", max = 20, exponent = 1.2 }\norder = \"title\"",
    );
    assert_names(
        &m,
        17,
        &[
            "tables.posts.order",
            "\"title\"",
            "expected a column of this table generated as times or numbers",
        ],
    );
    // A time through a reference orders; a column the table lacks does not.
    let by_ref = GOOD.replacen("title = { gen = \"title\" }", "title = { gen = \"title\" }\nsigned_up = { gen = \"ref\", column = \"users.created_at\" }", 1)
        .replacen("exponent = 1.2 }", "exponent = 1.2 }\norder = \"signed_up\"", 1);
    load(&by_ref).expect("a referenced time orders");
    let m = error_with("rows = 10", "rows = 10\norder = \"born\"");
    assert_names(&m, 8, &["tables.users.order", "\"born\""]);
}

//! The corpus: schemas written here in the shapes real Supabase projects
//! take (several migration files, storage buckets and policies, triggers on
//! `auth.users`, security-definer helpers, enums, CHECKs across columns,
//! partial uniques, arrays, jsonb, a data backfill, extensions' stand-ins).
//! Each goes `init` -> `check` -> a short `run` with no edit, and the run
//! must measure the app: no request fails and every read returns rows.

mod common;

use std::path::Path;

use assert_cmd::Command;

fn schemabench() -> Command {
    let mut cmd = Command::cargo_bin("schemabench").expect("binary");
    cmd.env_remove("DATABASE_URL")
        .current_dir(common::repo_path(""));
    cmd
}

/// Requests of each phase: a budget, so the same work is measured however
/// busy the machine is.
const REQUESTS: &str = "400";

/// `init` on the fixture's migrations, `check`, then a short run; returns
/// the run's results.
fn init_check_run(project: &str, out: &Path) -> schemabench::results::RunResults {
    let migrations = format!("tests/fixtures/projects/{project}/supabase/migrations");
    schemabench()
        .args(["init", "--from-migrations", &migrations, "--out"])
        .arg(out)
        .arg("--database-url")
        .arg(common::database_url())
        .assert()
        .success();
    let file = out.join("scenario.toml");
    schemabench().arg("check").arg(&file).assert().success();
    let report = out.join("report");
    schemabench()
        .arg("run")
        .arg(&file)
        .args(["--scale", "0.05", "--transactions", REQUESTS, "--out"])
        .arg(&report)
        .arg("--database-url")
        .arg(common::database_url())
        .assert()
        .success();
    schemabench::gate::baseline::load(&report.join("results.json")).expect("results")
}

/// The run measured the app: every query ran without an error and every
/// read returned rows (rows per call from pg_stat_statements), at least
/// `reads` reads and `writes` writes (where the policies let the signed-in
/// user write a row init can make).
fn measures_the_app(project: &str, reads: usize, writes: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let results = init_check_run(project, &dir.path().join(project));
    let base = &results.candidates[0];
    let (mut read, mut wrote) = (0, 0);
    for q in &base.queries {
        assert!(q.count > 0, "{project}: {} ran", q.name);
        assert_eq!(
            q.errors + q.timeouts,
            0,
            "{project}: {} failed: {:?}",
            q.name,
            q.errors_by_sqlstate
        );
        if q.access == "write" {
            wrote += 1;
        }
        if q.access == "read" {
            read += 1;
            let work = base
                .work
                .iter()
                .find(|w| w.query == q.name)
                .unwrap_or_else(|| panic!("{project}: {} has its work recorded", q.name));
            let rows = work.rows_per_call().unwrap_or_default();
            assert!(rows > 0.0, "{project}: {} returned no rows", q.name);
        }
    }
    assert!(read >= reads, "{project}: {read} reads, expected {reads}");
    assert!(
        wrote >= writes,
        "{project}: {wrote} writes, expected {writes}"
    );
}

#[test]
fn teams_a_multi_tenant_saas() {
    measures_the_app("teams", 3, 1);
}

#[test]
fn social_network() {
    measures_the_app("social", 3, 1);
}

#[test]
fn shop_with_lookup_rows_and_webhooks() {
    measures_the_app("shop", 3, 2);
}

#[test]
fn chat_with_realtime_and_a_guard_migration() {
    measures_the_app("chat", 3, 1);
}

#[test]
fn booking_with_a_domain_and_a_cancellation_rule() {
    measures_the_app("booking", 3, 2);
}

#[test]
fn ledger_keyed_by_auth_users_with_vault_and_cron() {
    measures_the_app("ledger", 3, 2);
}

#[test]
fn school_with_a_grading_rule_across_two_optional_columns() {
    measures_the_app("school", 3, 0);
}

#[test]
fn crm_with_the_tenant_in_the_jwt() {
    measures_the_app("crm", 3, 0);
}

#[test]
fn clinic_with_a_pattern_domain_and_revoked_grants() {
    measures_the_app("clinic", 3, 0);
}

#[test]
fn kanban_with_ordered_columns_and_cards() {
    measures_the_app("kanban", 3, 2);
}

#[test]
fn blog_with_trigram_search_and_tags_the_migration_fills() {
    measures_the_app("blog", 3, 1);
}

#[test]
fn events_with_ticket_codes() {
    measures_the_app("events", 3, 1);
}

#[test]
fn notes_pulled_with_the_cli_then_edited_by_hand() {
    measures_the_app("notes", 3, 1);
}

/// Two tables, so two reads: each by the user's own id, which no foreign
/// key names (a default and the policies tie the columns to the user).
#[test]
fn todos_whose_user_columns_no_key_names() {
    measures_the_app("todos", 2, 1);
}

/// Quoted capitals and key words as column names (`"group"`, `"user"`).
#[test]
fn quoted_names_as_an_orm_writes_them() {
    measures_the_app("quoted", 2, 1);
}

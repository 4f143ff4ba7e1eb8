//! `advise` end to end with the real binary: a workload whose query has no
//! index to use gets one proposed by HypoPG, measured, and written as a
//! migration.

mod common;

use assert_cmd::Command;
use schemabench::results::{RunResults, Verdict};

/// TaleForge's data, and one read by title, which no index serves, beside
/// the feed by owner, which `stories_user_id_idx` already serves.
const WORKLOAD: &str = "[workload.actor]\ntable = \"profiles\"\n\
    [[workload.queries]]\nname = \"by_title\"\nweight = 3\nas = \"authenticated\"\naccess = \"read\"\n\
    sql = \"select id, genre from public.stories where title = $1\"\n\
    params = [{ from = \"owned\", column = \"stories.title\" }]\n\
    [[workload.queries]]\nname = \"mine\"\nweight = 1\nas = \"authenticated\"\naccess = \"read\"\n\
    sql = \"select id from public.stories where user_id = $1 limit 5\"\n\
    params = [{ from = \"actor\", column = \"id\" }]\n\
    [load]\n[[load.phases]]\nname = \"warm\"\nwarmup = true\ntransactions = 30\nclients = 1\n\
    [[load.phases]]\nname = \"steady\"\ntransactions = 200\nclients = 1\n";

#[test]
fn a_missing_index_is_found_measured_faster_and_written_as_a_migration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("advise_probe.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"advise_probe\"\nextends = {:?}\n{WORKLOAD}",
            common::repo_path("scenarios/taleforge/scenario.toml")
                .display()
                .to_string()
        ),
    )
    .expect("write scenario");
    let out = dir.path().join("report");
    let migration = dir.path().join("20261126000000_advised.sql");
    let output = Command::cargo_bin("schemabench")
        .expect("binary")
        .env_remove("DATABASE_URL")
        .args([
            "advise",
            "--scale",
            "0.02",
            "--seed",
            "301",
            "--queries",
            "2",
        ])
        // Latency on a shared machine is noise at this size: only work (exact
        // whatever the machine's load) may call a change, so the outcome and
        // the migration do not depend on the machine.
        .args(["--noise-threshold", "100"])
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .arg("--migration")
        .arg(&migration)
        .args(["--database-url", &common::database_url()])
        .output()
        .expect("run advise");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "advise failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: RunResults = serde_json::from_str(
        &std::fs::read_to_string(out.join("results.json")).expect("results.json"),
    )
    .expect("results");
    common::assert_matches_schema(&out.join("results.json"), "results.schema.json");
    // The one query without an index gets one; the feed, already served,
    // none.
    let advised: Vec<(&str, &str)> = results
        .advice
        .iter()
        .map(|a| (a.candidate.as_str(), a.definition.as_str()))
        .collect();
    assert_eq!(
        advised,
        [(
            "stories_title_idx",
            "create index stories_title_idx on public.stories (title)"
        )]
    );
    let gain = &results.advice[0].gains[0];
    assert_eq!(gain.query, "by_title");
    assert!(gain.cost_after < gain.cost_before * 0.9, "{gain:?}");
    // Measured: the index's own candidate, by work, on the same requests.
    let names: Vec<&str> = results.candidates.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["baseline", "stories_title_idx"]);
    let work = results
        .work_comparisons
        .iter()
        .find(|w| w.candidate == "stories_title_idx" && w.query == "by_title")
        .expect("a work verdict");
    assert_eq!(work.estimate.verdict, Verdict::Faster, "{work:?}");
    assert!(
        work.candidate_buffers_per_call < work.baseline_buffers_per_call,
        "{work:?}"
    );
    // The migration holds the winner, ready to apply, with its evidence.
    let sql = std::fs::read_to_string(&migration).expect("migration written");
    assert!(
        sql.contains("create index if not exists stories_title_idx on public.stories (title);"),
        "{sql}"
    );
    assert!(sql.contains("--   by_title: planner 0."), "{sql}");
    assert_eq!(
        sql,
        std::fs::read_to_string(out.join("advised_indexes.sql")).expect("in the report")
    );
    assert!(stdout.contains("advised indexes (planner estimate, then measured):"));
    assert!(stdout.contains("measured faster"), "{stdout}");
    let summary = std::fs::read_to_string(out.join("summary.md")).expect("summary");
    assert!(summary.contains("### Advised indexes"), "{summary}");
}

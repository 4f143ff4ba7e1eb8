//! Nightly-CI behaviour of the real binary against a real server: repeated
//! runs of one configuration compared with a stored baseline raise no false
//! alarm, a run whose needed index was dropped is a regression (exit 5),
//! thresholds that must fail do (exit 4, and `abort_on_fail` stops early),
//! ones that must pass pass.
//!
//! Between runs the gate judges work (buffers per call), and one client issuing a fixed
//! number of transactions issues the same requests in every run: every
//! figure asserted here is exact, whatever else the machine is doing.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use schemabench::gate::baseline;
use schemabench::results::{Gate, Verdict};

/// The TaleForge data under another name with a one-query workload: an
/// index lookup that needs the `story_segments (story_id, position)` index.
fn scenario(dir: &Path, file: &str, extra_migration: Option<&str>, thresholds: &str) -> PathBuf {
    let workload = format!(
        "[workload.actor]\ntable = \"profiles\"\n\
         [[workload.queries]]\nname = \"pages\"\nweight = 1\nas = \"postgres\"\naccess = \"read\"\n\
         sql = \"select count(*) from public.story_segments where story_id = $1\"\n\
         params = [{{ from = \"owned\", column = \"stories.id\" }}]\n\
         [load]\n[[load.phases]]\nname = \"warm\"\nwarmup = true\ntransactions = 50\nclients = 1\n\
         [[load.phases]]\nname = \"steady\"\ntransactions = 300\nclients = 1\n{thresholds}"
    );
    common::taleforge_variant(dir, "gate_probe", file, extra_migration, &workload)
}

/// `schemabench run` in `dir` (where `reports/baselines/` lives) on the
/// shared cluster, at a small scale.
fn run(dir: &Path, scenario: &Path, out: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("schemabench")
        .expect("binary")
        .current_dir(dir)
        .arg("run")
        .arg(scenario)
        .args(["--scale", "0.02", "--seed", "77", "--out", out])
        .args(extra)
        .env("DATABASE_URL", common::database_url())
        .assert()
}

fn exit_code(a: &assert_cmd::assert::Assert) -> Option<i32> {
    a.get_output().status.code()
}

/// What a command printed, its lines (wrapped at 100 columns) read as one
/// text.
fn output(a: &assert_cmd::assert::Assert) -> String {
    let o = a.get_output();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn baselines_thresholds_and_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let passing = "[[thresholds]]\nquery = \"pages\"\nlimits = [\"p99 < 5s\", \"error_rate < 1%\", \"throughput > 1\"]\n";
    let same = scenario(dir, "same", None, passing);

    // The baseline, saved: thresholds that must pass, pass.
    let saved = run(
        dir,
        &same,
        "run0",
        &["--rounds", "5", "--save-baseline", "nightly"],
    );
    assert_eq!(exit_code(&saved), Some(0), "{}", output(&saved));
    assert!(output(&saved).contains("baseline nightly saved"));
    let stored = dir.join("reports/baselines/nightly.json");
    assert!(baseline::load(&stored).is_ok_and(|r| r.thresholds.iter().all(|t| t.passed)));

    // A/A: the same configuration again, against it and against each
    // other: the same requests do the same work, so no alarm and no doubt.
    let mut comparisons = 0;
    let mut false_alarms = Vec::new();
    for i in 1..=2 {
        let out = format!("run{i}");
        let again = run(
            dir,
            &same,
            &out,
            &["--rounds", "5", "--baseline", "nightly"],
        );
        comparisons += 1;
        if exit_code(&again) != Some(0) {
            false_alarms.push(output(&again));
        }
        let results = baseline::load(&dir.join(&out).join("results.json")).expect("results");
        let regression = results.regression.expect("compared with the baseline");
        assert_eq!(regression.gate, Gate::App);
        assert_eq!(
            regression.comparisons.len(),
            3,
            "p50, p95, p99 of one query"
        );
        let [work] = regression.work_comparisons.as_slice() else {
            panic!("one query's work: {:?}", regression.work_comparisons);
        };
        assert_eq!(
            work.baseline_buffers_per_call, work.candidate_buffers_per_call,
            "the same requests read the same buffers: {work:?}"
        );
        assert_eq!(work.estimate.verdict, Verdict::NoChange);
        assert!(dir.join(&out).join("regression.md").is_file());
    }
    for (a, b) in [("run1", "run2"), ("run0", "run2")] {
        let compared = Command::cargo_bin("schemabench")
            .expect("binary")
            .current_dir(dir)
            .args([
                "compare",
                &format!("{a}/results.json"),
                &format!("{b}/results.json"),
            ])
            .assert();
        comparisons += 1;
        if exit_code(&compared) != Some(0) {
            false_alarms.push(output(&compared));
        }
    }
    assert!(
        false_alarms.is_empty(),
        "{} false alarm(s) in {comparisons} A/A comparisons:\n{}",
        false_alarms.len(),
        false_alarms.join("\n---\n")
    );

    // The needed index dropped by a migration: a regression, exit 5.
    let dropped = scenario(
        dir,
        "dropped",
        Some(
            "alter table public.story_segments drop constraint story_segments_story_id_position_key;",
        ),
        passing,
    );
    let slower = run(
        dir,
        &dropped,
        "dropped",
        &["--rounds", "5", "--baseline", "nightly"],
    );
    assert_eq!(exit_code(&slower), Some(5), "{}", output(&slower));
    assert!(
        output(&slower).contains("the gate (app) fails on the app as a whole slower"),
        "{}",
        output(&slower)
    );
    let results = baseline::load(&dir.join("dropped/results.json")).expect("results");
    let work = &results.regression.expect("compared").work_comparisons[0];
    assert!(
        work.candidate_buffers_per_call > 2.0 * work.baseline_buffers_per_call,
        "a scan of every page instead of an index lookup: {work:?}"
    );

    // One run, two schemas (a pull request against its main branch): the
    // main branch's migrations as the baseline, side by side.
    let main = dir.join("main_migrations");
    std::fs::create_dir_all(&main).expect("mkdir");
    for m in [
        "001_schema.sql",
        "002_functions_triggers.sql",
        "003_rls.sql",
        "004_erasure.sql",
    ] {
        std::fs::copy(
            common::repo_path(&format!("scenarios/taleforge/migrations/{m}")),
            main.join(m),
        )
        .expect("copy migration");
    }
    let against = |scenario: &Path, out: &str| {
        run(
            dir,
            scenario,
            out,
            &["--against-migrations", &main.display().to_string()],
        )
    };
    // The same schema on both sides is refused before any work: there is
    // nothing to compare.
    let unchanged = against(&same, "pr_same");
    assert_eq!(exit_code(&unchanged), Some(2), "{}", output(&unchanged));
    assert!(
        output(&unchanged).contains("both apply the same 4 migration file(s)"),
        "{}",
        output(&unchanged)
    );
    let pr = against(&dropped, "pr_dropped");
    assert_eq!(exit_code(&pr), Some(5), "{}", output(&pr));
    assert!(
        output(&pr).contains("the gate (app) fails on the app as a whole slower"),
        "{}",
        output(&pr)
    );

    // A different load is refused before any work, as a usage error.
    let refused = run(
        dir,
        &same,
        "refused",
        &["--clients", "3", "--baseline", "nightly"],
    );
    assert_eq!(exit_code(&refused), Some(2), "{}", output(&refused));
    assert!(
        output(&refused).contains("load: warm 50 tx 1 client"),
        "{}",
        output(&refused)
    );

    // A threshold that cannot hold fails with exit 4; with abort_on_fail
    // the run stops after the first measured phase instead of going on.
    let impossible = "[[thresholds]]\nquery = \"pages\"\nlimits = [\"p50 < 1us\"]\n";
    let tight = scenario(dir, "tight", None, impossible);
    let failed = run(dir, &tight, "tight", &["--rounds", "2"]);
    assert_eq!(exit_code(&failed), Some(4), "{}", output(&failed));
    let results = baseline::load(&dir.join("tight/results.json")).expect("results");
    assert!(results.complete && results.aborted.is_none());
    assert!(results.thresholds.iter().all(|t| !t.passed));
    assert_eq!(results.candidates[0].phases.len(), 4, "both rounds ran");

    let aborting = scenario(
        dir,
        "abort",
        None,
        &format!("{impossible}abort_on_fail = true\n"),
    );
    let aborted = run(dir, &aborting, "abort", &["--rounds", "2"]);
    assert_eq!(exit_code(&aborted), Some(4), "{}", output(&aborted));
    let results = baseline::load(&dir.join("abort/results.json")).expect("results");
    assert!(!results.complete);
    assert!(
        results
            .aborted
            .as_deref()
            .is_some_and(|a| a.contains("p50 < 1us")),
        "{:?}",
        results.aborted
    );
    assert_eq!(
        results.candidates[0].phases.len(),
        2,
        "stopped after round 1's measured phase"
    );
    eprintln!(
        "A/A: 0 false alarms in {comparisons} comparisons\n{}",
        output(&slower)
    );
}

/// A query that fails every time leaves nothing to judge: the run says so
/// and exits 7, not 0 with every threshold "ok".
#[test]
fn a_run_that_measures_nothing_exits_7() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workload = "[workload.actor]\ntable = \"profiles\"\n\
         [[workload.queries]]\nname = \"broken\"\nweight = 1\nas = \"postgres\"\naccess = \"read\"\n\
         sql = \"select count(*) / 0 from public.story_segments where story_id = $1\"\n\
         params = [{ from = \"owned\", column = \"stories.id\" }]\n\
         [load]\n[[load.phases]]\nname = \"steady\"\ntransactions = 20\nclients = 1\n";
    let path = common::taleforge_variant(dir.path(), "gate_broken", "broken", None, workload);
    let out = dir.path().join("out");
    let ran = run(dir.path(), &path, &out.display().to_string(), &[]);
    assert_eq!(exit_code(&ran), Some(7), "{}", output(&ran));
    let text = output(&ran);
    assert!(
        text.contains("error: baseline: phase steady of round 1 completed no request")
            && text.contains("error: baseline: query broken completed no request"),
        "{text}"
    );
}

//! Sharded load generation with the real binary: three processes drive one
//! server as shards of one run, `merge` adds them up exactly, and together
//! they send the requests one process sends.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use schemabench::results::{PhaseResult, RunResults, new_histogram};

/// An open-loop phase of 300 arrivals (none can be dropped: each shard's
/// backlog holds all of its own) and a closed-loop phase of 90 transactions,
/// one candidate beside the baseline.
const WORKLOAD: &str = "[workload.actor]\ntable = \"profiles\"\n\
    [[workload.queries]]\nname = \"feed\"\nweight = 3\nas = \"authenticated\"\naccess = \"read\"\n\
    sql = \"select id, title from public.stories where user_id = $1 order by created_at desc limit 20\"\n\
    params = [{ from = \"actor\", column = \"id\" }]\n\
    [[workload.queries]]\nname = \"profile\"\nweight = 1\nas = \"authenticated\"\naccess = \"read\"\n\
    sql = \"select display_name from public.profiles where id = $1\"\n\
    params = [{ from = \"actor\", column = \"id\" }]\n\
    [load]\n[[load.phases]]\nname = \"arrivals\"\ntransactions = 300\nclients = 3\nrate = 600\narrivals = \"poisson\"\n\
    [[load.phases]]\nname = \"closed\"\ntransactions = 90\nclients = 3\n\
    [[candidates]]\nname = \"same\"\nsql = \"analyze public.stories\"\n";

fn schemabench() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("schemabench"));
    cmd.env_remove("DATABASE_URL")
        .current_dir(common::repo_path(""));
    cmd
}

/// `run` of the scenario at a small scale, into `out`, with `extra` flags.
fn run(scenario: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = schemabench();
    cmd.arg("run")
        .arg(scenario)
        .args(["--scale", "0.01", "--seed", "311", "--rounds", "2"])
        .arg("--database-url")
        .arg(common::database_url())
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd
}

/// A shard started in the background, its output kept for `ok`.
trait SpawnQuietly {
    fn spawn_quietly(&mut self) -> Child;
}

impl SpawnQuietly for Command {
    fn spawn_quietly(&mut self) -> Child {
        self.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn a shard")
    }
}

fn ok(output: Output, what: &str) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what} failed: {text}");
    text
}

fn results(dir: &Path) -> RunResults {
    schemabench::gate::baseline::load(&dir.join("results.json")).expect("results.json")
}

/// (candidate, round, phase, partner) of every phase, in order.
fn phases(r: &RunResults) -> Vec<(String, &PhaseResult)> {
    r.candidates
        .iter()
        .flat_map(|c| c.phases.iter().map(move |p| (c.name.clone(), p)))
        .collect()
}

#[test]
fn three_shards_add_up_to_the_run_one_process_makes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::taleforge_variant(dir.path(), "shard_probe", "shard", None, WORKLOAD);
    let out = |name: &str| -> PathBuf { dir.path().join(name) };

    // One process first: the same data, the same requests.
    ok(
        run(&scenario, &out("whole"), &[]).output().expect("run"),
        "the unsharded run",
    );
    let shards: Vec<Child> = (0..3)
        .map(|i| {
            run(
                &scenario,
                &out(&format!("s{i}")),
                &["--shard", &format!("{i}/3")],
            )
            .spawn_quietly()
        })
        .collect();
    for (i, child) in shards.into_iter().enumerate() {
        let said = ok(
            child.wait_with_output().expect("shard"),
            &format!("shard {i}"),
        );
        assert!(said.contains(&format!("shard {i}/3 done")), "{said}");
    }
    let parts: Vec<RunResults> = (0..3).map(|i| results(&out(&format!("s{i}")))).collect();
    for (i, part) in parts.iter().enumerate() {
        let shard = part.shard.expect("a shard's results say so");
        assert_eq!((shard.index, shard.count), (i as u32, 3));
        // A share alone renders no verdicts.
        assert!(!out(&format!("s{i}")).join("report.html").exists());
    }

    let merged_dir = out("merged");
    ok(
        schemabench()
            .arg("merge")
            .args((0..3).map(|i| out(&format!("s{i}"))))
            .arg("--out")
            .arg(&merged_dir)
            .output()
            .expect("merge"),
        "merge",
    );
    let merged = results(&merged_dir);
    assert!(merged.shard.is_none() && merged.complete);
    assert!(merged_dir.join("report.html").exists());

    // Every phase of every configuration: the shards' requests and
    // histograms, added exactly; the per-second series holds them all.
    let whole = results(&out("whole"));
    let merged_phases = phases(&merged);
    assert_eq!(
        merged_phases.len(),
        2 * 2 * 2,
        "2 configurations x 2 rounds x 2 phases"
    );
    for (k, (candidate, phase)) in merged_phases.iter().enumerate() {
        let at = format!("{candidate} {} round {}", phase.name, phase.round);
        let parts_of: Vec<&PhaseResult> = parts.iter().map(|p| phases(p)[k].1).collect();
        let planned = if phase.name == "arrivals" { 300 } else { 90 };
        assert_eq!(phase.requests, planned, "{at}");
        assert_eq!(
            parts_of.iter().map(|p| p.requests).collect::<Vec<_>>(),
            [planned / 3; 3],
            "{at}: each shard sends its third"
        );
        assert_eq!(phase.offered.connections(), 3, "{at}");
        assert_eq!(
            phase.dropped, 0,
            "{at}: a budget's queue is served to its end"
        );
        let timeline: u64 = phase.timeline.iter().map(|p| p.count).sum();
        assert_eq!(timeline, planned, "{at}: the merged per-second series");
        for q in &phase.queries {
            let mut sum = new_histogram();
            for part in &parts_of {
                let theirs = part
                    .queries
                    .iter()
                    .find(|o| o.name == q.name)
                    .expect("query");
                sum.add(&theirs.histogram.0).expect("same bounds");
            }
            assert_eq!(q.histogram.0, sum, "{at} {}", q.name);
            assert_eq!(q.count, sum.len(), "{at} {}", q.name);
            assert_eq!(
                q.latency.p99,
                sum.value_at_quantile(0.99),
                "{at} {}",
                q.name
            );
        }
        // Open loop: arrival n sends the request n seeds, whichever
        // process serves it, so the shards sent what one process sent.
        let single = phases(&whole)[k].1;
        assert_eq!(
            (single.name.as_str(), single.round, single.requests),
            (phase.name.as_str(), phase.round, planned)
        );
        if phase.name == "arrivals" {
            let counts = |p: &PhaseResult| -> Vec<(String, u64)> {
                p.queries
                    .iter()
                    .map(|q| (q.name.clone(), q.count))
                    .collect()
            };
            assert_eq!(counts(phase), counts(single), "{at}");
        }
    }
    // The duets' seconds hold every shard's requests too.
    let seconds: u64 = merged.candidates[1]
        .duet_seconds
        .iter()
        .flat_map(|d| &d.seconds)
        .flat_map(|s| &s.baseline.0)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(seconds, 2 * (300 + 90), "the baseline side of both rounds");
    assert!(
        !merged.comparisons.is_empty(),
        "verdicts judged on the whole"
    );

    // The board the shards met on is gone (other tests' may be in use).
    let boards = common::block_on(async {
        let server = common::server().await;
        let admin = server.admin("postgres").await.expect("connect");
        admin
            .query_one(
                "select count(*) from pg_database where datname like 'schemabench\\_shard\\_probe\\_%\\_board'",
                &[],
            )
            .await
            .expect("count")
            .get::<_, i64>(0)
    });
    assert_eq!(boards, 0);

    // What merge refuses, and why.
    let refused = |dirs: &[&str]| -> String {
        let output = schemabench()
            .arg("merge")
            .args(dirs.iter().map(|d| out(d)))
            .arg("--out")
            .arg(out("refused"))
            .output()
            .expect("merge");
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        String::from_utf8_lossy(&output.stderr).to_string()
    };
    assert!(refused(&["s0", "s1"]).contains("shard(s) 2/3 missing"));
    assert!(refused(&["s0", "s1", "s1"]).contains("shard 1/3 is given twice"));
    assert!(refused(&["s0", "s1", "whole"]).contains("is not a shard's results"));
}

#[test]
fn more_shards_than_clients_is_refused_before_any_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario =
        common::taleforge_variant(dir.path(), "shard_refused", "refused", None, WORKLOAD);
    let output = run(&scenario, &dir.path().join("out"), &["--shard", "0/4"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("--shard") && said.contains("phase arrivals has 3 client(s)"),
        "{said}"
    );
    assert!(!said.contains("using "), "no server touched: {said}");
}

/// Whether shard `shard` of the run of scenario `name` is on its board.
fn on_board(name: &str, shard: i32) -> bool {
    common::block_on(async {
        let server = common::server().await;
        let admin = server.admin("postgres").await.expect("connect");
        let pattern = format!("schemabench\\_{}\\_%\\_board", name.replace('_', "\\_"));
        let board: Option<String> = admin
            .query_opt(
                "select datname::text from pg_database where datname like $1",
                &[&pattern],
            )
            .await
            .expect("databases")
            .map(|r| r.get(0));
        let Some(board) = board else { return false };
        let Ok(client) = server.admin(&board).await else {
            return false;
        };
        client
            .query_one("select count(*) from shard where shard = $1", &[&shard])
            .await
            .is_ok_and(|row| row.get::<_, i64>(0) == 1)
    })
}

#[test]
fn a_shard_that_dies_stops_the_others_with_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::taleforge_variant(dir.path(), "shard_lost", "lost", None, WORKLOAD);
    let spawn = |i: u32| {
        run(
            &scenario,
            &dir.path().join(format!("s{i}")),
            &["--shard", &format!("{i}/2"), "-T", "60s"],
        )
        .spawn_quietly()
    };
    let mut follower = spawn(1);
    let mut leader = spawn(0);
    // Once the follower is on the board, it dies.
    while !on_board("shard_lost", 1) {
        if let Some(status) = leader.try_wait().expect("the leader") {
            let out = leader.wait_with_output().expect("output");
            panic!(
                "the leader ended first ({status}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    follower.kill().expect("kill the follower");
    let _ = follower.wait();
    let out = leader.wait_with_output().expect("the leader ends");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("shard 1/2 left the run"), "{said}");
}

#[test]
fn capacity_shards_judge_one_whole_and_take_the_same_steps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario =
        common::taleforge_variant(dir.path(), "shard_capacity", "shardcap", None, WORKLOAD);
    let out = |i: usize| -> PathBuf { dir.path().join(format!("cap{i}")) };
    let shards: Vec<Child> = (0..2)
        .map(|i| {
            schemabench()
                .arg("capacity")
                .arg(&scenario)
                .args(["--scale", "0.01", "--seed", "312", "--clients", "2,4"])
                .args(["--step", "1s", "--warmup", "500ms", "--workers", "4"])
                .args([
                    "--max-probes",
                    "2",
                    "--growth",
                    "1",
                    "--growth-clients",
                    "2",
                ])
                .arg("--database-url")
                .arg(common::database_url())
                .arg("--out")
                .arg(out(i))
                .args(["--shard", &format!("{i}/2")])
                .spawn_quietly()
        })
        .collect();
    for (i, child) in shards.into_iter().enumerate() {
        ok(
            child.wait_with_output().expect("capacity shard"),
            &format!("capacity shard {i}"),
        );
    }
    let capacity = |i: usize| -> schemabench::results::capacity::CapacityResults {
        let text = std::fs::read_to_string(out(i).join("capacity.json")).expect("capacity.json");
        serde_json::from_str(&text).expect("capacity.json reads")
    };
    let (lead, follower) = (capacity(0), capacity(1));
    // Each shard judged the same whole, so both took the same steps.
    let sweep = |c: &schemabench::results::capacity::CapacityResults| -> Vec<(u32, f64)> {
        c.sweep.iter().map(|s| (s.clients, s.throughput)).collect()
    };
    assert_eq!(sweep(&lead), sweep(&follower));
    assert_eq!(
        lead.sweep.iter().map(|s| s.clients).collect::<Vec<_>>(),
        [2, 4],
        "each step's clients are both shards' together"
    );
    let rates = |c: &schemabench::results::capacity::CapacityResults| -> Vec<(f64, bool)> {
        c.probes.iter().map(|p| (p.rate, p.passed)).collect()
    };
    assert_eq!(rates(&lead), rates(&follower));
    // Two probes, or one the generator limited (the search stops there).
    assert!(
        lead.probes.len() == 2 || lead.probes.first().is_some_and(|p| p.generator_limited),
        "{:?}",
        lead.probes
    );
    assert_eq!(lead.max_rate, follower.max_rate);
    // Every measurement of both shards holds the same whole: the requests
    // of both shares, every request in a query's histogram.
    let mut measured: Vec<String> = vec!["sweep".into(), "growth_1x".into()];
    measured.extend(
        lead.probes
            .iter()
            .enumerate()
            .map(|(i, p)| format!("probe_{i}_{:.0}", p.rate)),
    );
    for name in &measured {
        let (a, b) = (results(&out(0).join(name)), results(&out(1).join(name)));
        assert!(
            a.shard.is_none() && b.shard.is_none(),
            "{name}: a whole run"
        );
        for (pa, pb) in a.candidates[0].phases.iter().zip(&b.candidates[0].phases) {
            assert_eq!(
                (pa.requests, pa.offered),
                (pb.requests, pb.offered),
                "{name} {}",
                pa.name
            );
            assert!(pa.requests > 0, "{name} {}", pa.name);
            // Arrivals never served are failed requests of their queries.
            let histograms: u64 = pa.queries.iter().map(|q| q.count).sum();
            assert_eq!(histograms, pa.requests + pa.dropped, "{name} {}", pa.name);
        }
    }
}

/// A leader killed outright (SIGKILL) cannot drop its board; the next
/// run's follower, started first, passes over the dead run's board and
/// waits for the new leader's, and both finish.
#[test]
fn a_killed_leaders_board_is_passed_over_by_the_next_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = common::taleforge_variant(dir.path(), "shard_killed", "killed", None, WORKLOAD);
    let spawn = |i: u32, out: &str| {
        run(
            &scenario,
            &dir.path().join(out),
            &["--shard", &format!("{i}/2")],
        )
        .spawn_quietly()
    };
    let mut killed = spawn(0, "killed");
    while !on_board("shard_killed", 0) {
        if let Some(status) = killed.try_wait().expect("the leader") {
            panic!("the leader ended before opening its board: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    killed.kill().expect("SIGKILL the leader");
    let _ = killed.wait();
    assert!(on_board("shard_killed", 0), "the dead run's board stays");
    let follower = spawn(1, "s1");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let leader = spawn(0, "s0");
    ok(leader.wait_with_output().expect("leader"), "the new leader");
    ok(
        follower.wait_with_output().expect("follower"),
        "the follower",
    );
}

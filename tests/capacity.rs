//! `schemabench capacity` at a tiny scale against a real server: the rate
//! search keeps a consistent bracket, the USL is fitted, and a deliberately
//! unindexed query (a leading-wildcard LIKE over every story segment) is
//! flagged as growing linearly with the data while an index lookup is not,
//! judged on buffers per call so that no figure here depends on the
//! machine's speed.

mod common;

use std::path::Path;

use assert_cmd::Command;
use schemabench::results::Verdict;
use schemabench::results::capacity::CapacityResults;
use schemabench::results::capacity::{Growth, GrowthBasis};

/// `schemabench capacity SCENARIO ARGS --out OUT` against the tests'
/// server, which must succeed: what it printed and what it found.
fn capacity(scenario: &Path, args: &[&str], out: &Path) -> (String, CapacityResults) {
    let output = Command::cargo_bin("schemabench")
        .expect("binary")
        .arg("capacity")
        .arg(scenario)
        .args(args)
        .arg("--out")
        .arg(out)
        .env("DATABASE_URL", common::database_url())
        .output()
        .expect("run capacity");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{printed}");
    let results = serde_json::from_str(
        &std::fs::read_to_string(out.join("capacity.json")).expect("capacity.json"),
    )
    .expect("capacity results");
    (printed, results)
}

#[test]
fn search_keeps_its_bracket_and_a_scan_grows_linearly_while_a_lookup_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workload = "[workload.actor]\ntable = \"profiles\"\n\
        [[workload.queries]]\nname = \"lookup\"\nweight = 3\nas = \"postgres\"\naccess = \"read\"\n\
        sql = \"select count(*) from public.story_segments where story_id = $1\"\n\
        params = [{ from = \"owned\", column = \"stories.id\" }]\n\
        [[workload.queries]]\nname = \"scan\"\nweight = 1\nas = \"postgres\"\naccess = \"read\"\n\
        sql = \"select count(*) from public.story_segments where content like $1\"\n\
        params = [{ from = \"value\", of = { gen = \"enum\", values = [\"%dragon and the%\"] } }]\n\
        [load]\n[[load.phases]]\nname = \"steady\"\nduration = \"1s\"\nclients = 2\n\
        [[candidates]]\nname = \"content_trgm\"\n\
        sql = \"create extension if not exists pg_trgm with schema extensions; create index on public.story_segments using gin (content extensions.gin_trgm_ops)\"\n";
    let scenario =
        common::taleforge_variant(dir.path(), "capacity_probe", "capacity", None, workload);
    let out = dir.path().join("report");
    let (printed, results) = capacity(
        &scenario,
        &[
            "--scale",
            "0.005",
            "--seed",
            "91",
            "--clients",
            "1,2,4",
            "--step",
            "1s",
            "--warmup",
            "300ms",
            "--workers",
            "8",
            "--objective",
            "p99 < 100ms",
            "--max-probes",
            "10",
            "--growth",
            "1,4,16",
            "--growth-clients",
            "2",
            "--project",
            "100x",
            "--crossover",
            "content_trgm",
        ],
        &out,
    );
    common::assert_matches_schema(&out.join("capacity.json"), "capacity.schema.json");

    // Which rates pass depends on the machine; how the search treats its
    // outcomes does not (its sequence is pinned in `capacity::search`).
    assert_eq!(results.sweep.len(), 3);
    assert!(results.usl.is_some(), "USL fitted on three client counts");
    assert!(!results.probes.is_empty() && results.probes.len() <= 10);
    for p in &results.probes {
        assert_eq!(
            p.passed,
            p.p99_ms < 100.0 && p.served >= 0.99,
            "a probe passes exactly when it meets p99 < 100ms and serves 99% of its arrivals: {p:?}"
        );
    }
    let lowest_failure = results
        .probes
        .iter()
        .filter(|p| !p.passed)
        .map(|p| p.rate)
        .min_by(f64::total_cmp);
    let ceiling = lowest_failure.unwrap_or(f64::INFINITY);
    let held = results
        .probes
        .iter()
        .filter(|p| p.passed && p.rate < ceiling)
        .map(|p| p.rate)
        .max_by(f64::total_cmp);
    assert_eq!(results.max_rate, held, "{:?}", results.probes);
    assert_eq!(
        results.converged,
        matches!((held, lowest_failure), (Some(l), Some(h)) if (h - l) / h <= 0.1)
    );
    assert!(results.conclusion[0].contains("requests/s"));

    // Growth is judged on buffers per call: exact, whatever the machine.
    let growth = |q: &str| {
        results
            .growth
            .iter()
            .find(|g| g.query == q)
            .unwrap_or_else(|| panic!("{q} measured: {:?}", results.growth))
    };
    let scan = growth("scan");
    assert_eq!(scan.basis, GrowthBasis::Work, "{scan:?}");
    assert_eq!(scan.buffers.len(), 3, "{scan:?}");
    assert_eq!(
        scan.growth,
        Growth::Linear,
        "the scan reads every page: {scan:?}"
    );
    assert!(scan.plan.iter().any(|n| n.contains("Seq Scan")), "{scan:?}");
    let lookup = growth("lookup");
    assert_eq!(lookup.basis, GrowthBasis::Work, "{lookup:?}");
    assert!(
        !lookup.growth.is_alarming(),
        "an index lookup reads a few pages at any scale: {lookup:?}"
    );
    assert!(
        lookup.plan.iter().any(|n| n.contains("Index Only Scan")),
        "{lookup:?}"
    );
    assert!(
        results
            .conclusion
            .iter()
            .any(|l| l.contains("grows with the data")
                && l.contains("scan")
                && !l.contains("lookup")),
        "{:?}",
        results.conclusion
    );

    // The candidate beside the baseline at every growth scale: its verdict
    // (time first) depends on the machine, its work does not: the trigram
    // index reads fewer pages than the scan at the largest scale.
    assert_eq!(results.crossover.len(), 1);
    let trgm = &results.crossover[0];
    assert_eq!(trgm.candidate, "content_trgm");
    let scales: Vec<f64> = trgm.points.iter().map(|p| p.scale).collect();
    assert_eq!(scales, results.growth_scales);
    assert!(trgm.points.windows(2).all(|w| w[0].rows < w[1].rows));
    let largest = trgm.points.last().expect("a point");
    assert!(largest.work.is_some_and(|w| w.ratio < 1.0), "{largest:?}");
    // A turn is between decided verdicts: an inconclusive scale makes none.
    let decided: Vec<_> = trgm
        .points
        .iter()
        .filter(|p| p.verdict != schemabench::results::Verdict::Inconclusive)
        .collect();
    assert_eq!(
        trgm.turns_at,
        decided
            .iter()
            .find(|p| p.verdict != decided[0].verdict)
            .map(|p| p.scale)
    );
    // The machine's room, said (an existing server's disk is not counted:
    // memory for the data plan decides here).
    assert!(results.largest_scale.is_some_and(|s| s > 0.08));
    assert!(
        results
            .conclusion
            .iter()
            .any(|l| l.starts_with("This machine holds a growth run up to about scale")),
        "{:?}",
        results.conclusion
    );
    assert!(
        results
            .conclusion
            .iter()
            .any(|l| l.starts_with("content_trgm: ")),
        "{:?}",
        results.conclusion
    );

    let html = std::fs::read_to_string(out.join("capacity.html")).expect("capacity.html");
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, options).expect("well-formed");
    assert_eq!(
        doc.descendants()
            .filter(|n| n.tag_name().name() == "svg")
            .count(),
        7
    );
    assert!(
        html.contains("throughput against concurrency")
            && html.contains("p99 latency against data scale")
            && html.contains("<h2>Crossover</h2>")
            && html.contains("App time per request as the data grows")
            && html.contains("Work per request as the data grows")
    );
    eprintln!("{printed}");
}

/// A candidate whose benefit grows with the rows: an index on a column the
/// baseline scans (its unique constraint dropped), used at every size
/// (`enable_seqscan = off`). While the table is one page the scan reads one
/// buffer and the index two (leaf and heap); once the table spans several
/// pages the index reads fewer. The crossover finds that turn on work,
/// which the machine's speed does not move.
#[test]
fn the_crossover_finds_the_scale_where_an_index_starts_to_pay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workload = "[workload.actor]\ntable = \"profiles\"\n\
        [[workload.queries]]\nname = \"plan_of\"\nweight = 1\nas = \"postgres\"\naccess = \"read\"\n\
        sql = \"select plan from public.subscriptions where user_id = $1\"\n\
        params = [{ from = \"actor\", column = \"id\" }]\n\
        [load]\n[[load.phases]]\nname = \"steady\"\nduration = \"1s\"\nclients = 1\n\
        [[candidates]]\nname = \"user_index\"\n\
        sql = \"create index on public.subscriptions (user_id)\"\n\
        settings = { enable_seqscan = \"off\" }\n";
    let scenario = common::taleforge_variant(
        dir.path(),
        "crossover_probe",
        "crossover",
        Some("alter table public.subscriptions drop constraint subscriptions_user_id_key;"),
        workload,
    );
    let out = dir.path().join("report");
    let (_, results) = capacity(
        &scenario,
        &[
            "--scale",
            "0.005",
            "--seed",
            "92",
            "--clients",
            "1",
            "--step",
            "1s",
            "--warmup",
            "300ms",
            "--max-probes",
            "1",
            "--growth",
            "1,4,16",
            "--growth-clients",
            "1",
            "--crossover",
            "user_index",
        ],
        &out,
    );
    let [crossover] = results.crossover.as_slice() else {
        panic!("one candidate: {:?}", results.crossover);
    };
    let work: Vec<(f64, Option<Verdict>)> = crossover
        .points
        .iter()
        .map(|p| (p.scale, p.work.map(|w| w.verdict)))
        .collect();
    // 12, 50 and 200 subscriptions: one page, one page, four.
    assert_eq!(
        work,
        [
            (0.005, Some(Verdict::Slower)),
            (0.02, Some(Verdict::Slower)),
            (0.08, Some(Verdict::Faster))
        ],
        "{:?}",
        crossover.points
    );
    assert_eq!(crossover.work_turns_at, Some(0.08));
    // The work chart: a row per scale, the candidate's turn seen as its
    // points crossing 1x.
    let html = std::fs::read_to_string(out.join("capacity.html")).expect("capacity.html");
    let chart = html
        .split_once("Work per request as the data grows")
        .map(|(_, chart)| chart)
        .expect("a work chart");
    assert_eq!(chart.matches("user_index · ").count(), 3, "{chart}");
    assert!(
        results
            .conclusion
            .iter()
            .any(|l| l.starts_with("user_index: ") && l.contains("0.08")),
        "{:?}",
        results.conclusion
    );
}

/// With `prepare_once`, each growth scale prepares a crossover candidate
/// once (its SQL, VACUUM, ANALYZE) and copies it for all its rounds:
/// pg_stat_statements counts the candidate's DDL once per scale across
/// every database of the cluster (it would count once per round, three
/// per scale, otherwise).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crossover_prepares_each_candidate_once_per_scale() {
    use schemabench::capacity::{CROSSOVER_ROUNDS, CapacityOptions, plan};
    use schemabench::results::limit::{LatencyFigure, Limit, Metric, Op};
    let dir = tempfile::tempdir().expect("tempdir");
    let ddl = "create index crossover_once_probe on public.subscriptions (user_id)";
    let workload = format!(
        "[workload.actor]\ntable = \"profiles\"\n\
         [[workload.queries]]\nname = \"plan_of\"\nweight = 1\nas = \"postgres\"\naccess = \"read\"\n\
         sql = \"select plan from public.subscriptions where user_id = $1\"\n\
         params = [{{ from = \"actor\", column = \"id\" }}]\n\
         [load]\n[[load.phases]]\nname = \"steady\"\nduration = \"300ms\"\nclients = 1\n\
         [[candidates]]\nname = \"user_index\"\nsql = \"{ddl}\"\n"
    );
    let path = common::taleforge_variant(dir.path(), "once_crossover", "once", None, &workload);
    let scenario = schemabench::scenario::Scenario::load(&path)
        .expect("scenario")
        .with_overrides(
            Some(93),
            Some(schemabench::scenario::units::Scale::constant(0.005)),
        )
        .expect("scale");
    let options = CapacityOptions {
        clients: vec![1],
        step: std::time::Duration::from_millis(300),
        warmup: std::time::Duration::from_millis(100),
        workers: 2,
        objectives: vec![Limit::new(
            Metric::Latency(LatencyFigure::P99),
            Op::Lt,
            50.0,
        )],
        max_probes: 1,
        growth: vec![1.0, 2.0],
        growth_clients: 1,
        project: 2.0,
        crossover: vec!["user_index".to_owned()],
        prepare_once: true,
        largest_scale: None,
        out: dir.path().join("report"),
        progress: false,
        shard: Default::default(),
    };
    let server = common::server().await;
    let results = plan(&server, &scenario, &options).await.expect("capacity");
    assert_eq!(results.crossover.len(), 1, "{:?}", results.crossover);
    let seeded =
        schemabench::pg::database::data_db_name(&scenario.data_name, &scenario.data_fingerprint());
    let calls: i64 = server
        .admin(&seeded)
        .await
        .expect("admin")
        .query_one(
            "select coalesce(sum(calls), 0)::bigint from extensions.pg_stat_statements where query = $1",
            &[&ddl],
        )
        .await
        .expect("pg_stat_statements")
        .get(0);
    assert_eq!(calls, 2, "once per growth scale, not {CROSSOVER_ROUNDS}");
}

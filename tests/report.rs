//! Reports rendered again from a stored results.json (a real small TaleForge
//! run, baseline and `feed_index`, two rounds), without a database: the
//! HTML and every SVG parse, every query and configuration appears, the
//! axes are labelled, and the text outputs are pinned by snapshots.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use schemabench::gate::baseline;
use schemabench::report::{html, markdown, terminal};
use schemabench::results::RunResults;

fn fixture_path() -> std::path::PathBuf {
    common::repo_path("tests/fixtures/results.json")
}

fn fixture() -> RunResults {
    baseline::load(&fixture_path()).expect("the fixture is a current results file")
}

fn schemabench() -> Command {
    Command::cargo_bin("schemabench").expect("binary")
}

/// Every output `report` renders from the fixture, without a database, in
/// a folder of its own.
fn rendered() -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("tempdir");
    schemabench()
        .args(["report", &fixture_path().display().to_string(), "--out"])
        .arg(out.path())
        .env_remove("DATABASE_URL")
        .assert()
        .success()
        .stdout(contains("report.html"));
    out
}

fn parse(xml: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(xml, options).expect("well-formed XML")
}

#[test]
fn report_command_renders_every_output_without_a_database() {
    let out = rendered();
    let results = fixture();
    for file in [
        "report.html",
        "summary.md",
        "results.json",
        "bencher.json",
        "benchmark-latency.json",
        "benchmark-throughput.json",
        "histograms/story_feed.hgrm",
        "histograms/story_feed.feed_index.hgrm",
    ] {
        assert!(out.path().join(file).is_file(), "{file} written");
    }
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.path().join(f)).expect("read"))
            .expect("JSON")
    };
    let bencher = read("bencher.json");
    let feed = &bencher["taleforge/story_feed"];
    let p50_us = results.candidates[0]
        .queries
        .iter()
        .find(|q| q.name == "story_feed")
        .expect("story_feed")
        .latency
        .p50;
    assert_eq!(
        feed["latency"]["value"].as_f64(),
        Some(p50_us as f64 * 1000.0),
        "ns"
    );
    assert!(
        feed["throughput"]["value"]
            .as_f64()
            .is_some_and(|t| t > 0.0)
    );
    // The rounds' range around the run's figure, in the same unit.
    let p50_rounds: Vec<f64> = results.candidates[0]
        .round_histograms("story_feed", None)
        .iter()
        .map(|h| h.value_at_quantile(0.5) as f64 * 1000.0)
        .collect();
    assert_eq!(p50_rounds.len(), 3);
    assert_eq!(
        (
            feed["latency"]["lower_value"].as_f64(),
            feed["latency"]["upper_value"].as_f64()
        ),
        (
            p50_rounds.iter().copied().reduce(f64::min),
            p50_rounds.iter().copied().reduce(f64::max)
        )
    );
    let smaller = read("benchmark-latency.json");
    let entries = smaller.as_array().expect("array");
    assert_eq!(entries.len(), 4 * results.candidates[0].queries.len());
    assert!(
        entries
            .iter()
            .all(|e| e["unit"] == "ms" && e["value"].is_number())
    );
    let bigger = read("benchmark-throughput.json");
    assert_eq!(
        bigger.as_array().map(Vec::len),
        Some(results.candidates[0].queries.len())
    );
}

#[test]
fn html_and_every_svg_parse_and_name_every_query_and_candidate() {
    let results = fixture();
    let page = html::render(&results);
    let doc = parse(&page);
    let svgs: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "svg")
        .collect();
    let queries = &results.candidates[0].queries;
    let measured_phases = results.load.iter().filter(|p| !p.warmup).count();
    assert_eq!(
        svgs.len(),
        1 + (2 + 2 * measured_phases) * queries.len() + (results.candidates.len() - 1),
        "the called changes; per query two latency charts and two per measured phase; a ratio chart per candidate"
    );
    // The answer comes first: the headline, then the chart of what changed.
    let answer = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("answer"))
        .expect("answer section");
    let text: Vec<&str> = answer
        .descendants()
        .filter(|n| matches!(n.tag_name().name(), "p" | "li"))
        .filter_map(|n| n.text())
        .collect();
    let text = text.join(" ");
    assert!(
        text.starts_with(
            "taleforge at scale 0.02: 1 of 1 candidate(s) measurably change the app (3 rounds, rounds design, 21 s)."
        ),
        "{text}"
    );
    assert!(
        text.contains("Weigh feed_index: the app as a whole: time 1.01x [0.89-1.15] no change; faster usage_analytics p99 0.85x [0.75-0.92]; story_feed p50 0.92x [0.90-0.95]; but slower admin_daily_usage p95 1.37x"),
        "{text}"
    );
    assert_eq!(
        answer
            .descendants()
            .filter(|n| n.tag_name().name() == "svg")
            .count(),
        1
    );
    let headings: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "h2")
        .filter_map(|n| n.text().map(str::to_owned))
        .collect();
    for q in queries {
        assert!(headings.contains(&q.name), "a section for {}", q.name);
    }
    for c in &results.candidates {
        assert!(
            page.contains(&format!("</span>{}</td>", c.name)),
            "{} in the legend",
            c.name
        );
    }
    for svg in &svgs {
        // Each chart is a document of its own too.
        let text = &page[svg.range()];
        let chart = parse(text);
        let labels: Vec<&str> = chart
            .descendants()
            .filter(|n| n.tag_name().name() == "text")
            .filter_map(|n| n.text())
            .collect();
        assert!(
            labels
                .iter()
                .any(|l| l.contains("latency") || l.contains("seconds into the phase")),
            "an axis title names the quantity: {labels:?}"
        );
        assert!(
            labels.iter().any(|l| l.contains("(ms")
                || l.contains("ratio")
                || l.contains("share of requests")
                || l.contains("requests per second")),
            "axes carry units: {labels:?}"
        );
    }
    // Legends sit beside the plot, never over a line.
    let names: Vec<&str> = results.candidates.iter().map(|c| c.name.as_str()).collect();
    let mut legends = 0;
    for svg in &svgs {
        let chart = parse(&page[svg.range()]);
        let rightmost_line = chart
            .descendants()
            .filter(|n| n.tag_name().name() == "polyline")
            .filter_map(|n| n.attribute("points"))
            .flat_map(|points| points.split_whitespace())
            .filter_map(|point| point.split(',').next()?.parse::<f64>().ok())
            .fold(f64::MIN, f64::max);
        for text in chart.descendants().filter(|n| {
            n.tag_name().name() == "text" && n.text().is_some_and(|t| names.contains(&t.trim()))
        }) {
            let x: f64 = text.attribute("x").and_then(|x| x.parse().ok()).expect("x");
            assert!(
                x > rightmost_line,
                "legend {:?} at x {x} over a line reaching {rightmost_line}",
                text.text()
            );
            legends += 1;
        }
    }
    assert!(
        legends >= 2 * names.len() * queries.len(),
        "{legends} legend entries"
    );
    let percentile_chart = svgs
        .iter()
        .map(|s| &page[s.range()])
        .find(|s| s.contains("latency by percentile"))
        .expect("a percentile chart");
    assert!(percentile_chart.contains("99%") && percentile_chart.contains("percentile"));
}

#[test]
fn summary_markdown_is_stable() {
    insta::assert_snapshot!("summary_md", markdown::summary(&fixture()));
}

#[test]
fn terminal_summary_is_stable() {
    insta::assert_snapshot!("terminal_summary", terminal::summary(&fixture()));
}

/// The default terminal output is about one screen and fits 100 columns;
/// every other figure is one --verbose away.
#[test]
fn the_default_terminal_output_fits_one_screen_of_100_columns() {
    let brief = terminal::printed(&fixture(), false);
    for line in brief.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    assert!(
        brief.lines().count() <= 40,
        "{} lines:\n{brief}",
        brief.lines().count()
    );
    assert_eq!(
        terminal::printed(&fixture(), true),
        terminal::summary(&fixture())
    );
    insta::assert_snapshot!("terminal_brief", brief);
}

#[test]
fn a_run_compared_with_itself_is_no_regression() {
    let out = tempfile::tempdir().expect("tempdir");
    // Relative, so the snapshot does not depend on where the checkout is.
    let path = "tests/fixtures/results.json";
    schemabench()
        .current_dir(common::repo_path(""))
        .args(["compare", path, path, "--out"])
        .arg(out.path())
        .assert()
        .code(0)
        .stdout(contains("the gate (app) passes"));
    let md = std::fs::read_to_string(out.path().join("regression.md")).expect("regression.md");
    insta::assert_snapshot!("regression_md", md);
}

#[test]
fn runs_that_differ_in_scale_or_load_are_not_compared() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut other = fixture();
    other.scenario.scale = 1.0;
    other.load[1].offered = other.load[1].offered.together(other.load[1].offered);
    let other_path = dir.path().join("other.json");
    std::fs::write(&other_path, serde_json::to_string(&other).expect("json")).expect("write");
    schemabench()
        .args(["compare", &fixture_path().display().to_string()])
        .arg(&other_path)
        .assert()
        .code(2)
        .stderr(contains("scale: 0.02 vs 1").and(contains("load:")));
}

#[test]
fn a_file_that_is_not_a_results_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("results.json");
    std::fs::write(&bad, "{\"version\": 1}").expect("write");
    schemabench()
        .arg("report")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(contains("results version 1"));
}

/// Every file `report` writes, with its size and SHA-256: a refactor of the
/// reports that changes one byte of any output fails here and names the file.
#[test]
fn every_rerendered_output_is_byte_identical_to_the_pinned_one() {
    use sha2::{Digest, Sha256};
    let out = rendered();
    let mut files = Vec::new();
    let mut folders = vec![out.path().to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read the outputs") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let listing: String = files
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).expect("read an output");
            let name = path.strip_prefix(out.path()).expect("inside --out");
            let digest: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("{} {} {digest}\n", name.display(), bytes.len())
        })
        .collect();
    insta::assert_snapshot!("rerendered_outputs", listing);
}

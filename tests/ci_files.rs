//! The CI and container files shipped with schemabench: every schemabench
//! command they run parses with today's flags, the nightly workflow keeps
//! the history its trend alert needs, and the compose file keeps the
//! Supabase image's own settings.

mod common;

use clap::Parser;
use schemabench::cli::Cli;

fn read(path: &str) -> String {
    std::fs::read_to_string(common::repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `schemabench` command line of a shell script, continuation lines
/// joined, as argument lists (quotes dropped; variables stay as text).
fn commands(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|line| {
            let at = line.find("target/release/schemabench ")?;
            let args = line[at..].split_whitespace().skip(1);
            Some(
                std::iter::once("schemabench".to_owned())
                    .chain(args.map(|a| a.trim_matches('"').to_owned()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_workflows_run_commands_that_parse_and_keep_their_history() {
    for file in ["schema-performance.yml", "schema-performance-nightly.yml"] {
        let workflow = read(&format!(".github/workflows/{file}"));
        let runs = commands(&workflow);
        assert!(!runs.is_empty(), "{file} runs schemabench");
        for args in &runs {
            if let Err(e) = Cli::try_parse_from(args) {
                panic!("{file}: {args:?} does not parse: {e}");
            }
            if args[1] == "run" {
                assert!(
                    args.iter()
                        .any(|a| a == "--against-migrations" || a == "--against-ref"),
                    "{file}: the gate compares two schemas in one run: {args:?}"
                );
            }
        }
    }
    // The pull request's code runs with read-only permissions; the
    // comment is posted by a workflow that never checks that code out.
    let pr = read(".github/workflows/schema-performance.yml");
    assert!(
        pr.contains("contents: read") && !pr.contains(": write"),
        "{pr}"
    );
    let comment = read(".github/workflows/schema-performance-comment.yml");
    assert!(comment.contains("workflow_run:") && comment.contains("pull-requests: write"));
    assert!(!comment.contains("actions/checkout"), "{comment}");
    // github-action-benchmark only alerts on history it kept; the stored
    // run of last night is kept between runs.
    let nightly = read(".github/workflows/schema-performance-nightly.yml");
    for kept in [
        "auto-push: true",
        "gh-pages-branch: gh-pages",
        "contents: write",
        "path: reports/baselines",
    ] {
        assert!(
            nightly.contains(kept),
            "the nightly workflow lacks `{kept}`"
        );
    }
}

#[test]
fn the_compose_file_keeps_the_image_settings_and_passes_the_exit_code() {
    let compose = read("docker/compose.yaml");
    assert!(
        !compose.contains("-c shared_preload_libraries"),
        "the image's own preload list stays"
    );
    assert!(compose.contains("--exit-code-from schemabench"));
    assert!(compose.contains("./roles.sql:/docker-entrypoint-initdb.d/init-scripts/"));
    assert!(read("docker/roles.sql").contains("alter user authenticator with password"));
    let command = compose
        .lines()
        .find_map(|l| l.trim().strip_prefix("command: ["))
        .expect("the schemabench service's command");
    let args: Vec<String> = std::iter::once("schemabench".to_owned())
        .chain(
            command
                .trim_end_matches(']')
                .split(',')
                .map(|a| a.trim().trim_matches('"').to_owned()),
        )
        .collect();
    if let Err(e) = Cli::try_parse_from(&args) {
        panic!("{args:?} does not parse: {e}");
    }
    assert!(
        read(".dockerignore").lines().any(|l| l.trim() == "target/"),
        "the build context leaves target/ out"
    );
    // Reports outlive the container; dependencies outlive a source change.
    let dockerfile = read("docker/Dockerfile");
    assert!(dockerfile.contains("VOLUME /opt/schemabench/reports"));
    assert!(dockerfile.contains("-v \"$PWD/reports:/opt/schemabench/reports\""));
    assert!(dockerfile.contains("--mount=type=cache,target=/src/target"));
}

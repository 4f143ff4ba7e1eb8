//! The Kubernetes manifest for sharded runs: every document valid against
//! Kubernetes' schemas (strict, so a misspelled field fails), an Indexed Job
//! whose pods run exactly the shards of one run, and a merge of all of them,
//! with flags the real command line accepts.

mod common;

use clap::Parser;
use schemabench::cli::{Cli, Command};
use serde::Deserialize;

const MANIFEST: &str = "docker/k8s/sharded-run.yaml";

/// The manifest's documents as JSON.
fn documents() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(common::repo_path(MANIFEST)).expect("manifest");
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| serde_json::Value::deserialize(doc).expect("a YAML document"))
        .collect()
}

/// Errors of `doc` against the schema of its kind.
fn violations(doc: &serde_json::Value) -> Vec<String> {
    let file = match doc["kind"].as_str() {
        Some("Job") => "job-batch-v1.json",
        Some("PersistentVolumeClaim") => "persistentvolumeclaim-v1.json",
        other => return vec![format!("no schema for kind {other:?}")],
    };
    let path = common::repo_path(&format!("tests/fixtures/kubernetes/{file}"));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    validator.iter_errors(doc).map(|e| e.to_string()).collect()
}

#[test]
fn every_document_matches_the_kubernetes_schema_of_its_kind() {
    let docs = documents();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(kinds, ["PersistentVolumeClaim", "Job"]);
    for doc in &docs {
        assert_eq!(violations(doc), Vec::<String>::new(), "{}", doc["kind"]);
    }
    // Strict: a field Kubernetes does not know is refused, not ignored.
    let mut misspelled = docs[1].clone();
    misspelled["spec"]["completionsMode"] = "Indexed".into();
    assert_eq!(violations(&misspelled).len(), 1);
    let mut misplaced = docs[1].clone();
    misplaced["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueForm"] = "x".into();
    assert!(!violations(&misplaced).is_empty());
}

#[test]
fn the_indexed_job_runs_every_shard_of_one_run_and_merges_them() {
    let docs = documents();
    let (claim, job) = (&docs[0], &docs[1]);
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let shards = spec["completions"].as_u64().expect("completions");
    assert_eq!(
        spec["parallelism"].as_u64(),
        Some(shards),
        "every shard at once"
    );
    assert_eq!(
        spec["backoffLimit"], 0,
        "no shard restarts into a run under way"
    );
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        claim["metadata"]["name"]
    );
    let container = &pod["containers"][0];
    assert_eq!(
        container["volumeMounts"][0]["name"],
        pod["volumes"][0]["name"]
    );
    let env = |name: &str| -> &serde_json::Value {
        container["env"]
            .as_array()
            .and_then(|vars| vars.iter().find(|v| v["name"] == name))
            .unwrap_or_else(|| panic!("env {name}"))
    };
    assert_eq!(env("SHARDS")["value"], shards.to_string());
    assert_eq!(
        env("SHARD")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    // The password comes from a Secret, never from the manifest.
    assert!(env("DATABASE_URL")["valueFrom"]["secretKeyRef"].is_object());
    assert!(env("DATABASE_URL").get("value").is_none());

    let script = container["args"][0].as_str().expect("the pod's script");
    let line = |starts: &str| -> String {
        script
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(starts))
            .unwrap_or_else(|| panic!("a line starting {starts}"))
            .to_owned()
    };
    // What the shell makes of the lines in pod I, parsed by the real CLI
    // (DATABASE_URL, from the Secret, stands in as a flag).
    let words = |text: &str, shard: u64| -> Vec<String> {
        text.replace("$SHARDS", &shards.to_string())
            .replace("$SHARD", &shard.to_string())
            .replace('"', "")
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let mut outs = Vec::new();
    for shard in 0..shards {
        let mut args = words(&line("schemabench run"), shard);
        args.extend(["--database-url".into(), "postgres://x@h/db".into()]);
        let Command::Run(run) = Cli::try_parse_from(&args).expect("run flags parse").command else {
            panic!("a run");
        };
        let got = run.shard.expect("--shard");
        assert_eq!(
            (u64::from(got.index), u64::from(got.count)),
            (shard, shards)
        );
        outs.push(run.out.expect("--out"));
    }
    let merge = line("schemabench merge");
    let listed: Vec<String> = (0..shards).map(|i| format!("/results/shard-{i}")).collect();
    let expanded = merge.replace(
        "$(seq -f \"/results/shard-%g\" 0 $((SHARDS - 1)))",
        &listed.join(" "),
    );
    assert_ne!(expanded, merge, "the merge lists the shards with seq");
    let Command::Merge(args) = Cli::try_parse_from(expanded.split_whitespace())
        .expect("merge flags parse")
        .command
    else {
        panic!("a merge");
    };
    assert_eq!(args.shards, outs, "the merge reads every shard's folder");
    assert!(script.contains("if [ \"$SHARD\" = 0 ]"), "shard 0 merges");
}

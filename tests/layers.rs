//! The module graph follows the order documented in `src/lib.rs`: a module
//! may use only the modules listed before it, so the pipeline reads bottom
//! to top and no import cycle can come back.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The modules in the order `src/lib.rs` documents, lowest first.
fn documented_order(lib: &str) -> Vec<String> {
    lib.lines()
        .skip_while(|l| !l.starts_with("//! ```text"))
        .skip(1)
        .take_while(|l| !l.starts_with("//! ```"))
        .filter_map(|l| l.trim_start_matches("//!").split_whitespace().next())
        .filter(|word| word.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of `text`, line comments out.
fn code(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The leading identifier of `text`.
fn identifier(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Every `PREFIXNAME` a file mentions, comments aside, grouped imports
/// (`PREFIX{a, b::C}`) read item by item.
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    let code = code(text);
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find(prefix) {
        let after = &rest[at + prefix.len()..];
        if let Some(group) = after.strip_prefix('{') {
            // The items of the group, split at its top level.
            let (mut depth, mut item) = (0, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(identifier(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.insert(identifier(&item));
        } else {
            out.insert(identifier(after));
        }
        rest = after;
    }
    out.remove("");
    out.remove("self");
    out
}

/// Every `crate::NAME` a file mentions.
fn crate_references(text: &str) -> BTreeSet<String> {
    references(text, "crate::")
}

#[test]
fn every_module_uses_only_the_modules_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let order = documented_order(&lib);
    assert!(order.len() > 10, "lib.rs documents the order: {order:?}");

    let declared: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').to_owned())
        .collect();
    let documented: BTreeSet<String> = order.iter().cloned().collect();
    assert_eq!(declared, documented, "lib.rs declares what it documents");

    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|c| c.trim_end_matches(".rs").to_owned())
            .expect("a name");
        let Some(level) = order.iter().position(|m| *m == top) else {
            continue; // lib.rs and main.rs sit above every module
        };
        let text = std::fs::read_to_string(file).expect("readable");
        for used in crate_references(&text) {
            if let Some(used_level) = order.iter().position(|m| *m == used)
                && used_level > level
            {
                upward.push(format!("{} uses crate::{used}", relative.display()));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports against the documented order:\n{}",
        upward.join("\n")
    );
}

#[test]
fn references_are_found_in_code_not_comments_and_in_groups() {
    let refs = crate_references(
        "use crate::results::{A, B};\nlet x = crate::pg::quote_ident(y); // crate::report\nuse crate::{\n    gate::Standing,\n    seed::{self, Plan},\n};\n",
    );
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        ["gate", "pg", "results", "seed"].map(str::to_owned)
    );
}

/// The files of one folder of `src` (its `mod.rs` aside, which declares
/// them) and the siblings each uses: `super::NAME` or `crate::M::NAME`.
fn sibling_graph(dir: &Path, module: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| p.file_stem().is_some_and(|s| s != "mod"))
        .map(|p| {
            let name = p
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("name")
                .to_owned();
            (name, std::fs::read_to_string(&p).expect("readable"))
        })
        .collect();
    files.sort();
    let names: BTreeSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    files
        .iter()
        .map(|(name, text)| {
            let mut used = references(text, "super::");
            used.extend(references(text, &format!("crate::{module}::")));
            used.retain(|u| names.contains(u) && u != name);
            (name.clone(), used)
        })
        .collect()
}

/// A cycle in `graph`, as the path that closes it.
fn cycle(graph: &[(String, BTreeSet<String>)]) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &[(String, BTreeSet<String>)],
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        let next = graph.iter().find(|(n, _)| n == node).map(|(_, u)| u);
        for used in next.into_iter().flatten() {
            if let Some(found) = visit(used, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .iter()
        .find_map(|(n, _)| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_two_files_of_a_module_use_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut cycles = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
            if entry.path().is_dir() {
                dirs.push(entry.path());
            }
        }
        if dir == src {
            continue; // the modules themselves: the layer test's concern
        }
        let module = dir
            .strip_prefix(&src)
            .expect("under src")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("::");
        if let Some(found) = cycle(&sibling_graph(&dir, &module)) {
            cycles.push(format!("{module}: {}", found.join(" -> ")));
        }
    }
    assert!(
        cycles.is_empty(),
        "files that use each other:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn a_cycle_between_files_is_found() {
    let graph = |edges: &[(&str, &[&str])]| -> Vec<(String, BTreeSet<String>)> {
        edges
            .iter()
            .map(|(n, u)| (n.to_string(), u.iter().map(|s| s.to_string()).collect()))
            .collect()
    };
    assert_eq!(
        cycle(&graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])])),
        Some(["a", "b", "c", "a"].map(str::to_owned).to_vec())
    );
    assert_eq!(
        cycle(&graph(&[("a", &["b"]), ("b", &[]), ("c", &["a", "b"])])),
        None
    );
}

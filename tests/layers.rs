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

/// Every `crate::NAME` a file mentions, comments aside.
fn crate_references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
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
fn references_are_found_in_code_not_comments() {
    let refs = crate_references(
        "use crate::results::{A, B};\nlet x = crate::pg::quote_ident(y); // crate::report\n",
    );
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        ["pg".to_owned(), "results".to_owned()]
    );
}

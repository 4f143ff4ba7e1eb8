//! Outputs of a run, each rendered from the one result model.

pub mod advice;
pub mod analysis;
pub mod brief;
pub mod capacity;
pub mod charts;
pub mod ci;
pub mod files;
pub mod headline;
pub mod html;
pub mod markdown;
pub mod memory;
pub mod migration;
pub mod playbook;
pub mod table;
pub mod tables;
pub mod terminal;

/// The stored run of `tests/fixtures/results.json`, for the reports' unit tests.
#[cfg(test)]
pub(crate) fn fixture() -> crate::results::RunResults {
    serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/results.json"
        ))
        .expect("the fixture"),
    )
    .expect("a run's results")
}

//! The report folder: `results.json`, `report.html`, `summary.md`, the CI
//! formats, one `.hgrm` percentile distribution per query and configuration
//! and one `.hlog` interval log per query. Created before the run starts so
//! a bad path fails at once, and rewritten as each phase ends so Ctrl-C
//! leaves a usable partial report. Everything but the `.hlog` files is
//! rendered from `results.json` alone (`schemabench report`).

use std::path::{Path, PathBuf};

use crate::measure::hgrm::percentile_distribution;
use crate::results::RunResults;

/// Why the report folder could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the report in {}", path.display())]
pub struct ReportError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

pub const HTML_FILE: &str = "report.html";
pub const SUMMARY_FILE: &str = "summary.md";
pub const REGRESSION_FILE: &str = "regression.md";
pub const BENCHER_FILE: &str = "bencher.json";
pub const SMALLER_FILE: &str = "benchmark-latency.json";
pub const BIGGER_FILE: &str = "benchmark-throughput.json";
pub const CAPACITY_FILE: &str = "capacity.json";
pub const CAPACITY_HTML_FILE: &str = "capacity.html";

/// A run's report folder.
#[derive(Debug, Clone)]
pub struct ReportDir {
    pub path: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError {
        path: path.to_owned(),
        source,
    }
}

/// A file-name-safe version of a query name.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl ReportDir {
    /// Creates `out`, or `reports/<scenario>/<timestamp>/`, with an empty
    /// results file and one distribution file per query.
    pub fn create(
        out: Option<&Path>,
        scenario: &str,
        queries: &[String],
        candidates: &[String],
    ) -> Result<Self, ReportError> {
        let path = match out {
            Some(p) => p.to_owned(),
            None => PathBuf::from("reports")
                .join(scenario)
                .join(chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()),
        };
        std::fs::create_dir_all(&path).map_err(io(&path))?;
        let dir = Self { path };
        let results = dir.results_path();
        std::fs::write(&results, "{}\n").map_err(io(&results))?;
        for q in queries {
            for c in candidates {
                let file = dir.hgrm_path(q, c);
                std::fs::write(&file, "").map_err(io(&file))?;
            }
        }
        Ok(dir)
    }

    /// An existing or new folder to render into (`schemabench report`).
    pub fn at(path: PathBuf) -> Result<Self, ReportError> {
        std::fs::create_dir_all(&path).map_err(io(&path))?;
        Ok(Self { path })
    }

    pub fn results_path(&self) -> PathBuf {
        self.path.join("results.json")
    }

    /// `<query>.hgrm` for the baseline, `<query>.<candidate>.hgrm` otherwise.
    pub fn hgrm_path(&self, query: &str, candidate: &str) -> PathBuf {
        if candidate == crate::candidate::BASELINE {
            self.path.join(format!("{}.hgrm", file_stem(query)))
        } else {
            self.path.join(format!(
                "{}.{}.hgrm",
                file_stem(query),
                file_stem(candidate)
            ))
        }
    }

    pub fn hlog_path(&self, query: &str) -> PathBuf {
        self.path.join(format!("{}.hlog", file_stem(query)))
    }

    /// Writes a file whole: to a temporary name, then renamed, so a crash
    /// never leaves half a file.
    fn put(&self, name: &str, text: &str) -> Result<(), ReportError> {
        let tmp = self.path.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, self.path.join(name)).map_err(io(&tmp))
    }

    fn put_json(&self, name: &str, value: &impl serde::Serialize) -> Result<(), ReportError> {
        let json = serde_json::to_string_pretty(value).map_err(|e| ReportError {
            path: self.path.join(name),
            source: e.into(),
        })?;
        self.put(name, &(json + "\n"))
    }

    /// Writes a capacity run's results and report.
    pub fn write_capacity(
        &self,
        results: &crate::results::capacity::CapacityResults,
    ) -> Result<(), ReportError> {
        self.put_json(CAPACITY_FILE, results)?;
        self.put(CAPACITY_HTML_FILE, &super::capacity::html(results))
    }

    /// Rewrites `results.json` alone: after every phase, so an interrupted
    /// run keeps each phase it finished.
    pub fn write_results(&self, results: &RunResults) -> Result<(), ReportError> {
        self.put_json("results.json", results)
    }

    /// Rewrites every output from the results.
    pub fn write(&self, results: &RunResults) -> Result<(), ReportError> {
        self.write_results(results)?;
        self.put(HTML_FILE, &super::html::render(results))?;
        self.put(SUMMARY_FILE, &super::markdown::summary(results))?;
        if let Some(regression) = &results.regression {
            self.put(
                REGRESSION_FILE,
                &super::markdown::regression(regression, results),
            )?;
        }
        self.put_json(BENCHER_FILE, &super::ci::bencher(results))?;
        let (smaller, bigger) = super::ci::github_action_benchmark(results);
        self.put_json(SMALLER_FILE, &smaller)?;
        self.put_json(BIGGER_FILE, &bigger)?;
        for c in &results.candidates {
            for q in &c.queries {
                let file = self.hgrm_path(&q.name, &c.name);
                std::fs::write(&file, percentile_distribution(&q.histogram.0))
                    .map_err(io(&file))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_path_fails_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").expect("write");
        let err = ReportDir::create(Some(&blocker.join("sub")), "x", &[], &[])
            .expect_err("cannot create under a file");
        assert!(err.to_string().contains("cannot write the report"));
    }

    #[test]
    fn query_names_become_safe_file_names() {
        assert_eq!(file_stem("feed/v2 page"), "feed_v2_page");
    }
}

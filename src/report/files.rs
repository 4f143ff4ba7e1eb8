//! The report folder: `results.json`, `report.html`, `summary.md` and the CI
//! formats at the top ([`OUTPUTS`], one list), one `.hgrm` percentile
//! distribution per query and configuration in `histograms/` and one
//! `.hlog` interval log per query in `intervals/`. Created before the run
//! starts so a bad path fails at once, and rewritten as each phase ends so
//! Ctrl-C leaves a usable partial report. Everything but the interval logs
//! is rendered from `results.json` alone (`schemabench report`).

use std::path::{Path, PathBuf};

use crate::measure::hgrm::percentile_distribution;
use crate::results::capacity::CapacityResults;
use crate::results::{MigrationResults, RunResults};

/// Why the report folder could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the report in {}", path.display())]
pub struct ReportError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

pub const RESULTS_FILE: &str = "results.json";
pub const HTML_FILE: &str = "report.html";
pub const SUMMARY_FILE: &str = "summary.md";
pub const REGRESSION_FILE: &str = "regression.md";
pub const CAPACITY_FILE: &str = "capacity.json";
pub const CAPACITY_HTML_FILE: &str = "capacity.html";
/// Percentile distributions, one per query and configuration.
pub const HISTOGRAMS_DIR: &str = "histograms";
/// Interval logs, one per query.
pub const INTERVALS_DIR: &str = "intervals";

/// One file rendered from a command's results (a run's, by default):
/// `None` when they have nothing for it (no stored baseline, no regression
/// report).
pub struct Output<R: 'static = RunResults> {
    pub file: &'static str,
    pub render: fn(&R) -> Option<String>,
}

/// JSON the way every output writes it: pretty, with a final newline.
fn json(value: &impl serde::Serialize) -> Option<String> {
    serde_json::to_string_pretty(value).ok().map(|j| j + "\n")
}

/// Every output of `capacity`.
pub const CAPACITY_OUTPUTS: &[Output<CapacityResults>] = &[
    Output {
        file: CAPACITY_FILE,
        render: |r| json(r),
    },
    Output {
        file: CAPACITY_HTML_FILE,
        render: |r| Some(super::capacity::html(r)),
    },
];

/// Every output of `migrate`.
pub const MIGRATION_OUTPUTS: &[Output<MigrationResults>] = &[
    Output {
        file: super::migration::MIGRATION_JSON,
        render: |r| json(r),
    },
    Output {
        file: super::migration::MIGRATION_MD,
        render: |r| Some(super::migration::markdown(r)),
    },
    Output {
        file: super::migration::MIGRATION_HTML,
        render: |r| Some(super::migration::html(r)),
    },
];

/// Every output of a run beside `results.json`, in the order they are
/// written: add a format here and `run` and `report` both write it.
pub const OUTPUTS: &[Output] = &[
    Output {
        file: HTML_FILE,
        render: |r| Some(super::html::render(r)),
    },
    Output {
        file: SUMMARY_FILE,
        render: |r| Some(super::markdown::summary(r)),
    },
    Output {
        file: REGRESSION_FILE,
        render: |r| {
            r.regression
                .as_ref()
                .map(|g| super::markdown::regression(g, r))
        },
    },
    Output {
        file: super::advice::MIGRATION_FILE,
        render: super::advice::migration,
    },
    Output {
        file: "bencher.json",
        render: |r| json(&super::ci::bencher(r)),
    },
    Output {
        file: "benchmark-latency.json",
        render: |r| json(&super::ci::github_action_benchmark(r).0),
    },
    Output {
        file: "benchmark-throughput.json",
        render: |r| json(&super::ci::github_action_benchmark(r).1),
    },
];

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
            None => Self::default_path(scenario, ""),
        };
        let dir = Self::at(path)?;
        for sub in [HISTOGRAMS_DIR, INTERVALS_DIR] {
            let sub = dir.path.join(sub);
            std::fs::create_dir_all(&sub).map_err(io(&sub))?;
        }
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

    /// `reports/<scenario>/<kind><UTC time>/`, where a command's outputs
    /// go unless it is told otherwise.
    pub fn default_path(scenario: &str, kind: &str) -> PathBuf {
        PathBuf::from("reports").join(scenario).join(format!(
            "{kind}{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ))
    }

    /// An existing or new folder to render into (`schemabench report`).
    pub fn at(path: PathBuf) -> Result<Self, ReportError> {
        std::fs::create_dir_all(&path).map_err(io(&path))?;
        Ok(Self { path })
    }

    pub fn results_path(&self) -> PathBuf {
        self.path.join(RESULTS_FILE)
    }

    /// `histograms/<query>.hgrm` for the baseline,
    /// `histograms/<query>.<candidate>.hgrm` otherwise.
    pub fn hgrm_path(&self, query: &str, candidate: &str) -> PathBuf {
        let name = if candidate == crate::candidate::BASELINE {
            format!("{}.hgrm", file_stem(query))
        } else {
            format!("{}.{}.hgrm", file_stem(query), file_stem(candidate))
        };
        self.path.join(HISTOGRAMS_DIR).join(name)
    }

    /// `intervals/<query>.hlog`.
    pub fn hlog_path(&self, query: &str) -> PathBuf {
        self.path
            .join(INTERVALS_DIR)
            .join(format!("{}.hlog", file_stem(query)))
    }

    /// Writes a file whole: to a temporary name beside it, then renamed, so
    /// a crash never leaves half a file.
    fn put(&self, path: &Path, text: &str) -> Result<(), ReportError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tmp"));
        std::fs::create_dir_all(path.parent().unwrap_or(&self.path)).map_err(io(path))?;
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(io(&tmp))
    }

    fn put_json(&self, name: &str, value: &impl serde::Serialize) -> Result<(), ReportError> {
        let path = self.path.join(name);
        let json = serde_json::to_string_pretty(value).map_err(|e| ReportError {
            path: path.clone(),
            source: e.into(),
        })?;
        self.put(&path, &(json + "\n"))
    }

    /// Writes every one of `outputs` that `results` have something for.
    pub fn put_all<R>(&self, outputs: &[Output<R>], results: &R) -> Result<(), ReportError> {
        for output in outputs {
            if let Some(text) = (output.render)(results) {
                self.put(&self.path.join(output.file), &text)?;
            }
        }
        Ok(())
    }

    /// Rewrites `results.json` alone: after every phase, so an interrupted
    /// run keeps each phase it finished.
    pub fn write_results(&self, results: &RunResults) -> Result<(), ReportError> {
        self.put_json(RESULTS_FILE, results)
    }

    /// Rewrites every output from the results.
    pub fn write(&self, results: &RunResults) -> Result<(), ReportError> {
        self.write_results(results)?;
        self.put_all(OUTPUTS, results)?;
        for c in &results.candidates {
            for q in &c.queries {
                let file = self.hgrm_path(&q.name, &c.name);
                self.put(&file, &percentile_distribution(&q.histogram.0))?;
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

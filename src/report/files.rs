//! The report folder: `results.json`, one `.hgrm` percentile distribution
//! and one `.hlog` interval log per query. Created before the run starts so
//! a bad path fails at once, and rewritten as each phase ends so Ctrl-C
//! leaves a usable partial report.

use std::path::{Path, PathBuf};

use super::model::{RunResults, decode_histogram};
use crate::measure::hgrm::percentile_distribution;

/// Why the report folder could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the report in {}: {source}", path.display())]
pub struct ReportError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

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

    /// Rewrites `results.json` and the `.hgrm` files from the results.
    pub fn write(&self, results: &RunResults) -> Result<(), ReportError> {
        let json = serde_json::to_string_pretty(results).map_err(|e| ReportError {
            path: self.results_path(),
            source: e.into(),
        })?;
        // Write then rename, so a crash never leaves half a file.
        let tmp = self.path.join(".results.json.tmp");
        std::fs::write(&tmp, json + "\n").map_err(io(&tmp))?;
        std::fs::rename(&tmp, self.results_path()).map_err(io(&tmp))?;
        for c in &results.candidates {
            for q in &c.queries {
                if let Some(h) = decode_histogram(&q.histogram) {
                    let file = self.hgrm_path(&q.name, &c.name);
                    std::fs::write(&file, percentile_distribution(&h)).map_err(io(&file))?;
                }
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

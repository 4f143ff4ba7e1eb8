//! Stored runs: `--save-baseline NAME` keeps a run's results under
//! `reports/baselines/`, `--baseline NAME` and `schemabench compare` judge a
//! new run against one with the statistics candidates use.

use std::path::{Path, PathBuf};

use super::GateError;
use crate::compare::{self, Pairing};
use crate::results::{Criteria, Gate, Judged, Offered, Protocol};
use crate::results::{OLDEST_READABLE_VERSION, PhaseLoad, RESULTS_VERSION, Regression, RunResults};

/// Where baselines live, relative to the working directory.
pub const BASELINES_DIR: &str = "reports/baselines";

/// The file of a named baseline.
pub fn path_of(name: &str) -> Result<PathBuf, GateError> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && !name.starts_with('.');
    if !valid {
        return Err(GateError::BadName(name.to_owned()));
    }
    Ok(Path::new(BASELINES_DIR).join(format!("{name}.json")))
}

/// Stores a finished run as the named baseline.
pub fn save(results: &RunResults, name: &str) -> Result<PathBuf, GateError> {
    let path = path_of(name)?;
    let write = |source| GateError::Write {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(write)?;
    }
    let json = serde_json::to_string_pretty(results).map_err(|e| write(e.into()))?;
    std::fs::write(&path, json + "\n").map_err(write)?;
    Ok(path)
}

/// The longest name a run's scenario, configurations, phases and queries
/// can have (scenario files allow 63-character identifiers).
const LONGEST_NAME: usize = 256;

/// What makes `results` no file a run wrote: a name no scenario allows,
/// which every report would copy into file names and pages (a 200 MB name
/// once became 3.4 GB of reports).
fn implausible(results: &RunResults) -> Option<String> {
    let scenario = std::iter::once(("scenario", &results.scenario.name));
    let candidates = results.candidates.iter().flat_map(|c| {
        let phases = c.phases.iter().map(|p| ("phase", &p.name));
        let queries = c.queries.iter().map(|q| ("query", &q.name));
        std::iter::once(("configuration", &c.name))
            .chain(phases)
            .chain(queries)
    });
    scenario
        .chain(candidates)
        .find(|(_, name)| name.len() > LONGEST_NAME)
        .map(|(what, name)| {
            format!(
                "a {what} name of {} bytes (at most {LONGEST_NAME})",
                name.len()
            )
        })
}

/// Reads a `results.json` (or a stored baseline) written by this version
/// or an older one it still understands.
pub fn load(path: &Path) -> Result<RunResults, GateError> {
    let text = std::fs::read_to_string(path).map_err(|source| GateError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value = serde_json::from_str::<serde_json::Value>(&text).ok();
    // A run writes `{}` first, to know the folder takes its results.
    if value
        .as_ref()
        .and_then(serde_json::Value::as_object)
        .is_some_and(|o| o.is_empty())
    {
        return Err(GateError::Empty {
            path: path.to_owned(),
        });
    }
    let version = value.and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
    let readable = u64::from(OLDEST_READABLE_VERSION)..=u64::from(RESULTS_VERSION);
    if version.is_some_and(|v| !readable.contains(&v)) {
        return Err(GateError::Version {
            path: path.to_owned(),
            found: version.unwrap_or_default(),
        });
    }
    let mut results = serde_json::from_str(&text)
        .map(RunResults::upgrade)
        .map_err(|source| GateError::Parse {
            path: path.to_owned(),
            source,
        })?;
    if let Some(what) = implausible(&results) {
        return Err(GateError::Implausible {
            path: path.to_owned(),
            what,
        });
    }
    // Files from before app-level verdicts get the app as a whole from
    // their own figures (their other verdicts stay as recorded), so their
    // reports lead with it like any other.
    if results.version < 4
        && let Some((base, others)) = results.candidates.split_first()
    {
        results.app_comparisons =
            compare::app_verdicts(base, others, Pairing::Interleaved, results.criteria);
    }
    Ok(results)
}

/// What two runs must share to be compared: the scenario, its data
/// (seed, scale), the protocol and the planned load. Not the schema: a
/// changed migration is exactly what a regression run is for.
#[derive(Debug, Clone, PartialEq)]
pub struct RunKey {
    pub scenario: String,
    pub scale: f64,
    pub seed: u64,
    pub protocol: Protocol,
    pub load: Vec<PhaseLoad>,
}

impl RunKey {
    pub fn of(results: &RunResults) -> Self {
        Self {
            scenario: results.scenario.name.clone(),
            scale: results.scenario.scale,
            seed: results.scenario.seed,
            protocol: results.protocol,
            load: results.load.clone(),
        }
    }

    /// What differs, in words; empty when the runs are comparable.
    pub fn differences(&self, new: &RunKey) -> Vec<String> {
        let mut out = Vec::new();
        let mut differ = |what: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{what}: {a} vs {b}"));
            }
        };
        differ("scenario", self.scenario.clone(), new.scenario.clone());
        differ("scale", self.scale.to_string(), new.scale.to_string());
        differ("seed", self.seed.to_string(), new.seed.to_string());
        differ(
            "protocol",
            self.protocol.to_string(),
            new.protocol.to_string(),
        );
        if self.load != new.load {
            differ("load", describe(&self.load), describe(&new.load));
        }
        out
    }
}

/// Phases in a few words: `steady 30s 16 clients, open 10s 300/s`.
fn describe(load: &[PhaseLoad]) -> String {
    load.iter()
        .map(|p| {
            let amount = match (p.duration_s, p.transactions) {
                (Some(s), _) => format!("{s}s"),
                (None, Some(n)) => format!("{n} tx"),
                (None, None) => String::new(),
            };
            let load = match p.offered {
                Offered::Open { rate, .. } => format!("{rate}/s"),
                Offered::Closed { clients: 1 } => "1 client".to_owned(),
                Offered::Closed { clients } => format!("{clients} clients"),
            };
            format!("{} {amount} {load}", p.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The baseline configuration of `new` against that of `old`: rounds of
/// separate runs are independent samples. Work is judged against its own
/// threshold (`compare::WORK_NOISE`): it does not drift with the machine.
pub fn regression(
    old: &RunResults,
    new: &RunResults,
    against: &str,
    criteria: Criteria,
    gate: Gate,
) -> Result<Regression, GateError> {
    let differences = RunKey::of(old).differences(&RunKey::of(new));
    if !differences.is_empty() {
        return Err(GateError::Incomparable {
            against: against.to_owned(),
            differences,
        });
    }
    // Each run's own schema: a schema comparison's branch, not its base.
    let (Some(old_base), Some(new_base)) = (super::judge::tracked(old), super::judge::tracked(new))
    else {
        return Err(GateError::Incomparable {
            against: against.to_owned(),
            differences: vec!["one of the runs measured nothing".into()],
        });
    };
    let mut current = new_base.clone();
    current.name = "current".into();
    let verdicts = compare::verdicts(old_base, &[current], Pairing::Independent, criteria);
    let mut regression = Regression::judged(
        against.to_owned(),
        old.started_at.clone(),
        Judged {
            criteria,
            gate,
            comparisons: verdicts.latency,
            work_comparisons: verdicts.work,
            app: verdicts.app.into_iter().next(),
            critical: new.scenario.critical.clone(),
        },
    );
    regression.missing = old_base
        .queries
        .iter()
        .filter(|q| !new_base.queries.iter().any(|n| n.name == q.name))
        .map(|q| q.name.clone())
        .collect();
    regression.calibrate(&old.machine, &new.machine);
    Ok(regression)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_names_stay_inside_the_baselines_folder() {
        assert_eq!(
            path_of("nightly-2026.11").expect("valid"),
            Path::new("reports/baselines/nightly-2026.11.json")
        );
        for bad in ["", "../etc", "a/b", ".hidden", "x y"] {
            assert!(path_of(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_hostile_name_is_refused_before_any_report_copies_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("results.json");
        let mut results = crate::results::fixture();
        results.candidates[0].queries[0].name = "q".repeat(10_000);
        std::fs::write(&file, serde_json::to_string(&results).expect("json")).expect("write");
        let e = load(&file).expect_err("refused");
        assert!(matches!(e, GateError::Implausible { .. }), "{e:?}");
        assert!(e.to_string().contains("a query name of 10000 bytes"), "{e}");
        assert_eq!(e.exit_code(), crate::results::exit::USAGE);
    }

    #[test]
    fn a_run_that_stopped_before_measuring_is_named_not_misparsed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("results.json");
        std::fs::write(&file, "{}\n").expect("write");
        let e = load(&file).expect_err("nothing to load");
        assert!(matches!(e, GateError::Empty { .. }), "{e:?}");
        assert!(e.to_string().contains("stopped before its first phase"));
        std::fs::write(&file, "{\"version\": 3}").expect("write");
        assert!(matches!(load(&file), Err(GateError::Parse { .. })));
    }
}

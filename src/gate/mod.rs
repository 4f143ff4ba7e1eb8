//! What decides a run's exit code: the scenario's thresholds and a
//! comparison against a stored baseline.

pub mod baseline;
pub mod judge;
pub mod threshold;

use std::path::PathBuf;

use crate::results::RunResults;

/// Why a stored run cannot be read, written or compared.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a schemabench results file", path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{} holds no results: the run that writes it stopped before its first phase (its output says why)", path.display())]
    Empty { path: PathBuf },
    #[error("{} is not a results file schemabench wrote: {what}", path.display())]
    Implausible { path: PathBuf, what: String },
    #[error("{} has results version {found}; this schemabench reads version {}", path.display(), crate::results::RESULTS_VERSION)]
    Version { path: PathBuf, found: u64 },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("baseline name {0:?}: expected letters, digits, `_`, `-` or `.`")]
    BadName(String),
    #[error("refusing to compare with {against}: the runs differ in {}", differences.join("; "))]
    Incomparable {
        against: String,
        differences: Vec<String>,
    },
}

impl GateError {
    /// A stored run that cannot be read or compared is the user's to fix;
    /// one that cannot be written failed the run.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Write { .. } => crate::results::exit::RUN_FAILED,
            _ => crate::results::exit::USAGE,
        }
    }
}

/// How `results` stand, saying on stderr what was not measured.
pub fn standing(results: &RunResults) -> Standing {
    for what in results.unmeasured() {
        eprintln!("error: {what}: nothing to judge it by");
    }
    Standing::of(results)
}

/// How a finished run stands against its objectives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Ok,
    /// A threshold failed.
    ThresholdFailed,
    /// Slower than the stored baseline on some query and percentile.
    Regressed,
    /// Against the stored baseline some ratio moved past the noise
    /// threshold, but the interval could not call it: neither a pass nor a
    /// regression, for CI to treat as it chooses.
    Undecided,
    /// Some phase or query measured nothing ([`RunResults::unmeasured`]):
    /// whatever passed, passed on no data.
    NothingMeasured,
    /// `lint` found the schema breaking a rule.
    LintFindings,
}

impl Standing {
    /// A regression outranks everything: it names what changed. A run that
    /// measured nothing outranks a failed threshold, whose figures are void.
    pub fn of(results: &RunResults) -> Self {
        if results.regression.as_ref().is_some_and(|r| r.regressed) {
            Self::Regressed
        } else if !results.unmeasured().is_empty() {
            Self::NothingMeasured
        } else if results.thresholds.iter().any(|t| !t.passed) {
            Self::ThresholdFailed
        } else if results
            .regression
            .as_ref()
            .is_some_and(|r| r.decision().undecided)
        {
            Self::Undecided
        } else {
            Self::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Criteria, Estimate, Gate, Judged, MachineInfo, Regression, Verdict};

    /// A latency comparison with a stored run `baseline nightly`, not
    /// regressed, of `comparisons`.
    fn nightly(comparisons: Vec<crate::results::Comparison>) -> Regression {
        Regression {
            against: "baseline nightly".into(),
            against_started_at: String::new(),
            criteria: Criteria::default(),
            gate: Gate::Latency,
            comparisons,
            work_comparisons: Vec::new(),
            app: None,
            critical: Vec::new(),
            missing: Vec::new(),
            machine_ratio: None,
            regressed: false,
        }
    }

    #[test]
    fn an_inconclusive_comparison_with_the_baseline_is_undecided_not_ok() {
        let mut results = crate::results::fixture();
        results.thresholds.clear();
        let mut comparisons = results.comparisons.clone();
        for c in &mut comparisons {
            c.estimate.verdict = Verdict::NoChange;
        }
        results.regression = Some(nightly(comparisons));
        assert_eq!(Standing::of(&results), Standing::Ok);
        fn regression(r: &mut RunResults) -> &mut Regression {
            r.regression.as_mut().expect("regression")
        }
        regression(&mut results).comparisons[0].estimate = Estimate {
            ratio: 2.8,
            ci_low: 0.9,
            ci_high: 6.2,
            p_value: 0.1,
            verdict: Verdict::Inconclusive,
            ..Estimate::default()
        };
        assert_eq!(Standing::of(&results), Standing::Undecided);
        regression(&mut results).comparisons[1].estimate.verdict = Verdict::Slower;
        regression(&mut results).regressed = true;
        assert_eq!(Standing::of(&results), Standing::Regressed);
    }

    #[test]
    fn a_query_or_phase_that_measured_nothing_never_passes() {
        let mut results = crate::results::fixture();
        results.thresholds.clear();
        assert_eq!(results.unmeasured(), Vec::<String>::new());
        assert_eq!(Standing::of(&results), Standing::Ok);
        let query = &mut results.candidates[0].queries[0];
        query.errors = query.count;
        let name = query.name.clone();
        assert_eq!(
            results.unmeasured(),
            vec![format!("baseline: query {name} completed no request")]
        );
        assert_eq!(Standing::of(&results), Standing::NothingMeasured);
        // A stored run without the query: no comparison of it at all.
        let mut results = crate::results::fixture();
        results.thresholds.clear();
        let mut comparisons = results.comparisons.clone();
        comparisons.retain(|c| c.query != name);
        results.regression = Some(nightly(comparisons));
        assert_eq!(
            results.unmeasured(),
            vec![format!(
                "query {name} has no measurement in baseline nightly"
            )]
        );
        assert_eq!(Standing::of(&results), Standing::NothingMeasured);
    }

    #[test]
    fn a_run_that_lost_a_query_of_the_stored_one_never_passes() {
        let old = crate::results::fixture();
        let mut new = old.clone();
        new.thresholds.clear();
        let lost = new.candidates[0].queries.remove(0).name;
        let r = baseline::regression(
            &old,
            &new,
            "baseline nightly",
            Criteria::default(),
            Gate::App,
        )
        .expect("comparable");
        assert_eq!(r.missing, std::slice::from_ref(&lost));
        new.regression = Some(r);
        assert!(
            new.unmeasured().contains(&format!(
                "query {lost} of baseline nightly has no measurement in this run"
            )),
            "{:?}",
            new.unmeasured()
        );
        assert_eq!(Standing::of(&new), Standing::NothingMeasured);
    }

    #[test]
    fn a_changed_machine_is_a_warning_not_a_regression() {
        let mut results = crate::results::fixture();
        results.thresholds.clear();
        let mut slower = results.comparisons[0].clone();
        slower.estimate = Estimate {
            ratio: 1.4,
            samples: 5,
            verdict: Verdict::Slower,
            ..Estimate::default()
        };
        // Every query compared, the first one slower.
        let mut compared: Vec<_> = results
            .comparisons
            .iter()
            .filter(|c| c.query != slower.query)
            .cloned()
            .collect();
        compared.push(slower);
        let judged = |then: f64, now: f64| {
            let mut r = Regression::judged(
                "baseline nightly".into(),
                String::new(),
                Judged {
                    criteria: Criteria::default(),
                    gate: Gate::Latency,
                    comparisons: compared.clone(),
                    work_comparisons: Vec::new(),
                    app: None,
                    critical: Vec::new(),
                },
            );
            let machine = |reference: f64| MachineInfo {
                reference_ms: Some(reference),
                ..MachineInfo::current()
            };
            r.calibrate(&machine(then), &machine(now));
            r
        };
        let steady = judged(10.0, 11.0);
        assert_eq!((steady.regressed, steady.machine_ratio), (true, None));
        let busier = judged(10.0, 14.0);
        assert!(!busier.regressed);
        assert_eq!(busier.machine_ratio, Some(1.4));
        assert!(
            busier
                .comparisons
                .iter()
                .any(|c| c.estimate.verdict == Verdict::Inconclusive)
        );
        results.regression = Some(busier);
        assert_eq!(Standing::of(&results), Standing::Undecided);
    }
}

//! The headline, the gate line and the exit code come from one decision:
//! over every combination of verdicts a schema comparison can reach, they
//! never disagree.

use schemabench::gate::Standing;
use schemabench::gate::baseline;
use schemabench::report::headline::headline;
use schemabench::results::{
    Advice, AppComparison, Comparison, Estimate, Gate, Judged, Regression, RunResults, Verdict,
    WorkComparison,
};

const VERDICTS: [Verdict; 4] = [
    Verdict::Faster,
    Verdict::Slower,
    Verdict::NoChange,
    Verdict::Inconclusive,
];

fn estimate(verdict: Verdict) -> Estimate {
    let ratio = match verdict {
        Verdict::Faster => 0.7,
        Verdict::Slower => 1.4,
        Verdict::NoChange => 1.0,
        Verdict::Inconclusive => 1.3,
    };
    Estimate {
        ratio,
        ci_low: ratio * 0.9,
        ci_high: ratio * 1.1,
        samples: 9,
        verdict,
        ..Estimate::default()
    }
}

/// The stored fixture as a comparison of the branch's schema with the
/// base's, its verdicts replaced by the ones given.
fn compared(
    fixture: &RunResults,
    gate: Gate,
    app: Option<(Verdict, Verdict)>,
    latency: Verdict,
    work: Verdict,
    critical: bool,
) -> RunResults {
    let mut r = fixture.clone();
    r.thresholds.clear();
    r.candidates.truncate(2);
    r.candidates[1].name = "branch".into();
    let query = r.candidates[0].queries[0].name.clone();
    r.scenario.critical = if critical {
        vec![query.clone()]
    } else {
        Vec::new()
    };
    // The first query as given, every other one unchanged.
    r.comparisons = r.candidates[0]
        .queries
        .iter()
        .map(|q| Comparison {
            candidate: "branch".into(),
            query: q.name.clone(),
            percentile: "p50".into(),
            baseline_us: 1000,
            candidate_us: 1000,
            estimate: estimate(if q.name == query {
                latency
            } else {
                Verdict::NoChange
            }),
        })
        .collect();
    r.work_comparisons = vec![WorkComparison {
        candidate: "branch".into(),
        query,
        baseline_buffers_per_call: 10.0,
        candidate_buffers_per_call: 10.0,
        baseline_rows_per_call: 1.0,
        candidate_rows_per_call: 1.0,
        baseline_wal_bytes_per_call: None,
        candidate_wal_bytes_per_call: None,
        estimate: estimate(work),
    }];
    r.app_comparisons = app
        .map(|(time, work)| AppComparison {
            candidate: "branch".into(),
            baseline_ms: 1.0,
            candidate_ms: 1.0,
            latency: Some(estimate(time)),
            baseline_buffers: 10.0,
            candidate_buffers: 10.0,
            work: Some(estimate(work)),
            time_decides: true,
        })
        .into_iter()
        .collect();
    r.regression = Some(Regression::judged(
        "the migrations of main".into(),
        r.started_at.clone(),
        Judged {
            criteria: r.criteria,
            gate,
            comparisons: r.comparisons.clone(),
            work_comparisons: r.work_comparisons.clone(),
            app: r.app_comparisons.first().cloned(),
            critical: r.scenario.critical.clone(),
        },
    ));
    r
}

#[test]
fn headline_gate_line_and_exit_code_agree_on_every_combination() {
    let mut apps: Vec<Option<(Verdict, Verdict)>> = vec![None];
    for time in VERDICTS {
        for work in VERDICTS {
            apps.push(Some((time, work)));
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results.json");
    let mut fixture = baseline::load(&path).expect("fixture");
    // Only what a verdict reads: the phases' histograms are not.
    for c in &mut fixture.candidates {
        c.phases.clear();
        c.duet_seconds.clear();
    }
    let mut seen = std::collections::BTreeSet::new();
    for gate in [Gate::App, Gate::Work, Gate::Latency, Gate::Both] {
        for &app in &apps {
            for latency in VERDICTS {
                for work in VERDICTS {
                    for critical in [false, true] {
                        let r = compared(&fixture, gate, app, latency, work, critical);
                        let case = format!(
                            "{gate} app {app:?} latency {latency:?} work {work:?} critical {critical}"
                        );
                        let lines = headline(&r);
                        let advice = [
                            Advice::Ship,
                            Advice::Weigh,
                            Advice::Reject,
                            Advice::Unchanged,
                        ]
                        .into_iter()
                        .find(|a| {
                            lines
                                .iter()
                                .any(|l| l.starts_with(&format!("{} branch", a.word())))
                        })
                        .unwrap_or_else(|| panic!("{case}: no advice in {lines:?}"));
                        let gate_line = lines
                            .iter()
                            .find(|l| l.starts_with("Against the migrations of main"))
                            .unwrap_or_else(|| panic!("{case}: no gate line in {lines:?}"));
                        let standing = Standing::of(&r);
                        let fails = standing == Standing::Regressed;
                        assert_eq!(advice == Advice::Reject, fails, "{case}: {lines:?}");
                        assert_eq!(
                            gate_line.contains(") fails on "),
                            fails,
                            "{case}: {gate_line}"
                        );
                        assert_eq!(
                            standing == Standing::Undecided,
                            gate_line.contains("undecided"),
                            "{case}: {gate_line}"
                        );
                        if advice == Advice::Weigh && standing == Standing::Ok {
                            assert!(
                                gate_line.contains("trade-off to weigh"),
                                "{case}: {gate_line}"
                            );
                        }
                        seen.insert(format!("{advice:?} {standing:?}"));
                    }
                }
            }
        }
    }
    // Every advice is reached, and the gate's three outcomes.
    for expected in [
        "Ship Ok",
        "Weigh Ok",
        "Reject Regressed",
        "Unchanged Ok",
        "Weigh Undecided",
    ] {
        assert!(
            seen.contains(expected),
            "{expected} never reached: {seen:?}"
        );
    }
}

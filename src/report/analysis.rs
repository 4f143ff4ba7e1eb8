//! What a reader should double-check before trusting a run's figures,
//! and the formatting every table of every report shares.

use crate::results::limit::Metric;
use crate::results::{
    Comparison, Design, Gate, PhaseResult, QueryResult, Regression, RunResults, ThresholdResult,
    Verdict, WorkComparison,
};

/// A round whose throughput is this far from the median of its
/// configuration's rounds is flagged as noisy.
const NOISY_ROUND: f64 = 0.15;
/// An open-loop phase whose late plus dropped arrivals exceed this share
/// of its requests missed its target rate.
const MISSED_ARRIVALS: f64 = 0.01;

/// Busy share of the driver threads past which the generator, not the
/// database, set the pace.
pub const GENERATOR_SATURATED: f64 = 0.9;

impl RunResults {
    /// What a reader should double-check before trusting the figures: new
    /// indexes no query used, open-loop phases that missed their rate,
    /// rounds that ran much faster or slower than their siblings, plans that
    /// could not be taken.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.candidates {
            if !c.unused_new_indexes.is_empty() {
                out.push(format!(
                    "{}: new index(es) no query used: {}",
                    c.name,
                    c.unused_new_indexes.join(", ")
                ));
            }
            // Arrivals are Poisson or paced, so the count alone varies; late
            // and dropped arrivals are what show a missed rate. One line per
            // phase, however many rounds missed it.
            let mut open: Vec<&PhaseResult> = c
                .phases
                .iter()
                .filter(|p| !p.warmup && p.offered.rate().is_some())
                .collect();
            open.sort_by(|a, b| a.name.cmp(&b.name));
            for same in open.chunk_by(|a, b| a.name == b.name) {
                let missed: Vec<&&PhaseResult> = same
                    .iter()
                    .filter(|p| {
                        (p.late + p.dropped) as f64 > MISSED_ARRIVALS * p.requests.max(1) as f64
                    })
                    .collect();
                if let Some(first) = missed.first() {
                    let sum = |f: fn(&PhaseResult) -> u64| missed.iter().map(|p| f(p)).sum::<u64>();
                    out.push(format!(
                        "{}: phase {} missed its {} req/s schedule in {} of {} round(s): {} of {} arrivals late (> 5 ms), {} dropped; the server or the driver could not keep up",
                        c.name,
                        first.name,
                        first.offered.rate().unwrap_or_default(),
                        missed.len(),
                        same.len(),
                        sum(|p| p.late),
                        sum(|p| p.requests),
                        sum(|p| p.dropped)
                    ));
                }
            }
            let mut phases: Vec<&PhaseResult> = c.phases.iter().filter(|p| !p.warmup).collect();
            phases.sort_by(|a, b| a.name.cmp(&b.name));
            for same in phases.chunk_by(|a, b| a.name == b.name) {
                let saturated: Vec<_> = same
                    .iter()
                    .filter_map(|p| p.generator)
                    .filter(|g| g.busy >= GENERATOR_SATURATED)
                    .collect();
                if let Some(worst) = saturated.iter().max_by(|a, b| a.busy.total_cmp(&b.busy)) {
                    out.push(format!(
                        "{}: phase {}: the load generator, not the database, limited it in {} of {} round(s): its {} driver thread(s) were busy {:.0}% of the time (on a CPU or waiting for one); give it more CPU (-j, fewer other processes, another machine) before reading this phase's figures as the database's",
                        c.name,
                        same[0].name,
                        saturated.len(),
                        same.len(),
                        worst.threads,
                        worst.busy * 100.0
                    ));
                }
            }
            let mut per_round: Vec<(u32, f64)> = Vec::new();
            for p in c
                .phases
                .iter()
                .filter(|p| !p.warmup && p.offered.rate().is_none())
            {
                match per_round.iter_mut().find(|(r, _)| *r == p.round) {
                    Some((_, t)) => *t += p.throughput,
                    None => per_round.push((p.round, p.throughput)),
                }
            }
            if per_round.len() >= 3 {
                let mut sorted: Vec<f64> = per_round.iter().map(|(_, t)| *t).collect();
                sorted.sort_by(f64::total_cmp);
                let median = sorted[sorted.len() / 2];
                for (round, t) in &per_round {
                    if median > 0.0 && ((t - median) / median).abs() > NOISY_ROUND {
                        out.push(format!(
                            "{}: round {round} ran at {t:.0} req/s, {:+.0}% from the median of its rounds: the machine was noisy",
                            c.name,
                            (t - median) / median * 100.0
                        ));
                    }
                }
            }
            for plan in &c.plans {
                if let Some(e) = &plan.error {
                    out.push(format!("{}: no plan for {}: {e}", c.name, plan.query));
                }
            }
        }
        let mut undecided = too_wide_to_call(&self.comparisons);
        if let Some(r) = &self.regression {
            undecided += too_wide_to_call(&r.comparisons);
            out.extend(machine_warning(r));
        }
        if undecided > 0 {
            out.push(format!(
                "{undecided} comparison(s) moved past the noise threshold, but the samples varied too much to call them: longer phases or more rounds (--rounds) narrow the interval"
            ));
        }
        out
    }
}

/// Comparisons whose ratio lies beyond the noise threshold while their
/// interval reaches into it: the rounds, not the effect, left them open.
fn too_wide_to_call(comparisons: &[Comparison]) -> usize {
    comparisons
        .iter()
        .filter(|c| c.estimate.verdict == Verdict::Inconclusive)
        .count()
}

/// A threshold's measured value in its limit's unit, with the precision
/// a small figure needs: `6.61 ms`, `120.0 req/s`, `0.0350%` (a rate of
/// 0.035% is not "0.000").
pub fn measured(t: &ThresholdResult) -> String {
    match t.limit.metric {
        _ if t.actual.is_nan() => "n/a".to_owned(),
        Metric::Latency(_) => format!("{:.2} ms", t.actual),
        Metric::Throughput => format!("{:.1} req/s", t.actual),
        Metric::ErrorRate => {
            let percent = t.actual * 100.0;
            let decimals = if percent > 0.0 {
                (2.0 - percent.log10().floor()).clamp(1.0, 6.0) as usize
            } else {
                0
            };
            format!("{percent:.decimals$}%")
        }
    }
}

/// Microseconds as milliseconds with two decimals, as every report shows them.
pub fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// Titles of a query's figures, the same in every table of every report.
pub const FIGURE_COLUMNS: [&str; 10] = [
    "count", "req/s", "mean ms", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "errors",
    "timeouts",
];

impl QueryResult {
    /// The figures under [`FIGURE_COLUMNS`], formatted.
    pub fn figure_cells(&self) -> [String; 10] {
        let l = &self.latency;
        [
            self.count.to_string(),
            format!("{:.1}", self.throughput),
            format!("{:.2}", l.mean / 1000.0),
            ms(l.p50),
            ms(l.p95),
            ms(l.p99),
            ms(l.p999),
            ms(l.max),
            self.errors.to_string(),
            self.timeouts.to_string(),
        ]
    }
}

/// WAL per call, baseline -> candidate; "-" for reads (no side wrote any)
/// and for files that did not record it.
fn wal_text(baseline: Option<f64>, candidate: Option<f64>) -> String {
    let bytes = |b: f64| {
        if b < 1e3 {
            format!("{b:.0} B")
        } else if b < 1e6 {
            format!("{:.1} kB", b / 1e3)
        } else {
            crate::seed::size::human(b as u64)
        }
    };
    match (baseline, candidate) {
        (Some(b), Some(c)) if b >= 0.5 || c >= 0.5 => format!("{} -> {}", bytes(b), bytes(c)),
        _ => "-".to_owned(),
    }
}

/// Titles of the work table, the same in every report.
pub const WORK_COLUMNS: [&str; 7] = [
    "query",
    "candidate",
    "buffers/call",
    "rows/call",
    "WAL/call",
    "ratio [interval]",
    "work",
];

/// One row per work comparison: buffers, rows and WAL per call, baseline ->
/// candidate, the ratio of buffers with its interval, and the verdict.
pub fn work_rows(comparisons: &[WorkComparison]) -> Vec<[String; 7]> {
    comparisons
        .iter()
        .map(|w| {
            let e = &w.estimate;
            [
                w.query.clone(),
                w.candidate.clone(),
                format!(
                    "{:.1} -> {:.1}",
                    w.baseline_buffers_per_call, w.candidate_buffers_per_call
                ),
                format!(
                    "{:.1} -> {:.1}",
                    w.baseline_rows_per_call, w.candidate_rows_per_call
                ),
                wal_text(
                    w.baseline_wal_bytes_per_call,
                    w.candidate_wal_bytes_per_call,
                ),
                e.ratio_text(),
                e.verdict.word().to_owned(),
            ]
        })
        .collect()
}

/// The sentence above every table and chart of latency verdicts.
pub fn latency_caption(results: &RunResults) -> String {
    let samples = match results.design {
        Design::Duet => format!(
            "{} round(s) of duets (the baseline beside each candidate, the same requests at the same moment)",
            results.rounds
        ),
        Design::Rounds => format!("{} interleaved round(s)", results.rounds),
    };
    format!(
        "Latency ratio candidate/baseline: geometric mean over {samples}, with its {:.0}% interval; noise threshold {:.0}%. A change is called only when it clears the threshold after Holm's correction over all {} latency verdicts of the run (significance {}).",
        (1.0 - results.criteria.significance) * 100.0,
        results.criteria.noise_threshold * 100.0,
        results.comparisons.len(),
        results.criteria.significance
    )
}

/// Per query, the smallest p50 slowdown the run could have called (the
/// largest over candidates): how sharp its "no change" verdicts are.
pub fn detectable_line(comparisons: &[Comparison]) -> Option<String> {
    let mut per_query: Vec<(&str, Option<f64>)> = Vec::new();
    // Files older than the figure carry no detectable effect: say nothing.
    let recorded = |c: &&Comparison| !c.estimate.decidable() || c.estimate.detectable.is_some();
    for c in comparisons
        .iter()
        .filter(|c| c.percentile == "p50")
        .filter(recorded)
    {
        let d = c.estimate.detectable;
        match per_query.iter_mut().find(|(q, _)| *q == c.query) {
            Some((_, worst)) => {
                *worst = match (*worst, d) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                }
            }
            None => per_query.push((&c.query, d)),
        }
    }
    (!per_query.is_empty()).then(|| {
        let cells: Vec<String> = per_query
            .iter()
            .map(|(q, d)| match d {
                Some(d) => format!("{q} {d:.2}x"),
                None => format!("{q} - (too few samples)"),
            })
            .collect();
        format!(
            "Smallest p50 slowdown this run could call: {}.",
            cells.join(", ")
        )
    })
}

/// The warning a changed machine earns a comparison with a stored run.
pub fn machine_warning(r: &Regression) -> Option<String> {
    r.machine_ratio.map(|ratio| format!(
        "the machine itself changed since {}: a fixed reference query took {ratio:.2}x as long; latency verdicts against it are left inconclusive (work verdicts are unaffected)",
        r.against
    ))
}

/// The sentence above the work table of a run against a stored one.
pub fn regression_work_caption(r: &Regression) -> String {
    format!(
        "Server work per call, this run against {} (rounds of each run as independent samples); {:.0}% interval, noise threshold {:.0}%. The exit code follows {}.",
        r.against,
        (1.0 - r.criteria.significance) * 100.0,
        crate::compare::WORK_NOISE * 100.0,
        match r.gate {
            Gate::App => "the app as a whole and the critical queries",
            Gate::Work => "the work verdicts",
            Gate::Latency => "the latency verdicts",
            Gate::Both => "the work and the latency verdicts",
        }
    )
}

/// The sentence above every work table.
pub fn work_caption(results: &RunResults) -> String {
    format!(
        "Server work per call from pg_stat_statements (shared buffers hit + read, baseline -> candidate), paired over {} rounds; {:.0}% interval, noise threshold {:.0}%. Work barely depends on the machine's speed or load.",
        results.rounds,
        (1.0 - results.criteria.significance) * 100.0,
        crate::compare::WORK_NOISE * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Estimate;

    #[test]
    fn a_missed_schedule_is_one_warning_per_phase() {
        let mut results = crate::results::fixture();
        assert!(!results.warnings().iter().any(|w| w.contains("missed its")));
        for p in results.candidates[0]
            .phases
            .iter_mut()
            .filter(|p| p.offered.rate().is_some() && !p.warmup)
        {
            p.late = p.requests / 10;
        }
        let missed: Vec<String> = results
            .warnings()
            .into_iter()
            .filter(|w| w.contains("missed its"))
            .collect();
        assert_eq!(missed.len(), 1, "{missed:?}");
        assert!(
            missed[0].starts_with(
                "baseline: phase open_loop missed its 300 req/s schedule in 3 of 3 round(s)"
            ),
            "{missed:?}"
        );
    }

    #[test]
    fn a_change_the_rounds_cannot_call_asks_for_more_rounds() {
        let mut results = crate::results::fixture();
        let asks = |r: &RunResults| r.warnings().iter().any(|w| w.contains("--rounds"));
        let wide = Estimate {
            ratio: 1.4,
            ci_low: 0.8,
            ci_high: 2.4,
            p_value: 0.2,
            verdict: Verdict::Inconclusive,
            ..Estimate::default()
        };
        results.comparisons.iter_mut().for_each(|c| {
            c.estimate = Estimate {
                ratio: 1.01,
                verdict: Verdict::NoChange,
                ..wide
            }
        });
        assert!(!asks(&results), "small ratios are simply no change");
        results.comparisons[0].estimate = wide;
        assert!(asks(&results));
        results.comparisons[0].estimate.verdict = Verdict::Slower;
        assert!(!asks(&results), "a called change needs no more rounds");
    }

    #[test]
    fn the_detectable_line_names_the_bluntest_candidate_per_query() {
        let results = crate::results::fixture();
        let mut p50 = results
            .comparisons
            .iter()
            .find(|c| c.percentile == "p50")
            .expect("a p50")
            .clone();
        p50.estimate.samples = 6;
        p50.estimate.detectable = Some(1.08);
        let mut blunter = p50.clone();
        blunter.candidate = "other".into();
        blunter.estimate.detectable = Some(1.31);
        let mut thin = p50.clone();
        thin.query = "rare".into();
        thin.estimate.samples = 1;
        thin.estimate.detectable = None;
        let line = detectable_line(&[p50.clone(), blunter, thin]).expect("a line");
        assert_eq!(
            line,
            format!(
                "Smallest p50 slowdown this run could call: {} 1.31x, rare - (too few samples).",
                p50.query
            )
        );
        p50.estimate.detectable = None;
        assert_eq!(detectable_line(&[p50]), None, "not recorded: nothing said");
    }

    #[test]
    fn a_changed_machine_is_named_in_the_warnings() {
        let mut results = crate::results::fixture();
        let mut regression = Regression::judged(
            "baseline nightly".into(),
            String::new(),
            crate::results::Judged {
                criteria: results.criteria,
                gate: Gate::Work,
                comparisons: Vec::new(),
                work_comparisons: Vec::new(),
                app: None,
                critical: Vec::new(),
            },
        );
        let machine = |reference: f64| crate::results::MachineInfo {
            reference_ms: Some(reference),
            ..results.machine.clone()
        };
        regression.calibrate(&machine(10.0), &machine(14.0));
        results.regression = Some(regression);
        assert!(
            results.warnings().iter().any(|w| w
                .contains("the machine itself changed since baseline nightly")
                && w.contains("1.40x")),
            "{:?}",
            results.warnings()
        );
    }
}

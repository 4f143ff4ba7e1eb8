//! The answer first: a few plain sentences that open every output of a
//! run (terminal, summary.md, report.html), so a reviewer knows in ten
//! seconds which candidate changes which query, by how much, how sure, at
//! what cost, and what to do about it.

use super::analysis::measured;
use crate::gate::judge::Against;
use crate::results::{
    Advice, AppComparison, CandidateResult, Comparison, Gate, Regression, RunResults, Verdict,
    Verdicts, WorkComparison, decide,
};
use crate::seed::size::human;

/// Changes named per candidate before the rest are only counted.
const SHOWN: usize = 3;

/// One called change of a query under a candidate: its latency and its
/// work, whichever were called, named together.
struct Change<'a> {
    query: &'a str,
    latency: Vec<&'a Comparison>,
    work: Option<&'a WorkComparison>,
}

impl Change<'_> {
    /// How far the change goes, for ordering: the largest move on a log scale.
    fn size(&self) -> f64 {
        self.latency
            .iter()
            .map(|c| c.estimate.ratio)
            .chain(self.work.map(|w| w.estimate.ratio))
            .map(|r| r.ln().abs())
            .fold(0.0, f64::max)
    }

    fn text(&self) -> String {
        let mut parts: Vec<String> = self
            .latency
            .iter()
            .map(|c| format!("{} {}", c.percentile, c.estimate.ratio_text()))
            .collect();
        if let Some(w) = self.work {
            parts.push(format!("work {}", w.estimate.ratio_text()));
        }
        format!("{} {}", self.query, parts.join(", "))
    }
}

/// The changes of `candidate` with `verdict`, largest first.
fn changes<'a>(results: &'a RunResults, candidate: &str, verdict: Verdict) -> Vec<Change<'a>> {
    let mut out: Vec<Change> = Vec::new();
    let latency = results
        .comparisons
        .iter()
        .filter(|c| c.candidate == candidate && c.estimate.verdict == verdict);
    for c in latency {
        match out.iter_mut().find(|x| x.query == c.query) {
            Some(x) => x.latency.push(c),
            None => out.push(Change {
                query: &c.query,
                latency: vec![c],
                work: None,
            }),
        }
    }
    let work = results
        .work_comparisons
        .iter()
        .filter(|w| w.candidate == candidate && w.estimate.verdict == verdict);
    for w in work {
        match out.iter_mut().find(|x| x.query == w.query) {
            Some(x) => x.work = Some(w),
            None => out.push(Change {
                query: &w.query,
                latency: Vec::new(),
                work: Some(w),
            }),
        }
    }
    out.sort_by(|a, b| b.size().total_cmp(&a.size()));
    out
}

/// The first few changes by name, the rest counted.
fn listed(changes: &[Change]) -> String {
    let mut names: Vec<String> = changes.iter().take(SHOWN).map(Change::text).collect();
    if changes.len() > SHOWN {
        names.push(format!("{} more", changes.len() - SHOWN));
    }
    names.join("; ")
}

/// Bytes as a signed size: `+1.1 MB`, `-40 kB`.
fn size_change(bytes: i64) -> String {
    if bytes.abs() < 1000 {
        return "no size change".to_owned();
    }
    let sign = if bytes < 0 { "-" } else { "+" };
    format!("{sign}{}", human(bytes.unsigned_abs()))
}

/// Seconds as the unit a reader expects: `18 ms`, `3.9 s`.
pub fn duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else {
        format!("{seconds:.1} s")
    }
}

/// What a run called for one candidate: the advice, its called gains and
/// costs as text, and how many ratios stayed undecided.
pub struct Called {
    pub advice: Advice,
    /// The app as a whole, where the run could tell.
    pub app: Option<String>,
    pub faster: String,
    pub slower: String,
    pub undecided: usize,
}

/// The gate a run's candidates are advised by: a schema comparison's own,
/// else the default.
fn gate_of(results: &RunResults) -> Gate {
    Against::of(results).map_or(Gate::default(), |a| a.gate)
}

/// The called changes of one candidate, and the advice the one decision
/// ([`decide`]) gives it.
pub fn called(results: &RunResults, candidate: &str) -> Called {
    let gains = changes(results, candidate, Verdict::Faster);
    let costs = changes(results, candidate, Verdict::Slower);
    let verdicts = Verdicts::of(
        candidate,
        &results.app_comparisons,
        &results.comparisons,
        &results.work_comparisons,
    );
    let advice = decide(gate_of(results), &results.scenario.critical, &verdicts).advice;
    let undecided = results
        .comparisons
        .iter()
        .map(|c| (&c.candidate, c.estimate.verdict))
        .chain(
            results
                .work_comparisons
                .iter()
                .map(|w| (&w.candidate, w.estimate.verdict)),
        )
        .filter(|(c, v)| *c == candidate && *v == Verdict::Inconclusive)
        .count();
    Called {
        advice,
        app: verdicts.app.map(app_text),
        faster: listed(&gains),
        slower: listed(&costs),
        undecided,
    }
}

/// The app as a whole in words: `the app as a whole: time 0.93x
/// [0.90-0.96] faster, work 0.88x [0.85-0.91] faster`; the intervals that
/// decided.
pub fn app_text(app: &AppComparison) -> String {
    let mut parts = Vec::new();
    if let Some(e) = &app.latency {
        parts.push(format!("time {} {}", e.ratio_text(), e.verdict.word()));
    }
    if let Some(e) = &app.work {
        parts.push(format!("work {} {}", e.ratio_text(), e.verdict.word()));
    }
    format!("the app as a whole: {}", parts.join(", "))
}

/// What the gate says of a run against another, one sentence every output
/// shares: what fails it, or that it passes and what is left to weigh.
pub fn gate_line(r: &Regression) -> String {
    let d = r.decision();
    let app = r.app.as_ref().map(|a| format!(" ({})", app_text(a)));
    let app = app.unwrap_or_default();
    let gate = format!("Against {}: the gate ({})", r.against, r.gate);
    if d.fails {
        format!("{gate} fails on {} slower{app}.", d.why.join(", "))
    } else if d.undecided {
        format!("{gate} calls nothing slower, but a verdict it reads is undecided{app}.")
    } else if d.advice == Advice::Weigh {
        format!("{gate} passes; some queries are slower, a trade-off to weigh{app}.")
    } else {
        format!("{gate} passes{app}.")
    }
}

/// The measured size change and build time of a candidate, as text.
pub fn cost(results: &RunResults, candidate: &CandidateResult) -> (String, String) {
    let size = results
        .candidates
        .first()
        .map(|b| size_change(candidate.cost.database_bytes - b.cost.database_bytes))
        .unwrap_or_default();
    (size, duration(candidate.cost.ddl_seconds))
}

/// The advice on one candidate and the sentence that gives it.
pub fn candidate_line(results: &RunResults, candidate: &CandidateResult) -> (Advice, String) {
    let Called {
        advice,
        app,
        faster,
        slower,
        undecided,
    } = called(results, &candidate.name);
    let mut sentence = format!("{} {}", advice.word(), candidate.name);
    let mut lead = ":";
    if let Some(app) = app {
        sentence.push_str(&format!(": {app}"));
        lead = ";";
    }
    if !faster.is_empty() {
        sentence.push_str(&format!("{lead} faster {faster}"));
        lead = "; but";
    }
    if !slower.is_empty() {
        sentence.push_str(&format!("{lead} slower {slower}"));
    }
    if undecided > 0 {
        let other = if advice == Advice::Unchanged {
            ""
        } else {
            " other"
        };
        sentence.push_str(&format!(
            "; {undecided}{other} ratio(s) past the noise threshold undecided"
        ));
    }
    if !results.candidates.is_empty() {
        let (size, built) = cost(results, candidate);
        sentence.push_str(&format!("; {size}, built in {built}."));
    }
    (advice, sentence)
}

/// The sentences that open a run's outputs: the question answered, one
/// per candidate (what to ship first), then what failed or stayed open.
pub fn headline(results: &RunResults) -> Vec<String> {
    let mut out = Vec::new();
    let candidates = results.candidates.get(1..).unwrap_or_default();
    let mut lines: Vec<(Advice, String)> = candidates
        .iter()
        .map(|c| candidate_line(results, c))
        .collect();
    lines.sort_by_key(|(advice, _)| *advice);
    let changed = lines
        .iter()
        .filter(|(a, _)| *a != Advice::Unchanged)
        .count();
    if candidates.is_empty() {
        out.push(format!(
            "{} at scale {}: one configuration measured, nothing compared.",
            results.scenario.name, results.scenario.scale
        ));
    } else {
        out.push(format!(
            "{} at scale {}: {changed} of {} candidate(s) measurably change the app ({} rounds, {} design, {:.0} s).",
            results.scenario.name,
            results.scenario.scale,
            candidates.len(),
            results.rounds,
            results.design,
            results.elapsed_s
        ));
    }
    out.extend(lines.into_iter().map(|(_, line)| line));
    if let Some(r) = &results.regression {
        out.push(gate_line(r));
    }
    let failed: Vec<String> = results
        .thresholds
        .iter()
        .filter(|t| !t.passed)
        .map(|t| format!("{} {} (measured {})", t.query, t.limit, measured(t)))
        .collect();
    if !failed.is_empty() {
        out.push(format!("Thresholds failed: {}.", failed.join(", ")));
    }
    if !results.lints.is_empty() {
        let mut rules: Vec<(&str, usize)> = Vec::new();
        for l in &results.lints {
            match rules.iter_mut().find(|(r, _)| *r == l.rule) {
                Some((_, n)) => *n += 1,
                None => rules.push((&l.rule, 1)),
            }
        }
        let counted: Vec<String> = rules.iter().map(|(r, n)| format!("{n} {r}")).collect();
        out.push(format!(
            "The baseline's schema has {} lint finding(s): {}.",
            results.lints.len(),
            counted.join(", ")
        ));
    }
    if let Some(why) = &results.aborted {
        out.push(format!("The run stopped early: {why}."));
    }
    out
}

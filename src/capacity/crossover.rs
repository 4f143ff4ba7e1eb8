//! Where a candidate's verdict turns as the data grows: the app-level
//! comparison of each growth run (the candidate beside the baseline, in a
//! duet) lined up by scale. Measured at every scale, never extrapolated.

use crate::results::capacity::{Crossover, CrossoverPoint};
use crate::results::{RunResults, Verdict};

/// Each of `candidates` across the growth runs, smallest scale first.
pub(super) fn crossovers(candidates: &[String], runs: &[(f64, RunResults)]) -> Vec<Crossover> {
    candidates
        .iter()
        .map(|candidate| {
            let points: Vec<CrossoverPoint> = runs
                .iter()
                .filter_map(|(scale, run)| {
                    let app = run
                        .app_comparisons
                        .iter()
                        .find(|a| &a.candidate == candidate)?;
                    Some(CrossoverPoint {
                        scale: *scale,
                        rows: run.scenario.tables.iter().map(|t| t.rows).sum(),
                        time: app.latency,
                        work: app.work,
                        verdict: app.verdict(),
                    })
                })
                .collect();
            // An undecided scale (inconclusive) neither starts nor makes
            // a turn: only decided verdicts are compared.
            let mut decided = points.iter().filter(|p| p.verdict != Verdict::Inconclusive);
            let turns_at = decided.next().and_then(|first| {
                decided
                    .find(|p| p.verdict != first.verdict)
                    .map(|p| p.scale)
            });
            Crossover {
                candidate: candidate.clone(),
                points,
                turns_at,
            }
        })
        .collect()
}

/// The conclusion's sentence for one candidate: its verdict at the
/// smallest scale, and from where it turns (or that it held).
pub(super) fn sentence(c: &Crossover) -> Option<String> {
    let first = c
        .points
        .iter()
        .find(|p| p.verdict != Verdict::Inconclusive)
        .or(c.points.first())?;
    let at = |p: &CrossoverPoint| format!("scale {} ({} rows)", p.scale, p.rows);
    Some(match c.turns_at {
        Some(scale) => {
            let turned = c.points.iter().find(|p| p.scale == scale)?;
            format!(
                "{}: {} at {}, {} from {}.",
                c.candidate,
                first.verdict.word(),
                at(first),
                turned.verdict.word(),
                at(turned)
            )
        }
        None => format!(
            "{}: {} from {} to {}, no turn measured.",
            c.candidate,
            first.verdict.word(),
            at(first),
            c.points.last().map_or_else(String::new, at)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::AppComparison;

    fn run(scale: f64, verdict_ratio: Option<f64>) -> (f64, RunResults) {
        let mut r = crate::results::fixture();
        for t in &mut r.scenario.tables {
            t.rows = (t.rows as f64 * scale).round() as u64;
        }
        r.app_comparisons = match verdict_ratio {
            Some(ratio) => {
                let mut e = r.comparisons[0].estimate;
                e.ratio = ratio;
                e.verdict = if ratio < 0.95 {
                    Verdict::Faster
                } else {
                    Verdict::NoChange
                };
                vec![AppComparison {
                    candidate: "idx".into(),
                    baseline_ms: 1.0,
                    candidate_ms: ratio,
                    latency: Some(e),
                    baseline_buffers: 0.0,
                    candidate_buffers: 0.0,
                    work: None,
                    time_decides: true,
                }]
            }
            None => Vec::new(),
        };
        (scale, r)
    }

    #[test]
    fn a_verdict_that_changes_with_the_data_names_the_scale_it_turns_at() {
        let runs = [
            run(1.0, Some(1.0)),
            run(4.0, Some(0.7)),
            run(16.0, Some(0.4)),
        ];
        let c = &crossovers(&["idx".into()], &runs)[0];
        let verdicts: Vec<Verdict> = c.points.iter().map(|p| p.verdict).collect();
        assert_eq!(
            verdicts,
            [Verdict::NoChange, Verdict::Faster, Verdict::Faster]
        );
        assert_eq!(c.turns_at, Some(4.0));
        assert!(c.points[1].rows > c.points[0].rows);
        let text = sentence(c).expect("a sentence");
        assert!(
            text.starts_with("idx: no change at scale 1 (")
                && text.contains("faster from scale 4 ("),
            "{text}"
        );
        // An undecided scale makes no turn.
        let mut undecided = runs.clone();
        undecided[1].1.app_comparisons[0]
            .latency
            .as_mut()
            .expect("time")
            .verdict = Verdict::Inconclusive;
        let c = &crossovers(&["idx".into()], &undecided)[0];
        assert_eq!(c.turns_at, Some(16.0));
        // A scale whose run lacks the candidate is left out, not guessed.
        let held = crossovers(&["idx".into()], &[run(1.0, Some(0.5)), run(2.0, None)]);
        assert_eq!(held[0].points.len(), 1);
        assert_eq!(held[0].turns_at, None);
    }
}

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
            Crossover {
                candidate: candidate.clone(),
                turns_at: turn(&points, |p| Some(p.verdict)),
                work_turns_at: turn(&points, |p| p.work.map(|w| w.verdict)),
                points,
            }
        })
        .collect()
}

/// The first scale whose verdict (as `verdict` reads it off a point)
/// differs from the smallest decided scale's. An undecided scale
/// (inconclusive, or without that figure) neither starts nor makes a turn.
fn turn(
    points: &[CrossoverPoint],
    verdict: impl Fn(&CrossoverPoint) -> Option<Verdict>,
) -> Option<f64> {
    let mut decided = points
        .iter()
        .filter_map(|p| verdict(p).map(|v| (p.scale, v)))
        .filter(|(_, v)| *v != Verdict::Inconclusive);
    let (_, first) = decided.next()?;
    decided.find(|(_, v)| *v != first).map(|(scale, _)| scale)
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
    let work = c
        .work_turns_at
        .filter(|s| c.turns_at != Some(*s))
        .and_then(|s| c.points.iter().find(|p| p.scale == s))
        .and_then(|p| Some((p, p.work?.verdict)))
        .map_or(String::new(), |(p, v)| {
            format!(
                " Its work per request (buffers, whatever the machine) turns {} from {}.",
                v.word(),
                at(p)
            )
        });
    let time = match c.turns_at {
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
    };
    Some(time + &work)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{AppComparison, Estimate};

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
        assert_eq!(c.work_turns_at, None, "no work figures, no work turn");
        // Work turning later than time (slower, slower, faster buffers per
        // request) is said apart.
        let mut worked = runs.clone();
        for ((_, r), verdict) in
            worked
                .iter_mut()
                .zip([Verdict::Slower, Verdict::Slower, Verdict::Faster])
        {
            let app = &mut r.app_comparisons[0];
            app.work = app.latency.map(|e| Estimate { verdict, ..e });
        }
        let c = &crossovers(&["idx".into()], &worked)[0];
        assert_eq!((c.turns_at, c.work_turns_at), (Some(4.0), Some(16.0)));
        let text = sentence(c).expect("a sentence");
        assert!(
            text.contains(
                ". Its work per request (buffers, whatever the machine) turns faster from scale 16 ("
            ),
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

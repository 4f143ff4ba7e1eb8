//! The advisor's findings: each advised index with the planner's estimate
//! beside what the run measured on the same queries, and the winners as a
//! migration ready to commit.

use crate::results::{AdvisedIndex, PlannedGain, RunResults, Verdict};

/// The migration `advise` writes beside its report.
pub const MIGRATION_FILE: &str = "advised_indexes.sql";

/// One advised index on one of the queries it was advised for.
pub struct Row<'a> {
    pub index: &'a AdvisedIndex,
    pub gain: &'a PlannedGain,
    /// `0.04x` of the planner's cost.
    pub planned: String,
    /// `0.05x [0.04-0.06] faster`, or `not measured`.
    pub work: String,
    pub p50: String,
    /// Size the index added and the time it took to build, as measured.
    pub size: String,
    pub built: String,
    pub outcome: Outcome,
    /// Queries the index made slower (any of the workload's), by name.
    pub slower: Vec<String>,
}

/// What the run made of an index the planner liked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Called faster on this query, slower on no query of the workload.
    Faster,
    /// Called faster here but slower on some query: its writes, or a
    /// plan the index changed for the worse.
    Mixed,
    /// The planner's gain did not show in the measurements.
    NotFaster,
}

fn verdict_text(ratio: String, verdict: Verdict) -> String {
    format!("{ratio} {}", verdict.word())
}

/// Every advised index's rows, in the order advised.
pub fn rows(results: &RunResults) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    for index in &results.advice {
        let candidate = results
            .candidates
            .iter()
            .find(|c| c.name == index.candidate);
        // (query, verdict) of every latency and work comparison of the index.
        let verdicts: Vec<(&str, Verdict)> = results
            .comparisons
            .iter()
            .filter(|c| c.candidate == index.candidate)
            .map(|c| (c.query.as_str(), c.estimate.verdict))
            .chain(
                results
                    .work_comparisons
                    .iter()
                    .filter(|w| w.candidate == index.candidate)
                    .map(|w| (w.query.as_str(), w.estimate.verdict)),
            )
            .collect();
        let mut slower: Vec<String> = Vec::new();
        for (q, v) in &verdicts {
            if *v == Verdict::Slower && !slower.iter().any(|s| s == q) {
                slower.push((*q).to_owned());
            }
        }
        for gain in &index.gains {
            let work = results
                .work_comparisons
                .iter()
                .find(|w| w.candidate == index.candidate && w.query == gain.query)
                .map(|w| verdict_text(w.estimate.ratio_text(), w.estimate.verdict))
                .unwrap_or_else(|| "not measured".to_owned());
            let p50 = results
                .comparisons
                .iter()
                .find(|c| {
                    c.candidate == index.candidate && c.query == gain.query && c.percentile == "p50"
                })
                .map(|c| verdict_text(c.estimate.ratio_text(), c.estimate.verdict))
                .unwrap_or_else(|| "not measured".to_owned());
            let faster = verdicts
                .iter()
                .any(|(q, v)| *q == gain.query && *v == Verdict::Faster);
            let outcome = match (faster, slower.is_empty()) {
                (true, true) => Outcome::Faster,
                (true, false) => Outcome::Mixed,
                (false, _) => Outcome::NotFaster,
            };
            let (size, built) = candidate
                .map(|c| super::headline::cost(results, c))
                .unwrap_or_else(|| ("?".to_owned(), "?".to_owned()));
            out.push(Row {
                index,
                gain,
                planned: format!(
                    "{:.2}x",
                    gain.cost_after / gain.cost_before.max(f64::MIN_POSITIVE)
                ),
                work,
                p50,
                size,
                built,
                outcome,
                slower: slower.clone(),
            });
        }
    }
    out
}

/// The header and cells of the advice table, shared by every format.
pub const HEADER: [&str; 8] = [
    "index",
    "query",
    "planner cost",
    "work per call",
    "p50",
    "size",
    "build",
    "outcome",
];

impl Row<'_> {
    /// The outcome, naming what it made slower.
    pub fn outcome_text(&self) -> String {
        match self.outcome {
            Outcome::Faster => "measured faster".to_owned(),
            Outcome::Mixed => format!("faster here, slower on {}: weigh", self.slower.join(", ")),
            Outcome::NotFaster => "planner only: not measured faster".to_owned(),
        }
    }

    pub fn cells(&self) -> [String; 8] {
        [
            self.index.definition.clone(),
            self.gain.query.clone(),
            self.planned.clone(),
            self.work.clone(),
            self.p50.clone(),
            self.size.clone(),
            self.built.clone(),
            self.outcome_text(),
        ]
    }
}

/// The migration of the indexes measured faster and slower nowhere, each
/// with its evidence; the others are named in comments with why they
/// were left out (an index that speeds one query may change another's
/// plan for the worse: only the measurement tells).
pub fn migration(results: &RunResults) -> Option<String> {
    if results.advice.is_empty() {
        return None;
    }
    let rows = rows(results);
    let mut out = format!(
        "-- Indexes advised by `schemabench advise` for {} (scale {}, seed {}), measured {}.\n\
         -- Each was measured against the baseline in one run ({} rounds, {} design); figures are ratios to it.\n\
         -- On a large live table, run each as CREATE INDEX CONCURRENTLY, outside a transaction.\n",
        results.scenario.name,
        results.scenario.scale,
        results.scenario.seed,
        results.started_at.split('.').next().unwrap_or_default(),
        results.rounds,
        results.design
    );
    let mut left_out = Vec::new();
    for index in &results.advice {
        let own: Vec<&Row> = rows
            .iter()
            .filter(|r| r.index.candidate == index.candidate)
            .collect();
        let evidence: Vec<String> = own
            .iter()
            .map(|r| {
                format!(
                    "--   {}: planner {}, work {}, p50 {}",
                    r.gain.query, r.planned, r.work, r.p50
                )
            })
            .collect();
        if own.iter().any(|r| r.outcome == Outcome::Faster) {
            let first = own.first();
            out.push_str(&format!(
                "\n-- {} ({}, built in {}):\n{}\n{};\n",
                index.candidate,
                first.map(|r| r.size.as_str()).unwrap_or("?"),
                first.map(|r| r.built.as_str()).unwrap_or("?"),
                evidence.join("\n"),
                index
                    .definition
                    .replacen("create index ", "create index if not exists ", 1)
            ));
        } else {
            let why = match own.iter().find(|r| r.outcome == Outcome::Mixed) {
                Some(r) => format!("measured faster, but slower on {}", r.slower.join(", ")),
                None => "the planner liked it, the run did not measure it faster".to_owned(),
            };
            left_out.push(format!(
                "-- {}: {why}:\n{}",
                index.definition,
                evidence.join("\n")
            ));
        }
    }
    if !left_out.is_empty() {
        out.push_str("\n-- Left out:\n");
        out.push_str(&left_out.join("\n"));
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use crate::results::PlannedGain;

    fn advised(query: &str) -> AdvisedIndex {
        AdvisedIndex {
            candidate: "feed_index".into(),
            definition: "create index stories_user_id_created_at_idx on public.stories (user_id, created_at desc)".into(),
            gains: vec![PlannedGain {
                query: query.into(),
                cost_before: 200.0,
                cost_after: 50.0,
                time_share: 0.3,
            }],
            estimated_bytes: 8192,
        }
    }

    #[test]
    fn only_an_index_measured_faster_and_slower_nowhere_enters_the_migration() {
        let mut results = fixture();
        assert_eq!(migration(&results), None, "no advice, no migration");
        // The fixture's feed_index: story_feed p50 faster, but open_story,
        // public_gallery and admin_daily_usage tails slower.
        results.advice = vec![advised("story_feed")];
        let rows = rows(&results);
        assert_eq!(rows[0].outcome, Outcome::Mixed);
        assert_eq!(rows[0].planned, "0.25x");
        assert_eq!(
            rows[0].outcome_text(),
            "faster here, slower on open_story, public_gallery, admin_daily_usage: weigh"
        );
        let sql = migration(&results).expect("a migration");
        assert!(!sql.contains("create index if not exists"), "{sql}");
        assert!(sql.contains("-- Left out:\n-- create index stories_user_id_created_at_idx on public.stories (user_id, created_at desc): measured faster, but slower on open_story"), "{sql}");
        // Nothing slower: it ships, with its evidence.
        results
            .comparisons
            .retain(|c| c.estimate.verdict != Verdict::Slower);
        assert_eq!(rows_outcomes(&results), [Outcome::Faster]);
        let sql = migration(&results).expect("a migration");
        assert!(sql.contains("\n-- feed_index ("), "{sql}");
        assert!(
            sql.contains("--   story_feed: planner 0.25x, work not measured, p50 "),
            "{sql}"
        );
        assert!(sql.contains("create index if not exists stories_user_id_created_at_idx on public.stories (user_id, created_at desc);"), "{sql}");
        // The planner's favourite that the run did not call faster.
        results.advice = vec![advised("character_gallery")];
        assert_eq!(rows_outcomes(&results), [Outcome::NotFaster]);
        assert!(
            migration(&results)
                .expect("a migration")
                .contains("the planner liked it, the run did not measure it faster")
        );
    }

    fn rows_outcomes(results: &RunResults) -> Vec<Outcome> {
        rows(results).iter().map(|r| r.outcome).collect()
    }
}

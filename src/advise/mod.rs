//! `advise`: which index to try, found and then measured. A first run of
//! the baseline ranks the queries by the time they take; HypoPG shows
//! which indexes the planner would use for the slowest; the best few
//! become candidates of a second run, judged like any other (duets,
//! rounds, work and latency verdicts). An index the planner likes that
//! does not measure faster is reported as such.

pub mod columns;
mod hypothetical;

use crate::candidate::BASELINE;
use crate::pg::PgError;
use crate::pipeline::{self, RunError, RunOptions};
use crate::report::files::ReportDir;
use crate::results::{AdvisedIndex, PlannedGain, RunResults, exit};
use crate::scenario::Scenario;
use crate::scenario::spec::CandidateSpec;
use hypothetical::{Planned, Priced};

/// How much cheaper the planner must find a query with an index before it
/// is worth measuring.
const MIN_GAIN: f64 = 0.10;

/// Indexes whose planned cost is within this of the cheapest count as
/// tied; the smallest of them is advised.
const TIE: f64 = 0.02;

/// Why advice could not be given.
#[derive(Debug, thiserror::Error)]
pub enum AdviseError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(transparent)]
    Drive(#[from] crate::drive::DriveError),
    #[error(
        "advise needs the HypoPG extension on the server ({0}); on Debian: apt-get install postgresql-15-hypopg"
    )]
    NoHypopg(String),
    #[error("query {query} cannot be explained: {problem}")]
    Explain { query: String, problem: String },
    #[error("cannot make a scratch folder for the first run: {0}")]
    Scratch(std::io::Error),
}

impl AdviseError {
    /// The run's own code for a failed run; the rest failed the run.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Run(e) => e.exit_code(),
            Self::Pg(e) => e.exit_code(),
            _ => exit::RUN_FAILED,
        }
    }
}

/// What `advise` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct AdviseOptions {
    /// The measuring run's choices (its `only` is ignored: the advised
    /// indexes are its candidates); the first run shares its phases.
    pub run: RunOptions,
    /// The slowest queries to find indexes for.
    pub queries: usize,
    /// Advised indexes to measure, at most.
    pub indexes: usize,
}

/// One slow query of the first run and what the planner made of it.
#[derive(Debug, Clone)]
pub struct Examined {
    pub query: String,
    /// Its share of the workload's time.
    pub time_share: f64,
    /// Hypothetical indexes tried, and how many of them the planner used.
    pub tried: usize,
    pub used: usize,
}

/// What `advise` found and measured.
pub struct Advised {
    pub examined: Vec<Examined>,
    /// The measuring run, when any index was worth measuring.
    pub measured: Option<(RunResults, ReportDir)>,
}

/// Runs the baseline once, plans the slowest queries with hypothetical
/// indexes, and measures the best few as candidates.
pub async fn advise(
    server: &crate::pg::Server,
    scenario: &Scenario,
    options: &AdviseOptions,
) -> Result<Advised, AdviseError> {
    let scratch = tempfile::tempdir().map_err(AdviseError::Scratch)?;
    let first = RunOptions {
        out: Some(scratch.path().to_owned()),
        rounds: Some(1),
        only: Some(Vec::new()),
        budget: None,
        keep_copies: false,
        ..options.run.clone()
    };
    let (baseline, _) = pipeline::run(server, scenario, &first).await?;
    let shares = time_shares(&baseline);
    let mut slowest: Vec<usize> = (0..shares.len()).filter(|&q| shares[q] > 0.0).collect();
    slowest.sort_by(|&a, &b| shares[b].total_cmp(&shares[a]));
    slowest.truncate(options.queries);
    let Some(workload) = &scenario.spec.workload else {
        return Err(RunError::NoWorkload(scenario.path.display().to_string()).into());
    };
    let data = std::sync::Arc::new(crate::seed::plan::DataPlan::new(&scenario.spec));
    let (planned, taken) = hypothetical::plan(
        server,
        &baseline.scenario.database,
        workload,
        data,
        scenario.spec.seed,
        &slowest,
    )
    .await?;
    let names: Vec<String> = workload.queries.iter().map(|q| q.name.clone()).collect();
    let examined = planned
        .iter()
        .map(|p| Examined {
            query: names[p.query].clone(),
            time_share: shares[p.query],
            tried: p.tried,
            used: p.used.len(),
        })
        .collect();
    let advice = choose(&planned, &names, &shares, options.indexes, &taken);
    if advice.is_empty() {
        return Ok(Advised {
            examined,
            measured: None,
        });
    }
    let mut advised = scenario.clone();
    advised.spec.candidates = advice
        .iter()
        .map(|a| CandidateSpec {
            name: a.candidate.clone(),
            description: format!("advised: {}", a.definition),
            sql: a.definition.clone(),
            file: None,
            settings: Default::default(),
            queries: Default::default(),
            group: None,
        })
        .collect();
    let measuring = RunOptions {
        only: None,
        ..options.run.clone()
    };
    let (mut results, report) = pipeline::run(server, &advised, &measuring).await?;
    results.advice = advice;
    report.write(&results).map_err(RunError::from)?;
    Ok(Advised {
        examined,
        measured: Some((results, report)),
    })
}

/// Each query's share of the baseline's time in a run: its requests
/// times their mean latency, over all queries'.
fn time_shares(results: &RunResults) -> Vec<f64> {
    let Some(base) = results.candidates.iter().find(|c| c.name == BASELINE) else {
        return Vec::new();
    };
    let times: Vec<f64> = base
        .queries
        .iter()
        .map(|q| q.count as f64 * q.latency.mean)
        .collect();
    let total: f64 = times.iter().sum();
    times
        .iter()
        .map(|t| if total > 0.0 { t / total } else { 0.0 })
        .collect()
}

/// The indexes to measure: for each slow query, of the indexes the
/// planner used that cut its cost by `MIN_GAIN` or more, the cheapest
/// plan's (the smallest index among near ties); one index advised for
/// several queries counts once; ranked by the share of the workload's
/// planned time they save.
pub fn choose(
    planned: &[Planned],
    names: &[String],
    shares: &[f64],
    most: usize,
    taken: &[String],
) -> Vec<AdvisedIndex> {
    let mut chosen: Vec<AdvisedIndex> = Vec::new();
    for p in planned {
        let good: Vec<&Priced> = p
            .used
            .iter()
            .filter(|u| u.cost <= p.cost * (1.0 - MIN_GAIN))
            .collect();
        let Some(cheapest) = good.iter().map(|u| u.cost).min_by(f64::total_cmp) else {
            continue;
        };
        let Some(pick) = good
            .iter()
            .filter(|u| u.cost <= cheapest * (1.0 + TIE))
            .min_by(|a, b| {
                (a.bytes, a.proposal.keys.len(), &a.proposal).cmp(&(
                    b.bytes,
                    b.proposal.keys.len(),
                    &b.proposal,
                ))
            })
        else {
            continue;
        };
        let gain = PlannedGain {
            query: names[p.query].clone(),
            cost_before: p.cost,
            cost_after: pick.cost,
            time_share: shares[p.query],
        };
        let definition = pick.proposal.definition();
        match chosen.iter_mut().find(|a| a.definition == definition) {
            Some(a) => a.gains.push(gain),
            None => {
                // A name the schema (or another advised index) holds gets a number.
                let base = pick.proposal.name();
                let used = |n: &str| {
                    taken.iter().any(|t| t == n) || chosen.iter().any(|a| a.candidate == n)
                };
                let name = (1..)
                    .map(|i| {
                        if i == 1 {
                            base.clone()
                        } else {
                            format!("{}_{i}_idx", base.trim_end_matches("_idx"))
                        }
                    })
                    .find(|n| !used(n))
                    .unwrap_or(base);
                chosen.push(AdvisedIndex {
                    definition: definition.replacen(&pick.proposal.name(), &name, 1),
                    candidate: name,
                    gains: vec![gain],
                    estimated_bytes: pick.bytes,
                })
            }
        }
    }
    let saved = |a: &AdvisedIndex| -> f64 {
        a.gains
            .iter()
            .map(|g| g.time_share * (1.0 - g.cost_after / g.cost_before.max(f64::MIN_POSITIVE)))
            .sum()
    };
    chosen.sort_by(|a, b| saved(b).total_cmp(&saved(a)));
    chosen.truncate(most);
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use columns::Proposal;

    fn priced(keys: &[&str], predicate: Option<&str>, cost: f64, bytes: i64) -> Priced {
        Priced {
            proposal: Proposal {
                table: "public.stories".into(),
                keys: keys.iter().map(|k| k.to_string()).collect(),
                predicate: predicate.map(str::to_owned),
            },
            cost,
            bytes,
        }
    }

    #[test]
    fn the_cheapest_plan_wins_and_near_ties_go_to_the_smallest_index() {
        let names = vec!["feed".to_owned(), "gallery".to_owned(), "insert".to_owned()];
        let planned = vec![
            Planned {
                query: 0,
                cost: 1000.0,
                tried: 6,
                used: vec![
                    priced(&["user_id"], None, 300.0, 100),
                    priced(&["user_id", "created_at desc"], None, 40.0, 300),
                    priced(
                        &["user_id", "created_at desc"],
                        Some("deleted_at is null"),
                        40.5,
                        200,
                    ),
                ],
            },
            // Used, but saving under 10%: not worth a measurement.
            Planned {
                query: 1,
                cost: 100.0,
                tried: 3,
                used: vec![priced(&["is_public"], None, 95.0, 50)],
            },
            Planned {
                query: 2,
                cost: 10.0,
                tried: 0,
                used: vec![],
            },
        ];
        let advice = choose(&planned, &names, &[0.6, 0.3, 0.1], 3, &[]);
        assert_eq!(advice.len(), 1);
        assert_eq!(
            advice[0].definition,
            "create index stories_user_id_created_at_partial_idx on public.stories (user_id, created_at desc) where deleted_at is null"
        );
        assert_eq!(
            advice[0].candidate,
            "stories_user_id_created_at_partial_idx"
        );
        assert_eq!(
            advice[0].gains,
            vec![PlannedGain {
                query: "feed".into(),
                cost_before: 1000.0,
                cost_after: 40.5,
                time_share: 0.6
            }]
        );
    }

    #[test]
    fn one_index_for_two_queries_counts_once_and_ranks_by_time_saved() {
        let names = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let planned = vec![
            Planned {
                query: 0,
                cost: 100.0,
                tried: 1,
                used: vec![priced(&["user_id"], None, 50.0, 10)],
            },
            Planned {
                query: 1,
                cost: 100.0,
                tried: 1,
                used: vec![priced(&["title"], None, 10.0, 10)],
            },
            Planned {
                query: 2,
                cost: 100.0,
                tried: 1,
                used: vec![priced(&["user_id"], None, 20.0, 10)],
            },
        ];
        let taken = vec!["stories_title_idx".to_owned()];
        let advice = choose(&planned, &names, &[0.5, 0.2, 0.3], 3, &taken);
        let order: Vec<(&str, usize)> = advice
            .iter()
            .map(|a| (a.candidate.as_str(), a.gains.len()))
            .collect();
        // user_id saves 0.5*0.5 + 0.3*0.8 = 0.49; title 0.2*0.9 = 0.18; the
        // schema already has an index named stories_title_idx.
        assert_eq!(
            order,
            [("stories_user_id_idx", 2), ("stories_title_2_idx", 1)]
        );
        assert_eq!(
            advice[1].definition,
            "create index stories_title_2_idx on public.stories (title)"
        );
        assert_eq!(choose(&planned, &names, &[0.5, 0.2, 0.3], 1, &[]).len(), 1);
    }
}

//! A run judged: each configuration's copy observed as its last sitting
//! ends (statement statistics, index usage, plans), then, once the rounds
//! are done, the plans set against the baseline's, the baseline's schema
//! linted, and the verdicts, the regression and the thresholds
//! ([`crate::gate::judge`], which `merge` calls too).

use super::RunError;
use super::arms::{Arm, Setting};
use crate::gate::judge::Against;
use crate::observe;
use crate::pg::Server;
use crate::results::{CandidateResult, RunResults};
use crate::scenario::Scenario;

/// Lints the baseline's schema on its template `template` (unless the run
/// stopped early), marks how each candidate's plans differ from the
/// baseline's, and judges `results`.
pub(super) async fn judge(
    server: &Server,
    template: &str,
    results: &mut RunResults,
    scenario: &Scenario,
    against: Option<Against>,
) -> Result<(), RunError> {
    if results.aborted.is_none() {
        if let Some((baseline, others)) = results.candidates.split_first_mut() {
            for other in others {
                for (plan, base) in other.plans.iter_mut().zip(&baseline.plans) {
                    observe::diff(plan, base);
                }
            }
        }
        // The baseline's schema, its unused indexes from this run.
        results.lints = crate::lint::lint(
            &server.admin(template).await?,
            Some(&results.candidates[0].index_usage),
        )
        .await?;
    }
    crate::gate::judge::judge(results, &scenario.thresholds, against.as_ref());
    Ok(())
}

/// Statement statistics, index usage and plans of the configurations of
/// `arms` that `last` marks, on the copies they end the run on (plans
/// last, so their executions are not counted). New indexes are those the
/// baseline's first copy lacks.
pub(super) async fn observe_last(
    setting: &Setting<'_>,
    seated: &[Arm],
    arms: &[usize],
    last: &[bool],
    results: &mut [CandidateResult],
) -> Result<(), RunError> {
    if !last.contains(&true) {
        return Ok(());
    }
    // Backends flush their statistics as they exit at the end of each phase.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let baseline_relations: Vec<String> = results
        .first()
        .map(|r| r.cost.relations.iter().map(|x| x.name.clone()).collect())
        .unwrap_or_default();
    for ((arm, &a), _) in seated.iter().zip(arms).zip(last).filter(|(_, l)| **l) {
        let result = &mut results[a];
        let client = setting.server.admin(&arm.prepared.database).await?;
        result.statements = observe::statement_stats(&client, &arm.shared).await;
        result.index_usage = observe::index_usage(&client).await?;
        result.unused_new_indexes = result
            .index_usage
            .iter()
            .filter(|u| u.scans == 0 && !baseline_relations.contains(&u.index))
            .map(|u| u.index.clone())
            .collect();
        result.plans = observe::plans(&client, &arm.shared, setting.scenario.spec.seed).await;
    }
    Ok(())
}

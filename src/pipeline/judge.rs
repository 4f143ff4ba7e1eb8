//! A run judged once its rounds are done: each copy observed (statement
//! statistics, index usage, plans), the baseline's schema linted, then the
//! verdicts, the regression and the thresholds ([`crate::gate::judge`],
//! which `merge` calls too).

use super::RunError;
use super::arms::Arm;
use crate::gate::judge::Against;
use crate::observe;
use crate::pg::Server;
use crate::results::{CandidateResult, PlanSummary, RunResults};
use crate::scenario::Scenario;

/// Observes `arms` (unless the run stopped early), lints the baseline's
/// schema, and judges `results`.
pub(super) async fn judge(
    server: &Server,
    arms: &[Arm],
    results: &mut RunResults,
    scenario: &Scenario,
    against: Option<Against>,
) -> Result<(), RunError> {
    if results.aborted.is_none() {
        observe_arms(server, arms, &mut results.candidates, scenario.spec.seed).await?;
        // The baseline's schema, its unused indexes from this run.
        results.lints = crate::lint::lint(
            &*arms[0].stats(server).await?,
            Some(&results.candidates[0].index_usage),
        )
        .await?;
    }
    crate::gate::judge::judge(results, &scenario.thresholds, against.as_ref());
    Ok(())
}

/// Statement statistics, index usage and plans of every candidate, after
/// its rounds (plans last, so their executions are not counted).
async fn observe_arms(
    server: &Server,
    arms: &[Arm],
    results: &mut [CandidateResult],
    seed: u64,
) -> Result<(), RunError> {
    // Backends flush their statistics as they exit at the end of each phase.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut baseline_plans: Vec<PlanSummary> = Vec::new();
    let baseline_relations: Vec<String> = results
        .first()
        .map(|r| r.cost.relations.iter().map(|x| x.name.clone()).collect())
        .unwrap_or_default();
    for (arm, result) in arms.iter().zip(results.iter_mut()) {
        let client = server.admin(&arm.prepared.database).await?;
        result.statements = observe::statement_stats(&client, &arm.shared).await;
        result.index_usage = observe::index_usage(&client).await?;
        result.unused_new_indexes = result
            .index_usage
            .iter()
            .filter(|u| u.scans == 0 && !baseline_relations.contains(&u.index))
            .map(|u| u.index.clone())
            .collect();
        let mut plans = observe::plans(&client, &arm.shared, seed).await;
        if baseline_plans.is_empty() {
            baseline_plans = plans.clone();
        } else {
            for (plan, base) in plans.iter_mut().zip(&baseline_plans) {
                observe::diff(plan, base);
            }
        }
        result.plans = plans;
    }
    Ok(())
}

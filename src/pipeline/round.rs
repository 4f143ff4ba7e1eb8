//! One sitting of a run: every phase driven on the configurations that
//! share the machine (a duet's two sides, or one configuration alone), the
//! work each phase cost read off the server, and the early stop a failed
//! `abort_on_fail` threshold asks for.

use std::sync::Arc;

use futures_util::future::join_all;

use super::RunError;
use super::arms::{Arm, Setting, seat, unseat};
use super::board::Board;
use super::judge::observe_last;
use super::schedule::Sitting;
use super::tally::{
    failed_abort_threshold, measured_seconds, merge, merge_rounds, pair_seconds, record_work,
    update_queries,
};
use crate::candidate::{Candidate, Prepared};
use crate::drive::DriveError;
use crate::drive::engine::{Beside, Level, Phase, PhaseOutcome, Start, Stop, run_phase};
use crate::drive::session::Shared;
use crate::drive::{phase_result, query_results};
use crate::measure::QueryMeasurements;
use crate::measure::timeline::{Slot, Timeline, slot_label};
use crate::observe;
use crate::results::{RunResults, StatementStats};
use crate::seed::rng::combine;

/// What a run carries from one sitting to the next.
pub(super) struct Sittings<'a> {
    pub(super) setting: &'a Setting<'a>,
    /// The configurations, by arm.
    pub(super) candidates: Vec<Candidate>,
    /// By configuration: its prepared database, once made
    /// ([`super::RunOptions::prepare_once`]).
    pub(super) kept: Vec<Option<Prepared>>,
    pub(super) board: Option<Arc<Board>>,
    pub(super) timeline: Timeline,
    /// The configurations' names, by arm.
    pub(super) names: Vec<String>,
    /// [configuration][sitting][query]: each sitting's measured phases merged.
    pub(super) per_round: Vec<Vec<Vec<QueryMeasurements>>>,
    /// The timeline slot of the next phase's first side.
    pub(super) slot: usize,
}

impl Sittings<'_> {
    /// Drives every phase of `sitting` on copies made for it, records
    /// each phase's latencies and work into `results`, observes the sides
    /// `last` marks (their configuration's last sitting of the run) and
    /// drops the copies. Stops early where an aborting threshold failed
    /// (`results.aborted` says so).
    pub(super) async fn sit(
        &mut self,
        sitting: &Sitting,
        last: &[bool],
        results: &mut RunResults,
    ) -> Result<(), RunError> {
        let setting = self.setting;
        let seated = seat(setting, &self.candidates, &mut self.kept, sitting).await?;
        if sitting.round == 1 {
            // A configuration's cost is that of its own first copy.
            for (arm, (&a, &copy)) in seated.iter().zip(sitting.arms.iter().zip(&sitting.copies)) {
                if a == copy {
                    results.candidates[a].cost = arm.prepared.cost.clone();
                }
            }
        }
        let measured = self.drive(&seated, sitting, results).await?;
        for (i, &a) in sitting.arms.iter().enumerate() {
            let workload = &seated[i].shared.workload;
            self.per_round[a].push(merge(workload, &measured[i]));
            update_queries(&mut results.candidates[a], workload, &self.per_round[a]);
        }
        results.rounds = sitting.round;
        if results.aborted.is_none() {
            observe_last(
                setting,
                &seated,
                &sitting.arms,
                last,
                &mut results.candidates,
            )
            .await?;
        }
        let keep: Vec<bool> = last
            .iter()
            .map(|&l| l && setting.options.keep_copies)
            .collect();
        unseat(setting.server, seated, &keep).await
    }

    /// Every phase of `sitting` on its `seated` copies: each phase's
    /// latencies and work into `results`, its measured outcomes returned by
    /// position in the sitting.
    async fn drive(
        &mut self,
        seated: &[Arm],
        sitting: &Sitting,
        results: &mut RunResults,
    ) -> Result<Vec<Vec<PhaseOutcome>>, RunError> {
        let Setting {
            server,
            scenario,
            report,
            phases,
            ..
        } = *self.setting;
        let spec = &scenario.spec;
        // Statement statistics as last read (and since when the server
        // kept them), by position, so each phase gets its own.
        let mut read: Vec<(Option<String>, Vec<StatementStats>)> =
            seated.iter().map(|_| (None, Vec::new())).collect();
        let mut measured: Vec<Vec<PhaseOutcome>> = seated.iter().map(|_| Vec::new()).collect();
        for (p, phase) in phases.iter().enumerate() {
            // The same request sequence for every candidate and round: paired samples.
            let seed = combine(&[spec.seed, p as u64]);
            // A server that restarted is waited for (bounded) before the
            // phase, not found missing by its first requests.
            for arm in seated {
                drop(arm.stats(server).await?);
            }
            if let Some(board) = &self.board {
                board.post(self.slot).await?;
            }
            let sides: Vec<Arc<Shared>> = seated.iter().map(|a| Arc::clone(&a.shared)).collect();
            let outcomes = drive_slot(
                &SlotRun {
                    timeline: &self.timeline,
                    slot: self.slot,
                    phase,
                    p,
                    seed,
                    sitting,
                    names: &self.names,
                    board: self.board.as_ref(),
                },
                &sides,
                results,
            )
            .await?;
            self.slot += sitting.arms.len();
            if let Some(board) = &self.board {
                board.all_done(self.slot - sitting.arms.len()).await?;
            }
            if !phase.warmup {
                for (i, outcome) in outcomes.into_iter().enumerate() {
                    measured[i].push(outcome);
                }
            }
            self.record_work(seated, &mut read, sitting, &phase.name, results)
                .await?;
            report.write_results(results)?;
            if phase.warmup {
                continue;
            }
            if let Some(failed) = self.aborting_failure(seated, sitting, &measured, results) {
                results.aborted = Some(format!(
                    "threshold {failed} failed after phase {} of round {}",
                    phase.name, sitting.round
                ));
                break;
            }
        }
        Ok(measured)
    }

    /// Each arm's statement statistics since the last phase, recorded as
    /// this phase's work: each phase's work is a sample of its own.
    async fn record_work(
        &self,
        seated: &[Arm],
        read: &mut [(Option<String>, Vec<StatementStats>)],
        sitting: &Sitting,
        phase: &str,
        results: &mut RunResults,
    ) -> Result<(), RunError> {
        let server = self.setting.server;
        for ((&a, arm), read) in sitting.arms.iter().zip(seated).zip(read) {
            let client = arm.stats(server).await?;
            let since = observe::statistics_since(&client).await;
            let now = observe::statement_stats(&client, &arm.shared).await;
            // Statistics the server reset (a crash, a restart) count
            // from zero, not from what was read before.
            let before: &[StatementStats] = if read.0 == since { &read.1 } else { &[] };
            let partner = sitting.partner(a).map(|p| self.names[p].as_str());
            record_work(
                &mut results.candidates[a].work,
                before,
                &now,
                sitting.round,
                partner,
                phase,
            );
            *read = (since, now);
        }
        Ok(())
    }

    /// Thresholds gate the baseline: the first limit that asks to stop
    /// the run and fails on what the baseline measured so far (its earlier
    /// rounds and this sitting's measured phases), if the baseline sits.
    fn aborting_failure(
        &self,
        seated: &[Arm],
        sitting: &Sitting,
        measured: &[Vec<PhaseOutcome>],
        results: &RunResults,
    ) -> Option<String> {
        let thresholds = &self.setting.scenario.thresholds;
        let base = sitting.arms.iter().position(|&a| a == 0)?;
        if !thresholds.iter().any(|t| t.abort_on_fail) {
            return None;
        }
        let workload = &seated[base].shared.workload;
        let mut so_far = self.per_round[0].clone();
        so_far.push(merge(workload, &measured[base]));
        let queries = query_results(
            workload,
            &merge_rounds(workload, &so_far),
            measured_seconds(&results.candidates[0]),
        );
        failed_abort_threshold(thresholds, &queries)
    }
}

/// The line that opens sitting `s`: which configurations sit, in which
/// round, and about how long the planned rounds have left (from the
/// sittings done so far, else from the phases' planned durations).
pub(super) fn announce(
    s: usize,
    sittings: &[Sitting],
    rounds: u32,
    names: &[String],
    phases: &[Phase],
    elapsed: std::time::Duration,
) -> String {
    let sitting = &sittings[s];
    let planned = sittings
        .iter()
        .filter(|x| x.round <= rounds)
        .count()
        .max(s + 1);
    let who: Vec<&str> = sitting.arms.iter().map(|&a| names[a].as_str()).collect();
    let per_sitting = if s > 0 {
        Some(elapsed.as_secs_f64() / s as f64)
    } else {
        phases
            .iter()
            .map(|p| match p.stop {
                Stop::After(d) => Some(d.as_secs_f64()),
                Stop::Transactions(_) => None,
            })
            .sum::<Option<f64>>()
    };
    let left = per_sitting.map_or(String::new(), |each| {
        let seconds = each * (planned - s) as f64;
        if seconds >= 90.0 {
            format!("; about {:.0} min left", seconds / 60.0)
        } else {
            format!("; about {seconds:.0} s left")
        }
    });
    format!(
        "round {}, sitting {} of {planned}: {}{left}",
        sitting.round,
        s + 1,
        who.join(" beside ")
    )
}

/// Every phase slot of `sittings` for the timeline: its name
/// (`feed_index+baseline.r2.steady`, or the phase's name alone in a run of
/// one configuration and one round) and whether its seconds are paired.
pub(super) fn timeline_slots(
    sittings: &[Sitting],
    phases: &[Phase],
    names: &[String],
    rounds: u32,
) -> Vec<Slot> {
    let simple = names.len() == 1 && rounds == 1;
    let mut slots = Vec::new();
    for sitting in sittings {
        for phase in phases {
            for &a in &sitting.arms {
                let partner = sitting.partner(a);
                slots.push(Slot {
                    label: slot_label(
                        &names[a],
                        partner.map(|p| names[p].as_str()),
                        sitting.round,
                        &phase.name,
                        simple,
                    ),
                    // Measured duet phases are paired second by second.
                    paired: partner.is_some() && !phase.warmup,
                });
            }
        }
    }
    slots
}

/// One phase of a sitting.
pub(super) struct SlotRun<'a> {
    pub(super) timeline: &'a Timeline,
    /// The timeline slot of the sitting's first side (and the board's
    /// number for the phase).
    pub(super) slot: usize,
    pub(super) phase: &'a Phase,
    /// The phase's place in the load.
    pub(super) p: usize,
    pub(super) seed: u64,
    pub(super) sitting: &'a Sitting,
    pub(super) names: &'a [String],
    pub(super) board: Option<&'a Arc<Board>>,
}

/// Drives one phase of a sitting on every side at once (`sides` by
/// position in the sitting) and records it: each configuration's phase
/// and, in duets, both sides' seconds paired. Returns the outcomes by
/// position. In a sharded run the sides start with every other shard's
/// and report done on the board.
pub(super) async fn drive_slot(
    run: &SlotRun<'_>,
    sides: &[Arc<Shared>],
    results: &mut RunResults,
) -> Result<Vec<PhaseOutcome>, RunError> {
    let SlotRun {
        timeline,
        slot,
        phase,
        p,
        seed,
        sitting,
        names,
        board,
    } = *run;
    let round = sitting.round;
    // Which side starts first (spawns its threads, sends its arrivals, is
    // polled) alternates from phase to phase, so an edge of going first
    // cannot side with one configuration.
    let flip = (round as usize + p).is_multiple_of(2);
    let mut order: Vec<usize> = (0..sides.len()).collect();
    if flip {
        order.reverse();
    }
    // A timed closed-loop duet ends level: the side behind sends the rest
    // of its sequence, unmeasured, so both sides' work covers the same
    // requests (`drive::engine::level`).
    let level = match (sides.len(), phase.stop, phase.offered) {
        (2, Stop::After(length), crate::results::Offered::Closed { .. }) => {
            Some(Arc::new(Level::new(phase.connections(), length)))
        }
        _ => None,
    };
    let outcomes = join_all(order.iter().map(|&i| {
        let start = board.map(|board| {
            let (board, count) = (Arc::clone(board), sides.len());
            Box::pin(async move {
                board
                    .start(slot, i, count)
                    .await
                    .map_err(|e| DriveError::Start(e.to_string()))
            }) as Start
        });
        run_phase(
            Arc::clone(&sides[i]),
            timeline,
            slot + i,
            phase,
            seed,
            i == 0,
            Beside {
                start,
                level: level.as_ref().map(|l| (Arc::clone(l), i)),
            },
        )
    }))
    .await;
    let mut outcomes: Vec<PhaseOutcome> = outcomes.into_iter().collect::<Result<_, _>>()?;
    if let Some(board) = board {
        board.done(slot).await?;
    }
    if flip {
        outcomes.reverse();
    }
    if let ([_, c], [base, other]) = (sitting.arms.as_slice(), outcomes.as_mut_slice())
        && !phase.warmup
    {
        results.candidates[*c].duet_seconds.extend(pair_seconds(
            &sides[0].workload,
            base,
            other,
            round,
        ));
    }
    for ((i, &a), outcome) in sitting.arms.iter().enumerate().zip(outcomes.iter_mut()) {
        // Paired already: a phase's second-by-second histograms are not
        // kept any longer than that.
        outcome.seconds = Vec::new();
        let partner = sitting.partner(a).map(|p| names[p].as_str());
        results.candidates[a].phases.push(phase_result(
            &sides[i].workload,
            outcome,
            round,
            partner,
        ));
    }
    Ok(outcomes)
}

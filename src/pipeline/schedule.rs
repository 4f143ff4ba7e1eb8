//! Who runs when: the rounds, and in each the sittings of configurations
//! that run side by side, with the database copy each drives.

use crate::results::Design;

/// The configurations in the order round `round` runs them: each round
/// starts one further along, so no candidate always runs right after the
/// baseline, or always last, when the machine is at its warmest.
pub(super) fn round_order(arms: usize, round: u32) -> impl Iterator<Item = usize> {
    let start = (round as usize - 1) % arms.max(1);
    (0..arms).map(move |i| (start + i) % arms)
}

/// Configurations that run their phases at the same time, in one round.
#[derive(Debug, PartialEq)]
pub(super) struct Sitting {
    pub(super) round: u32,
    /// The configurations (indexes into the results' candidates); the
    /// baseline (0) first when it sits.
    pub(super) arms: Vec<usize>,
    /// The database copy each drives (indexes into the run's copies).
    pub(super) copies: Vec<usize>,
}

impl Sitting {
    /// The configuration beside `arm`, in a duet.
    pub(super) fn partner(&self, arm: usize) -> Option<usize> {
        match self.arms.as_slice() {
            [a, b] if *a == arm => Some(*b),
            [a, b] if *b == arm => Some(*a),
            _ => None,
        }
    }
}

/// Every sitting of the run in order. Duets seat the baseline beside each
/// candidate in turn (the candidates' order rotating every round), so every
/// candidate is compared with baseline samples taken at the same moment
/// and the server carries two configurations, never seven, at once.
pub(super) fn sittings(arms: usize, rounds: u32, design: Design) -> Vec<Sitting> {
    let mut out = Vec::new();
    for round in 1..=rounds {
        match design {
            Design::Duet if arms > 1 => out.extend(round_order(arms - 1, round).map(|c| Sitting {
                round,
                arms: vec![0, c + 1],
                copies: vec![baseline_twin(arms, c + 1), c + 1],
            })),
            _ => out.extend(round_order(arms, round).map(|a| Sitting {
                round,
                arms: vec![a],
                copies: vec![a],
            })),
        }
    }
    out
}

/// The baseline copy that runs beside candidate `c` in duets: one per
/// candidate (the first is the baseline's own copy, the others follow the
/// candidates'), so each pair's writes build the same data on both sides.
/// A single baseline copy beside six candidates would take six times their
/// writes, and its reads would drift away from theirs.
pub(super) fn baseline_twin(arms: usize, c: usize) -> usize {
    if c <= 1 { 0 } else { arms + c - 2 }
}

/// How many database copies a run names: one per configuration and, in
/// duets, the baseline's twins.
pub(super) fn copy_count(arms: usize, design: Design) -> usize {
    sittings(arms, 1, design)
        .iter()
        .flat_map(|s| s.copies.iter().map(|&c| c + 1))
        .max()
        .unwrap_or(1)
}

/// The most copies a run holds at once: a sitting's (a duet's pair, or one
/// configuration's), or with `keep` (`--keep-copies`) every configuration's
/// last one, which stay until the run ends.
pub fn copies_at_once(configurations: usize, design: Design, keep: bool) -> usize {
    let seated = sittings(configurations, 1, design)
        .iter()
        .map(|s| s.copies.len())
        .max()
        .unwrap_or(1);
    if keep {
        copy_count(configurations, design).max(seated)
    } else {
        seated
    }
}

/// Whether each side of sitting `s` is its configuration's last sitting
/// of the round, in a round the run may end with (from `rounds` on): the
/// copy a configuration ends the run on, observed and (asked to) kept.
pub(super) fn last_of_run(sittings: &[Sitting], s: usize, rounds: u32) -> Vec<bool> {
    let sitting = &sittings[s];
    let later: Vec<&Sitting> = sittings[s + 1..]
        .iter()
        .take_while(|n| n.round == sitting.round)
        .collect();
    sitting
        .arms
        .iter()
        .map(|a| sitting.round >= rounds && !later.iter().any(|n| n.arms.contains(a)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duets_seat_the_baseline_beside_each_candidate_in_rotating_order() {
        let seated = |design| -> Vec<(u32, Vec<usize>)> {
            sittings(3, 2, design)
                .into_iter()
                .map(|s| (s.round, s.arms))
                .collect()
        };
        // The baseline beside candidate 2 is its twin, copy 3.
        let copies: Vec<Vec<usize>> = sittings(3, 1, Design::Duet)
            .into_iter()
            .map(|s| s.copies)
            .collect();
        assert_eq!(copies, [vec![0, 1], vec![3, 2]]);
        assert_eq!(
            seated(Design::Duet),
            [
                (1, vec![0, 1]),
                (1, vec![0, 2]),
                (2, vec![0, 2]),
                (2, vec![0, 1])
            ]
        );
        assert_eq!(
            seated(Design::Rounds),
            [
                (1, vec![0]),
                (1, vec![1]),
                (1, vec![2]),
                (2, vec![1]),
                (2, vec![2]),
                (2, vec![0])
            ]
        );
        // The baseline alone has no partner whatever the design.
        assert_eq!(sittings(1, 2, Design::Duet), sittings(1, 2, Design::Rounds));
        let duet = &sittings(3, 1, Design::Duet)[1];
        assert_eq!(
            (duet.partner(0), duet.partner(2), duet.partner(1)),
            (Some(2), Some(0), None)
        );
    }

    #[test]
    fn a_run_holds_a_pair_of_copies_at_once_and_observes_each_configuration_on_its_last() {
        // Baseline, three candidates: copies 0-3, twins 4 and 5.
        assert_eq!(copy_count(4, Design::Duet), 6);
        assert_eq!(copy_count(4, Design::Rounds), 4);
        assert_eq!(copies_at_once(4, Design::Duet, false), 2);
        assert_eq!(copies_at_once(4, Design::Rounds, false), 1);
        assert_eq!(copies_at_once(1, Design::Duet, false), 1);
        assert_eq!(copies_at_once(4, Design::Duet, true), 6);
        // Two rounds of duets (0+1, 0+2 | 0+2, 0+1): only the second round
        // observes, the baseline on its round's last sitting.
        let duets = sittings(3, 2, Design::Duet);
        let last: Vec<Vec<bool>> = (0..duets.len())
            .map(|s| last_of_run(&duets, s, 2))
            .collect();
        assert_eq!(
            last,
            [
                vec![false, false],
                vec![false, false],
                vec![false, true],
                vec![true, true]
            ]
        );
        // With a budget the run may end after any round from the first.
        let alone = sittings(2, 2, Design::Rounds);
        let last: Vec<Vec<bool>> = (0..alone.len())
            .map(|s| last_of_run(&alone, s, 1))
            .collect();
        assert_eq!(last, [[true], [true], [true], [true]]);
    }

    #[test]
    fn every_configuration_takes_every_position_once_in_as_many_rounds() {
        let orders: Vec<Vec<usize>> = (1..=3).map(|r| round_order(3, r).collect()).collect();
        assert_eq!(orders, [[0, 1, 2], [1, 2, 0], [2, 0, 1]]);
        assert_eq!(round_order(3, 4).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(round_order(1, 2).collect::<Vec<_>>(), [0]);
    }
}

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
    fn every_configuration_takes_every_position_once_in_as_many_rounds() {
        let orders: Vec<Vec<usize>> = (1..=3).map(|r| round_order(3, r).collect()).collect();
        assert_eq!(orders, [[0, 1, 2], [1, 2, 0], [2, 0, 1]]);
        assert_eq!(round_order(3, 4).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(round_order(1, 2).collect::<Vec<_>>(), [0]);
    }
}

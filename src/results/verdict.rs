//! Verdicts as results record them; how they are reached lives in
//! `compare`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a candidate compares with the baseline on one figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Faster,
    Slower,
    /// The interval lies within the noise threshold, or the ratio does.
    #[default]
    NoChange,
    /// The ratio moved past the noise threshold but the interval cannot
    /// call it: never to be read as "no change".
    Inconclusive,
}

impl Verdict {
    /// The word every report prints.
    pub fn word(self) -> &'static str {
        match self {
            Self::Faster => "faster",
            Self::Slower => "slower",
            Self::NoChange => "no change",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// How the configurations of a run share the machine.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Design {
    /// The baseline and one candidate at a time, side by side on the same
    /// server with the same requests (Bulej et al., "Duet Benchmarking",
    /// ICPE 2020): whatever else the machine does hits both sides, and
    /// each round pairs samples taken at the same moment.
    #[default]
    Duet,
    /// One configuration at a time, the order rotating every round: each
    /// has the server to itself, but the pairs of a round ran minutes apart.
    Rounds,
}

/// Which verdicts against a stored run decide the exit code.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// The app as a whole (time and work per request of the mix), the
    /// queries the scenario marks `critical`, and the thresholds: a change
    /// that makes one query slower and the app faster is a trade-off to
    /// weigh, not a failure. Judges every query where a run has no
    /// app-level figure.
    #[default]
    App,
    /// Any query's buffers per call: exact, and blind to how busy either
    /// machine was, so a nightly job gated on it does not cry wolf; but an
    /// index fails it on every table the workload writes (its upkeep).
    /// Falls back to latency when either run lacks work figures.
    Work,
    /// Any query's latency percentiles: what users feel, but across
    /// separate runs they also measure the machine.
    Latency,
    /// Any query slower, on either.
    Both,
}

/// When a difference counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Criteria {
    /// Relative changes smaller than this are noise (0.05 = 5%).
    pub noise_threshold: f64,
    /// Largest p-value that counts as significant.
    pub significance: f64,
}

impl Default for Criteria {
    fn default() -> Self {
        Self {
            noise_threshold: 0.05,
            significance: 0.05,
        }
    }
}

/// The estimated ratio candidate/baseline with its interval and verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Estimate {
    /// Geometric mean over the samples of candidate/baseline (< 1 is faster).
    pub ratio: f64,
    /// The (1 - significance) confidence interval of the ratio: Student's
    /// t over the samples' log ratios (Welch's for separate runs).
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided t-test p-value of "no difference".
    pub p_value: f64,
    /// p-value of "the change lies within the noise threshold" (two-sided
    /// scale): the verdict's own test, before correction.
    #[serde(default = "certain")]
    pub p_beyond: f64,
    /// `p_beyond` after Holm's correction over every verdict of its family
    /// in the run; a change is called only below the significance.
    #[serde(default = "certain")]
    pub p_adjusted: f64,
    /// Samples the interval is drawn from: rounds, or a duet's seconds.
    #[serde(default)]
    pub samples: u32,
    /// Standard error of the log ratio.
    #[serde(default)]
    pub log_se: f64,
    /// Degrees of freedom of the t interval.
    #[serde(default)]
    pub df: f64,
    /// The smallest slowdown this comparison could have called after the
    /// correction (its minimum detectable effect); none when undecidable.
    #[serde(default)]
    pub detectable: Option<f64>,
    pub verdict: Verdict,
}

/// Fewer samples than this never decide a verdict: two cannot show how
/// much samples vary.
pub const MIN_SAMPLES: u32 = 3;

impl Estimate {
    /// Whether the samples could call a change at all.
    pub fn decidable(&self) -> bool {
        self.samples >= MIN_SAMPLES
    }

    /// `1.23x [1.10-1.40]`, or the ratio alone where too few samples leave
    /// no interval worth printing; a ratio below 0.1 as how many times
    /// faster, `378x faster [310-460x]`, rather than a `0.00x` that hides it.
    pub fn ratio_text(&self) -> String {
        if self.ratio > 0.0 && self.ratio < 0.1 {
            let times = |r: f64| significant(1.0 / r);
            return if self.decidable() {
                format!(
                    "{}x faster [{}-{}x]",
                    times(self.ratio),
                    times(self.ci_high),
                    times(self.ci_low)
                )
            } else {
                format!("{}x faster [too few samples]", times(self.ratio))
            };
        }
        if self.decidable() {
            format!(
                "{:.2}x [{:.2}-{:.2}]",
                self.ratio, self.ci_low, self.ci_high
            )
        } else {
            format!("{:.2}x [too few samples]", self.ratio)
        }
    }
}

/// At least two significant digits: `378`, `14`, `9.6`.
fn significant(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Files written before corrected verdicts carry no p-value of their own.
fn certain() -> f64 {
    1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_below_a_tenth_say_how_many_times_faster() {
        let e = |ratio: f64, ci_low: f64, ci_high: f64, samples: u32| Estimate {
            ratio,
            ci_low,
            ci_high,
            samples,
            ..Estimate::default()
        };
        assert_eq!(
            e(1.0 / 378.0, 1.0 / 460.0, 1.0 / 310.0, 3).ratio_text(),
            "378x faster [310-460x]"
        );
        assert_eq!(
            e(0.07, 0.05, 0.09, 1).ratio_text(),
            "14x faster [too few samples]"
        );
        assert_eq!(e(0.85, 0.75, 0.92, 9).ratio_text(), "0.85x [0.75-0.92]");
        assert_eq!(e(0.12, 0.05, 0.2, 9).ratio_text(), "0.12x [0.05-0.20]");
    }
}

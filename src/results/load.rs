//! How a load was driven, as the results record it: the scenario reads
//! these same types, so a phase's mode never travels as text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How statements travel, as pgbench's `-M` names them.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Text query with literals inlined; one round trip, no plan reuse.
    Simple,
    /// Parse/bind/execute each time, unnamed statement.
    Extended,
    /// Prepared once per connection, then bind/execute.
    #[default]
    Prepared,
}

/// Arrival process of an open-loop phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    Uniform,
    #[default]
    Poisson,
}

/// Whether a phase's clients wait for each answer or requests arrive on
/// a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadMode {
    /// Each client sends its next request when the last one answered.
    Closed,
    /// Requests arrive at a fixed rate whatever the answers take.
    Open,
}

/// Lower-case names, as the scenario file and results.json spell them.
macro_rules! display_as_serialized {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let text = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
                f.pad(text.as_str().ok_or(std::fmt::Error)?)
            }
        }
    )*};
}

display_as_serialized!(
    Protocol,
    Arrivals,
    LoadMode,
    super::Design,
    super::Gate,
    super::capacity::Growth,
    super::LintLevel
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_print_as_results_json_spells_them() {
        assert_eq!(Protocol::Prepared.to_string(), "prepared");
        assert_eq!(Arrivals::Poisson.to_string(), "poisson");
        assert_eq!(LoadMode::Closed.to_string(), "closed");
        let json = serde_json::to_string(&[LoadMode::Open]).expect("json");
        assert_eq!(json, r#"["open"]"#);
    }
}

/// What driving a phase cost the load generator itself: its driver
/// threads' CPU, and how much of the phase they were busy, on a CPU or
/// waiting for one (Linux's per-thread schedstat). A thread that waits for
/// the database is idle; one busy all the time could not send faster, so
/// the phase measured the generator, not the database.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GeneratorLoad {
    pub threads: u32,
    /// CPU seconds of the driver threads together.
    pub cpu_s: f64,
    /// Busy time (on a CPU, or runnable and waiting for one) over the
    /// threads' wall time: 1.0 is saturated.
    pub busy: f64,
}

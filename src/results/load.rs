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

/// How a phase offers load: one description from the scenario (its
/// `rate`, present or not) through the engine to results and reports, so
/// a new kind of phase is a new variant the compiler walks everyone to.
/// Results files keep their flat `mode`, `clients`, `rate` and `arrivals`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "OfferedFields", try_from = "OfferedFields")]
pub enum Offered {
    /// `clients` connections, each sending its next request when the last
    /// one answered.
    Closed { clients: u32 },
    /// `rate` arrivals per second whatever the answers take, served by up
    /// to `workers` connections.
    Open {
        rate: f64,
        arrivals: Arrivals,
        workers: u32,
    },
}

impl Offered {
    pub fn mode(self) -> LoadMode {
        match self {
            Self::Closed { .. } => LoadMode::Closed,
            Self::Open { .. } => LoadMode::Open,
        }
    }

    /// Connections the phase opens: its clients, or its worker cap.
    pub fn connections(self) -> u32 {
        match self {
            Self::Closed { clients } => clients,
            Self::Open { workers, .. } => workers,
        }
    }

    /// Arrivals per second of an open-loop phase.
    pub fn rate(self) -> Option<f64> {
        match self {
            Self::Closed { .. } => None,
            Self::Open { rate, .. } => Some(rate),
        }
    }

    /// One shard's share: shards add up to the whole.
    pub fn share(self, shard: super::Shard) -> Self {
        let connections = shard.clients(self.connections()).len() as u32;
        match self {
            Self::Closed { .. } => Self::Closed {
                clients: connections,
            },
            Self::Open { rate, arrivals, .. } => Self::Open {
                rate: rate / f64::from(shard.count.max(1)),
                arrivals,
                workers: connections,
            },
        }
    }

    /// Two shards' shares of one phase added up.
    pub fn together(self, other: Self) -> Self {
        match (self, other) {
            (
                Self::Open {
                    rate,
                    arrivals,
                    workers,
                },
                Self::Open {
                    rate: more,
                    workers: others,
                    ..
                },
            ) => Self::Open {
                rate: rate + more,
                arrivals,
                workers: workers + others,
            },
            (a, b) => Self::Closed {
                clients: a.connections() + b.connections(),
            },
        }
    }
}

/// `8 clients`, or `200 req/s, up to 8 connections`.
impl std::fmt::Display for Offered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Closed { clients } => write!(f, "{clients} clients"),
            Self::Open { rate, workers, .. } => {
                write!(f, "{rate} req/s, up to {workers} connections")
            }
        }
    }
}

// How results files spell an `Offered` (a plain comment: a doc comment
// would become the description of every struct that flattens it).
#[derive(Serialize, Deserialize, JsonSchema)]
struct OfferedFields {
    mode: LoadMode,
    /// Closed loop: concurrent clients; open loop: the worker cap.
    clients: u32,
    /// Open loop: target arrivals per second.
    rate: Option<f64>,
    arrivals: Option<Arrivals>,
}

impl From<Offered> for OfferedFields {
    fn from(o: Offered) -> Self {
        match o {
            Offered::Closed { clients } => Self {
                mode: LoadMode::Closed,
                clients,
                rate: None,
                arrivals: None,
            },
            Offered::Open {
                rate,
                arrivals,
                workers,
            } => Self {
                mode: LoadMode::Open,
                clients: workers,
                rate: Some(rate),
                arrivals: Some(arrivals),
            },
        }
    }
}

impl TryFrom<OfferedFields> for Offered {
    type Error = String;

    fn try_from(f: OfferedFields) -> Result<Self, String> {
        match (f.mode, f.rate) {
            (LoadMode::Closed, _) => Ok(Self::Closed { clients: f.clients }),
            (LoadMode::Open, Some(rate)) => Ok(Self::Open {
                rate,
                arrivals: f.arrivals.unwrap_or_default(),
                workers: f.clients,
            }),
            (LoadMode::Open, None) => Err("an open-loop phase without its `rate`".to_owned()),
        }
    }
}

impl JsonSchema for Offered {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        OfferedFields::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        OfferedFields::json_schema(generator)
    }
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

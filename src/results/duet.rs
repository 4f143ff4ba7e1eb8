//! A duet's seconds as results.json keeps them: both sides' latencies of
//! each query, second by second, so verdicts can be recomputed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Latencies of one second: (µs, requests) per recorded histogram value.
/// Stored as text, `"412 530*2 611"`: nearly every request of a second has
/// a value of its own, and nested JSON arrays made results.json ten times
/// the size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded(pub Vec<(u64, u64)>);

impl Serialize for Recorded {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let words: Vec<String> = self
            .0
            .iter()
            .map(|&(v, n)| {
                if n == 1 {
                    v.to_string()
                } else {
                    format!("{v}*{n}")
                }
            })
            .collect();
        serializer.serialize_str(&words.join(" "))
    }
}

impl<'de> Deserialize<'de> for Recorded {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let parse = |word: &str| -> Option<(u64, u64)> {
            let (v, n) = word.split_once('*').unwrap_or((word, "1"));
            Some((v.parse().ok()?, n.parse().ok()?))
        };
        text.split_whitespace()
            .map(parse)
            .collect::<Option<Vec<_>>>()
            .map(Self)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "expected latencies as \"µs µs*count ...\", got {text:?}"
                ))
            })
    }
}

/// One query in one phase of a duet, second by second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DuetSeconds {
    pub round: u32,
    pub phase: String,
    pub query: String,
    /// In time order; seconds without a request on either side left out.
    pub seconds: Vec<SecondPair>,
}

/// Both sides of a duet in the same second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecondPair {
    /// Seconds since the run started (since the board's epoch on every
    /// shard of a sharded run, so shards' seconds add up).
    #[serde(default)]
    pub second: u64,
    #[schemars(with = "String")]
    pub baseline: Recorded,
    #[schemars(with = "String")]
    pub candidate: Recorded,
}

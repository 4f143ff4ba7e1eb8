//! How a column's values are made: the generators a scenario's tables and
//! queries name (`{ gen = "uuid" }`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::scenario::units::{Length, Moment};

/// How one column's value is produced for each row.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "gen", rename_all = "snake_case", deny_unknown_fields)]
pub enum Generator {
    /// The row's own deterministic UUID, derived from (seed, table, row).
    Uuid {},
    /// A column of an ancestor row (`per` chain), e.g. `stories.user_id`.
    Ref {
        column: String,
    },
    /// The column of another row of an ancestor table: the k-th row after
    /// this row's own ancestor, k its position under its parent (1, 2...),
    /// so a row never names its own ancestor and no two rows under one
    /// parent name the same one (a user's follows).
    Other {
        column: String,
    },
    /// A column of a random row of another table under the same ancestor,
    /// e.g. one of the same user's characters (NULL when there is none);
    /// without `within`, of any row of that table (a lookup table, a
    /// self-reference).
    Pick {
        column: String,
        within: Option<String>,
    },
    /// The sum of a column over this row's child rows (a ledger balance).
    Sum {
        column: String,
    },
    /// One generator for the first row under each parent, another for the rest.
    First {
        first: Box<Generator>,
        rest: Box<Generator>,
    },
    /// The row's 1-based position under its parent (segment numbers).
    Position {},
    /// The row's 1-based number in its table: what an identity or serial
    /// key holds (the sequence is moved past it after seeding).
    Serial {},
    /// A generator chosen by the text value of another column of this row or
    /// an ancestor (`kind = "purchase"` gives a positive amount).
    Case {
        column: String,
        cases: BTreeMap<String, Generator>,
        default: Option<Box<Generator>>,
    },
    /// One of several generators, chosen with the given weights.
    OneOf {
        of: Vec<Generator>,
        #[serde(default)]
        weights: Vec<f64>,
    },
    /// NULL with probability `p`, otherwise the inner generator.
    Nullable {
        p: f64,
        of: Box<Generator>,
    },
    Name {},
    FirstName {},
    /// A unique, realistic e-mail address.
    Email {},
    /// A unique handle of `min_len` to `max_len` lowercase letters and
    /// digits (a username, a slug, a short code): a name's letters, then
    /// the row's number in base 36 at a fixed width, which keeps rows apart.
    Handle {
        min_len: u32,
        max_len: u32,
        /// Capital letters (a `^[A-Z0-9]{6,10}$` record number).
        #[serde(default)]
        upper: bool,
    },
    /// Capitalised words, like a story title.
    Title {
        #[serde(default = "two")]
        min_words: u32,
        #[serde(default = "six")]
        max_words: u32,
    },
    Sentence {
        #[serde(default = "four")]
        min_words: u32,
        #[serde(default = "twelve")]
        max_words: u32,
    },
    Paragraph {
        #[serde(default = "two")]
        min_sentences: u32,
        #[serde(default = "six")]
        max_sentences: u32,
    },
    /// `prefix` + a random path segment + `suffix`.
    Url {
        prefix: String,
        #[serde(default)]
        suffix: String,
    },
    Int {
        min: i64,
        max: i64,
    },
    /// A fixed-point number with `scale` decimal places.
    Decimal {
        min: f64,
        max: f64,
        #[serde(default = "two")]
        scale: u32,
    },
    /// One of `values`, chosen with the given `weights` (equal if left out).
    Enum {
        values: Vec<String>,
        #[serde(default)]
        weights: Vec<f64>,
    },
    Bool {
        p: f64,
    },
    /// A timestamp in [from, to); `growth` > 0 makes recent times more
    /// common, as in an app whose traffic grows (growth = ln(last/first rate)).
    Timestamp {
        from: Moment,
        to: Moment,
        #[serde(default)]
        growth: f64,
    },
    /// An ancestor's (or this row's) timestamp plus a uniform delay between
    /// `min` and `max` ("3h", "30d").
    After {
        column: String,
        #[serde(default)]
        min: Length,
        max: Length,
    },
    /// An array of `min` to `max` values of `of` (a `text[]` of tags).
    List {
        of: Box<Generator>,
        #[serde(default)]
        min: u32,
        max: u32,
    },
    /// A JSON object whose fields are generators.
    Json {
        fields: BTreeMap<String, Generator>,
    },
    /// The same value on every row.
    Const {
        value: toml::Value,
    },
}

fn two() -> u32 {
    2
}
fn four() -> u32 {
    4
}
fn six() -> u32 {
    6
}
fn twelve() -> u32 {
    12
}

impl std::hash::Hash for Generator {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        format!("{self:?}").hash(state);
    }
}

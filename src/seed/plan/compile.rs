//! Scenario generators compiled into the plan's own form, column references
//! resolved to table and column indexes.

use super::{DataPlan, Gen, Growth};
use crate::scenario::spec::Generator;
use crate::scenario::units::Length;
use crate::scenario::validate::split_column;
use crate::seed::value::Value;

impl DataPlan {
    /// Compiles a generator that needs no row (validated as such), for
    /// query parameters.
    /// A query parameter's generator, once every table is planned: a pick
    /// of any row finds its column among the planned ones.
    pub fn compile_free(&self, g: &Generator) -> Gen {
        self.compile(g, &|table, column| {
            self.by_name
                .get(table)
                .and_then(|&t| self.column_index(t, column))
                .unwrap_or(0)
        })
    }

    fn resolve(
        &self,
        qualified: &str,
        column_index: &dyn Fn(&str, &str) -> usize,
    ) -> (usize, usize) {
        let (table, column) = split_column(qualified).expect("validated column reference");
        (self.by_name[table], column_index(table, column))
    }

    /// A scenario's generator resolved against the plan (tables and
    /// columns by index). Long on purpose: one arm per generator kind, in
    /// the order validation checks them and `eval` evaluates them.
    pub(super) fn compile(&self, g: &Generator, ci: &dyn Fn(&str, &str) -> usize) -> Gen {
        match g {
            Generator::Uuid {} => Gen::Uuid,
            Generator::Ref { column } => {
                let (table, column) = self.resolve(column, ci);
                Gen::Ref { table, column }
            }
            Generator::Other { column } => {
                let (table, column) = self.resolve(column, ci);
                Gen::Other { table, column }
            }
            Generator::Pick { column, within } => {
                let (table, column) = self.resolve(column, ci);
                Gen::Pick {
                    table,
                    column,
                    within: within.as_ref().map(|w| self.by_name[w]),
                }
            }
            Generator::Sum { column } => {
                let (table, column) = self.resolve(column, ci);
                Gen::Sum { table, column }
            }
            Generator::After { column, min, max } => {
                let (table, column) = self.resolve(column, ci);
                let micros = |d: &Length| i64::try_from(d.0.as_micros()).unwrap_or(i64::MAX);
                Gen::After {
                    table,
                    column,
                    min: micros(min),
                    max: micros(max),
                }
            }
            Generator::First { first, rest } => Gen::First {
                first: Box::new(self.compile(first, ci)),
                rest: Box::new(self.compile(rest, ci)),
            },
            Generator::Position {} => Gen::Position,
            Generator::Serial {} => Gen::Serial,
            Generator::Case {
                column,
                cases,
                default,
            } => {
                let (table, column) = self.resolve(column, ci);
                Gen::Case {
                    table,
                    column,
                    cases: cases
                        .iter()
                        .map(|(k, g)| (k.clone(), self.compile(g, ci)))
                        .collect(),
                    default: default.as_ref().map(|d| Box::new(self.compile(d, ci))),
                }
            }
            Generator::OneOf { of, weights } => Gen::OneOf {
                of: of.iter().map(|g| self.compile(g, ci)).collect(),
                cumulative: cumulative(weights, of.len()),
            },
            Generator::Nullable { p, of } => Gen::Nullable {
                p: *p,
                of: Box::new(self.compile(of, ci)),
            },
            Generator::List { of, min, max } => Gen::List {
                of: Box::new(self.compile(of, ci)),
                lo: *min,
                hi: *max,
            },
            Generator::Name {} => Gen::Name,
            Generator::FirstName {} => Gen::FirstName,
            Generator::Email {} => Gen::Email,
            Generator::Handle {
                min_len,
                max_len,
                upper,
            } => Gen::Handle {
                lo: *min_len as usize,
                hi: *max_len as usize,
                upper: *upper,
            },
            Generator::Title {
                min_words,
                max_words,
            } => Gen::Title {
                lo: *min_words as usize,
                hi: *max_words as usize,
            },
            Generator::Sentence {
                min_words,
                max_words,
            } => Gen::Sentence {
                lo: *min_words as usize,
                hi: *max_words as usize,
            },
            Generator::Paragraph {
                min_sentences,
                max_sentences,
            } => Gen::Paragraph {
                lo: *min_sentences as usize,
                hi: *max_sentences as usize,
            },
            Generator::Url { prefix, suffix } => Gen::Url {
                prefix: prefix.clone(),
                suffix: suffix.clone(),
            },
            Generator::Int { min, max } => Gen::Int {
                min: *min,
                max: *max,
            },
            Generator::Decimal { min, max, scale } => {
                let factor = 10f64.powi(*scale as i32);
                Gen::Decimal {
                    min: (min * factor).round() as i64,
                    max: (max * factor).round() as i64,
                    scale: *scale,
                }
            }
            Generator::Enum { values, weights } => Gen::Enum {
                values: values.clone(),
                cumulative: cumulative(weights, values.len()),
            },
            Generator::Bool { p } => Gen::Bool { p: *p },
            Generator::Timestamp { from, to, growth } => Gen::Timestamp {
                from: from.0,
                span: to.0 - from.0,
                growth: Growth::new(*growth),
            },
            Generator::Json { fields } => Gen::Json {
                fields: fields
                    .iter()
                    .map(|(k, g)| (k.clone(), self.compile(g, ci)))
                    .collect(),
            },
            Generator::Const { value } => Gen::Const(match value {
                toml::Value::String(s) => Value::Text(s.clone()),
                toml::Value::Integer(i) => Value::Int(*i),
                toml::Value::Float(f) => Value::Float(*f),
                toml::Value::Boolean(b) => Value::Bool(*b),
                _ => Value::Null,
            }),
        }
    }
}

/// Cumulative probabilities of `n` choices (equal when no weights are given).
fn cumulative(weights: &[f64], n: usize) -> Vec<f64> {
    let weights: Vec<f64> = if weights.is_empty() {
        vec![1.0; n]
    } else {
        weights.to_vec()
    };
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .scan(0.0, |acc, w| {
            *acc += w / total;
            Some(*acc)
        })
        .collect()
}

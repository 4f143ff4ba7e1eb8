//! The data plan: how many rows every table has, which parent row each row
//! belongs to, and how to compute any cell from (seed, table, column, row).
//!
//! Only per-parent row offsets are held in memory (one integer per parent
//! row); ids and other values are recomputed on demand, which is what lets a
//! child row find its parent's id, or a balance sum its ledger, without a
//! lookup table.

use std::collections::HashMap;

use fake::Fake;
use fake::faker::internet::en::FreeEmailProvider;
use fake::faker::lorem::en::{Paragraph, Sentence, Words};
use fake::faker::name::en::{FirstName, LastName, Name};
use rand::RngExt;
use rust_decimal::Decimal;

use super::dist::Dist;
use super::rng::{CellRng, cell_rng, combine, name_key};
use super::value::Value;
use crate::scenario::spec::{Generator, ScenarioSpec};
use crate::scenario::units::{parse_duration, parse_instant};
use crate::scenario::validate::split_column;

/// Key of the per-parent row-count draws, apart from any column's key.
const COUNT_KEY: u64 = 0xC0_07;

/// A compiled column generator with references resolved to indices.
#[derive(Debug, Clone)]
pub enum Gen {
    Uuid,
    Ref {
        table: usize,
        column: usize,
    },
    Pick {
        table: usize,
        column: usize,
        within: usize,
    },
    Sum {
        table: usize,
        column: usize,
    },
    First {
        first: Box<Gen>,
        rest: Box<Gen>,
    },
    Position,
    Case {
        table: usize,
        column: usize,
        cases: Vec<(String, Gen)>,
        default: Option<Box<Gen>>,
    },
    OneOf {
        of: Vec<Gen>,
        cumulative: Vec<f64>,
    },
    Nullable {
        p: f64,
        of: Box<Gen>,
    },
    Name,
    FirstName,
    Email,
    Title {
        lo: usize,
        hi: usize,
    },
    Sentence {
        lo: usize,
        hi: usize,
    },
    Paragraph {
        lo: usize,
        hi: usize,
    },
    Url {
        prefix: String,
        suffix: String,
    },
    Int {
        min: i64,
        max: i64,
    },
    Decimal {
        min: i64,
        max: i64,
        scale: u32,
    },
    Enum {
        values: Vec<String>,
        cumulative: Vec<f64>,
    },
    Bool {
        p: f64,
    },
    Timestamp {
        from: i64,
        span: i64,
        growth: f64,
    },
    After {
        table: usize,
        column: usize,
        min: i64,
        max: i64,
    },
    Json {
        fields: Vec<(String, Gen)>,
    },
    Const(Value),
}

/// One generated column.
#[derive(Debug, Clone)]
pub struct ColumnPlan {
    pub name: String,
    key: u64,
    pub generator: Gen,
}

/// One table: its rows and, for child tables, which parent row owns which.
#[derive(Debug, Clone)]
pub struct TablePlan {
    pub name: String,
    key: u64,
    pub parent: Option<usize>,
    /// Rows under parent row p are `offsets[p]..offsets[p + 1]`; a root
    /// table has the single range `[0, rows]`.
    offsets: Vec<u64>,
    pub columns: Vec<ColumnPlan>,
}

impl TablePlan {
    pub fn rows(&self) -> u64 {
        self.offsets.last().copied().unwrap_or(0)
    }
}

/// Every table of a scenario, ready to generate.
#[derive(Debug, Clone)]
pub struct DataPlan {
    seed: u64,
    pub tables: Vec<TablePlan>,
    by_name: HashMap<String, usize>,
}

impl DataPlan {
    /// Compiles a validated scenario and draws every per-parent row count.
    pub fn new(spec: &ScenarioSpec) -> Self {
        // Parents before children, so offsets can be built in one pass.
        let mut order: Vec<&String> = spec.tables.keys().collect();
        order.sort_by_key(|name| {
            (
                crate::scenario::validate::ancestors(&spec.tables, name).len(),
                name.as_str(),
            )
        });
        let by_name: HashMap<String, usize> = order
            .iter()
            .enumerate()
            .map(|(i, n)| ((*n).clone(), i))
            .collect();
        let mut plan = DataPlan {
            seed: spec.seed,
            tables: Vec::with_capacity(order.len()),
            by_name,
        };
        let column_index = |table: &str, column: &str| -> usize {
            let t = &spec.tables[table];
            t.columns.keys().position(|c| c == column).unwrap_or(0)
        };
        for name in &order {
            let t = &spec.tables[*name];
            let key = name_key(name);
            let parent = t.per.as_ref().map(|p| plan.by_name[p]);
            let offsets = match (parent, &t.count) {
                (Some(p), Some(count)) => {
                    let dist = Dist::new(count).expect("validated distribution");
                    let parent_rows = plan.tables[p].rows();
                    let mut offsets = Vec::with_capacity(parent_rows as usize + 1);
                    let mut total = 0;
                    offsets.push(0);
                    for parent_row in 0..parent_rows {
                        total += dist.sample(&mut cell_rng(combine(&[
                            spec.seed, key, COUNT_KEY, parent_row,
                        ])));
                        offsets.push(total);
                    }
                    offsets
                }
                _ => {
                    let rows = (t.rows.unwrap_or(1) as f64 * spec.scale).round().max(1.0) as u64;
                    vec![0, rows]
                }
            };
            let columns = t
                .columns
                .iter()
                .map(|(c, g)| ColumnPlan {
                    name: c.clone(),
                    key: name_key(c),
                    generator: plan.compile(g, &column_index),
                })
                .collect();
            plan.tables.push(TablePlan {
                name: (*name).clone(),
                key,
                parent,
                offsets,
                columns,
            });
        }
        plan
    }

    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub fn column_index(&self, table: usize, column: &str) -> Option<usize> {
        self.tables[table]
            .columns
            .iter()
            .position(|c| c.name == column)
    }

    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(TablePlan::rows).sum()
    }

    /// Compiles a generator that needs no row (validated as such), for
    /// query parameters.
    pub fn compile_free(&self, g: &Generator) -> Gen {
        self.compile(g, &|_, _| 0)
    }

    fn resolve(
        &self,
        qualified: &str,
        column_index: &dyn Fn(&str, &str) -> usize,
    ) -> (usize, usize) {
        let (table, column) = split_column(qualified).expect("validated column reference");
        (self.by_name[table], column_index(table, column))
    }

    fn compile(&self, g: &Generator, ci: &dyn Fn(&str, &str) -> usize) -> Gen {
        match g {
            Generator::Uuid {} => Gen::Uuid,
            Generator::Ref { column } => {
                let (table, column) = self.resolve(column, ci);
                Gen::Ref { table, column }
            }
            Generator::Pick { column, within } => {
                let (table, column) = self.resolve(column, ci);
                Gen::Pick {
                    table,
                    column,
                    within: self.by_name[within],
                }
            }
            Generator::Sum { column } => {
                let (table, column) = self.resolve(column, ci);
                Gen::Sum { table, column }
            }
            Generator::After { column, min, max } => {
                let (table, column) = self.resolve(column, ci);
                let micros = |d: &str| parse_duration(d).map_or(0, |d| d.as_micros() as i64);
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
            Generator::Name {} => Gen::Name,
            Generator::FirstName {} => Gen::FirstName,
            Generator::Email {} => Gen::Email,
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
            Generator::Timestamp { from, to, growth } => {
                let from = parse_instant(from).unwrap_or(0);
                let to = parse_instant(to).unwrap_or(from + 1);
                Gen::Timestamp {
                    from,
                    span: to - from,
                    growth: *growth,
                }
            }
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

    /// The parent row that owns `row` of `table`.
    fn parent_row(&self, table: usize, row: u64) -> u64 {
        let offsets = &self.tables[table].offsets;
        (offsets.partition_point(|&o| o <= row) - 1) as u64
    }

    /// The row of ancestor table `target` that `row` of `table` descends from.
    pub fn ancestor_row(&self, mut table: usize, mut row: u64, target: usize) -> u64 {
        while table != target {
            row = self.parent_row(table, row);
            match self.tables[table].parent {
                Some(p) => table = p,
                None => break,
            }
        }
        row
    }

    /// Rows of `table` under row `row` of its ancestor `ancestor`: contiguous,
    /// because children are numbered parent by parent.
    pub fn rows_under(&self, table: usize, ancestor: usize, row: u64) -> (u64, u64) {
        if table == ancestor {
            return (row, row + 1);
        }
        let Some(parent) = self.tables[table].parent else {
            return (0, 0);
        };
        let (a, b) = self.rows_under(parent, ancestor, row);
        let offsets = &self.tables[table].offsets;
        (offsets[a as usize], offsets[b as usize])
    }

    /// 0-based position of a row among its parent's rows.
    fn position(&self, table: usize, row: u64) -> u64 {
        let t = &self.tables[table];
        match t.parent {
            Some(_) => row - t.offsets[self.parent_row(table, row) as usize],
            None => row,
        }
    }

    /// The value of one cell.
    pub fn value(&self, table: usize, column: usize, row: u64) -> Value {
        let t = &self.tables[table];
        let c = &t.columns[column];
        let mut rng = cell_rng(combine(&[self.seed, t.key, c.key, row]));
        self.eval(table, row, &c.generator, &mut rng)
    }

    /// Evaluates a generator that needs no row (query parameters).
    pub fn fresh(&self, g: &Gen, rng: &mut CellRng) -> Value {
        self.eval(0, rng.random(), g, rng)
    }

    fn eval(&self, table: usize, row: u64, g: &Gen, rng: &mut CellRng) -> Value {
        match g {
            Gen::Uuid => {
                let t = &self.tables[table];
                let key = combine(&[self.seed, t.key, row]);
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&super::rng::mix(key).to_le_bytes());
                bytes[8..].copy_from_slice(&super::rng::mix(key ^ 0x1D).to_le_bytes());
                Value::Uuid(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }
            Gen::Ref {
                table: target,
                column,
            } => self.value(*target, *column, self.ancestor_row(table, row, *target)),
            Gen::Pick {
                table: target,
                column,
                within,
            } => {
                let owner = self.ancestor_row(table, row, *within);
                let (a, b) = self.rows_under(*target, *within, owner);
                if a == b {
                    Value::Null
                } else {
                    self.value(*target, *column, rng.random_range(a..b))
                }
            }
            Gen::Sum {
                table: child,
                column,
            } => {
                let offsets = &self.tables[*child].offsets;
                let (a, b) = (offsets[row as usize], offsets[row as usize + 1]);
                let mut total = Decimal::ZERO;
                let mut integral = true;
                for r in a..b {
                    match self.value(*child, *column, r) {
                        Value::Int(i) => total += Decimal::from(i),
                        Value::Decimal(d) => {
                            integral = false;
                            total += d;
                        }
                        _ => {}
                    }
                }
                match i64::try_from(total) {
                    Ok(i) if integral => Value::Int(i),
                    _ => Value::Decimal(total),
                }
            }
            Gen::First { first, rest } => {
                let chosen = if self.position(table, row) == 0 {
                    first
                } else {
                    rest
                };
                self.eval(table, row, chosen, rng)
            }
            Gen::Position => Value::Int(self.position(table, row) as i64 + 1),
            Gen::Case {
                table: target,
                column,
                cases,
                default,
            } => {
                let key = match self.value(*target, *column, self.ancestor_row(table, row, *target))
                {
                    Value::Text(t) => t,
                    other => other.to_json().to_string(),
                };
                match cases
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, g)| g)
                    .or(default.as_deref())
                {
                    Some(g) => self.eval(table, row, g, rng),
                    None => Value::Null,
                }
            }
            Gen::OneOf { of, cumulative } => {
                self.eval(table, row, &of[choose(cumulative, rng)], rng)
            }
            Gen::Nullable { p, of } => {
                if rng.random_bool(*p) {
                    Value::Null
                } else {
                    self.eval(table, row, of, rng)
                }
            }
            Gen::Name => Value::Text(Name().fake_with_rng(rng)),
            Gen::FirstName => Value::Text(FirstName().fake_with_rng(rng)),
            Gen::Email => {
                let first: String = FirstName().fake_with_rng(rng);
                let last: String = LastName().fake_with_rng(rng);
                let domain: String = FreeEmailProvider().fake_with_rng(rng);
                let local: String = format!("{first}.{last}")
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                Value::Text(format!("{}{row}@{domain}", local.to_lowercase()))
            }
            Gen::Title { lo, hi } => {
                let words: Vec<String> = Words(*lo..*hi + 1).fake_with_rng(rng);
                Value::Text(
                    words
                        .iter()
                        .map(|w| capitalise(w))
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            }
            Gen::Sentence { lo, hi } => Value::Text(Sentence(*lo..*hi + 1).fake_with_rng(rng)),
            Gen::Paragraph { lo, hi } => Value::Text(Paragraph(*lo..*hi + 1).fake_with_rng(rng)),
            Gen::Url { prefix, suffix } => {
                let id: u64 = rng.random();
                Value::Text(format!("{prefix}{id:016x}{suffix}"))
            }
            Gen::Int { min, max } => Value::Int(rng.random_range(*min..=*max)),
            Gen::Decimal { min, max, scale } => {
                Value::Decimal(Decimal::new(rng.random_range(*min..=*max), *scale))
            }
            Gen::Enum { values, cumulative } => {
                Value::Text(values[choose(cumulative, rng)].clone())
            }
            Gen::Bool { p } => Value::Bool(rng.random_bool(*p)),
            Gen::Timestamp { from, span, growth } => {
                let u: f64 = rng.random();
                Value::Timestamp(from + (grown(u, *growth) * *span as f64) as i64)
            }
            Gen::After {
                table: target,
                column,
                min,
                max,
            } => match self.value(*target, *column, self.ancestor_row(table, row, *target)) {
                Value::Timestamp(t) => Value::Timestamp(t + rng.random_range(*min..=*max)),
                other => other,
            },
            Gen::Json { fields } => {
                let object = fields
                    .iter()
                    .map(|(k, g)| (k.clone(), self.eval(table, row, g, rng).to_json()))
                    .collect();
                Value::Json(serde_json::Value::Object(object))
            }
            Gen::Const(v) => v.clone(),
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

/// Index of a weighted choice.
fn choose(cumulative: &[f64], rng: &mut CellRng) -> usize {
    let u: f64 = rng.random();
    cumulative
        .partition_point(|c| *c <= u)
        .min(cumulative.len() - 1)
}

/// Maps a uniform draw to [0, 1) with density growing like e^(growth x):
/// the inverse of that distribution's CDF.
fn grown(u: f64, growth: f64) -> f64 {
    if growth.abs() < 1e-9 {
        u
    } else {
        ((u * growth.exp_m1()).ln_1p() / growth).clamp(0.0, 1.0 - f64::EPSILON)
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_skews_towards_recent_times() {
        let late = (0..1000)
            .filter(|i| grown(*i as f64 / 1000.0, 3.0) > 0.5)
            .count();
        assert!(
            late > 700,
            "with growth 3 most rows fall in the later half, got {late}"
        );
        assert!((grown(0.5, 0.0) - 0.5).abs() < 1e-12);
    }
}

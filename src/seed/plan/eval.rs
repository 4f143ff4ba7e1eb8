//! A cell's value: its generator evaluated with the cell's own random stream.

use fake::Fake;
use fake::faker::internet::en::FreeEmailProvider;
use fake::faker::lorem::en::{Paragraph, Word};
use fake::faker::name::en::{FirstName, LastName, Name};
use rand::RngExt;
use rust_decimal::Decimal;

use super::{DataPlan, Gen};
use crate::seed::rng::{CellRng, cell_rng, extend};
use crate::seed::value::Value;

impl DataPlan {
    /// The value of one cell.
    pub fn value(&self, table: usize, column: usize, row: u64) -> Value {
        let t = &self.tables[table];
        let c = &t.columns[column];
        let mut rng = cell_rng(extend(c.stream, row));
        self.eval(table, row, &c.generator, &mut rng)
    }

    /// Evaluates a generator that needs no row (query parameters).
    pub fn fresh(&self, g: &Gen, rng: &mut CellRng) -> Value {
        self.eval(0, rng.random(), g, rng)
    }

    /// The value of generator `g` for `row` of `table`. Long on purpose:
    /// one arm per generator kind, the hot path of seeding, dispatched in
    /// one match.
    fn eval(&self, table: usize, row: u64, g: &Gen, rng: &mut CellRng) -> Value {
        match g {
            Gen::Uuid => {
                let key = extend(self.tables[table].stream, row);
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&crate::seed::rng::mix(key).to_le_bytes());
                bytes[8..].copy_from_slice(&crate::seed::rng::mix(key ^ 0x1D).to_le_bytes());
                Value::Uuid(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }
            Gen::Ref {
                table: target,
                column,
            } => self.value(*target, *column, self.ancestor_row(table, row, *target)),
            Gen::Other {
                table: target,
                column,
            } => {
                let rows = self.tables[*target].rows().max(1);
                let own = self.ancestor_row(table, row, *target);
                let other =
                    (own + 1 + self.position(table, row) % rows.saturating_sub(1).max(1)) % rows;
                self.value(*target, *column, other)
            }
            Gen::Pick {
                table: target,
                column,
                within,
            } => {
                let (a, b) = match within {
                    Some(within) => {
                        let owner = self.ancestor_row(table, row, *within);
                        self.rows_under(*target, *within, owner)
                    }
                    None => (0, self.tables[*target].rows()),
                };
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
            Gen::Serial => Value::Int(row as i64 + 1),
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
            Gen::List { of, lo, hi } => {
                let n = rng.random_range(*lo..=*hi);
                Value::Array((0..n).map(|_| self.eval(table, row, of, rng)).collect())
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
            Gen::Handle { lo, hi, upper } => {
                let text = handle(
                    self.tables.get(table).map_or(0, super::TablePlan::rows),
                    row,
                    *lo,
                    *hi,
                    rng,
                );
                Value::Text(if *upper {
                    text.to_ascii_uppercase()
                } else {
                    text
                })
            }
            Gen::Title { lo, hi } => Value::Text(words(*lo..*hi + 1, rng, true)),
            Gen::Sentence { lo, hi } => {
                let mut text = words(*lo..*hi + 1, rng, false);
                text.push('.');
                Value::Text(text)
            }
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
                Value::Timestamp(from + (growth.apply(u) * *span as f64) as i64)
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

/// Index of a weighted choice.
fn choose(cumulative: &[f64], rng: &mut CellRng) -> usize {
    let u: f64 = rng.random();
    cumulative
        .partition_point(|c| *c <= u)
        .min(cumulative.len() - 1)
}

/// A timestamp's growth: density over its span growing like e^(rate x),
/// with e^rate - 1 worked out once, not once a cell.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    rate: f64,
    exp_m1: f64,
}

impl Growth {
    pub fn new(rate: f64) -> Self {
        Self {
            rate,
            exp_m1: rate.exp_m1(),
        }
    }

    /// Maps a uniform draw to [0, 1) with this density: the inverse of
    /// its CDF.
    fn apply(self, u: f64) -> f64 {
        if self.rate.abs() < 1e-9 {
            u
        } else {
            ((u * self.exp_m1).ln_1p() / self.rate).clamp(0.0, 1.0 - f64::EPSILON)
        }
    }
}

/// A name's letters, then `row` in base 36 at the width the table's
/// `rows` (or the row itself) need: distinct suffixes of one width keep every handle distinct.
/// At least `lo` characters (padded with the name's letters, then `x`), at
/// most `hi` (the name shortened first).
fn handle(rows: u64, row: u64, lo: usize, hi: usize, rng: &mut CellRng) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut width = 1;
    // A request's fresh value has a random row far past the table's: its
    // wider suffix keeps it apart from every seeded handle.
    while 36u64.saturating_pow(width as u32) < rows.max(row.saturating_add(1)) {
        width += 1;
    }
    let mut suffix = vec![b'0'; width];
    let mut n = row;
    for at in (0..width).rev() {
        suffix[at] = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    let name: String = FirstName().fake_with_rng::<String, _>(rng);
    let mut letters: String = name
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    while letters.len() + width < lo {
        letters.push('x');
    }
    letters.truncate(hi.saturating_sub(width));
    letters.push_str(std::str::from_utf8(&suffix).unwrap_or_default());
    letters
}

/// Lorem words, as many as `count` draws, joined by spaces into one
/// string: fake's `Words` and `Sentence` draw the same words but allocate
/// one string per word, which was a quarter of seeding's encoding time.
fn words(count: std::ops::Range<usize>, rng: &mut CellRng, capitalised: bool) -> String {
    let n: usize = count.fake_with_rng(rng);
    let mut text = String::with_capacity(n * 8);
    for i in 0..n {
        if i > 0 {
            text.push(' ');
        }
        let word: &str = Word().fake_with_rng(rng);
        let mut chars = word.chars();
        match chars.next() {
            Some(first) if capitalised => {
                text.extend(first.to_uppercase());
                text.push_str(chars.as_str());
            }
            _ => text.push_str(word),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words are fake's own draws: the same rows as its `Words` and
    /// `Sentence` gave, without a string per word.
    #[test]
    fn words_are_fakes_words_and_sentences() {
        use fake::faker::lorem::en::{Sentence, Words};
        for seed in 0..50 {
            let mut ours = cell_rng(seed);
            let mut theirs = cell_rng(seed);
            let title = words(2..7, &mut ours, true);
            let drawn: Vec<String> = Words(2..7).fake_with_rng(&mut theirs);
            let expected: Vec<String> = drawn
                .iter()
                .map(|w| w[..1].to_uppercase() + &w[1..])
                .collect();
            assert_eq!(title, expected.join(" "));
            let sentence = words(3..9, &mut ours, false) + ".";
            let theirs: String = Sentence(3..9).fake_with_rng(&mut theirs);
            assert_eq!(sentence, theirs);
        }
    }

    #[test]
    fn growth_skews_towards_recent_times() {
        let late = (0..1000)
            .filter(|i| Growth::new(3.0).apply(*i as f64 / 1000.0) > 0.5)
            .count();
        assert!(
            late > 700,
            "with growth 3 most rows fall in the later half, got {late}"
        );
        assert!((Growth::new(0.0).apply(0.5) - 0.5).abs() < 1e-12);
    }
}

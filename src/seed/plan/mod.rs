//! The data plan: how many rows every table has, which parent row each row
//! belongs to, and how to compute any cell from (seed, table, column, row).
//!
//! Only per-parent row offsets are held in memory (one integer per parent
//! row); ids and other values are recomputed on demand, which is what lets a
//! child row find its parent's id, or a balance sum its ledger, without a
//! lookup table.

mod compile;
mod eval;

pub use eval::Growth;

use std::collections::HashMap;

use super::dist::Dist;
use super::rng::{cell_rng, combine, name_key};
use super::value::Value;
use crate::scenario::spec::ScenarioSpec;

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
    Other {
        table: usize,
        column: usize,
    },
    Pick {
        table: usize,
        column: usize,
        /// None: any row of `table`.
        within: Option<usize>,
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
    Serial,
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
    List {
        of: Box<Gen>,
        lo: u32,
        hi: u32,
    },
    Name,
    FirstName,
    Email,
    Handle {
        lo: usize,
        hi: usize,
        upper: bool,
    },
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
        growth: Growth,
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
    /// `combine` of (seed, table, column): a cell's generator is this
    /// extended by its row.
    stream: u64,
    pub generator: Gen,
}

/// One table: its rows and, for child tables, which parent row owns which.
#[derive(Debug, Clone)]
pub struct TablePlan {
    pub name: String,
    /// `combine` of (seed, table): a row's UUID is this extended by its row.
    stream: u64,
    pub parent: Option<usize>,
    /// Rows under parent row p are `offsets[p]..offsets[p + 1]`; a root
    /// table has the single range `[0, rows]`.
    offsets: Vec<u64>,
    /// Where a parent search starts: `guide[b]` is the parent owning row
    /// `b << shift` (buckets about one parent's rows long). Empty for root
    /// tables and past `u32` parents, where the search spans every offset.
    guide: Vec<u32>,
    shift: u32,
    pub columns: Vec<ColumnPlan>,
    /// The column whose order the rows are loaded in (`order`).
    order: Option<usize>,
}

impl TablePlan {
    pub fn rows(&self) -> u64 {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// Whether the table loads in an `order` of its own.
    pub fn ordered(&self) -> bool {
        self.order.is_some()
    }

    /// Bytes the plan holds for this table: its offsets and guide.
    pub fn held_bytes(&self) -> u64 {
        (self.offsets.len() * 8 + self.guide.len() * 4) as u64
    }
}

/// The guide to `offsets` ([`TablePlan::guide`]) and its bucket shift:
/// buckets the average parent's rows rounded up to a power of two, so at
/// most one bucket a parent.
fn guide(offsets: &[u64]) -> (Vec<u32>, u32) {
    let rows = offsets.last().copied().unwrap_or(0);
    let parents = offsets.len().saturating_sub(1) as u64;
    if rows == 0 || parents < 2 || parents > u64::from(u32::MAX) {
        return (Vec::new(), 0);
    }
    let shift = rows.div_ceil(parents).next_power_of_two().trailing_zeros();
    let mut guide = Vec::with_capacity((rows >> shift) as usize + 1);
    let mut owner = 0;
    for start in (0..rows).step_by(1 << shift) {
        while offsets[owner + 1] <= start {
            owner += 1;
        }
        guide.push(owner as u32);
    }
    (guide, shift)
}

/// Every table of a scenario, ready to generate.
#[derive(Debug, Clone)]
pub struct DataPlan {
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
                        total += dist.count(
                            parent_row,
                            &mut cell_rng(combine(&[spec.seed, key, COUNT_KEY, parent_row])),
                        );
                        offsets.push(total);
                    }
                    offsets
                }
                _ => {
                    let rows = t.rows_at(spec.scale).unwrap_or(1.0).round().max(1.0) as u64;
                    vec![0, rows]
                }
            };
            let (guide, shift) = match parent {
                Some(_) => guide(&offsets),
                None => (Vec::new(), 0),
            };
            let columns = t
                .columns
                .iter()
                .map(|(c, g)| ColumnPlan {
                    name: c.clone(),
                    stream: combine(&[spec.seed, key, name_key(c)]),
                    generator: plan.compile(g, &column_index),
                })
                .collect();
            plan.tables.push(TablePlan {
                name: (*name).clone(),
                stream: combine(&[spec.seed, key]),
                parent,
                offsets,
                guide,
                shift,
                columns,
                order: t.order.as_deref().map(|c| column_index(name, c)),
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

    /// The parent row that owns `row` of `table`: a binary search of the
    /// offsets between the parents its bucket's guide names. Loading in
    /// `order` asks for rows out of their owners' order, and a search of
    /// every offset was 9% of the seed's client CPU.
    fn parent_row(&self, table: usize, row: u64) -> u64 {
        let t = &self.tables[table];
        let offsets = &t.offsets;
        let bucket = (row >> t.shift) as usize;
        let found = match t.guide.get(bucket) {
            Some(&lo) if row < t.rows() => {
                let lo = lo as usize;
                let hi = t
                    .guide
                    .get(bucket + 1)
                    .map_or(offsets.len() - 2, |&hi| hi as usize);
                lo + offsets[lo + 1..=hi].partition_point(|&o| o <= row)
            }
            _ => offsets.partition_point(|&o| o <= row) - 1,
        };
        found as u64
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

    /// The rows of `table` in the order they are loaded, when the table
    /// asks for one (`order`): by that column's value, NULLs last, ties by
    /// row. Rows are numbered owner by owner; this is the order an app
    /// writes them in.
    pub fn load_order(&self, table: usize) -> Option<Vec<u64>> {
        let column = self.tables[table].order?;
        let key = |row: u64| match self.value(table, column, row) {
            Value::Timestamp(t) | Value::Int(t) => t,
            _ => i64::MAX,
        };
        let mut keyed: Vec<(i64, u64)> = (0..self.tables[table].rows())
            .map(|row| (key(row), row))
            .collect();
        keyed.sort_unstable();
        Some(keyed.into_iter().map(|(_, row)| row).collect())
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
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::units::Scale;

    /// The guide never changes an answer: rows asked in order, in
    /// reverse, at random and across parents without rows all find the
    /// parent a search of every offset finds.
    #[test]
    fn parent_rows_are_the_same_in_any_order() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/taleforge/scenario.toml");
        let spec = crate::scenario::Scenario::load(&path)
            .and_then(|s| s.with_overrides(None, Some(Scale::constant(0.05))))
            .expect("taleforge")
            .spec;
        let plan = DataPlan::new(&spec);
        let mut checked = 0;
        for (table, t) in plan.tables.iter().enumerate() {
            if t.parent.is_none() {
                continue;
            }
            let rows = t.rows();
            let searched = |row: u64| (t.offsets.partition_point(|&o| o <= row) - 1) as u64;
            let random = (0..rows).map(|i| crate::seed::rng::mix(i) % rows);
            for row in (0..rows).chain((0..rows).rev()).chain(random) {
                assert_eq!(
                    plan.parent_row(table, row),
                    searched(row),
                    "{} row {row}",
                    t.name
                );
                checked += 1;
            }
        }
        assert!(checked > 100_000, "{checked}");
        // Some parents own no row (a story without a video).
        let videos = plan.table_index("story_videos").expect("story_videos");
        let offsets = &plan.tables[videos].offsets;
        assert!(offsets.windows(2).any(|w| w[0] == w[1]));
    }
}

//! Generator throughput on its own (no database): rows per second of the
//! TaleForge tables, the client-side half of seeding.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use schemabench::scenario::Scenario;
use schemabench::seed::plan::DataPlan;

const ROWS: u64 = 2_000;

fn generators(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/taleforge/scenario.toml");
    let scenario = Scenario::load(&path).expect("scenario");
    let plan = DataPlan::new(&scenario.spec);
    let mut group = c.benchmark_group("generate");
    group.throughput(Throughput::Elements(ROWS));
    for (index, table) in plan.tables.iter().enumerate() {
        let rows = ROWS.min(table.rows());
        group.bench_function(&table.name, |b| {
            b.iter(|| {
                let mut cells = 0usize;
                for row in 0..rows {
                    for column in 0..table.columns.len() {
                        cells += usize::from(
                            plan.value(index, column, row) != schemabench::seed::value::Value::Null,
                        );
                    }
                }
                cells
            })
        });
    }
    group.finish();
}

criterion_group!(benches, generators);
criterion_main!(benches);

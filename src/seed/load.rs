//! The rows loaded with COPY: chunks of every table spread over the
//! connections, each encoded as it is sent, with a bar per table (or a line
//! per table in a log).

use std::sync::Arc;

use bytes::Bytes;
use futures_util::SinkExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tokio_postgres::Client;

use super::plan::DataPlan;
use super::{LoadTarget, SeedError, chunks, encode_chunk, on_each_client};
use crate::pg::QueryContext;

pub(super) async fn load(
    clients: &[Client],
    plan: &Arc<DataPlan>,
    targets: &[LoadTarget],
    progress: bool,
) -> Result<(), SeedError> {
    let bars = progress_bars(plan, targets, progress);
    let orders: Vec<Order> = targets.iter().map(|_| Order::default()).collect();
    let jobs = chunks(plan, targets);
    // In a log without a terminal, a line as each table is complete.
    let lines = progress && !crate::progress::on_terminal();
    let started = std::time::Instant::now();
    let remaining: Vec<std::sync::atomic::AtomicUsize> = (0..targets.len())
        .map(|t| jobs.iter().filter(|(i, _)| *i == t).count().into())
        .collect();
    on_each_client(
        clients,
        jobs,
        async |client: &Client, (i, rows): (usize, std::ops::Range<u64>)| {
            let target = targets[i].clone();
            let bar = bars.get(i).cloned();
            let rows_in_table = plan.tables[target.table].rows();
            let plan = Arc::clone(plan);
            {
                let sink = client
                    .copy_in::<_, Bytes>(&target.copy_statement("stdin"))
                    .await
                    .context_db(format!("starting COPY into {}", target.name))?;
                let mut sink = std::pin::pin!(sink);
                let order = orders[i].get(&plan, target.table).await;
                let mut data = encode_chunk(plan, target.clone(), rows, order, bar);
                while let Some(buf) = data.recv().await {
                    sink.send(buf?)
                        .await
                        .context_db(format!("loading {}", target.name))?;
                }
                sink.finish()
                    .await
                    .context_db(format!("loading {}", target.name))?;
                if remaining[i].fetch_sub(1, std::sync::atomic::Ordering::Relaxed) == 1 {
                    orders[i].release().await;
                    if lines {
                        let seconds = started.elapsed().as_secs_f64();
                        crate::progress::line(format!(
                            "seeded {}: {rows_in_table} rows after {seconds:.1} s",
                            target.name
                        ));
                    }
                }
                Ok::<(), SeedError>(())
            }
        },
    )
    .await?;
    for bar in bars {
        bar.finish();
    }
    Ok(())
}

/// A table's load order ([`DataPlan::load_order`]): drawn on a blocking
/// thread by the table's first chunk, shared by the rest and let go after
/// its last, so a table or two's orders are held at a time, not every
/// table's. `None` until drawn; `Some(None)` for a table without one (or
/// let go).
#[derive(Default)]
struct Order(tokio::sync::Mutex<Option<Option<Arc<Vec<u64>>>>>);

impl Order {
    async fn get(&self, plan: &Arc<DataPlan>, table: usize) -> Option<Arc<Vec<u64>>> {
        let mut drawn = self.0.lock().await;
        if drawn.is_none() {
            let plan = Arc::clone(plan);
            let order = tokio::task::spawn_blocking(move || plan.load_order(table).map(Arc::new))
                .await
                .expect("ordering rows does not panic");
            *drawn = Some(order);
        }
        drawn.clone().flatten()
    }

    async fn release(&self) {
        *self.0.lock().await = Some(None);
    }
}

fn progress_bars(plan: &DataPlan, targets: &[LoadTarget], progress: bool) -> Vec<ProgressBar> {
    let multi = MultiProgress::new();
    if !progress {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template(
        "{prefix:>24} {bar:30.cyan/blue} {human_pos:>10}/{human_len:10} rows {rate:>14} {elapsed:>4}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            // A rate only while rows flow: a table waiting for its parent,
            // or done, has none worth reading.
            let _ = match (state.pos(), state.len()) {
                (0, _) => write!(w, "waiting"),
                (pos, Some(len)) if pos >= len => write!(w, "done"),
                _ => write!(w, "{:.0} rows/s", state.per_sec()),
            };
        },
    )
    .progress_chars("=> ");
    targets
        .iter()
        .map(|t| {
            let bar = multi.add(ProgressBar::new(plan.tables[t.table].rows()));
            bar.set_style(style.clone());
            bar.set_prefix(t.name.clone());
            bar
        })
        .collect()
}

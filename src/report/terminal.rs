//! The summary table printed at the end of a run.

use std::fmt::Write;

use super::model::{QueryResult, RunResults};

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// One table per measured phase, then the totals: count, throughput,
/// mean, p50, p95, p99, p99.9, max (ms), errors and timeouts per query.
pub fn summary(results: &RunResults) -> String {
    let mut out = String::new();
    for phase in results.phases.iter().filter(|p| !p.warmup) {
        let load = match phase.rate {
            Some(rate) => format!(
                "open loop, {rate} req/s {} arrivals, up to {} connections; late {}, dropped {}",
                phase.arrivals.as_deref().unwrap_or("poisson"),
                phase.clients,
                phase.late,
                phase.dropped
            ),
            None => format!("closed loop, {} clients", phase.clients),
        };
        let _ = writeln!(
            out,
            "\nphase {} ({load}): {} requests in {:.1} s, {:.1} req/s",
            phase.name, phase.requests, phase.elapsed_s, phase.throughput
        );
        table(&mut out, &phase.queries);
    }
    if results.phases.iter().filter(|p| !p.warmup).count() > 1 {
        let _ = writeln!(out, "\nall measured phases:");
        table(&mut out, &results.queries);
    }
    out
}

fn table(out: &mut String, queries: &[QueryResult]) {
    let _ = writeln!(
        out,
        "{:<22} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>7} {:>8}",
        "query (ms)",
        "count",
        "req/s",
        "mean",
        "p50",
        "p95",
        "p99",
        "p99.9",
        "max",
        "errors",
        "timeouts"
    );
    for q in queries {
        let _ = writeln!(
            out,
            "{:<22} {:>8} {:>9.1} {:>8.2} {:>8} {:>8} {:>8} {:>9} {:>9} {:>7} {:>8}",
            q.name,
            q.count,
            q.throughput,
            q.latency.mean / 1000.0,
            ms(q.latency.p50),
            ms(q.latency.p95),
            ms(q.latency.p99),
            ms(q.latency.p999),
            ms(q.latency.max),
            q.errors,
            q.timeouts
        );
    }
    let errors: Vec<String> = queries
        .iter()
        .flat_map(|q| {
            q.errors_by_sqlstate
                .iter()
                .map(move |(code, e)| format!("  {} {code} x{}: {}", q.name, e.count, e.sample))
        })
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "errors by SQLSTATE:\n{}", errors.join("\n"));
    }
}

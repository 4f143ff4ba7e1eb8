//! Capacity planning: how far a configuration scales, in load and in data,
//! before it breaks its objectives. Every measurement is an ordinary run of
//! the scenario's workload (`pipeline::run`) with generated phases, so it
//! measures exactly as `run` does: as real users, open loop without
//! coordinated omission.

mod crossover;
pub mod growth;
pub mod search;
pub mod usl;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::gate::threshold::Figures;
use crate::pg::Server;
use crate::pipeline::{self, RunError, RunOptions};
use crate::results::capacity::{CAPACITY_VERSION, CapacityResults, Probe, QueryGrowth, SweepPoint};
use crate::results::limit::{self, Limit, Metric};
use crate::results::{PhaseResult, QueryResult, RunResults, Shard};
use crate::scenario::Scenario;
use crate::scenario::units::Length;
use crate::scenario::workload::{Arrivals, LoadSpec, PhaseSpec};
use crossover::crossovers;
use growth::{growth_of, objective_figure};
use search::RateSearch;

/// A probe meets its rate only if it served at least this share of it:
/// an arrival never served is a user turned away, and a rate that turns
/// away one in ten is not held.
const SERVED_SHARE: f64 = 0.99;

/// What to sweep and search.
#[derive(Debug, Clone)]
pub struct CapacityOptions {
    /// Closed-loop client counts of the concurrency sweep.
    pub clients: Vec<u32>,
    /// Length of every sweep step, rate probe and growth measurement.
    pub step: Duration,
    /// Unmeasured warmup before each of them.
    pub warmup: Duration,
    /// Open-loop worker cap of the rate probes.
    pub workers: u32,
    /// Limits on all queries together (`p99 < 50ms`).
    pub objectives: Vec<Limit>,
    /// Most rate probes of the search.
    pub max_probes: usize,
    /// Data scales to measure, as multiples of the scenario's scale.
    pub growth: Vec<f64>,
    /// Closed-loop clients of the growth measurements.
    pub growth_clients: u32,
    /// The scale (a multiple of the scenario's) to project latencies to.
    pub project: f64,
    /// Candidates measured beside the baseline at every growth scale.
    pub crossover: Vec<String>,
    /// The largest scale a growth run fits on this machine, where known.
    pub largest_scale: Option<f64>,
    pub out: PathBuf,
    pub progress: bool,
    /// This process's share of every measurement's load.
    pub shard: Shard,
}

fn phase(name: &str, warmup: bool, length: Duration, clients: u32, rate: Option<f64>) -> PhaseSpec {
    PhaseSpec {
        name: name.to_owned(),
        warmup,
        duration: Some(Length(length.max(Duration::from_millis(1)))),
        transactions: None,
        clients: clients.max(1),
        rate,
        arrivals: Arrivals::Poisson,
    }
}

/// One ordinary run of the workload with these phases, of the baseline
/// and `candidates` (side by side in duets; none: the baseline alone);
/// sharded, the whole run every shard drove.
async fn measure(
    server: &Server,
    scenario: &Scenario,
    phases: Vec<PhaseSpec>,
    (out, candidates): (PathBuf, &[String]),
    options: &CapacityOptions,
) -> Result<RunResults, RunError> {
    let mut scenario = scenario.clone();
    let protocol = scenario
        .spec
        .load
        .as_ref()
        .map(|l| l.protocol)
        .unwrap_or_default();
    scenario.spec.load = Some(LoadSpec { protocol, phases });
    if candidates.is_empty() {
        scenario.spec.candidates.clear();
    }
    scenario.thresholds.clear();
    let run = RunOptions {
        out: Some(out),
        progress: options.progress,
        rounds: Some(1),
        only: Some(candidates.to_vec()),
        shard: options.shard,
        share: true,
        ..RunOptions::default()
    };
    pipeline::run(server, &scenario, &run).await.map(|(r, _)| r)
}

fn meets(limits: &[Limit], figures: &Figures) -> bool {
    limits
        .iter()
        .all(|l| l.op.holds(figures.value(l.metric), l.bound))
}

/// Queries that break a latency or error objective on their own.
fn failing_queries(limits: &[Limit], queries: &[QueryResult]) -> Vec<String> {
    let own: Vec<Limit> = limits
        .iter()
        .filter(|l| l.metric != Metric::Throughput)
        .cloned()
        .collect();
    queries
        .iter()
        .filter(|q| q.count > 0 && !meets(&own, &Figures::of(&[q])))
        .map(|q| q.name.clone())
        .collect()
}

/// Sweeps concurrency, fits the USL, searches the highest rate that meets
/// the objectives, then measures growth over data scales.
pub async fn plan(
    server: &Server,
    scenario: &Scenario,
    options: &CapacityOptions,
) -> Result<CapacityResults, RunError> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339();
    let limits = &options.objectives;

    let sweep = sweep(server, scenario, options).await?;
    let usl = usl::fit(
        &sweep
            .iter()
            .map(|s| (f64::from(s.clients), s.throughput))
            .collect::<Vec<_>>(),
    );

    let peak = sweep
        .iter()
        .map(|s| s.throughput)
        .fold(0.0, f64::max)
        .max(1.0);
    let (probes, search) = search_rate(server, scenario, options, peak).await?;
    let mut by_rate: Vec<&Probe> = probes.iter().collect();
    by_rate.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let first_to_break = by_rate
        .iter()
        .find_map(|p| p.failing_queries.first().cloned());

    let growth_runs = grow(server, scenario, options).await?;
    let project_scale = scenario.spec.scale * options.project;
    let figure = objective_figure(limits);
    let growth = growth_of(&growth_runs, project_scale, figure);
    let mut results = CapacityResults {
        version: CAPACITY_VERSION,
        schemabench_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at,
        elapsed_s: 0.0,
        scenario: scenario.spec.name.clone(),
        seed: scenario.spec.seed,
        scale: scenario.spec.scale,
        objectives: options.objectives.clone(),
        sweep,
        usl,
        probes,
        max_rate: search.highest_pass(),
        converged: search.converged(),
        first_to_break,
        growth_scales: growth_runs.iter().map(|(s, _)| *s).collect(),
        project_multiple: options.project,
        project_scale,
        percentile: figure.to_string(),
        growth,
        crossover: crossovers(&options.crossover, &growth_runs),
        largest_scale: options.largest_scale,
        conclusion: Vec::new(),
    };
    results.conclusion = conclude(&results);
    results.elapsed_s = started.elapsed().as_secs_f64();
    Ok(results)
}

/// The concurrency sweep: closed loop, one run, a phase per client count.
async fn sweep(
    server: &Server,
    scenario: &Scenario,
    options: &CapacityOptions,
) -> Result<Vec<SweepPoint>, RunError> {
    let widest = options.clients.iter().copied().max().unwrap_or(1);
    let mut phases = vec![phase(
        "warmup",
        true,
        options.warmup,
        // Every shard gets a client of the warmup too.
        widest.div_ceil(2).max(options.shard.count),
        None,
    )];
    phases.extend(
        options
            .clients
            .iter()
            .map(|c| phase(&format!("clients_{c}"), false, options.step, *c, None)),
    );
    let swept = measure(
        server,
        scenario,
        phases,
        (options.out.join("sweep"), &[]),
        options,
    )
    .await?;
    Ok(swept.candidates[0]
        .phases
        .iter()
        .filter(|p| !p.warmup)
        .map(|p| {
            let f = Figures::of(&p.queries.iter().collect::<Vec<_>>());
            SweepPoint {
                clients: p.offered.connections(),
                throughput: p.throughput,
                p50_ms: f.latency.p50 as f64 / 1000.0,
                p95_ms: f.latency.p95 as f64 / 1000.0,
                p99_ms: f.latency.p99 as f64 / 1000.0,
                error_rate: f.error_rate,
            }
        })
        .collect())
}

/// The rate search, open loop: expand from 70% of the sweep's peak until
/// a rate fails, then bisect, at most `max_probes` runs.
async fn search_rate(
    server: &Server,
    scenario: &Scenario,
    options: &CapacityOptions,
    peak: f64,
) -> Result<(Vec<Probe>, RateSearch), RunError> {
    let mut probes: Vec<Probe> = Vec::new();
    let mut search = RateSearch::default();
    let mut next = Some((peak * 0.7).max(1.0));
    while let Some(rate) = next.filter(|_| probes.len() < options.max_probes) {
        let i = probes.len();
        let run = measure(
            server,
            scenario,
            vec![
                phase("warmup", true, options.warmup, options.workers, Some(rate)),
                phase("probe", false, options.step, options.workers, Some(rate)),
            ],
            (options.out.join(format!("probe_{i}_{rate:.0}")), &[]),
            options,
        )
        .await?;
        let Some(p) = run.candidates[0].phases.iter().find(|p| !p.warmup) else {
            break;
        };
        let probe = probe(p, rate, &options.objectives);
        let (passed, generator_limited) = (probe.passed, probe.generator_limited);
        probes.push(probe);
        if generator_limited {
            // A faster database would not have passed it either.
            break;
        }
        next = search.record(rate, passed);
    }
    Ok((probes, search))
}

/// What a probe at `rate` measured, and whether it held the objectives.
fn probe(p: &PhaseResult, rate: f64, limits: &[Limit]) -> Probe {
    let f = Figures::of(&p.queries.iter().collect::<Vec<_>>());
    // Holding a rate means serving it, not only answering fast.
    let served = p.requests as f64 / (p.requests + p.dropped).max(1) as f64;
    let passed = meets(limits, &f) && served >= SERVED_SHARE;
    let generator_limited = !passed
        && p.generator
            .is_some_and(|g| g.busy >= crate::report::analysis::GENERATOR_SATURATED);
    Probe {
        rate,
        throughput: p.throughput,
        p50_ms: f.latency.p50 as f64 / 1000.0,
        p95_ms: f.latency.p95 as f64 / 1000.0,
        p99_ms: f.latency.p99 as f64 / 1000.0,
        error_rate: f.error_rate,
        late: p.late,
        dropped: p.dropped,
        served,
        passed,
        failing_queries: failing_queries(limits, &p.queries),
        generator_limited,
    }
}

/// Growth over data scales: closed loop at a fixed concurrency, one run
/// per multiple of the scenario's scale (with `--crossover`'s candidates
/// beside the baseline).
async fn grow(
    server: &Server,
    scenario: &Scenario,
    options: &CapacityOptions,
) -> Result<Vec<(f64, RunResults)>, RunError> {
    let mut growth_runs: Vec<(f64, RunResults)> = Vec::new();
    for m in &options.growth {
        let scale = scenario.spec.scale * m;
        let mut scaled = scenario.clone();
        scaled.spec.scale = scale;
        let run = measure(
            server,
            &scaled,
            vec![
                phase("warmup", true, options.warmup, options.growth_clients, None),
                phase("measure", false, options.step, options.growth_clients, None),
            ],
            (options.out.join(format!("growth_{m}x")), &options.crossover),
            options,
        )
        .await?;
        growth_runs.push((scale, run));
    }
    Ok(growth_runs)
}

/// The coefficient of determination below which a USL fit's peak is not
/// reported as a finding.
const USL_TRUSTED: f64 = 0.8;

/// The plain-language findings at the top of the report.
fn conclude(r: &CapacityResults) -> Vec<String> {
    let mut out = Vec::new();
    let objectives = limit::joined(&r.objectives, " and ");
    match (r.max_rate, r.probes.iter().any(|p| !p.passed)) {
        (Some(rate), _) => out.push(format!(
            "This configuration holds {rate:.0} requests/s with {objectives}{}.",
            if r.converged {
                ""
            } else {
                " (the search did not narrow to 10%: treat as a lower bound)"
            }
        )),
        (None, true) => out.push(format!(
            "No probed rate met {objectives}; the lowest tried was {:.0} requests/s.",
            r.probes.iter().map(|p| p.rate).fold(f64::MAX, f64::min)
        )),
        (None, false) => out.push("No rate was probed.".to_owned()),
    }
    if let Some(p) = r.probes.iter().find(|p| p.generator_limited) {
        out.push(format!(
            "The search stopped at {:.0} requests/s: the load generator, not the database, could not send faster (its driver threads were saturated); the database's limit lies above what one schemabench process sends here.",
            p.rate
        ));
    }
    if let Some(q) = &r.first_to_break {
        out.push(format!("The first query to break its objectives is {q}."));
    }
    if let Some(u) = &r.usl {
        let widest = r
            .sweep
            .iter()
            .map(|s| f64::from(s.clients))
            .fold(0.0, f64::max);
        out.push(match (u.peak_clients, u.peak_throughput) {
            // A figure from a fit that explains little of what was measured
            // is not a finding: say so instead of stating it.
            _ if u.r_squared < USL_TRUSTED => format!(
                "The Universal Scalability Law fits these measurements poorly (R² = {:.2}, below {USL_TRUSTED}): the run cannot say where throughput peaks; sweep more client counts, or longer phases, for a curve worth fitting.",
                u.r_squared
            ),
            (Some(n), Some(x)) if n > widest * 1.5 => format!(
                "The Universal Scalability Law (σ = {:.3}, κ = {:.5}, R² = {:.2}) projects peak throughput at {x:.0} requests/s with {n:.0} concurrent clients, far beyond the {widest:.0} measured: a projection, not a measurement.",
                u.sigma, u.kappa, u.r_squared
            ),
            (Some(n), Some(x)) => format!(
                "The Universal Scalability Law (σ = {:.3}, κ = {:.5}, R² = {:.2}) puts peak throughput at {x:.0} requests/s with {n:.0} concurrent clients; beyond that, more clients lower throughput.",
                u.sigma, u.kappa, u.r_squared
            ),
            _ => format!(
                "The Universal Scalability Law (σ = {:.3}, κ = {:.5}, R² = {:.2}) finds no retrograde peak in the range measured.",
                u.sigma, u.kappa, u.r_squared
            ),
        });
    }
    let mut alarming: Vec<&QueryGrowth> =
        r.growth.iter().filter(|g| g.growth.is_alarming()).collect();
    alarming.sort_by(|a, b| b.exponent.total_cmp(&a.exponent));
    if let Some(worst) = alarming.first().copied().or_else(|| {
        r.growth
            .iter()
            .max_by(|a, b| a.exponent.total_cmp(&b.exponent))
    }) && let (Some(ms), Some(trust)) = (worst.projected_ms, worst.trust)
    {
        out.push(format!(
            "{} {}'s {} is projected to {ms:.1} ms ({} growth, exponent {:.2} of its {}; {} trust).",
            r.projection_label(),
            worst.query,
            r.percentile,
            worst.growth,
            worst.exponent,
            worst.basis.figure(),
            format!("{trust:?}").to_lowercase()
        ));
    }
    if !alarming.is_empty() {
        out.push(format!(
            "The cost per call grows with the data (a scan in the plan) for: {}.",
            alarming
                .iter()
                .map(|g| g.query.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(largest) = r.largest_scale {
        let measured = r.growth_scales.last().copied().unwrap_or(r.scale);
        out.push(format!(
            "This machine holds a growth run up to about scale {} (its seeded data and copies on the free disk, the data plan in memory); growth was measured to scale {measured}{}.",
            round_scale(largest),
            if r.project_scale > largest {
                format!(
                    ", and the projection to scale {} lies beyond what it can measure",
                    r.project_scale
                )
            } else {
                String::new()
            }
        ));
    }
    out.extend(r.crossover.iter().filter_map(crossover::sentence));
    out
}

/// A scale to two significant figures: `0.83`, `12`, `340`.
fn round_scale(scale: f64) -> f64 {
    if scale <= 0.0 || !scale.is_finite() {
        return scale;
    }
    let digits = 1 - scale.log10().floor() as i32;
    let factor = 10f64.powi(digits);
    (scale * factor).floor() / factor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_round_down_to_two_figures() {
        assert_eq!(round_scale(0.8374), 0.83);
        assert_eq!(round_scale(12.9), 12.0);
        assert_eq!(round_scale(347.0), 340.0);
    }
    use crate::results::capacity::{Growth, UslFit};
    use crate::results::limit::LatencyFigure;

    fn sweep_to(widest: u32, r_squared: f64, peak: f64) -> CapacityResults {
        CapacityResults {
            version: 1,
            schemabench_version: String::new(),
            started_at: String::new(),
            elapsed_s: 0.0,
            scenario: "s".into(),
            seed: 1,
            scale: 0.1,
            objectives: vec!["p99 < 50ms".parse().expect("a limit")],
            sweep: [1, widest]
                .map(|clients| SweepPoint {
                    clients,
                    throughput: 100.0,
                    p50_ms: 1.0,
                    p95_ms: 2.0,
                    p99_ms: 3.0,
                    error_rate: 0.0,
                })
                .to_vec(),
            usl: Some(UslFit {
                lambda: 100.0,
                sigma: 0.1,
                kappa: 0.001,
                r_squared,
                peak_clients: Some(peak),
                peak_throughput: Some(3422.0),
            }),
            probes: Vec::new(),
            max_rate: None,
            converged: false,
            first_to_break: None,
            growth_scales: Vec::new(),
            project_multiple: 100.0,
            project_scale: 5.0,
            percentile: "p95".into(),
            growth: Vec::new(),
            crossover: Vec::new(),
            largest_scale: None,
            conclusion: Vec::new(),
        }
    }

    #[test]
    fn a_usl_peak_is_stated_only_as_far_as_the_fit_and_the_sweep_carry_it() {
        let usl = |r: &CapacityResults| conclude(r).pop().expect("a USL line");
        let poor = usl(&sweep_to(8, 0.10, 8.0));
        assert!(
            poor.contains("fits these measurements poorly (R² = 0.10"),
            "{poor}"
        );
        assert!(!poor.contains("3422"), "no peak from a poor fit: {poor}");
        let far = usl(&sweep_to(8, 0.95, 40.0));
        assert!(far.contains("a projection, not a measurement"), "{far}");
        let within = usl(&sweep_to(8, 0.95, 8.0));
        assert!(
            within.contains("puts peak throughput at 3422 requests/s with 8 concurrent clients"),
            "{within}"
        );
    }

    #[test]
    fn a_probe_the_generator_could_not_send_is_not_blamed_on_the_database() {
        let mut r = sweep_to(8, 0.95, 8.0);
        let probe = |rate: f64, passed: bool, generator_limited: bool| Probe {
            rate,
            throughput: rate * 0.6,
            p50_ms: 1.0,
            p95_ms: 2.0,
            p99_ms: 3.0,
            error_rate: 0.0,
            late: 0,
            dropped: 0,
            served: 1.0,
            passed,
            failing_queries: Vec::new(),
            generator_limited,
        };
        r.probes = vec![probe(1000.0, true, false), probe(1400.0, false, true)];
        r.max_rate = Some(1000.0);
        let lines = conclude(&r);
        assert!(
            lines[0].starts_with("This configuration holds 1000 requests/s"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with(
                "The search stopped at 1400 requests/s: the load generator, not the database"
            ),
            "{lines:?}"
        );
    }

    #[test]
    fn a_flat_query_is_projected_flat_at_the_objectives_percentile_as_the_tables_say() {
        // p50 a touch lower at every scale (flat), p95 rising steeply: the
        // class decides the projection, not the noisiest percentile.
        let runs: Vec<(f64, RunResults)> =
            [(0.05, 1000, 10_000), (0.2, 980, 30_000), (0.8, 960, 90_000)]
                .into_iter()
                .map(|(scale, p50, p95)| {
                    let mut run = crate::results::fixture();
                    run.candidates.truncate(1);
                    run.candidates[0].queries.truncate(1);
                    run.candidates[0].work.clear();
                    let q = &mut run.candidates[0].queries[0];
                    (q.latency.p50, q.latency.p95) = (p50, p95);
                    (scale, run)
                })
                .collect();
        let growth = growth_of(&runs, 5.0, LatencyFigure::P95);
        let [g] = growth.as_slice() else {
            panic!("one query: {growth:?}");
        };
        assert_eq!(g.growth, Growth::Flat, "{g:?}");
        assert!(g.exponent < 0.0);
        assert_eq!(
            g.projected_ms,
            Some(90.0),
            "the largest scale's p95, not grown"
        );
        let mut r = sweep_to(8, 0.95, 8.0);
        r.growth = growth.clone();
        r.conclusion = conclude(&r);
        let said = r
            .conclusion
            .iter()
            .find(|l| l.contains("is projected to"))
            .expect("a projection sentence");
        assert!(
            said.starts_with(&format!(
                "At 100x the data (scale 5) {}'s p95 is projected to 90.0 ms",
                g.query
            )),
            "{said}"
        );
        let table = crate::report::capacity::summary(&r);
        assert!(
            table.contains("p95 ms projected at 100x the data (scale 5)"),
            "{table}"
        );
        let row = table
            .lines()
            .find(|l| l.starts_with(&g.query))
            .expect("the query's row");
        assert!(row.ends_with(" 90.0"), "{row}");
    }
}

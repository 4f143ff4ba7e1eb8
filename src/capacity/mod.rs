//! Capacity planning: how far a configuration scales, in load and in data,
//! before it breaks its objectives. Every measurement is an ordinary run of
//! the scenario's workload (`pipeline::run`) with generated phases, so it
//! measures exactly as `run` does: as real users, open loop without
//! coordinated omission.

mod conclude;
mod crossover;
pub mod growth;
pub mod search;
pub mod usl;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::gate::threshold::Figures;
use crate::pg::Server;
use crate::pipeline::{self, RunError, RunOptions};
use crate::results::capacity::{CAPACITY_VERSION, CapacityResults, Probe, SweepPoint};
use crate::results::limit::{Limit, Metric};
use crate::results::{PhaseResult, QueryResult, RunResults, Shard};
use crate::scenario::Scenario;
use crate::scenario::units::Length;
use crate::scenario::workload::{Arrivals, LoadSpec, PhaseSpec};
use conclude::conclude;
use crossover::crossovers;
use growth::{growth_of, memory_scale, objective_figure};
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
    /// Prepare each crossover candidate once per growth scale and copy it
    /// for every round ([`RunOptions::prepare_once`]).
    pub prepare_once: bool,
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
        rounds: Some(if candidates.is_empty() {
            1
        } else {
            CROSSOVER_ROUNDS
        }),
        only: Some(candidates.to_vec()),
        prepare_once: options.prepare_once && !candidates.is_empty(),
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

/// Rounds of a growth run that measures candidates beside the baseline: a
/// verdict needs three samples at least, and one round gives each figure
/// two (its warmup's and its measured phase's), so a single round could
/// decide no crossover, not even an exact 2.0x in buffers per call.
pub const CROSSOVER_ROUNDS: u32 = 3;

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
        noise_threshold: growth_runs.first().map_or(
            crate::results::Criteria::default().noise_threshold,
            |(_, r)| r.criteria.noise_threshold,
        ),
        largest_scale: options.largest_scale,
        memory_scale: memory_scale(&growth_runs),
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

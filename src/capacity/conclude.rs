//! The plain-language findings at the top of a capacity report: the rate
//! held, the first query to break, the USL peak as far as it carries, the
//! fastest growth, the machine's room and each crossover.

use super::crossover;
use crate::results::capacity::{CapacityResults, QueryGrowth};
use crate::results::limit;

/// The coefficient of determination below which a USL fit's peak is not
/// reported as a finding.
const USL_TRUSTED: f64 = 0.8;

/// The plain-language findings at the top of the report.
pub(super) fn conclude(r: &CapacityResults) -> Vec<String> {
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
    if let Some(memory) = r.memory_scale
        && r.project_scale > memory
    {
        out.push(format!(
            "No projection to scale {}: the data would outgrow the server's memory from about scale {}, where reads leave memory for the disk and latency no longer follows the curve measured in memory; measure there, or keep production's ratio of data to memory with --server-memory.",
            r.project_scale,
            round_scale(memory)
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
    use super::super::growth::{growth_of, memory_scale};
    use super::*;
    use crate::results::RunResults;
    use crate::results::capacity::{Probe, SweepPoint};

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
            noise_threshold: 0.05,
            largest_scale: None,
            memory_scale: None,
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

    #[test]
    fn growth_is_projected_no_further_than_the_data_fits_the_servers_memory() {
        // 20 MB of data at scale 0.8 (25 MB per unit of scale), no query
        // flat: a 1 GB cap holds scale 40, a 100 MB one scale 4.
        let runs = |cap: u64| -> Vec<(f64, RunResults)> {
            [(0.2, 1000), (0.8, 4000)]
                .into_iter()
                .map(|(scale, p95)| {
                    let mut run = crate::results::fixture();
                    run.candidates.truncate(1);
                    run.candidates[0].queries.truncate(1);
                    run.candidates[0].work.clear();
                    run.candidates[0].queries[0].latency.p95 = p95;
                    run.candidates[0].cost.database_bytes = (scale * 25e6) as i64;
                    run.server.memory_limit_bytes = Some(cap);
                    (scale, run)
                })
                .collect()
        };
        for (cap, memory, projected) in [(1_000_000_000, 40.0, true), (100_000_000, 4.0, false)] {
            let runs = runs(cap);
            let found = memory_scale(&runs).expect("a memory scale");
            assert!((found - memory).abs() < 1e-9, "{found}");
            let growth = growth_of(&runs, 5.0, LatencyFigure::P95);
            assert_eq!(growth[0].projected_ms.is_some(), projected, "{growth:?}");
            let mut r = sweep_to(8, 0.95, 8.0);
            (r.growth, r.memory_scale) = (growth, Some(found));
            let said = conclude(&r);
            let stopped = said.iter().find(|l| l.starts_with("No projection"));
            assert_eq!(stopped.is_none(), projected, "{said:?}");
        }
        let stopped = {
            let mut r = sweep_to(8, 0.95, 8.0);
            r.memory_scale = Some(4.0);
            conclude(&r)
        };
        assert!(
            stopped.iter().any(|l| l.starts_with(
                "No projection to scale 5: the data would outgrow the server's memory from about scale 4,"
            )),
            "{stopped:?}"
        );
    }
}

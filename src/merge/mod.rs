//! `schemabench merge`: the shards of one run added up into the run one
//! process would have recorded. Histograms add exactly (one range and
//! precision everywhere), so every percentile of the merged run is that of
//! all requests together, not an average of the shards' percentiles;
//! counts, errors and arrivals add; the per-second series are rebuilt from
//! the shards' interval logs, whose seconds count from the one moment the
//! shards agreed on. Verdicts and thresholds are then judged afresh on the
//! whole; the work figures are the leader's, read from the server's
//! statistics after every shard finished each phase, so they already hold
//! every shard's requests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::gate::judge::rejudge;
use crate::measure::intervals::{self, Interval, IntervalHistogram, IntervalLog};
use crate::measure::timeline::slot_label;
use crate::report::files::{RESULTS_FILE, ReportDir, ReportError};
use crate::results::{
    CandidateResult, DuetSeconds, GeneratorLoad, IntervalPoint, PhaseResult, Recorded, RunResults,
    SecondPair,
};

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Read(#[from] crate::gate::GateError),
    #[error("{0}")]
    Mismatch(String),
    #[error("cannot read the interval log {0}")]
    Log(String),
    #[error(transparent)]
    Report(#[from] ReportError),
}

impl MergeError {
    /// Parts of different runs, or a shard missing, are the user's to fix.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Read(e) => e.exit_code(),
            Self::Mismatch(_) | Self::Log(_) => crate::results::exit::USAGE,
            Self::Report(_) => crate::results::exit::RUN_FAILED,
        }
    }
}

/// One shard's results and the folder that holds its interval logs.
#[derive(Debug)]
pub struct Part {
    pub file: PathBuf,
    pub results: RunResults,
}

impl Part {
    /// A shard's `results.json`, given as the file or its report folder.
    pub fn load(path: &Path) -> Result<Self, MergeError> {
        let file = if path.is_dir() {
            path.join(RESULTS_FILE)
        } else {
            path.to_owned()
        };
        let results = crate::gate::baseline::load(&file)?;
        Ok(Self { file, results })
    }

    fn folder(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }

    fn name(&self) -> String {
        self.file.display().to_string()
    }
}

/// The merged run and its interval logs, query by query.
pub struct Merged {
    pub results: RunResults,
    /// Per query: the logs' start and every (tag, second) histogram.
    logs: Logs,
}

/// Adds up the shards of one run and their interval logs; refuses parts of
/// different runs, or a set with a shard missing or given twice.
pub fn merge(parts: Vec<Part>) -> Result<Merged, MergeError> {
    check(&parts)?;
    let logs = read_logs(&parts)?;
    let mut results = sum(parts)?;
    let simple = results.candidates.len() == 1 && results.rounds == 1;
    for c in &mut results.candidates {
        for phase in &mut c.phases {
            let tag = slot_label(
                &c.name,
                phase.partner.as_deref(),
                phase.round,
                &phase.name,
                simple,
            );
            phase.timeline = points(&logs, &tag);
        }
    }
    Ok(Merged { results, logs })
}

/// Adds up the shards' results alone (no interval logs, so no per-second
/// series) and judges the whole: what shards that meet on a board, with
/// no files in common, each get of a run (capacity's measurements).
pub fn add_up(parts: Vec<Part>) -> Result<RunResults, MergeError> {
    check(&parts)?;
    sum(parts)
}

/// The checked parts added up and judged.
fn sum(mut parts: Vec<Part>) -> Result<RunResults, MergeError> {
    parts.sort_by_key(|p| p.results.shard.map(|s| s.index));
    let (leader, followers) = parts.split_first().ok_or_else(|| {
        MergeError::Mismatch("no results given: name every shard's results.json".into())
    })?;
    let mut merged = leader.results.clone();
    for follower in followers {
        for (into, theirs) in merged
            .candidates
            .iter_mut()
            .zip(&follower.results.candidates)
        {
            add_candidate(into, theirs, &follower.name())?;
        }
        merged.complete &= follower.results.complete;
        merged.elapsed_s = merged.elapsed_s.max(follower.results.elapsed_s);
        merged.finished_at = merged.finished_at.max(follower.results.finished_at.clone());
        merged.rounds = merged.rounds.min(follower.results.rounds);
    }
    merged.shard = None;
    for c in &mut merged.candidates {
        for phase in &mut c.phases {
            // The leader's seconds alone are a share, not the run's.
            phase.timeline = Vec::new();
        }
        c.queries = c.queries_from_phases();
    }
    rejudge(&mut merged);
    Ok(merged)
}

/// Writes the merged run's reports and interval logs into `report`.
pub fn write(merged: &Merged, report: &ReportDir) -> Result<(), MergeError> {
    for (query, start, intervals) in &merged.logs {
        let path = report.hlog_path(query);
        let mut log = IntervalLog::create(&path, query, *start)
            .map_err(|e| MergeError::Log(format!("{}: {e}", path.display())))?;
        let mut lines: Vec<(&(String, u64), &IntervalHistogram)> = intervals.iter().collect();
        lines.sort_by_key(|((tag, second), _)| (*second, tag.clone()));
        for ((tag, second), h) in lines {
            log.append(tag, *second, h);
        }
    }
    report.write(&merged.results)?;
    Ok(())
}

/// One run, every shard once.
fn check(parts: &[Part]) -> Result<(), MergeError> {
    let mismatch = |text: String| Err(MergeError::Mismatch(text));
    let mut seen: BTreeMap<u32, String> = BTreeMap::new();
    let Some(first) = parts.first() else {
        return mismatch("no results given: name every shard's results.json".into());
    };
    for part in parts {
        let Some(shard) = part.results.shard else {
            return mismatch(format!(
                "{} is not a shard's results (a run with --shard I/N writes them)",
                part.name()
            ));
        };
        if let Some(other) = seen.insert(shard.index, part.name()) {
            return mismatch(format!(
                "shard {shard} is given twice: {other} and {}",
                part.name()
            ));
        }
        let (a, b) = (&first.results, &part.results);
        let differences: Vec<String> = [
            ("scenario", a.scenario.name.clone(), b.scenario.name.clone()),
            (
                "data",
                a.scenario.data_fingerprint.clone(),
                b.scenario.data_fingerprint.clone(),
            ),
            (
                "seed",
                a.scenario.seed.to_string(),
                b.scenario.seed.to_string(),
            ),
            (
                "shards",
                first
                    .results
                    .shard
                    .map(|s| s.count)
                    .unwrap_or(0)
                    .to_string(),
                shard.count.to_string(),
            ),
            ("phases", format!("{:?}", a.load), format!("{:?}", b.load)),
            (
                "candidates",
                names(&a.candidates).join(", "),
                names(&b.candidates).join(", "),
            ),
        ]
        .into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(what, x, y)| format!("{what} {y} (in {}: {x})", first.name()))
        .collect();
        if !differences.is_empty() {
            return mismatch(format!(
                "{} is from another run: {}",
                part.name(),
                differences.join("; ")
            ));
        }
    }
    let count = first.results.shard.map_or(0, |s| s.count);
    let missing: Vec<String> = (0..count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return mismatch(format!(
            "shard(s) {} missing: give every shard's results",
            missing.join(", ")
        ));
    }
    Ok(())
}

fn names(candidates: &[CandidateResult]) -> Vec<String> {
    candidates.iter().map(|c| c.name.clone()).collect()
}

/// Adds a follower's phases and duet seconds to the leader's.
fn add_candidate(
    into: &mut CandidateResult,
    theirs: &CandidateResult,
    file: &str,
) -> Result<(), MergeError> {
    for phase in &mut into.phases {
        let other = theirs
            .phases
            .iter()
            .find(|p| p.round == phase.round && p.name == phase.name && p.partner == phase.partner)
            .ok_or_else(|| {
                MergeError::Mismatch(format!(
                    "{file} has no phase {} of round {} for {}: that shard stopped early",
                    phase.name, phase.round, into.name
                ))
            })?;
        add_phase(phase, other);
    }
    for duet in &mut into.duet_seconds {
        if let Some(other) = theirs
            .duet_seconds
            .iter()
            .find(|d| d.round == duet.round && d.phase == duet.phase && d.query == duet.query)
        {
            add_seconds(duet, other);
        }
    }
    Ok(())
}

/// One phase of two shards: they ran at the same time, so the phase lasted
/// the longer of the two, and each figure is the sum.
fn add_phase(into: &mut PhaseResult, other: &PhaseResult) {
    into.elapsed_s = into.elapsed_s.max(other.elapsed_s);
    into.requests += other.requests;
    into.throughput = into.requests as f64 / into.elapsed_s.max(1e-9);
    into.offered = into.offered.together(other.offered);
    into.late += other.late;
    into.dropped += other.dropped;
    // The busier generator says whether one of them limited the phase.
    into.generator = match (into.generator, other.generator) {
        (Some(a), Some(b)) => Some(GeneratorLoad {
            threads: a.threads + b.threads,
            cpu_s: a.cpu_s + b.cpu_s,
            busy: a.busy.max(b.busy),
        }),
        (a, b) => a.or(b),
    };
    for q in &mut into.queries {
        if let Some(o) = other.queries.iter().find(|o| o.name == q.name) {
            q.add(o, into.elapsed_s);
        }
    }
    for q in &mut into.queries {
        q.throughput = q.count as f64 / into.elapsed_s.max(1e-9);
    }
}

/// Both sides' latencies of each second, second by second.
fn add_seconds(into: &mut DuetSeconds, other: &DuetSeconds) {
    let mut all: BTreeMap<u64, SecondPair> = BTreeMap::new();
    for pair in into.seconds.drain(..).chain(other.seconds.iter().cloned()) {
        match all.get_mut(&pair.second) {
            Some(have) => {
                have.baseline = add_recorded(&have.baseline, &pair.baseline);
                have.candidate = add_recorded(&have.candidate, &pair.candidate);
            }
            None => {
                all.insert(pair.second, pair);
            }
        }
    }
    into.seconds = all.into_values().collect();
}

/// Two lists of (value, count), each in value order, as one.
fn add_recorded(a: &Recorded, b: &Recorded) -> Recorded {
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    for &(v, n) in a.0.iter().chain(&b.0) {
        *counts.entry(v).or_default() += n;
    }
    Recorded(counts.into_iter().collect())
}

type Logs = Vec<(
    String,
    SystemTime,
    BTreeMap<(String, u64), IntervalHistogram>,
)>;

/// Every query's interval logs of every shard, added by tag and second.
fn read_logs(parts: &[Part]) -> Result<Logs, MergeError> {
    let Some(first) = parts.first() else {
        return Ok(Vec::new());
    };
    let queries: Vec<String> = first
        .results
        .candidates
        .first()
        .map(|c| c.queries.iter().map(|q| q.name.clone()).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for query in queries {
        let mut start = None;
        let mut added: BTreeMap<(String, u64), IntervalHistogram> = BTreeMap::new();
        for part in parts {
            let path = ReportDir::at(part.folder().to_owned())?.hlog_path(&query);
            let (began, lines) = intervals::read(&path).map_err(MergeError::Log)?;
            // The leader's clock names the run's start.
            start.get_or_insert(began);
            for Interval {
                tag,
                second,
                histogram,
            } in lines
            {
                match added.get_mut(&(tag.clone(), second)) {
                    Some(have) => {
                        let _ = have.add(&histogram);
                    }
                    None => {
                        added.insert((tag, second), histogram);
                    }
                }
            }
        }
        out.push((query, start.unwrap_or(SystemTime::UNIX_EPOCH), added));
    }
    Ok(out)
}

/// A phase slot's time series: each second of each query, from the summed
/// interval histograms.
fn points(logs: &Logs, tag: &str) -> Vec<IntervalPoint> {
    let mut out: Vec<IntervalPoint> = Vec::new();
    for (query, _, intervals) in logs {
        for ((t, second), h) in intervals {
            if t == tag {
                out.push(IntervalPoint {
                    second: *second,
                    query: query.clone(),
                    count: h.len(),
                    p50_us: h.value_at_quantile(0.5),
                    p99_us: h.value_at_quantile(0.99),
                    max_us: h.max(),
                });
            }
        }
    }
    // Time order; queries in the workload's order within a second.
    out.sort_by_key(|p| p.second);
    out
}

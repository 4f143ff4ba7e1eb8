//! The configurations of a run, each with its copy of the data ready to
//! drive: which candidates run, their copies and, in duets, the baseline's
//! twins.

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::future::join_all;

use super::schedule::Sitting;
use super::{RunError, RunOptions};
use crate::candidate::{self, Candidate, Prepared};
use crate::drive;
use crate::drive::engine::Phase;
use crate::drive::session::Shared;
use crate::pg::{PgError, Server};
use crate::report::files::ReportDir;
use crate::scenario::Scenario;
use crate::scenario::spec::CandidateSpec;
use crate::scenario::workload::{Protocol, WorkloadSpec};
use crate::seed::SeedReport;
use crate::seed::plan::DataPlan;

/// One configuration being driven: its copy of the data and its workload.
pub(super) struct Arm {
    pub(super) prepared: Prepared,
    pub(super) shared: Arc<Shared>,
    /// Reads the copy's `pg_stat_statements` after each phase.
    stats: tokio::sync::Mutex<tokio_postgres::Client>,
}

/// How long a run waits for its server to come back after a restart.
const SERVER_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

impl Arm {
    /// The copy's statistics connection, opened again (waiting, bounded,
    /// for the server) when the server dropped it: a restart mid-run costs
    /// the requests it failed, not the run.
    pub(super) async fn stats(
        &self,
        server: &Server,
    ) -> Result<tokio::sync::MutexGuard<'_, tokio_postgres::Client>, PgError> {
        let mut client = self.stats.lock().await;
        if client.is_closed() {
            *client = server
                .reconnect(&self.prepared.database, SERVER_WAIT)
                .await?;
        }
        Ok(client)
    }
}

/// `admin` as it is, or opened again if the server dropped it.
pub(super) async fn reopened(
    server: &Server,
    admin: tokio_postgres::Client,
) -> Result<tokio_postgres::Client, PgError> {
    if admin.is_closed() {
        server
            .reconnect(&server.maintenance_db(), SERVER_WAIT)
            .await
    } else {
        Ok(admin)
    }
}

/// A prepared copy, ready to drive.
async fn arm(
    server: &Server,
    prepared: Prepared,
    workload: &WorkloadSpec,
    plan: &Arc<DataPlan>,
    protocol: Protocol,
) -> Result<Arm, RunError> {
    let shared = drive::shared(
        server,
        &prepared.database,
        &prepared.candidate.workload(workload),
        Arc::clone(plan),
        protocol,
    )
    .await?;
    let stats = server.admin(&prepared.database).await?;
    Ok(Arm {
        prepared,
        shared: Arc::new(shared),
        stats: tokio::sync::Mutex::new(stats),
    })
}

/// What a run keeps at hand once its copies are ready.
pub(super) struct Setting<'a> {
    pub(super) server: &'a Server,
    pub(super) scenario: &'a Scenario,
    pub(super) options: &'a RunOptions,
    pub(super) seeded: &'a SeedReport,
    pub(super) report: &'a ReportDir,
    pub(super) phases: &'a [Phase],
    pub(super) query_names: &'a [String],
    pub(super) workload: &'a WorkloadSpec,
    pub(super) protocol: Protocol,
    pub(super) started: std::time::Instant,
    /// The database each configuration's copies are made from.
    pub(super) templates: &'a [String],
    pub(super) plan: &'a Arc<DataPlan>,
}

/// The template copy `index` is made from: its configuration's (twins of
/// the baseline, past the configurations, the baseline's).
fn template_of(templates: &[String], index: usize, configurations: usize) -> &str {
    &templates[if index < configurations { index } else { 0 }]
}

/// The database of copy `index` of the run.
pub(super) fn copy_database(templates: &[String], index: usize, configurations: usize) -> String {
    candidate::copy_name(template_of(templates, index, configurations), index)
}

/// Makes the copies of a sitting afresh from their templates, one per
/// side. Every sitting starts this way and its copies go when it ends
/// ([`unseat`]): at most a duet's pair of copies lives beside the
/// template, whatever the scale and however many candidates, and every
/// round measures the seeded data plus its own sitting's writes, never
/// what earlier rounds wrote. Rounds are replicates of one experiment, and
/// a verdict does not drift with how many rounds (or how much budget) ran:
/// a read that scans a growing table (the feed without its index) would
/// otherwise slow round after round, and its ratio with it.
///
/// With [`RunOptions::prepare_once`], a candidate with SQL is prepared
/// once, before the first sitting ([`prepare_ahead`]), into a database of
/// its own that `kept` holds (by configuration) until the run ends; every
/// sitting copies that, so its SQL, `VACUUM` and `ANALYZE` run once, not
/// once a round.
pub(super) async fn seat(
    setting: &Setting<'_>,
    candidates: &[Candidate],
    kept: &mut [Option<Prepared>],
    sitting: &Sitting,
) -> Result<Vec<Arm>, RunError> {
    // The sides' copies are made side by side, each on a connection of
    // its own: copying is the server's work, and neither side is driven yet.
    let sides = sitting
        .arms
        .iter()
        .zip(&sitting.copies)
        .map(|(&a, &index)| {
            let source = kept[a].take();
            async move {
                let side = seat_side(setting, candidates, a, index, source).await;
                (a, side)
            }
        });
    let mut seated = Vec::with_capacity(sitting.copies.len());
    let mut failed = None;
    for (a, side) in join_all(sides).await {
        match side {
            Ok((arm, source)) => {
                kept[a] = source;
                seated.push(arm);
            }
            Err(e) => failed = failed.or(Some(e)),
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(seated),
    }
}

/// Configuration `a`'s copy `index`, ready to drive, and its prepared
/// database (`source`, made here when the run prepares once and it was
/// not prepared ahead).
async fn seat_side(
    setting: &Setting<'_>,
    candidates: &[Candidate],
    a: usize,
    index: usize,
    source: Option<Prepared>,
) -> Result<(Arm, Option<Prepared>), RunError> {
    let server = setting.server;
    let admin = server
        .reconnect(&server.maintenance_db(), SERVER_WAIT)
        .await?;
    let template = template_of(setting.templates, index, candidates.len());
    let candidate = candidates[a].clone();
    // A baseline twin (index past the configurations) is the baseline's.
    let (prepared, source) = if setting.options.prepare_once && index == a && prepares(&candidate) {
        let source = match source {
            Some(source) => source,
            None => prepare_kept(setting, &candidate, a).await?,
        };
        let name = candidate::copy_name(template, index);
        let copy = candidate::copy_prepared(server, &admin, &source, &name).await?;
        (copy, Some(source))
    } else {
        let copy = candidate::prepare(server, &admin, template, index, candidate).await?;
        (copy, source)
    };
    let arm = arm(
        server,
        prepared,
        setting.workload,
        setting.plan,
        setting.protocol,
    )
    .await?;
    Ok((arm, source))
}

/// Whether a candidate has SQL to prepare (and so, with
/// [`RunOptions::prepare_once`], a prepared database of its own).
fn prepares(candidate: &Candidate) -> bool {
    !candidate.sql.trim().is_empty()
}

/// Configuration `a`'s prepared database, made from its template: the
/// candidate's SQL, `VACUUM` and `ANALYZE`, once for the run.
async fn prepare_kept(
    setting: &Setting<'_>,
    candidate: &Candidate,
    a: usize,
) -> Result<Prepared, RunError> {
    let server = setting.server;
    let admin = server
        .reconnect(&server.maintenance_db(), SERVER_WAIT)
        .await?;
    let template = &setting.templates[a];
    let name = candidate::prepared_name(template, a);
    Ok(candidate::prepare_as(server, &admin, template, &name, candidate.clone()).await?)
}

/// Preparations run side by side before the first sitting: each is
/// mostly one backend's work (a rewrite, an index build, `VACUUM`), so two
/// keep a two-core server busy while nothing is measured.
const PREPARED_AT_ONCE: usize = 2;

/// With [`RunOptions::prepare_once`], every candidate with SQL prepared
/// into `kept` before anything is measured, [`PREPARED_AT_ONCE`] at a
/// time, instead of one by one before each first sitting: TaleForge's
/// six took 30 s in a row, 11 s two at a time. A candidate whose SQL fails
/// stops the run here, before any load.
pub(super) async fn prepare_ahead(
    setting: &Setting<'_>,
    candidates: &[Candidate],
    kept: &mut [Option<Prepared>],
) -> Result<(), RunError> {
    if !setting.options.prepare_once {
        return Ok(());
    }
    let todo: Vec<usize> = (1..candidates.len())
        .filter(|&a| prepares(&candidates[a]))
        .collect();
    if todo.is_empty() {
        return Ok(());
    }
    if setting.options.progress {
        crate::progress::line(format!(
            "preparing {} candidate(s): their SQL, VACUUM and ANALYZE, {PREPARED_AT_ONCE} at a time",
            todo.len()
        ));
    }
    let preparing = futures_util::stream::iter(todo.into_iter().map(|a| async move {
        let started = std::time::Instant::now();
        let prepared = prepare_kept(setting, &candidates[a], a).await;
        if setting.options.progress && prepared.is_ok() {
            crate::progress::line(format!(
                "prepared {} in {:.1} s",
                candidates[a].name,
                started.elapsed().as_secs_f64()
            ));
        }
        (a, prepared)
    }))
    .buffer_unordered(PREPARED_AT_ONCE);
    let mut failed = None;
    for (a, prepared) in preparing.collect::<Vec<_>>().await {
        match prepared {
            Ok(prepared) => kept[a] = Some(prepared),
            Err(e) => failed = failed.or(Some(e)),
        }
    }
    failed.map_or(Ok(()), Err)
}

/// Drops a sitting's copies, but for those `keep` marks (a configuration's
/// last sitting of the run, with `--keep-copies`).
pub(super) async fn unseat(
    server: &Server,
    seated: Vec<Arm>,
    keep: &[bool],
) -> Result<(), RunError> {
    let drops = seated.into_iter().zip(keep).map(|(arm, &kept)| async move {
        let Arm {
            prepared, shared, ..
        } = arm;
        // The workload's connections close before the copy goes.
        drop(shared);
        if kept {
            return Ok(());
        }
        let admin = server
            .reconnect(&server.maintenance_db(), SERVER_WAIT)
            .await?;
        crate::pg::database::drop_owned(&admin, &prepared.database).await
    });
    for dropped in join_all(drops).await {
        dropped?;
    }
    Ok(())
}

/// The baseline, then the scenario's candidates (or the chosen ones).
pub(super) fn select_candidates(
    scenario: &Scenario,
    only: Option<&[String]>,
) -> Result<Vec<Candidate>, RunError> {
    let dir = scenario.path.parent().unwrap_or(std::path::Path::new("."));
    let mut out = vec![Candidate::baseline()];
    for spec in chosen(scenario, only)? {
        out.push(Candidate::from_spec(spec, dir).map_err(RunError::Timeline)?);
    }
    Ok(out)
}

/// The scenario candidates a run measures: by default those outside any
/// group; with `only`, the named ones and every member of each
/// `group:NAME`. Refuses a name or group the scenario lacks: callable
/// before any server is touched.
pub fn chosen<'a>(
    scenario: &'a Scenario,
    only: Option<&[String]>,
) -> Result<Vec<&'a CandidateSpec>, RunError> {
    let all = &scenario.spec.candidates;
    let Some(only) = only else {
        return Ok(all.iter().filter(|c| c.group.is_none()).collect());
    };
    let picks = |c: &CandidateSpec, n: &str| match n.strip_prefix("group:") {
        Some(group) => c.group.as_deref() == Some(group),
        None => c.name == n,
    };
    if let Some(unknown) = only
        .iter()
        .find(|n| n.as_str() != candidate::BASELINE && !all.iter().any(|c| picks(c, n)))
    {
        let mut known: Vec<String> = all.iter().map(|c| c.name.clone()).collect();
        for c in all {
            if let Some(g) = &c.group
                && !known.contains(&format!("group:{g}"))
            {
                known.push(format!("group:{g}"));
            }
        }
        return Err(RunError::UnknownCandidate(
            unknown.clone(),
            known.join(", "),
        ));
    }
    Ok(all
        .iter()
        .filter(|c| only.iter().any(|n| picks(c, n)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("m.sql"), "create table t (id int);").expect("migration");
        let text = "name = \"groups\"\nmigrations = [\"m.sql\"]\n\
                    [tables.t]\nrows = 1\n[tables.t.columns]\nid = { gen = \"int\", min = 1, max = 9 }\n\
                    [[candidates]]\nname = \"a\"\nsql = \"select 1\"\n\
                    [[candidates]]\nname = \"b\"\ngroup = \"pages\"\nsql = \"select 1\"\n\
                    [[candidates]]\nname = \"c\"\ngroup = \"pages\"\nsql = \"select 1\"\n\
                    [[candidates]]\nname = \"d\"\ngroup = \"costs\"\nsql = \"select 1\"\n";
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).expect("scenario");
        Scenario::load(&path).expect("valid")
    }

    fn names(picked: Vec<&CandidateSpec>) -> Vec<&str> {
        picked.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn groups_run_only_when_asked_and_unknown_names_are_refused() {
        let s = scenario();
        assert_eq!(names(chosen(&s, None).expect("default")), ["a"]);
        let ask = |only: &[&str]| {
            let only: Vec<String> = only.iter().map(|n| n.to_string()).collect();
            chosen(&s, Some(&only)).map(names)
        };
        assert_eq!(ask(&["group:pages"]).expect("group"), ["b", "c"]);
        assert_eq!(ask(&["d", "a"]).expect("names"), ["a", "d"]);
        assert_eq!(
            ask(&["baseline"]).expect("baseline only"),
            Vec::<&str>::new()
        );
        let err = ask(&["group:nope"]).expect_err("no such group");
        assert_eq!(
            err.to_string(),
            "--candidates group:nope: no candidate or group of that name in the scenario (known: a, b, c, d, group:pages, group:costs)"
        );
    }
}

//! One decision per candidate, read by every output: the advice that heads
//! the reports, whether the gate fails it, and so the exit code. Kept in
//! one function so the headline, the gate line and the exit code can never
//! disagree.

use super::{AppComparison, Comparison, Gate, Verdict, WorkComparison};

/// What the measurements say to do with one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Advice {
    /// Faster, and nothing the gate counts got slower nor any query at all.
    Ship,
    /// The gate passes, but some query got slower: a trade to weigh.
    Weigh,
    /// The gate fails: the app as a whole, a critical query, or (with a
    /// strict `--gate`) any query got slower.
    Reject,
    /// Nothing called either way.
    Unchanged,
}

impl Advice {
    /// The advice as a sentence opens with it.
    pub fn word(self) -> &'static str {
        match self {
            Advice::Ship => "Ship",
            Advice::Weigh => "Weigh",
            Advice::Reject => "Do not ship",
            Advice::Unchanged => "No measured change from",
        }
    }

    /// The advice as a verdict column reads it.
    pub fn label(self) -> &'static str {
        match self {
            Advice::Unchanged => "No measured change",
            other => other.word(),
        }
    }
}

/// How one candidate stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub advice: Advice,
    /// The gate fails (exit 5 where a gate applies).
    pub fails: bool,
    /// Nothing failed, but a verdict the gate reads stayed undecided.
    pub undecided: bool,
    /// What failed the gate, in words: `the app as a whole`, `critical
    /// query story_feed`, `query x work`.
    pub why: Vec<String>,
}

/// The verdicts of one candidate, as [`decide`] reads them.
pub struct Verdicts<'a> {
    pub app: Option<&'a AppComparison>,
    pub latency: Vec<&'a Comparison>,
    pub work: Vec<&'a WorkComparison>,
}

impl<'a> Verdicts<'a> {
    /// The verdicts of `candidate` among a run's.
    pub fn of(
        candidate: &str,
        app: &'a [AppComparison],
        latency: &'a [Comparison],
        work: &'a [WorkComparison],
    ) -> Self {
        Self {
            app: app.iter().find(|a| a.candidate == candidate),
            latency: latency
                .iter()
                .filter(|c| c.candidate == candidate)
                .collect(),
            work: work.iter().filter(|c| c.candidate == candidate).collect(),
        }
    }

    /// Every per-query verdict, named `query` with its kind.
    fn per_query(&self) -> impl Iterator<Item = (&'a str, &'static str, Verdict)> + '_ {
        let latency = self
            .latency
            .iter()
            .map(|c| (c.query.as_str(), "time", c.estimate.verdict));
        let work = self
            .work
            .iter()
            .map(|c| (c.query.as_str(), "work", c.estimate.verdict));
        latency.chain(work)
    }
}

/// Decides one candidate under `gate`. The default gate (`app`) fails when
/// the app as a whole gets slower or a query the scenario marks `critical`
/// does; any other slower query is a trade-off to weigh. The strict gates
/// fail on any slower query of their kind. Without an app-level figure the
/// default gate judges every query, as `both` does: it cannot tell the
/// whole from the parts.
pub fn decide(gate: Gate, critical: &[String], verdicts: &Verdicts) -> Decision {
    let app = verdicts.app.map(AppComparison::verdict);
    let counts = |kind: &str, query: &str| match gate {
        Gate::App => app.is_none() || critical.iter().any(|c| c == query),
        Gate::Work => kind == "work",
        Gate::Latency => kind == "time",
        Gate::Both => true,
    };
    let mut why = Vec::new();
    if gate == Gate::App && app == Some(Verdict::Slower) {
        why.push("the app as a whole".to_owned());
    }
    let mut undecided = gate == Gate::App && app == Some(Verdict::Inconclusive);
    let (mut gains, mut costs) = (app == Some(Verdict::Faster), false);
    for (query, kind, verdict) in verdicts.per_query() {
        let counted = counts(kind, query);
        match verdict {
            Verdict::Slower => {
                costs = true;
                if counted {
                    let critical = if critical.iter().any(|c| c == query) {
                        "critical query"
                    } else {
                        "query"
                    };
                    let named = format!("{critical} {query} {kind}");
                    if !why.contains(&named) {
                        why.push(named);
                    }
                }
            }
            Verdict::Faster => gains = true,
            Verdict::Inconclusive => undecided |= counted,
            Verdict::NoChange => {}
        }
    }
    let fails = !why.is_empty();
    let advice = match (fails, gains, costs) {
        (true, _, _) => Advice::Reject,
        (false, _, true) => Advice::Weigh,
        (false, true, false) => Advice::Ship,
        (false, false, false) => Advice::Unchanged,
    };
    Decision {
        advice,
        fails,
        undecided: undecided && !fails,
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Estimate;

    fn estimate(ratio: f64, verdict: Verdict) -> Estimate {
        Estimate {
            ratio,
            samples: 9,
            verdict,
            ..Estimate::default()
        }
    }

    fn app(time: Verdict, work: Verdict) -> AppComparison {
        AppComparison {
            candidate: "branch".into(),
            baseline_ms: 2.0,
            candidate_ms: 1.8,
            latency: Some(estimate(0.9, time)),
            baseline_buffers: 10.0,
            candidate_buffers: 9.0,
            work: Some(estimate(0.9, work)),
            time_decides: true,
        }
    }

    fn work(query: &str, verdict: Verdict) -> WorkComparison {
        WorkComparison {
            candidate: "branch".into(),
            query: query.into(),
            baseline_buffers_per_call: 10.0,
            candidate_buffers_per_call: 11.7,
            baseline_rows_per_call: 1.0,
            candidate_rows_per_call: 1.0,
            baseline_wal_bytes_per_call: None,
            candidate_wal_bytes_per_call: None,
            estimate: estimate(1.17, verdict),
        }
    }

    #[test]
    fn a_helpful_index_is_weighed_and_passes_a_harmful_one_fails() {
        // The reads 0.72x, the insert into the indexed table 1.17x work.
        let (app, insert) = (
            app(Verdict::Faster, Verdict::Faster),
            work("insert", Verdict::Slower),
        );
        let helpful = Verdicts {
            app: Some(&app),
            latency: Vec::new(),
            work: vec![&insert],
        };
        let d = decide(Gate::App, &[], &helpful);
        assert_eq!(
            (d.advice, d.fails, d.undecided),
            (Advice::Weigh, false, false)
        );
        // The strict per-query gate still fails it, and says on what.
        let strict = decide(Gate::Work, &[], &helpful);
        assert_eq!(
            (strict.advice, strict.why.clone()),
            (Advice::Reject, vec!["query insert work".to_owned()])
        );
        // The same slower insert, marked critical: the default gate fails.
        let critical = decide(Gate::App, &["insert".to_owned()], &helpful);
        assert_eq!(critical.why, ["critical query insert work"]);
        // Time unsure, work decides: the app as a whole slower fails.
        let slower = AppComparison {
            latency: Some(estimate(1.02, Verdict::NoChange)),
            ..app_slower()
        };
        let harmful = Verdicts {
            app: Some(&slower),
            latency: Vec::new(),
            work: Vec::new(),
        };
        let d = decide(Gate::App, &[], &harmful);
        assert_eq!(
            (d.advice, d.why),
            (Advice::Reject, vec!["the app as a whole".to_owned()])
        );
    }

    fn app_slower() -> AppComparison {
        app(Verdict::Slower, Verdict::Slower)
    }

    #[test]
    fn without_an_app_figure_the_default_gate_judges_every_query() {
        let insert = work("insert", Verdict::Slower);
        let d = decide(
            Gate::App,
            &[],
            &Verdicts {
                app: None,
                latency: Vec::new(),
                work: vec![&insert],
            },
        );
        assert_eq!((d.advice, d.fails), (Advice::Reject, true));
    }
}

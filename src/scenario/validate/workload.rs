//! The workload and its load phases.

use std::collections::BTreeSet;

use super::data::{check_column_ref, check_generator, column_dependencies, unknown_table};
use super::{Check, ancestors, is_identifier};
use crate::scenario::error::{KeyPath, Problem};
use crate::scenario::spec::{Generator, ScenarioSpec};
use crate::scenario::units::placeholder_count;
use crate::scenario::workload::{LoadSpec, ParamSpec, WorkloadSpec};

pub(super) fn check_workload(spec: &ScenarioSpec, w: &WorkloadSpec, path: &KeyPath) -> Check {
    let actor_path = path.key("actor");
    if !spec.tables.contains_key(&w.actor.table) {
        return Err(unknown_table(spec, actor_path.key("table"), &w.actor.table));
    }
    check_column_ref(
        spec,
        &format!("{}.{}", w.actor.table, w.actor.column),
        &actor_path.key("column"),
    )?;
    if let Some(email) = &w.actor.email_column {
        check_column_ref(
            spec,
            &format!("{}.{email}", w.actor.table),
            &actor_path.key("email_column"),
        )?;
    }
    for (claim, column) in &w.actor.claims {
        let claim_path = actor_path.key("claims").key(claim);
        if ["sub", "role", "aud", "email"].contains(&claim.as_str()) {
            return Err(Problem::new(
                claim_path,
                "expected a custom claim: sub, role, aud and email are set from the actor and the query's role",
            ));
        }
        check_column_ref(spec, &format!("{}.{column}", w.actor.table), &claim_path)?;
    }
    if !(w.actor.activity_exponent.is_finite() && w.actor.activity_exponent >= 0.0) {
        return Err(Problem::new(
            actor_path.key("activity_exponent"),
            "expected an exponent >= 0",
        )
        .with_value(w.actor.activity_exponent));
    }
    if w.queries.is_empty() {
        return Err(Problem::new(
            path.key("queries"),
            "expected at least one query",
        ));
    }
    let mut names = BTreeSet::new();
    for (i, q) in w.queries.iter().enumerate() {
        let qp = path.key("queries").index(i);
        if !is_identifier(&q.name) || !names.insert(q.name.as_str()) {
            return Err(
                Problem::new(
                    qp.key("name"),
                    "expected a name of lowercase letters, digits and underscores that no other query has",
                )
                    .with_value(format!("{:?}", q.name)),
            );
        }
        if !(q.weight.is_finite() && q.weight > 0.0) {
            return Err(
                Problem::new(qp.key("weight"), "expected a weight greater than 0")
                    .with_value(q.weight),
            );
        }
        let placeholders = placeholder_count(&q.sql);
        if placeholders != q.params.len() {
            return Err(Problem::new(
                qp.key("params"),
                format!("expected {placeholders} parameter(s), one per $n placeholder of `sql`"),
            )
            .with_value(format!("{} given", q.params.len())));
        }
        for (j, p) in q.params.iter().enumerate() {
            check_param(spec, &w.actor.table, p, &qp.key("params").index(j))?;
        }
    }
    Ok(())
}

fn check_param(spec: &ScenarioSpec, actor: &str, p: &ParamSpec, path: &KeyPath) -> Check {
    match p {
        ParamSpec::Actor { column } => {
            check_column_ref(spec, &format!("{actor}.{column}"), &path.key("column")).map(|_| ())
        }
        ParamSpec::Owned {
            column, latest_by, ..
        } => {
            let (table, _) = check_column_ref(spec, column, &path.key("column"))?;
            if !ancestors(&spec.tables, table).contains(&actor) {
                return Err(Problem::new(
                    path.key("column"),
                    format!("expected a column of a table owned by {actor} (through `per`)"),
                )
                .with_value(format!("{column:?}")));
            }
            if let Some(by) = latest_by {
                check_column_ref(spec, &format!("{table}.{by}"), &path.key("latest_by"))?;
            }
            Ok(())
        }
        ParamSpec::Value { of } => {
            // Any row of a table (`pick` without `within`) needs no row of
            // the request's own: a lookup's key for an insert.
            let inner = match of {
                Generator::Nullable { of, .. } => of.as_ref(),
                g => g,
            };
            if let Generator::Pick {
                column,
                within: None,
            } = inner
            {
                return check_column_ref(spec, column, &path.key("of").key("column")).map(drop);
            }
            let mut deps = Vec::new();
            column_dependencies(of, &mut deps);
            if !deps.is_empty() || matches!(of, Generator::First { .. } | Generator::Position {}) {
                return Err(Problem::new(
                    path.key("of"),
                    "expected a generator that needs no row (not ref, sum, after, case, first, position, or pick within a row)",
                ));
            }
            check_generator(spec, actor, of, &path.key("of"))
        }
    }
}

pub(super) fn check_load(load: &LoadSpec, path: &KeyPath) -> Check {
    if load.phases.is_empty() {
        return Err(Problem::new(
            path.key("phases"),
            "expected at least one phase",
        ));
    }
    if load.phases.iter().all(|p| p.warmup) {
        return Err(Problem::new(
            path.key("phases"),
            "expected at least one phase that is not a warmup",
        ));
    }
    for (i, phase) in load.phases.iter().enumerate() {
        let pp = path.key("phases").index(i);
        match (&phase.duration, phase.transactions) {
            (Some(d), None) => {
                // A zero-length phase measures nothing, and nothing passes
                // every threshold.
                if d.0.is_zero() {
                    return Err(Problem::new(
                        pp.key("duration"),
                        "expected a duration greater than 0",
                    )
                    .with_value(format!("{:?}", d.to_string())));
                }
            }
            (None, Some(n)) if n > 0 => {}
            (None, Some(n)) => {
                return Err(
                    Problem::new(pp.key("transactions"), "expected at least 1").with_value(n)
                );
            }
            _ => {
                return Err(Problem::new(
                    pp.clone(),
                    "expected exactly one of `duration` or `transactions`",
                ));
            }
        }
        if phase.clients == 0 {
            return Err(
                Problem::new(pp.key("clients"), "expected at least 1 client").with_value(0),
            );
        }
        if let Some(rate) = phase.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(Problem::new(
                pp.key("rate"),
                "expected arrivals per second greater than 0",
            )
            .with_value(rate));
        }
    }
    Ok(())
}

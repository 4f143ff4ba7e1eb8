//! A generator for every column that is no foreign key, from its type,
//! constraints, live statistics and name.

use super::super::catalog::{Allowed, Column, Rule, Table};
use super::Choice;
use super::checks::{check_bounds, check_values, handle_pattern, later_than, length_bounds};
use super::text::{fit_length, max_length, text_choice};

/// The columns of Supabase's `auth.users` a signed-up user has.
pub(super) fn auth_user_column(name: &str) -> Option<Choice> {
    let (generator, why) = match name {
        "id" => ("{ gen = \"uuid\" }", "the user's id, the JWT's `sub`"),
        "email" => ("{ gen = \"email\" }", "a unique e-mail address"),
        "aud" | "role" => (
            "{ gen = \"const\", value = \"authenticated\" }",
            "as Supabase Auth sets it",
        ),
        "created_at" => (
            "{ gen = \"timestamp\", from = \"2025-01-01\", to = \"2026-11-01\", growth = 1.5 }",
            "sign-ups over two years, more of them lately (a growing app)",
        ),
        "updated_at" => (
            "{ gen = \"after\", column = \"auth.users.created_at\", max = \"30d\" }",
            "some time after sign-up",
        ),
        _ => return None,
    };
    Some(Choice::new(generator, why))
}

/// The share of NULLs a nullable column gets: the live share when known.
pub(super) fn null_share(column: &Column, otherwise: f64) -> f64 {
    column
        .stats
        .as_ref()
        .map_or(otherwise, |s| (s.null_frac * 1000.0).round() / 1000.0)
}

/// A text column's most common values and their weights, when they
/// cover nearly all of its (non-NULL) rows: the live distribution.
pub(super) fn common_values(column: &Column) -> Option<Choice> {
    let stats = column.stats.as_ref()?;
    let covered: f64 = stats.common.iter().map(|(_, s)| s).sum();
    let non_null = 1.0 - stats.null_frac;
    if stats.common.is_empty() || stats.common.len() > 100 || covered < 0.95 * non_null {
        return None;
    }
    let values: Vec<String> = stats.common.iter().map(|(v, _)| v.clone()).collect();
    let weights: Vec<String> = stats
        .common
        .iter()
        .map(|(_, s)| format!("{:.4}", s / covered))
        .collect();
    Some(Choice::new(
        format!(
            "{{ gen = \"enum\", values = {}, weights = [{}] }}",
            toml_list(&values),
            weights.join(", ")
        ),
        "the live column's most common values and their shares (pg_stats)",
    ))
}

pub(super) fn words(name: &str) -> Vec<&str> {
    name.split('_').collect()
}

/// A generator for a column that is no foreign key, from its type,
/// constraints and name; None leaves it to the database.
pub(super) fn column_choice(
    table: &Table,
    column: &Column,
    parent: Option<&Table>,
) -> Option<Choice> {
    if let Some(element) = column.base.strip_prefix('_') {
        return array_choice(table, column, element, parent);
    }
    if column.generated {
        return None;
    }
    let name = column.name.as_str();
    let w = words(name);
    let unique = table
        .uniques
        .iter()
        .chain(std::iter::once(&table.primary_key))
        .any(|u| u.len() == 1 && u[0] == name);
    let rule = table.rules.iter().find(|r| r.column == name);
    let ranges = rule.filter(|r| r.cases.iter().all(|(_, a)| matches!(a, Allowed::Range(..))));
    let choice = if let Some(rule) = ranges {
        let cases: Vec<String> = rule
            .cases
            .iter()
            .filter_map(|(value, allowed)| match allowed {
                Allowed::Range(lo, hi) => Some(format!(
                    "{} = {{ gen = \"int\", min = {lo}, max = {hi} }}",
                    toml::Value::String(value.clone())
                )),
                _ => None,
            })
            .collect();
        Choice::new(
            case_generator(table, rule, &cases),
            format!(
                "by {}: each value gets a range its CHECK allows, as PostgreSQL evaluated it",
                rule.by
            ),
        )
    } else if column.identity || is_serial(column) {
        Choice::new(
            "{ gen = \"serial\" }",
            "an identity/serial key: 1, 2, 3... (its sequence moves past them)",
        )
    } else if let Some(common) = (["text", "varchar", "bpchar", "citext"]
        .contains(&column.base.as_str())
        || !column.labels.is_empty())
    .then(|| common_values(column))
    .flatten()
    {
        common
    } else if !column.labels.is_empty() {
        Choice::new(
            format!(
                "{{ gen = \"enum\", values = {} }}",
                toml_list(&column.labels)
            ),
            format!("the values of enum {}", column.type_name),
        )
    } else if let Some(values) = check_values(table, name) {
        Choice::new(
            format!("{{ gen = \"enum\", values = {} }}", toml_list(&values)),
            "the values its CHECK allows",
        )
    } else {
        match column.base.as_str() {
            "uuid" => Choice::new("{ gen = \"uuid\" }", "a UUID (the row's own)"),
            "bool" => match one_true_per(table, name, parent) {
                Some(Some(parent)) => Choice::new(
                    "{ gen = \"first\", first = { gen = \"const\", value = true }, rest = { gen = \"const\", value = false } }",
                    format!(
                        "true for one row per {parent} row: a partial unique index allows no more"
                    ),
                ),
                Some(None) => Choice::new(
                    "{ gen = \"const\", value = false }",
                    "false: a partial unique index allows few rows with true",
                ),
                None => {
                    let p = if w.first().is_some_and(|f| ["is", "has", "can"].contains(f)) {
                        0.2
                    } else {
                        0.5
                    };
                    Choice::new(format!("{{ gen = \"bool\", p = {p} }}"), "a flag")
                }
            },
            "text" | "varchar" | "bpchar" | "citext" if handle_pattern(table, name).is_some() => {
                let (upper, lo, hi) = handle_pattern(table, name).unwrap_or((false, 1, 30));
                let hi = max_length(&column.type_name).map_or(hi, |n| hi.min(i64::from(n)));
                Choice::new(
                    format!(
                        "{{ gen = \"handle\", min_len = {lo}, max_len = {hi}, upper = {upper} }}"
                    ),
                    "a handle its pattern CHECK accepts: letters and digits, unique",
                )
            }
            "text" | "varchar" | "bpchar" | "citext" => {
                let bounds = length_bounds(table, name);
                fit_length(text_choice(column, &w, unique, bounds)?, column, bounds)
            }
            "int2" | "int4" | "int8" => {
                int_choice(table, column, &w, parent.map(|p| p.name.as_str()))?
            }
            "numeric" | "float4" | "float8" => {
                let (lo, hi) = check_bounds(table, name);
                let scale = numeric_scale(&column.type_name).unwrap_or(2);
                let (lo, hi) = (lo.unwrap_or(0), hi.unwrap_or(lo.unwrap_or(0).max(0) + 1000));
                Choice::new(
                    format!("{{ gen = \"decimal\", min = {lo}, max = {hi}, scale = {scale} }}"),
                    "a number in its CHECK's range, else 0 to 1000",
                )
            }
            "timestamptz" | "timestamp" | "date" => time_choice(table, column, &w, parent)?,
            "json" | "jsonb" if column.default.is_some() => return None,
            "json" | "jsonb" => Choice::new(
                "{ gen = \"json\", fields = { note = { gen = \"sentence\", min_words = 2, max_words = 6 } } }",
                "a small JSON object: describe its real fields here",
            ),
            // The types below are written from text values.
            _ if column.default.is_some() => return None,
            "time" | "timetz" => {
                // A closing time after an opening one (`CHECK (ends > starts)`).
                let (from, to) = if later_than(table, name).is_some() {
                    (13, 20)
                } else {
                    (6, 12)
                };
                let hours: Vec<String> = (from..=to).map(|h| format!("{h:02}:00:00")).collect();
                Choice::new(
                    format!("{{ gen = \"enum\", values = {} }}", toml_list(&hours)),
                    format!("a time on the hour, {from:02}:00 to {to:02}:00"),
                )
            }
            "interval" => Choice::new(
                "{ gen = \"enum\", values = [\"15 minutes\", \"30 minutes\", \"1 hour\", \"2 hours\", \"1 day\"] }",
                "a duration",
            ),
            "inet" | "cidr" => Choice::new(
                "{ gen = \"enum\", values = [\"10.0.0.1\", \"10.0.0.2\", \"192.168.1.10\", \"172.16.4.2\"] }",
                "an address from private ranges",
            ),
            "bytea" => Choice::new(
                "{ gen = \"sentence\", min_words = 2, max_words = 6 }",
                "some bytes (a few words' UTF-8)",
            ),
            _ => return None,
        }
    };
    if let Some(rule) = rule.filter(|_| ranges.is_none()) {
        return Some(null_case(table, rule, choice));
    }
    Some(if column.not_null || column.identity {
        choice
    } else if column.stats.is_some() {
        let share = null_share(column, 0.0);
        if share > 0.0 {
            choice.nullable(share, &format!("{:.0}% NULL, as live", share * 100.0))
        } else {
            choice
        }
    } else if w.last() == Some(&"at")
        && w.first()
            .is_some_and(|f| ["deleted", "archived"].contains(f))
    {
        choice.nullable(0.95, "mostly NULL: few rows are deleted")
    } else {
        choice.nullable(0.2, "nullable: 20% NULL")
    })
}

/// An array column (`text[]`): a few values of its element's generator.
fn array_choice(
    table: &Table,
    column: &Column,
    element: &str,
    parent: Option<&Table>,
) -> Option<Choice> {
    let item = Column {
        base: element.to_owned(),
        type_name: column.type_name.trim_end_matches("[]").to_owned(),
        not_null: true,
        default: None,
        identity: false,
        generated: false,
        domain_checks: Vec::new(),
        stats: None,
        ..column.clone()
    };
    // One-word items (tags, labels) unless the name says otherwise.
    let inner = match element {
        "text" | "varchar" | "citext" if column.labels.is_empty() => Choice::new(
            "{ gen = \"title\", min_words = 1, max_words = 1 }",
            "a word",
        ),
        _ => column_choice(
            &Table {
                checks: Vec::new(),
                rules: Vec::new(),
                ..table.clone()
            },
            &item,
            parent,
        )?,
    };
    let list = Choice::new(
        format!(
            "{{ gen = \"list\", min = 0, max = 4, of = {} }}",
            inner.generator
        ),
        format!("an array of 0 to 4 items: {}", inner.why),
    );
    Some(if column.not_null {
        list
    } else {
        list.nullable(0.2, "nullable: 20% NULL")
    })
}

/// A `case` generator by the rule's column, one `value = generator` per case.
fn case_generator(table: &Table, rule: &Rule, cases: &[String]) -> String {
    format!(
        "{{ gen = \"case\", column = \"{}.{}\", cases = {{ {} }} }}",
        table.name,
        rule.by,
        cases.join(", ")
    )
}

/// A column whose NULL-ness a CHECK ties to another column's value: by
/// that value, always NULL, never NULL, or sometimes.
fn null_case(table: &Table, rule: &Rule, choice: Choice) -> Choice {
    let mut nulls = Vec::new();
    let cases: Vec<String> = rule
        .cases
        .iter()
        .map(|(value, allowed)| {
            let generator = match allowed {
                Allowed::Null => {
                    nulls.push(value.as_str());
                    format!(
                        "{{ gen = \"nullable\", p = 1.0, of = {} }}",
                        choice.generator
                    )
                }
                Allowed::Either => {
                    format!(
                        "{{ gen = \"nullable\", p = 0.5, of = {} }}",
                        choice.generator
                    )
                }
                Allowed::Set | Allowed::Range(..) => choice.generator.clone(),
            };
            format!("{} = {generator}", toml::Value::String(value.clone()))
        })
        .collect();
    Choice::new(
        case_generator(table, rule, &cases),
        format!(
            "{}; NULL where {} is {}, as its CHECK requires (PostgreSQL evaluated it)",
            choice.why,
            rule.by,
            nulls.join(" or ")
        ),
    )
}

/// A flag a partial unique index limits (`unique (owner_id) where
/// is_home`): Some(Some(parent)) when the index's columns are the key to
/// the parent (one true per parent row), Some(None) when true must stay
/// rare some other way, None when no such index names it.
fn one_true_per<'a>(
    table: &Table,
    column: &str,
    parent: Option<&'a Table>,
) -> Option<Option<&'a str>> {
    let (columns, _) = table.partial_uniques.iter().find(|(_, predicate)| {
        let bare = predicate.trim_matches(|c| c == '(' || c == ')');
        bare == column || bare == format!("{column} = true") || bare == format!("{column} IS TRUE")
    })?;
    let under_parent = parent.filter(|p| {
        table.parent_key(&p.name).is_some_and(|key| {
            !columns.is_empty() && columns.iter().all(|c| key.columns.contains(c))
        })
    });
    Some(under_parent.map(|p| p.name.as_str()))
}

pub(super) fn is_serial(column: &Column) -> bool {
    column
        .default
        .as_deref()
        .is_some_and(|d| d.starts_with("nextval("))
}

pub(super) fn numeric_scale(type_name: &str) -> Option<u32> {
    let inside = type_name.split_once('(')?.1.trim_end_matches(')');
    inside.split_once(',')?.1.trim().parse().ok()
}

pub(super) fn int_choice(
    table: &Table,
    column: &Column,
    w: &[&str],
    parent: Option<&str>,
) -> Option<Choice> {
    let name = column.name.as_str();
    let positional = [
        "position", "sort", "order", "index", "rank", "seq", "number", "no", "num",
    ]
    .iter()
    .any(|n| w.contains(n));
    let numbered_under_parent = parent.is_some()
        && table
            .uniques
            .iter()
            .chain(std::iter::once(&table.primary_key))
            .any(|u| {
                u.len() >= 2
                    && u.contains(&column.name)
                    && table.foreign_keys.iter().any(|f| {
                        Some(f.target.as_str()) == parent && u.iter().any(|c| f.columns.contains(c))
                    })
            });
    if positional && numbered_under_parent {
        return Some(Choice::new(
            "{ gen = \"position\" }",
            "1, 2, 3... under its parent row (unique with the parent's key)",
        ));
    }
    if column.default.is_some() && check_bounds(table, name) == (None, None) && !w.contains(&"age")
    {
        return None;
    }
    let (lo, hi) = check_bounds(table, name);
    let top = match column.base.as_str() {
        "int2" => 32_767,
        _ => i64::from(i32::MAX),
    };
    let (default_lo, default_hi) = if w.contains(&"age") {
        (1, 90)
    } else if ["count", "quantity", "qty"].iter().any(|n| w.contains(n)) {
        (0, 100)
    } else {
        (0, 1000)
    };
    let lo = lo.unwrap_or(default_lo);
    let hi = hi.unwrap_or(default_hi.max(lo + 1000)).min(top);
    Some(Choice::new(
        format!("{{ gen = \"int\", min = {lo}, max = {hi} }}"),
        "an integer within its CHECK (else by its name)",
    ))
}

pub(super) fn time_choice(
    table: &Table,
    column: &Column,
    w: &[&str],
    parent: Option<&Table>,
) -> Option<Choice> {
    let first = w.first().copied().unwrap_or_default();
    let created = table
        .columns
        .iter()
        .find(|c| c.name == "created_at" || c.name == "inserted_at")
        .filter(|c| c.name != column.name);
    if let Some(earlier) = later_than(table, &column.name) {
        return Some(Choice::new(
            format!(
                "{{ gen = \"after\", column = \"{}.{earlier}\", min = \"1m\", max = \"30d\" }}",
                table.name
            ),
            format!("after {earlier}, as its CHECK requires"),
        ));
    }
    if let Some(created) = created
        && [
            "updated",
            "modified",
            "deleted",
            "archived",
            "completed",
            "ended",
            "finished",
        ]
        .contains(&first)
    {
        return Some(Choice::new(
            format!(
                "{{ gen = \"after\", column = \"{}.{}\", max = \"30d\" }}",
                table.name, created.name
            ),
            format!("some time after {}", created.name),
        ));
    }
    // A child's first moment follows its parent's: a page is written after
    // its story.
    if let Some(parent) = parent
        && matches!(column.name.as_str(), "created_at" | "inserted_at")
        && parent.column(&column.name).is_some()
    {
        return Some(Choice::new(
            format!(
                "{{ gen = \"after\", column = \"{}.{}\", max = \"30d\" }}",
                parent.name, column.name
            ),
            format!("some time after its {} row's {}", parent.name, column.name),
        ));
    }
    Some(Choice::new(
        "{ gen = \"timestamp\", from = \"2025-01-01\", to = \"2026-11-01\", growth = 1.5 }",
        "over the last two years, more recent rows more common (a growing app)",
    ))
}

pub(in crate::init) fn toml_list(values: &[String]) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|v| toml::Value::String(v.clone()).to_string())
        .collect();
    format!("[{}]", quoted.join(", "))
}

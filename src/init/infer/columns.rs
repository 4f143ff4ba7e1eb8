//! A generator for every column that is no foreign key, from its type,
//! constraints, live statistics and name.

use super::super::catalog::{Column, Table};
use super::Choice;
use super::checks::{check_bounds, check_values, later_than};

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
    let choice = if let Some(rule) = rule {
        let cases: Vec<String> = rule
            .cases
            .iter()
            .map(|(value, lo, hi)| {
                format!(
                    "{} = {{ gen = \"int\", min = {lo}, max = {hi} }}",
                    toml::Value::String(value.clone())
                )
            })
            .collect();
        Choice::new(
            format!(
                "{{ gen = \"case\", column = \"{}.{}\", cases = {{ {} }} }}",
                table.name,
                rule.by,
                cases.join(", ")
            ),
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
            "bool" => {
                let p = if w.first().is_some_and(|f| ["is", "has", "can"].contains(f)) {
                    0.2
                } else {
                    0.5
                };
                Choice::new(format!("{{ gen = \"bool\", p = {p} }}"), "a flag")
            }
            "text" | "varchar" | "bpchar" | "citext" => text_choice(column, &w, unique)?,
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
            _ => return None,
        }
    };
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

pub(super) fn max_length(type_name: &str) -> Option<u32> {
    type_name
        .split_once('(')?
        .1
        .trim_end_matches(')')
        .parse()
        .ok()
}

pub(super) fn text_choice(column: &Column, w: &[&str], unique: bool) -> Option<Choice> {
    let has = |word: &str| w.contains(&word);
    let last = w.last().copied().unwrap_or_default();
    let choice = if has("email") {
        Choice::new("{ gen = \"email\" }", "an e-mail address (by its name)")
    } else if unique && max_length(&column.type_name).is_some_and(|n| n < 36) {
        Choice::new(
            "{ gen = \"serial\" }",
            "unique short text: the row's number keeps every row distinct",
        )
    } else if unique {
        Choice::new(
            "{ gen = \"uuid\" }",
            "unique text: a UUID's text keeps every row distinct",
        )
    } else if ["phone", "mobile", "tel", "telephone"]
        .iter()
        .any(|n| has(n))
    {
        Choice::new(
            "{ gen = \"int\", min = 2000000000, max = 9999999999 }",
            "a ten-digit phone number (by its name)",
        )
    } else if ["first", "given"].iter().any(|n| has(n)) {
        Choice::new("{ gen = \"first_name\" }", "a first name (by its name)")
    } else if has("name") || has("username") || last == "by" {
        Choice::new("{ gen = \"name\" }", "a person's name (by its name)")
    } else if has("title") || has("subject") || has("headline") {
        Choice::new(
            "{ gen = \"title\", min_words = 2, max_words = 6 }",
            "a title (by its name)",
        )
    } else if ["url", "uri", "link", "avatar", "image", "photo", "path"]
        .iter()
        .any(|n| has(n))
    {
        Choice::new(
            format!(
                "{{ gen = \"url\", prefix = \"https://example.com/{}/\" }}",
                column.name
            ),
            "a URL (by its name)",
        )
    } else if [
        "content",
        "body",
        "text",
        "description",
        "bio",
        "notes",
        "message",
        "prompt",
        "comment",
    ]
    .iter()
    .any(|n| has(n))
    {
        Choice::new(
            "{ gen = \"paragraph\", min_sentences = 1, max_sentences = 4 }",
            "prose (by its name)",
        )
    } else if column.default.is_some() {
        return None;
    } else if max_length(&column.type_name).is_some_and(|n| n < 24) {
        let n = max_length(&column.type_name).unwrap_or(1) as usize;
        Choice::new(
            format!("{{ gen = \"const\", value = {:?} }}", "x".repeat(n.min(3))),
            format!(
                "short text ({}): one value; give it its real ones",
                column.type_name
            ),
        )
    } else {
        Choice::new(
            "{ gen = \"sentence\", min_words = 1, max_words = 4 }",
            "a few words",
        )
    };
    Some(choice)
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

pub(super) fn toml_list(values: &[String]) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|v| toml::Value::String(v.clone()).to_string())
        .collect();
    format!("[{}]", quoted.join(", "))
}

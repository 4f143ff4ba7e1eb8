//! What a table's CHECK constraints say of a column: the values it may
//! take, its bounds, a column it must come after, and the rules across two
//! columns the server is asked to resolve.

use std::collections::BTreeSet;

use super::super::catalog::Table;

/// The columns of `table` a CHECK names (quoted literals aside).
pub fn mentioned<'a>(table: &'a Table, check: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut unquoted = String::new();
    for (i, part) in check.split('\'').enumerate() {
        if i % 2 == 0 {
            unquoted.push_str(part);
            unquoted.push(' ');
        }
    }
    for word in unquoted.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if let Some(c) = table.column(word)
            && !out.contains(&c.name.as_str())
        {
            out.push(c.name.as_str());
        }
    }
    out
}

/// The CHECKs of `table` that name exactly `columns`.
pub(super) fn checks_on<'a>(
    table: &'a Table,
    columns: &[&str],
) -> impl Iterator<Item = &'a String> {
    let wanted: BTreeSet<&str> = columns.iter().copied().collect();
    table
        .checks
        .iter()
        .filter(move |c| mentioned(table, c).into_iter().collect::<BTreeSet<_>>() == wanted)
}

/// CHECKs across a column with fixed values and another column, for the
/// server to resolve: a number's range per value, or whether the other
/// column is NULL per value (`(status = 'done') = (done_at is not null)`).
/// Each is (the checks on the two, the column with values, its values, the
/// other column).
pub fn rule_candidates(table: &Table) -> Vec<(Vec<String>, String, Vec<String>, String)> {
    let mut out = Vec::new();
    for check in &table.checks {
        let [a, b] = mentioned(table, check)[..] else {
            continue;
        };
        for (by, other) in [(a, b), (b, a)] {
            let values = table
                .column(by)
                .filter(|c| !c.labels.is_empty())
                .map(|c| c.labels.clone())
                .or_else(|| check_values(table, by));
            let numeric = table
                .column(other)
                .is_some_and(|c| ["int2", "int4", "int8", "numeric"].contains(&c.base.as_str()));
            let upper = check.to_uppercase();
            let nullness = table.column(other).is_some_and(|c| !c.not_null)
                && (upper.contains(&format!("{} IS NULL", other.to_uppercase()))
                    || upper.contains(&format!("{} IS NOT NULL", other.to_uppercase())));
            if let (Some(values), true) = (values, numeric || nullness) {
                let checks = table
                    .checks
                    .iter()
                    .filter(|c| mentioned(table, c).iter().all(|m| *m == by || *m == other))
                    .cloned()
                    .collect();
                let candidate = (checks, by.to_owned(), values, other.to_owned());
                if !out.contains(&candidate) {
                    out.push(candidate);
                }
            }
        }
    }
    out
}

/// Values a CHECK allows a column to take: `col IN ('a', 'b')`.
pub(super) fn check_values(table: &Table, column: &str) -> Option<Vec<String>> {
    checks_on(table, &[column]).find_map(|check| {
        // A quoted name (`"group"`) reads as the bare one.
        let check = &check.replace(&format!("\"{column}\""), column);
        let at = check.find("= ANY (")?;
        let before = &check[..at];
        let named =
            before.ends_with(&format!("({column} ")) || before.contains(&format!("(({column})::"));
        if !named {
            return None;
        }
        let array = at + check[at..].find("ARRAY[")?;
        let inside = &check[array + "ARRAY[".len()..];
        let inside = &inside[..inside.find(']')?];
        let values: Vec<String> = inside
            .split(", ")
            .filter_map(|item| {
                let start = item.find('\'')?;
                let end = item.rfind('\'')?;
                (end > start).then(|| item[start + 1..end].replace("''", "'"))
            })
            .collect();
        (!values.is_empty()).then_some(values)
    })
}

/// Bounds a CHECK puts on a numeric column: `col >= 2`, `col > 0`, `col <= 14`.
pub(super) fn check_bounds(table: &Table, column: &str) -> (Option<i64>, Option<i64>) {
    bounds_of(table, column, column)
}

/// Bounds a CHECK puts on a text column's length: `char_length(col) >= 3`,
/// `length(col) <= 25` (PostgreSQL prints BETWEEN as the two).
pub(super) fn length_bounds(table: &Table, column: &str) -> (Option<i64>, Option<i64>) {
    let (lo, hi) = bounds_of(table, column, &format!("char_length({column})"));
    let (lo2, hi2) = bounds_of(table, column, &format!("length({column})"));
    (lo.or(lo2), hi.or(hi2))
}

/// Bounds the CHECKs on `column` put on `subject` (the column, or an
/// expression of it).
fn bounds_of(table: &Table, column: &str, subject: &str) -> (Option<i64>, Option<i64>) {
    let (mut lo, mut hi) = (None, None);
    for check in checks_on(table, &[column]) {
        // Casts of constants out: `(0)::numeric` reads as `0`; a quoted
        // name as the bare one.
        let check = strip_casts(&check.replace(&format!("\"{column}\""), column));
        let check = check.as_str();
        // `(char_length(x) >= 3)` splits at the parentheses into
        // `char_length`, `x`, ` >= 3`: join a call back to its argument.
        let flat = check.replace(&format!("({column})"), &format!("<{column}>"));
        let subject = subject.replace(&format!("({column})"), &format!("<{column}>"));
        for part in flat.split(['(', ')']) {
            let part = part.trim();
            let Some(rest) = part.strip_prefix(subject.as_str()).map(str::trim) else {
                continue;
            };
            let (op, value) = match rest.split_once(' ') {
                Some((op, v)) => (op, v.trim()),
                None => continue,
            };
            let Ok(value) = value.parse::<i64>() else {
                continue;
            };
            match op {
                ">=" => lo = Some(lo.map_or(value, |l: i64| l.max(value))),
                ">" => lo = Some(lo.map_or(value + 1, |l: i64| l.max(value + 1))),
                "<=" => hi = Some(hi.map_or(value, |h: i64| h.min(value))),
                "<" => hi = Some(hi.map_or(value - 1, |h: i64| h.min(value - 1))),
                "=" => {
                    lo = Some(value);
                    hi = Some(value);
                }
                "<>" if value == 0 => lo = Some(lo.map_or(1, |l: i64| l.max(1))),
                _ => {}
            }
        }
    }
    (lo, hi)
}

/// A `~ '^[A-Z0-9]{6,10}$'` CHECK a handle can meet: (capitals, shortest,
/// longest); None for any other pattern.
pub(super) fn handle_pattern(table: &Table, column: &str) -> Option<(bool, i64, i64)> {
    checks_on(table, &[column]).find_map(|check| {
        let at = check.find(" ~ '")?;
        let pattern = &check[at + 4..];
        let pattern = &pattern[..pattern.find('\'')?];
        let body = pattern.strip_prefix("^[")?.strip_suffix('$')?;
        let (class, count) = body.split_once(']')?;
        let (lo, hi) = match count {
            "+" => (1, 30),
            "*" => (0, 30),
            _ => {
                let inner = count.strip_prefix('{')?.strip_suffix('}')?;
                match inner.split_once(',') {
                    Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
                    None => {
                        let n = inner.trim().parse().ok()?;
                        (n, n)
                    }
                }
            }
        };
        let upper = class.contains("A-Z") && !class.contains("a-z");
        let allowed = class
            .replace("A-Z", "")
            .replace("a-z", "")
            .replace("0-9", "")
            .replace(['-', '_'], "");
        let letters = class.contains("A-Z") || class.contains("a-z");
        (allowed.is_empty() && letters && class.contains("0-9")).then_some((upper, lo.max(1), hi))
    })
}

/// A CHECK with its numbers' casts taken out: `(0)::numeric` reads `0`.
fn strip_casts(check: &str) -> String {
    let mut out = String::with_capacity(check.len());
    let mut rest = check;
    while let Some(at) = rest.find(")::") {
        let open = rest[..at].rfind('(');
        let number = open.map(|o| &rest[o + 1..at]).filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        });
        let type_end = at
            + 3
            + rest[at + 3..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len() - at - 3);
        match (open, number) {
            (Some(open), Some(number)) => {
                out.push_str(&rest[..open]);
                out.push_str(number);
            }
            _ => out.push_str(&rest[..type_end]),
        }
        rest = &rest[type_end..];
    }
    out.push_str(rest);
    out
}

/// Another column this one must come after: `CHECK (ends_at > starts_at)`.
pub(super) fn later_than(table: &Table, column: &str) -> Option<String> {
    table
        .checks
        .iter()
        .filter(|c| mentioned(table, c).len() == 2)
        .find_map(|check| {
            for op in [" > ", " >= "] {
                let needle = format!("({column}{op}");
                if let Some(at) = check.find(&needle) {
                    let rest = &check[at + needle.len()..];
                    let other: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if table.column(&other).is_some() {
                        return Some(other);
                    }
                }
            }
            None
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::infer::fixtures::{column, table};

    #[test]
    fn checks_give_values_bounds_and_order() {
        let mut t = table("t", vec![column("age", "int2", true)]);
        t.checks = vec![
            "CHECK (((age >= 2) AND (age <= 14)))".into(),
            "CHECK ((role = ANY (ARRAY['parent'::text, 'teacher'::text, 'o''brien'::text])))".into(),
            "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))".into(),
            "CHECK ((amount <> 0))".into(),
            "CHECK ((ends_at > starts_at))".into(),
        ];
        for (name, base) in [
            ("starts_at", "timestamptz"),
            ("ends_at", "timestamptz"),
            ("amount", "int4"),
            ("role", "text"),
            ("status", "varchar"),
            ("kind", "text"),
        ] {
            t.columns.push(column(name, base, true));
        }
        // A rule across two columns bounds neither alone.
        t.checks.push(
            "CHECK ((((kind = 'generation'::text) = (amount < 0)) OR (kind = 'adjustment'::text)))"
                .into(),
        );
        assert_eq!(mentioned(&t, &t.checks[5]), ["kind", "amount"]);
        assert_eq!(check_bounds(&t, "age"), (Some(2), Some(14)));
        assert_eq!(check_bounds(&t, "amount"), (Some(1), None));
        assert_eq!(
            check_values(&t, "role"),
            Some(vec!["parent".into(), "teacher".into(), "o'brien".into()])
        );
        assert_eq!(
            check_values(&t, "status"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(check_values(&t, "age"), None);
        assert_eq!(later_than(&t, "ends_at"), Some("starts_at".into()));
        t.columns.push(column("slug", "text", true));
        t.columns.push(column("code", "text", true));
        t.checks
            .push("CHECK (((char_length(slug) >= 3) AND (char_length(slug) <= 25)))".into());
        t.checks.push("CHECK ((length(code) = 3))".into());
        assert_eq!(length_bounds(&t, "slug"), (Some(3), Some(25)));
        assert_eq!(length_bounds(&t, "code"), (Some(3), Some(3)));
        assert_eq!(check_bounds(&t, "slug"), (None, None));
        t.columns.push(column("score", "numeric", false));
        t.checks
            .push("CHECK (((score >= (0)::numeric) AND (score <= (100)::numeric)))".into());
        assert_eq!(check_bounds(&t, "score"), (Some(0), Some(100)));
        t.columns.push(column("mrn", "varchar", true));
        t.columns.push(column("color", "varchar", true));
        t.checks
            .push("CHECK (((mrn)::text ~ '^[A-Z0-9]{6,10}$'::text))".into());
        t.checks
            .push("CHECK (((color)::text ~ '^#[0-9a-f]{6}$'::text))".into());
        assert_eq!(handle_pattern(&t, "mrn"), Some((true, 6, 10)));
        assert_eq!(handle_pattern(&t, "slug"), None);
        assert_eq!(handle_pattern(&t, "color"), None);
    }
}

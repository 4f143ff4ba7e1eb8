//! What a plan asks of each table it scans, read off `EXPLAIN (VERBOSE)`:
//! the columns compared for equality, for a range, sorted on, and the
//! predicates (`deleted_at IS NULL`, a bare boolean) a partial index could
//! hold; and the index definitions those suggest, as an advisor such as
//! Dexter tries them: single columns, equality columns leading a second
//! column, and partial variants.

use std::collections::BTreeMap;

/// Hypothetical indexes tried per table of a query, at most.
const MOST_PER_TABLE: usize = 40;

/// One table a plan scans: `schema.table`, as the plan names it, and the
/// alias its expressions qualify columns with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub table: String,
    pub alias: String,
}

/// What the plan's expressions do with one table's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    /// Compared with `=` or `= ANY`, in order of first appearance.
    pub equal: Vec<String>,
    /// Compared with `<`, `<=`, `>`, `>=`.
    pub range: Vec<String>,
    /// Sort keys: column and whether descending.
    pub sort: Vec<(String, bool)>,
    /// Conditions a partial index could be restricted to.
    pub predicates: Vec<String>,
}

/// An index to try: its table, key columns (`created_at desc`) and an
/// optional `where` predicate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Proposal {
    pub table: String,
    pub keys: Vec<String>,
    pub predicate: Option<String>,
}

impl Proposal {
    /// The `CREATE INDEX` statement, named so that a migration reads well.
    pub fn definition(&self) -> String {
        let mut sql = format!(
            "create index {} on {} ({})",
            self.name(),
            self.table,
            self.keys.join(", ")
        );
        if let Some(p) = &self.predicate {
            sql.push_str(&format!(" where {p}"));
        }
        sql
    }

    /// `stories_user_id_created_at_idx`, within PostgreSQL's 63 bytes.
    pub fn name(&self) -> String {
        let table = self.table.rsplit('.').next().unwrap_or(&self.table);
        let mut words = vec![table.trim_matches('"').to_owned()];
        for key in &self.keys {
            words.push(
                key.split(' ')
                    .next()
                    .unwrap_or(key)
                    .trim_matches('"')
                    .to_owned(),
            );
        }
        if self.predicate.is_some() {
            words.push("partial".to_owned());
        }
        // A plain identifier, usable unquoted and as a candidate's name.
        let mut name: String = words
            .join("_")
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9' | '_') => c,
                _ => '_',
            })
            .collect();
        name.truncate(59);
        format!("{name}_idx")
    }
}

/// Every relation scan in a plan, in plan order.
pub fn scans(plan: &serde_json::Value) -> Vec<Scan> {
    let mut out = Vec::new();
    visit(plan, &mut |node| {
        let text = |k: &str| node.get(k).and_then(|v| v.as_str());
        if let (Some(relation), Some(alias)) = (text("Relation Name"), text("Alias")) {
            let table = match text("Schema") {
                Some(schema) => format!("{schema}.{relation}"),
                None => relation.to_owned(),
            };
            let scan = Scan {
                table,
                alias: alias.to_owned(),
            };
            if !out.contains(&scan) {
                out.push(scan);
            }
        }
    });
    out
}

fn visit(node: &serde_json::Value, f: &mut impl FnMut(&serde_json::Value)) {
    f(node);
    for child in node
        .get("Plans")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        visit(child, f);
    }
}

/// The expressions of every node, and the sort keys apart.
fn expressions(plan: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let mut conditions = Vec::new();
    let mut sorts = Vec::new();
    visit(plan, &mut |node| {
        for key in [
            "Filter",
            "Index Cond",
            "Recheck Cond",
            "Hash Cond",
            "Merge Cond",
            "Join Filter",
        ] {
            if let Some(e) = node.get(key).and_then(|v| v.as_str()) {
                conditions.push(e.to_owned());
            }
        }
        for s in node
            .get("Sort Key")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(s) = s.as_str() {
                sorts.push(s.to_owned());
            }
        }
    });
    (conditions, sorts)
}

/// What the plan does with the columns of `scan`; `columns` are the
/// table's column names and which of them are boolean, so nothing but a
/// real column is ever proposed.
pub fn uses(plan: &serde_json::Value, scan: &Scan, columns: &BTreeMap<String, bool>) -> Uses {
    let (conditions, sorts) = expressions(plan);
    let mut uses = Uses::default();
    let push = |list: &mut Vec<String>, item: String| {
        if !list.contains(&item) {
            list.push(item);
        }
    };
    for text in &conditions {
        for found in references(text, &scan.alias) {
            let Some(&boolean) = columns.get(&found.column) else {
                continue;
            };
            let quoted = quote(&found.column);
            match found.role {
                Role::Equal => push(&mut uses.equal, quoted),
                Role::Range => push(&mut uses.range, quoted),
                Role::Null(negated) => push(
                    &mut uses.predicates,
                    format!("{quoted} is {}null", if negated { "not " } else { "" }),
                ),
                Role::Bare(negated) if boolean => push(
                    &mut uses.predicates,
                    format!("{}{quoted}", if negated { "not " } else { "" }),
                ),
                Role::Bare(_) | Role::Other => {}
            }
        }
    }
    for key in &sorts {
        let Some(found) = references(key, &scan.alias).into_iter().next() else {
            continue;
        };
        // Only a key that is the column itself: `s.created_at DESC`, not
        // an expression over it.
        let rest = key.trim_start_matches('(');
        let prefix = format!("{}.", scan.alias);
        if !rest.starts_with(&prefix) || !columns.contains_key(&found.column) {
            continue;
        }
        let desc = key.ends_with(" DESC") || key.contains(" DESC ");
        let quoted = quote(&found.column);
        if !uses.sort.iter().any(|(c, _)| *c == quoted) {
            uses.sort.push((quoted, desc));
        }
    }
    uses
}

/// A column name as SQL needs it.
fn quote(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// How an expression uses a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Equal,
    Range,
    /// `IS NULL`, or with `true` `IS NOT NULL`.
    Null(bool),
    /// Standing alone, as a boolean does (`NOT` before it with `true`).
    Bare(bool),
    Other,
}

#[derive(Debug, PartialEq, Eq)]
struct Reference {
    column: String,
    role: Role,
}

/// Every `alias.column` in `text` with what surrounds it.
fn references(text: &str, alias: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let prefix = format!("{alias}.");
    let mut from = 0;
    while let Some(found) = text[from..].find(&prefix) {
        let start = from + found;
        from = start + prefix.len();
        // `xs.id` must not match alias `s`.
        let before_char = text[..start].chars().next_back();
        if before_char.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '"' || c == '.') {
            continue;
        }
        let Some((column, len)) = identifier(&text[from..]) else {
            continue;
        };
        from += len;
        let after = after_casts(&text[from..]);
        let before = text[..start].trim_end_matches('(').trim_end();
        out.push(Reference {
            column,
            role: role(before, after),
        });
    }
    out
}

/// An identifier at the start of `text` (plain or double-quoted) and its length.
fn identifier(text: &str) -> Option<(String, usize)> {
    if let Some(rest) = text.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().is_some_and(|&(_, n)| n == '"') {
                    chars.next();
                    name.push('"');
                } else {
                    return Some((name, i + 2));
                }
            } else {
                name.push(c);
            }
        }
        return None;
    }
    let len = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    (len > 0).then(|| (text[..len].to_owned(), len))
}

/// What follows a column once closing parentheses and `::type` casts are
/// passed: `)::text = 'x'` reads as `= 'x'`.
fn after_casts(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start_matches(')');
        if let Some(cast) = trimmed.strip_prefix("::") {
            let end = cast
                .find(|c: char| {
                    !(c.is_alphanumeric()
                        || c == '_'
                        || c == ' '
                        || c == '"'
                        || c == '['
                        || c == ']')
                })
                .unwrap_or(cast.len());
            // A type name may hold spaces, but an operator follows a space.
            let name = &cast[..end];
            let cut = ["=", "<", ">", "AND", "OR", "IS"]
                .iter()
                .filter_map(|op| name.find(&format!(" {op}")))
                .min()
                .unwrap_or(end);
            text = &cast[cut..];
        } else {
            return trimmed;
        }
    }
}

fn role(before: &str, after: &str) -> Role {
    let after = after.trim_start();
    if after.starts_with("IS NOT NULL") {
        return Role::Null(true);
    }
    if after.starts_with("IS NULL") {
        return Role::Null(false);
    }
    const OPERATORS: [(&str, Role); 6] = [
        ("<=", Role::Range),
        (">=", Role::Range),
        ("<>", Role::Other),
        ("=", Role::Equal),
        ("<", Role::Range),
        (">", Role::Range),
    ];
    if let Some((_, role)) = OPERATORS
        .iter()
        .find(|(op, _)| after.starts_with(&format!("{op} ")))
    {
        return *role;
    }
    // The column on the right: `$1 < s.x` is a range all the same.
    if let Some((_, role)) = OPERATORS.iter().find(|(op, _)| before.ends_with(op)) {
        return *role;
    }
    let ends = after.is_empty()
        || after.starts_with(')')
        || after.starts_with("AND ")
        || after.starts_with("OR ");
    if ends {
        let negated = before.ends_with("NOT");
        let opens = before.is_empty()
            || before.ends_with("NOT")
            || before.ends_with("AND")
            || before.ends_with("OR");
        if opens {
            return Role::Bare(negated);
        }
    }
    Role::Other
}

/// The indexes worth trying for one table: each used column alone; every
/// equality column leading each other column (equality, then sort key,
/// then range, the order a b-tree serves them in); two equality columns
/// leading the first sort key; and each of those restricted to each
/// predicate whose column it does not already hold.
pub fn proposals(table: &str, uses: &Uses) -> Vec<Proposal> {
    let sort_keys: Vec<String> = uses
        .sort
        .iter()
        .map(|(c, desc)| {
            if *desc {
                format!("{c} desc")
            } else {
                c.clone()
            }
        })
        .collect();
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut add = |k: Vec<String>| {
        let columns: Vec<&str> = k.iter().map(|c| c.split(' ').next().unwrap_or(c)).collect();
        let distinct = columns
            .iter()
            .enumerate()
            .all(|(i, c)| !columns[..i].contains(c));
        if distinct && !keys.contains(&k) {
            keys.push(k);
        }
    };
    for c in uses.equal.iter().chain(&sort_keys).chain(&uses.range) {
        add(vec![c.clone()]);
    }
    for e in &uses.equal {
        for other in uses.equal.iter().chain(&sort_keys).chain(&uses.range) {
            add(vec![e.clone(), other.clone()]);
        }
    }
    if let Some(first) = sort_keys.first() {
        for (i, a) in uses.equal.iter().enumerate() {
            for b in &uses.equal[i + 1..] {
                add(vec![a.clone(), b.clone(), first.clone()]);
            }
        }
    }
    let mut out: Vec<Proposal> = keys
        .iter()
        .map(|k| Proposal {
            table: table.to_owned(),
            keys: k.clone(),
            predicate: None,
        })
        .collect();
    for p in &uses.predicates {
        for k in &keys {
            let holds = k
                .iter()
                .any(|c| p.contains(c.split(' ').next().unwrap_or(c)));
            if !holds {
                out.push(Proposal {
                    table: table.to_owned(),
                    keys: k.clone(),
                    predicate: Some(p.clone()),
                });
            }
        }
    }
    out.truncate(MOST_PER_TABLE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(names: &[(&str, bool)]) -> BTreeMap<String, bool> {
        names.iter().map(|(n, b)| (n.to_string(), *b)).collect()
    }

    #[test]
    fn a_feed_plan_reads_as_equality_sort_and_predicates() {
        let plan = serde_json::json!({
            "Node Type": "Limit",
            "Plans": [{
                "Node Type": "Sort",
                "Sort Key": ["s.created_at DESC", "s.id"],
                "Plans": [{
                    "Node Type": "Seq Scan", "Relation Name": "stories", "Schema": "public", "Alias": "s",
                    "Filter": "((s.deleted_at IS NULL) AND ((s.user_id = $0) OR s.is_public) AND (NOT s.archived) AND ((s.status)::text = ANY ('{a,b}'::text[])) AND (s.created_at >= '2026-01-01 00:00:00+00'::timestamp with time zone) AND (xs.title = 'x'::text))"
                }]
            }]
        });
        let found = scans(&plan);
        assert_eq!(
            found,
            vec![Scan {
                table: "public.stories".into(),
                alias: "s".into()
            }]
        );
        let cols = columns(&[
            ("id", false),
            ("user_id", false),
            ("created_at", false),
            ("deleted_at", false),
            ("is_public", true),
            ("archived", true),
            ("status", false),
            ("title", false),
        ]);
        let uses = uses(&plan, &found[0], &cols);
        assert_eq!(
            uses,
            Uses {
                equal: vec!["user_id".into(), "status".into()],
                range: vec!["created_at".into()],
                sort: vec![("created_at".into(), true), ("id".into(), false)],
                predicates: vec![
                    "deleted_at is null".into(),
                    "is_public".into(),
                    "not archived".into()
                ],
            }
        );
    }

    #[test]
    fn proposals_lead_with_equality_and_try_each_predicate() {
        let uses = Uses {
            equal: vec!["user_id".into()],
            range: vec![],
            sort: vec![("created_at".into(), true)],
            predicates: vec!["deleted_at is null".into()],
        };
        let defs: Vec<String> = proposals("public.stories", &uses)
            .iter()
            .map(Proposal::definition)
            .collect();
        assert_eq!(
            defs,
            vec![
                "create index stories_user_id_idx on public.stories (user_id)",
                "create index stories_created_at_idx on public.stories (created_at desc)",
                "create index stories_user_id_created_at_idx on public.stories (user_id, created_at desc)",
                "create index stories_user_id_partial_idx on public.stories (user_id) where deleted_at is null",
                "create index stories_created_at_partial_idx on public.stories (created_at desc) where deleted_at is null",
                "create index stories_user_id_created_at_partial_idx on public.stories (user_id, created_at desc) where deleted_at is null",
            ]
        );
    }

    #[test]
    fn odd_names_are_quoted_and_casts_skipped() {
        assert_eq!(quote("user_id"), "user_id");
        assert_eq!(quote("UserId"), "\"UserId\"");
        let refs = references("((c.\"Kind\")::text = 'x'::text)", "c");
        assert_eq!(
            refs,
            vec![Reference {
                column: "Kind".into(),
                role: Role::Equal
            }]
        );
        let refs = references("('2026-01-01'::date < c.day)", "c");
        assert_eq!(refs[0].role, Role::Range);
    }
}

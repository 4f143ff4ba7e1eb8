//! A migration's statements, read with sqlparser's PostgreSQL tokenizer
//! (quotes, dollar quotes and comments handled): split at top-level
//! semicolons, every plain `CREATE INDEX` rewritten with `CONCURRENTLY`,
//! and squawk's static rules for DDL that locks a table while it works.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::results::StaticWarning;

/// One statement of a migration: its text and its words, lowercased, with
/// where each word starts in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    /// 1-based line of the statement in the migration.
    pub line: u64,
    words: Vec<(String, usize)>,
}

/// Why a migration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the migration's SQL: {0}")]
pub struct SplitError(String);

/// The statements of `sql`, comments and blank space around them dropped.
pub fn split(sql: &str) -> Result<Vec<Statement>, SplitError> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| SplitError(e.to_string()))?;
    let offsets = LineOffsets::new(sql);
    let mut out = Vec::new();
    let mut current: Vec<&TokenWithSpan> = Vec::new();
    let mut flush = |current: &mut Vec<&TokenWithSpan>, end: usize| {
        let Some(first) = current
            .iter()
            .find(|t| !matches!(t.token, Token::Whitespace(_)))
        else {
            current.clear();
            return;
        };
        let start = offsets.byte(first.span.start.line, first.span.start.column);
        // Up to the last token that is not blank space or a comment: a
        // `-- note` before the semicolon must not swallow the `;` joined on.
        let last = current
            .iter()
            .rposition(|t| !matches!(t.token, Token::Whitespace(_)))
            .unwrap_or(0);
        let end = current.get(last + 1).map_or(end, |t| {
            offsets.byte(t.span.start.line, t.span.start.column)
        });
        let words = current
            .iter()
            .filter_map(|t| match &t.token {
                Token::Word(w) if w.quote_style.is_none() => Some((
                    w.value.to_ascii_lowercase(),
                    offsets.byte(t.span.start.line, t.span.start.column) - start,
                )),
                _ => None,
            })
            .collect();
        out.push(Statement {
            sql: sql[start..end].trim_end().to_owned(),
            line: first.span.start.line,
            words,
        });
        current.clear();
    };
    for t in &tokens {
        if t.token == Token::SemiColon {
            let end = offsets.byte(t.span.start.line, t.span.start.column);
            flush(&mut current, end);
        } else {
            current.push(t);
        }
    }
    flush(&mut current, sql.len());
    Ok(out)
}

/// Byte offsets of (line, column) positions, both 1-based, columns in characters.
struct LineOffsets<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineOffsets<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }

    fn byte(&self, line: u64, column: u64) -> usize {
        let start = self
            .starts
            .get((line as usize).saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..]
            .char_indices()
            .nth((column as usize).saturating_sub(1))
            .map_or(self.text.len(), |(i, _)| start + i)
    }
}

impl Statement {
    fn word(&self, i: usize) -> Option<&str> {
        self.words.get(i).map(|(w, _)| w.as_str())
    }

    fn starts_with(&self, words: &[&str]) -> bool {
        words
            .iter()
            .enumerate()
            .all(|(i, w)| self.word(i) == Some(*w))
    }

    fn has(&self, word: &str) -> bool {
        self.words.iter().any(|(w, _)| w == word)
    }

    /// Whether some `a` is directly followed by `b`.
    fn has_pair(&self, a: &str, b: &str) -> bool {
        self.words.windows(2).any(|p| p[0].0 == a && p[1].0 == b)
    }

    /// `CREATE [UNIQUE] INDEX` without `CONCURRENTLY`: the position of `index`.
    fn plain_index(&self) -> Option<usize> {
        let at = if self.starts_with(&["create", "index"]) {
            1
        } else if self.starts_with(&["create", "unique", "index"]) {
            2
        } else {
            return None;
        };
        (self.word(at + 1) != Some("concurrently")).then_some(at)
    }

    /// Whether it builds an index without blocking writes.
    pub fn is_concurrent(&self) -> bool {
        self.has("concurrently")
    }

    /// The statement with `CONCURRENTLY` after `INDEX`, if it is a plain build.
    pub fn concurrently(&self) -> Option<String> {
        let at = self.plain_index()?;
        let (_, offset) = &self.words[at];
        let end = offset + "index".len();
        Some(format!(
            "{} concurrently{}",
            &self.sql[..end],
            &self.sql[end..]
        ))
    }

    /// squawk's rules for this statement, as warnings.
    pub fn warnings(&self) -> Vec<StaticWarning> {
        let mut out = Vec::new();
        let mut warn = |rule: &str, message: &str| {
            out.push(StaticWarning {
                rule: rule.to_owned(),
                line: self.line,
                statement: self.sql.lines().next().unwrap_or_default().to_owned(),
                message: message.to_owned(),
            });
        };
        if self.plain_index().is_some() {
            warn(
                "require-concurrent-index-creation",
                "CREATE INDEX holds a SHARE lock for the whole build: every insert, update and delete on the table waits; build it CONCURRENTLY",
            );
        }
        if self.starts_with(&["alter", "table"]) {
            let validates =
                self.has("add") && (self.has_pair("foreign", "key") || self.has("check"));
            if validates && !self.has_pair("not", "valid") {
                warn(
                    "constraint-missing-not-valid",
                    "adding a constraint checks every row under lock; add it NOT VALID, then VALIDATE CONSTRAINT in its own transaction",
                );
            }
            if self.has_pair("set", "not") && self.has("null") {
                warn(
                    "adding-not-nullable-field",
                    "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock; add CHECK (col IS NOT NULL) NOT VALID and validate it first",
                );
            }
            if self.has("type") && self.has("alter") && self.has("column") {
                warn(
                    "changing-column-type",
                    "changing a column's type may rewrite the table under an ACCESS EXCLUSIVE lock: reads and writes wait",
                );
            }
        }
        if self.starts_with(&["vacuum", "full"]) || self.starts_with(&["cluster"]) {
            warn(
                "ban-table-rewrite",
                "rewrites the table under an ACCESS EXCLUSIVE lock: reads and writes wait",
            );
        }
        if self.starts_with(&["refresh", "materialized", "view"]) && !self.has("concurrently") {
            warn(
                "refresh-without-concurrently",
                "REFRESH MATERIALIZED VIEW locks out its readers; refresh CONCURRENTLY (needs a unique index)",
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_at_top_level_semicolons_only() {
        let sql = "-- add the feed index\ncreate index stories_feed on public.stories (user_id, created_at desc);\n\
                   create function f() returns int language sql as $$ select 1; $$;\n\
                   insert into t values ('a;b'); /* trailing */\n\
                   analyze t -- why\n;";
        let found = split(sql).expect("splits");
        let texts: Vec<(&str, u64)> = found.iter().map(|s| (s.sql.as_str(), s.line)).collect();
        assert_eq!(
            texts,
            [
                (
                    "create index stories_feed on public.stories (user_id, created_at desc)",
                    2
                ),
                (
                    "create function f() returns int language sql as $$ select 1; $$",
                    3
                ),
                ("insert into t values ('a;b')", 4),
                ("analyze t", 5),
            ]
        );
    }

    #[test]
    fn plain_index_builds_get_concurrently_and_a_warning() {
        let found = split(
            "CREATE UNIQUE INDEX x ON t (a);\ncreate index concurrently y on t (b);\nalter table t add constraint fk foreign key (a) references u (id);\nalter table t add constraint ok check (a > 0) not valid",
        )
        .expect("splits");
        assert_eq!(
            found[0].concurrently().as_deref(),
            Some("CREATE UNIQUE INDEX concurrently x ON t (a)")
        );
        assert_eq!(found[1].concurrently(), None);
        assert!(found[1].is_concurrent());
        let rules: Vec<(String, u64)> = found
            .iter()
            .flat_map(Statement::warnings)
            .map(|w| (w.rule, w.line))
            .collect();
        assert_eq!(
            rules,
            [
                ("require-concurrent-index-creation".to_owned(), 1),
                ("constraint-missing-not-valid".to_owned(), 3)
            ]
        );
    }
}

//! A migration's statements, read with sqlparser's PostgreSQL tokenizer
//! (quotes, dollar quotes and comments handled): split at top-level
//! semicolons, as the Supabase CLI splits a migration file, each with
//! where it starts so a server error can name its file, line and column.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// One statement of a migration: its text and its words, lowercased, with
/// where each word starts in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    /// 1-based line of the statement in the migration.
    pub line: u64,
    /// Byte offset of the statement's first character in the migration.
    pub start: usize,
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
            start,
            words,
        });
        current.clear();
    };
    // Inside a SQL-standard body (`BEGIN ATOMIC ... END`) semicolons end
    // the body's statements, not the function's: count the ENDs still owed
    // (a CASE inside owes one too).
    let mut owed_ends = 0usize;
    let mut previous_word = String::new();
    for t in &tokens {
        if let Token::Word(w) = &t.token
            && w.quote_style.is_none()
        {
            let word = w.value.to_ascii_lowercase();
            match word.as_str() {
                "atomic" if previous_word == "begin" => owed_ends += 1,
                "case" if owed_ends > 0 => owed_ends += 1,
                "end" if owed_ends > 0 => owed_ends -= 1,
                _ => {}
            }
            previous_word = word;
        }
        if t.token == Token::SemiColon && owed_ends == 0 {
            let end = offsets.byte(t.span.start.line, t.span.start.column);
            flush(&mut current, end);
        } else {
            current.push(t);
        }
    }
    flush(&mut current, sql.len());
    Ok(out)
}

/// The 1-based line and column (in characters) of byte `at` of `text`.
pub fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(at.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Words that begin a statement: a syntax error at one of them, first on
/// its line, most often means the statement before it lost its `;`.
const STATEMENT_STARTS: &[&str] = &[
    "alter", "begin", "comment", "commit", "create", "delete", "do", "drop", "grant", "insert",
    "revoke", "select", "set", "truncate", "update", "with",
];

/// For a syntax error at byte `at` of statement `statement` (within the
/// migration `text`): where a missing `;` would go, when the error is at a
/// word that starts a statement on a line of its own.
pub fn missing_semicolon(text: &str, statement: &Statement, at: usize) -> Option<String> {
    let inside = statement.sql.get(at..)?;
    let word: String = inside
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase();
    let line_start = statement.sql[..at].rfind('\n').map_or(0, |i| i + 1);
    let first_on_line = statement.sql[line_start..at].trim().is_empty();
    if at == 0 || !first_on_line || !STATEMENT_STARTS.contains(&word.as_str()) {
        return None;
    }
    // The last line before it with code on it (comments aside).
    let before = &text[..statement.start + line_start];
    let lines: Vec<&str> = before.lines().collect();
    let index = lines.iter().rposition(|l| {
        let code = l.split("--").next().unwrap_or_default().trim();
        !code.is_empty()
    })?;
    Some(format!(
        "missing `;` at the end of line {}? (the statement before `{word}` never ended)",
        index + 1
    ))
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
    /// The role name written after word `i` (quoted or not, as the server
    /// reads it), with the byte where it ends in the statement's text.
    pub fn name_after(&self, i: usize) -> Option<(String, usize)> {
        let after = self.word_offset(i)? + self.words[i].0.len();
        let rest = &self.sql[after..];
        let skipped = rest.len() - rest.trim_start().len();
        let rest = &rest[skipped..];
        let (name, len) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"')?;
                (quoted[..end].to_owned(), end + 2)
            }
            None => {
                let len = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(rest.len());
                (rest[..len].to_lowercase(), len)
            }
        };
        (!name.is_empty()).then_some((name, after + skipped + len))
    }

    /// The number of (unquoted) words read.
    pub fn word_count(&self) -> usize {
        self.words.len()
    }

    /// Where word `i` starts in the statement's text.
    pub fn word_offset(&self, i: usize) -> Option<usize> {
        self.words.get(i).map(|(_, at)| *at)
    }

    pub fn word(&self, i: usize) -> Option<&str> {
        self.words.get(i).map(|(w, _)| w.as_str())
    }

    pub fn starts_with(&self, words: &[&str]) -> bool {
        words
            .iter()
            .enumerate()
            .all(|(i, w)| self.word(i) == Some(*w))
    }

    pub fn has(&self, word: &str) -> bool {
        self.words.iter().any(|(w, _)| w == word)
    }

    /// Whether some `a` is directly followed by `b`.
    pub fn has_pair(&self, a: &str, b: &str) -> bool {
        self.words.windows(2).any(|p| p[0].0 == a && p[1].0 == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_semicolon_is_named_where_it_belongs() {
        let sql = "create table a (id int)\n-- the next one\n\ncreate function f() returns int\n  language sql as $$ select 1 $$;\n";
        let found = split(sql).expect("splits");
        assert_eq!(found.len(), 1, "the two statements run together");
        let at = found[0].sql.find("create function").expect("second create");
        assert_eq!(line_and_column(sql, found[0].start + at), (4, 1));
        assert_eq!(
            missing_semicolon(sql, &found[0], at).as_deref(),
            Some("missing `;` at the end of line 1? (the statement before `create` never ended)")
        );
        // An error inside a line is not a lost `;`.
        let inside = found[0].sql.find("int").expect("a type");
        assert_eq!(missing_semicolon(sql, &found[0], inside), None);
    }

    #[test]
    fn a_standard_sql_body_is_one_statement() {
        let sql = "create function f(x int) returns int begin atomic\n  select case when x > 0 then 1 else 0 end;\n  select 2;\nend;\nselect 3;";
        let found = split(sql).expect("splits");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].sql.ends_with("end"), "{}", found[0].sql);
        assert_eq!(found[1].sql, "select 3");
    }

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
}

//! A migration's statements (split by `pg::statements`): every plain
//! `CREATE INDEX` rewritten with `CONCURRENTLY`, and squawk's static rules
//! for DDL that locks a table while it works.

pub use crate::pg::statements::{SplitError, Statement, split};
use crate::results::StaticWarning;

/// squawk's rules and the CONCURRENTLY rewrite, for one statement.
pub trait Rules {
    fn plain_index(&self) -> Option<usize>;
    fn is_concurrent(&self) -> bool;
    fn concurrently(&self) -> Option<String>;
    fn warnings(&self) -> Vec<StaticWarning>;
}

impl Rules for Statement {
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
    fn is_concurrent(&self) -> bool {
        self.has("concurrently")
    }

    /// The statement with `CONCURRENTLY` after `INDEX`, if it is a plain build.
    fn concurrently(&self) -> Option<String> {
        let at = self.plain_index()?;
        let end = self.word_offset(at)? + "index".len();
        Some(format!(
            "{} concurrently{}",
            &self.sql[..end],
            &self.sql[end..]
        ))
    }

    /// squawk's rules for this statement, as warnings.
    fn warnings(&self) -> Vec<StaticWarning> {
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

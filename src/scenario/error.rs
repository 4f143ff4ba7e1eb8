//! Errors that point at the exact place in a scenario file.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One segment of a key path such as `tables.stories.count.max`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySeg {
    Key(String),
    Index(usize),
}

/// A dotted key path into the scenario document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<KeySeg>);

impl KeyPath {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by a key.
    pub fn key(&self, key: &str) -> Self {
        let mut segs = self.0.clone();
        segs.push(KeySeg::Key(key.to_owned()));
        Self(segs)
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(KeySeg::Index(index));
        Self(segs)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                KeySeg::Key(k) => {
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    let dot = if i == 0 { "" } else { "." };
                    if bare {
                        write!(f, "{dot}{k}")?;
                    } else {
                        write!(f, "{dot}{k:?}")?;
                    }
                }
                KeySeg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A problem found while reading or checking a scenario.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A command-line flag that contradicts the scenario or itself.
    #[error("{flag} {value}: {problem}")]
    Flag {
        flag: String,
        value: String,
        problem: String,
    },
    #[error("{}:{line}:{column}: {key}{}: {problem}", file.display(), value_suffix(value))]
    Invalid {
        file: PathBuf,
        line: usize,
        column: usize,
        key: String,
        value: Option<String>,
        problem: String,
    },
}

impl ScenarioError {
    /// A scenario or flag the user must fix, or a file that cannot be read.
    pub fn exit_code(&self) -> u8 {
        crate::results::exit::USAGE
    }
}

fn value_suffix(value: &Option<String>) -> String {
    value
        .as_ref()
        .map(|v| format!(" = {v}"))
        .unwrap_or_default()
}

/// An error located by key path; turned into [`ScenarioError::Invalid`] once
/// the path is resolved to a line and column.
#[derive(Debug, Clone)]
pub struct Problem {
    pub path: KeyPath,
    pub value: Option<String>,
    pub problem: String,
}

impl Problem {
    pub fn new(path: KeyPath, problem: impl Into<String>) -> Self {
        Self {
            path,
            value: None,
            problem: problem.into(),
        }
    }

    pub fn with_value(mut self, value: impl fmt::Display) -> Self {
        self.value = Some(value.to_string());
        self
    }
}

/// 1-based line and column of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Builds the located error for a problem whose place in the file is `span`.
pub fn locate(file: &Path, source: &str, span: Option<Range<usize>>, p: Problem) -> ScenarioError {
    let (line, column) = span.map_or((1, 1), |s| line_column(source, s.start));
    ScenarioError::Invalid {
        file: file.to_owned(),
        line,
        column,
        key: if p.path.0.is_empty() {
            "(file)".to_owned()
        } else {
            p.path.to_string()
        },
        value: p.value,
        problem: p.problem,
    }
}

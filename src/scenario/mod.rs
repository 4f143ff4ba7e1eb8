//! Scenario files: what to build, what data to seed, what load to run.
//!
//! Loading is all-or-nothing: a [`Scenario`] exists only once the file has
//! parsed and passed every check, so later stages never see a bad one.

pub mod error;
pub mod generator;
mod span;
pub mod spec;
pub mod units;
pub mod validate;
pub mod workload;

#[cfg(test)]
mod tests;

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::results::limit::Threshold;
pub use error::ScenarioError;
use error::{KeyPath, Problem, locate};
use span::SourceMap;
pub use spec::ScenarioSpec;
use units::Scale;

/// How many scenarios deep `extends` may go.
const MAX_EXTENDS_DEPTH: usize = 4;

/// A scenario that parsed and validated.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub spec: ScenarioSpec,
    /// The file it was read from.
    pub path: PathBuf,
    /// Name of the scenario that defines the data (itself, or the one it
    /// `extends`): seeded databases are named after it and shared.
    pub data_name: String,
    /// Migrations, read at load time so a missing file fails before any work.
    pub migrations: Vec<Migration>,
    /// The thresholds with their limits parsed (the spec keeps the text).
    pub thresholds: Vec<Threshold>,
}

/// One migration file and its SQL.
#[derive(Debug, Clone)]
pub struct Migration {
    pub path: PathBuf,
    pub sql: String,
}

impl Scenario {
    /// Reads, parses and validates a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        Self::load_nested(path, 0)
    }

    fn load_nested(path: &Path, depth: usize) -> Result<Self, ScenarioError> {
        let source = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &source, depth)
    }

    /// Parses and validates scenario text that claims to live at `path`
    /// (migrations are resolved next to it).
    pub fn from_source(path: &Path, source: &str) -> Result<Self, ScenarioError> {
        Self::parse(path, source, 0)
    }

    fn parse(path: &Path, source: &str, depth: usize) -> Result<Self, ScenarioError> {
        let map = SourceMap::parse(source);
        let spec: ScenarioSpec = toml::from_str(source).map_err(|e| {
            let span = e.span();
            let key = match (&map, &span) {
                (Some(map), Some(s)) => map.path_at(s.start),
                _ => KeyPath::root(),
            };
            let value = span
                .as_ref()
                .map(|s| source[s.clone()].trim().to_owned())
                .filter(|v| !v.is_empty() && v.len() < 80);
            let mut problem = Problem::new(key, tidy_serde_message(e.message()));
            problem.value = value;
            locate(path, source, span, problem)
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let locate_problem = |problem: Problem| {
            let span = map.as_ref().and_then(|m| m.span_of(&problem.path));
            locate(path, source, span, problem)
        };
        if let Some(base_path) = spec.extends.clone() {
            for (key, present) in [
                ("tables", !spec.tables.is_empty()),
                ("migrations", !spec.migrations.is_empty()),
            ] {
                if present {
                    return Err(locate_problem(Problem::new(
                        KeyPath::root().key(key),
                        format!(
                            "expected no `{key}` beside `extends`: the data comes from the extended scenario"
                        ),
                    )));
                }
            }
            if depth >= MAX_EXTENDS_DEPTH {
                return Err(locate_problem(
                    Problem::new(
                        KeyPath::root().key("extends"),
                        "expected a chain of at most 4 `extends` (is it a loop?)",
                    )
                    .with_value(format!("{:?}", base_path.display().to_string())),
                ));
            }
            let base = Scenario::load_nested(&dir.join(&base_path), depth + 1)?;
            let has = |key: &str| {
                map.as_ref()
                    .is_some_and(|m| m.span_of(&KeyPath::root().key(key)).is_some())
            };
            let mut merged = spec;
            merged.tables = base.spec.tables.clone();
            merged.migrations = base.spec.migrations.clone();
            if !has("seed") {
                merged.seed = base.spec.seed;
            }
            if !has("scale") {
                merged.scale = base.spec.scale;
            }
            let thresholds = validate::validate(&merged, dir, true).map_err(locate_problem)?;
            return Ok(Self {
                spec: merged,
                thresholds,
                path: path.to_owned(),
                data_name: base.data_name,
                migrations: base.migrations,
            });
        }
        let thresholds = validate::validate(&spec, dir, false).map_err(locate_problem)?;
        let mut files = Vec::new();
        for m in &spec.migrations {
            // Validated: every entry names at least one file.
            files.extend(migration_files(dir, m).unwrap_or_default());
        }
        let migrations = read_migrations(files)?;
        Ok(Self {
            data_name: spec.name.clone(),
            spec,
            path: path.to_owned(),
            migrations,
            thresholds,
        })
    }

    /// Applies command-line overrides of the seed and scale.
    pub fn with_overrides(
        mut self,
        seed: Option<u64>,
        scale: Option<Scale>,
    ) -> Result<Self, ScenarioError> {
        if let Some(scale) = scale.map(Scale::get) {
            if let Some((table, rows)) = validate::oversized_table(&self.spec, scale) {
                return Err(ScenarioError::Flag {
                    flag: "--scale".to_owned(),
                    value: scale.to_string(),
                    problem: format!(
                        "expected a scale that keeps every table within {} rows; {table} would have {rows:.0}",
                        validate::MAX_TABLE_ROWS
                    ),
                });
            }
            self.spec.scale = scale;
        }
        if let Some(seed) = seed {
            self.spec.seed = seed;
        }
        Ok(self)
    }

    /// The same scenario on another schema: every `*.sql` file of `dir`, in
    /// file-name order (the order the Supabase CLI applies
    /// `supabase/migrations/`), instead of its own migrations.
    pub fn with_migrations_from(&self, dir: &Path) -> Result<Self, ScenarioError> {
        let files =
            migration_files(dir, Path::new("*.sql")).map_err(|problem| ScenarioError::Flag {
                flag: "--against-migrations".to_owned(),
                value: dir.display().to_string(),
                problem,
            })?;
        let migrations = read_migrations(files)?;
        Ok(Self {
            migrations,
            ..self.clone()
        })
    }

    /// The folder all of the scenario's migrations live in, when one does.
    pub fn migrations_folder(&self) -> Option<PathBuf> {
        let mut folders = self.migrations.iter().filter_map(|m| m.path.parent());
        let first = folders.next()?;
        folders.all(|f| f == first).then(|| first.to_owned())
    }

    /// A pull request's side built as the Supabase CLI builds it: every
    /// `*.sql` of the scenario's migrations folder in name order, so a file
    /// the branch adds is applied even where the scenario lists its files
    /// one by one. The scenario unchanged when its migrations share no folder.
    pub fn with_folder_migrations(&self) -> Result<Self, ScenarioError> {
        match self.migrations_folder() {
            Some(folder) => self.with_migrations_from(&folder),
            None => Ok(self.clone()),
        }
    }

    /// Whether both apply the same SQL, file for file.
    pub fn same_schema(&self, other: &Self) -> bool {
        self.migrations.len() == other.migrations.len()
            && self
                .migrations
                .iter()
                .zip(&other.migrations)
                .all(|(a, b)| a.sql == b.sql)
    }

    /// Identifies the seeded data: the schema, the table specs, the seed and
    /// the scale. Workload edits do not change it, so they reuse the data.
    pub fn data_fingerprint(&self) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for m in &self.migrations {
            m.sql.hash(&mut h);
        }
        self.spec.tables.hash(&mut h);
        self.spec.seed.hash(&mut h);
        self.spec.scale.to_bits().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        format!("{:016x}", h.finish())
    }
}

/// The files a `migrations` entry names, relative to `dir`: one path, or a
/// glob pattern (`../supabase/migrations/*.sql`) whose files are taken in
/// name order, as the Supabase CLI applies its `<timestamp>_<name>.sql`
/// migrations. What is wrong, in words, if it names no file.
pub fn migration_files(dir: &Path, entry: &Path) -> Result<Vec<PathBuf>, String> {
    let full = dir.join(entry);
    if !entry.to_string_lossy().contains(['*', '?', '[']) {
        return if full.is_file() {
            Ok(vec![full])
        } else {
            Err(format!(
                "expected an SQL file; {} does not exist",
                full.display()
            ))
        };
    }
    // Only the entry is a pattern: the scenario's own folder is taken as named.
    let pattern = if entry.is_absolute() {
        entry.to_string_lossy().into_owned()
    } else {
        Path::new(&glob::Pattern::escape(&dir.to_string_lossy()))
            .join(entry)
            .to_string_lossy()
            .into_owned()
    };
    let paths = glob::glob(&pattern).map_err(|e| format!("expected a glob pattern: {e}"))?;
    let mut files: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()).then(a.cmp(b)));
    if files.is_empty() {
        return Err(format!(
            "expected SQL files; {} matches none",
            full.display()
        ));
    }
    Ok(files)
}

/// Reads migration files, naming the one that cannot be read.
fn read_migrations(files: Vec<PathBuf>) -> Result<Vec<Migration>, ScenarioError> {
    files
        .into_iter()
        .map(|path| {
            std::fs::read_to_string(&path)
                .map(|sql| Migration {
                    path: path.clone(),
                    sql,
                })
                .map_err(|source| ScenarioError::Read { path, source })
        })
        .collect()
}

/// serde's messages name Rust types; say it in the file's own terms.
fn tidy_serde_message(message: &str) -> String {
    let m = message.trim();
    let m = m.replace("variant", "value").replace("struct ", "");
    format!("expected {}", m.strip_prefix("expected ").unwrap_or(&m))
        .replace("expected invalid type: ", "wrong type: ")
        .replace("expected unknown field", "unknown key")
        .replace("expected missing field", "missing key")
        .replace("expected unknown value", "unknown value")
}

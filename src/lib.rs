//! schemabench: tells, with measurements, whether a database schema change
//! makes an app faster or slower before it ships.
//!
//! Modules depend only on modules listed before them (the test
//! `tests/layers.rs` holds the code to this order):
//!
//! ```text
//! progress   bars on a terminal, plain lines in a log
//! results    the one result model: what every stage produces and reads
//! scenario   the scenario file: types, parsing, validation, limits
//! pg         the server: throwaway cluster or external, catalog reads
//! seed       deterministic data, bulk-loaded with COPY
//! candidate  a copy of the data per configuration, its DDL cost and size
//! measure    per-worker HDR histograms, per-second timelines
//! drive      the load engine: workers as real users, closed and open loop
//! observe    plans, statement statistics, index usage of each copy
//! lint       splinter's schema rules on a migrated database
//! compare    statistics and verdicts
//! gate       thresholds and stored baselines
//! report     terminal, Markdown, HTML/SVG, JSON and CI outputs
//! merge      the shards of one run added up: histograms, logs, verdicts
//! pipeline   `run` end to end: seed -> candidates -> drive -> observe ->
//!            compare -> gate -> write; shards meet on a board
//! capacity   sweeps, rate search and growth, made of pipeline runs
//! advise     indexes HypoPG shows the planner would use, then measured
//! migrate    DDL applied under live load: lock waits, stalls, CONCURRENTLY
//! init       a commented scenario inferred from a team's own migrations
//! cli        the command line
//! commands   one file per subcommand, exit codes
//! ```

pub mod advise;
pub mod candidate;
pub mod capacity;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod drive;
pub mod gate;
pub mod init;
pub mod lint;
pub mod measure;
pub mod merge;
pub mod migrate;
pub mod observe;
pub mod pg;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod results;
pub mod scenario;
pub mod seed;

pub use commands::{exit, exit_code_for, exit_code_for_standing, run};

/// Seeding builds millions of short strings on several threads at once:
/// with glibc's allocator, malloc and free took a quarter of the
/// generators' time. Declared here so the binary, the benches and the
/// tests all measure the same code.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

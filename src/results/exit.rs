//! Exit codes a CI system can act on: what a finished command found, or
//! which side of the line an error falls (the user's input, or the run).
//! Every error type names its own code beside its variants.

pub const OK: u8 = 0;
/// The command line or the scenario file is wrong, or two runs cannot be
/// compared.
pub const USAGE: u8 = 2;
/// The database or the run failed.
pub const RUN_FAILED: u8 = 3;
/// The run finished but a threshold of the scenario failed.
pub const THRESHOLD_FAILED: u8 = 4;
/// A query is slower than in the stored baseline.
pub const REGRESSION: u8 = 5;
/// Against the stored baseline a ratio moved past the noise threshold but
/// could not be called either way.
pub const UNDECIDED: u8 = 6;
/// A measured phase or a query completed no request, or the stored run
/// compared with lacks a query: nothing to judge by, never a pass.
pub const NOTHING_MEASURED: u8 = 7;
/// `lint` found the schema breaking a rule.
pub const LINT_FINDINGS: u8 = 8;

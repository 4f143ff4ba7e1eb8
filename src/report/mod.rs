//! Outputs of a run, each rendered from the one result model.

pub mod files;
pub mod model;
pub mod terminal;

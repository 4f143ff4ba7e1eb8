//! Outputs of a run, each rendered from the one result model.

pub mod advice;
pub mod analysis;
pub mod capacity;
pub mod charts;
pub mod ci;
pub mod files;
pub mod headline;
pub mod html;
pub mod markdown;
pub mod migration;
pub mod playbook;
pub mod terminal;

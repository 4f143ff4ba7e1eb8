//! Driving load: the workload and load phases of a scenario.

pub mod spec;

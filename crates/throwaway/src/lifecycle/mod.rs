//! Cleanup and sharing (DESIGN.md layer 5): containers shared by the tests of a process, and
//! their removal when the process exits.

mod exit;
mod shared;

pub use shared::Shared;

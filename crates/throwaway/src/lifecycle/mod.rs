//! Cleanup and sharing (DESIGN.md layer 6): containers shared by the tests of a process, and
//! their removal when the process exits.

mod exit;
pub(crate) mod reaper;
mod shared;

pub use reaper::DEFAULT_REAPER_IMAGE;
pub use shared::{Shared, Start};

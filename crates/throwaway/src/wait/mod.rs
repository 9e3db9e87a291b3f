//! Readiness strategies (DESIGN.md layer 4).

pub(crate) mod target;

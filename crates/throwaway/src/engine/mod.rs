//! Finding and talking to a Docker-API engine (DESIGN.md layer 1).

pub(crate) mod discovery;
pub(crate) mod environment;
pub(crate) mod properties;

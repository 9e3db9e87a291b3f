//! Ready-made services (DESIGN.md layer 5), one file per service, each behind a cargo
//! feature. A module owns its image's contract: port, environment, command, readiness, and
//! helpers such as `connection_url()`.

#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod sql;

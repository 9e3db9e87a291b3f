//! Ready-made services (DESIGN.md layer 6), one folder per service, each behind a cargo
//! feature and built on the public module kit ([`crate::kit`]) alone, as a module in any
//! other crate would be. A module owns its image's contract: port, environment, command,
//! readiness, and helpers such as `connection_url()`.

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;

//! Ready-made services (DESIGN.md layer 6), one folder per service, each behind a cargo
//! feature and built on the public module kit ([`crate::kit`]), as a module in any other
//! crate would be; `wire` holds the few small helpers the protocol probes share. A module
//! owns its image's contract: port, environment, command, readiness, and helpers such as
//! `connection_url()`.

#[cfg(feature = "memcached")]
pub mod memcached;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "rabbitmq")]
pub mod rabbitmq;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod sql;
#[cfg(any(feature = "memcached", feature = "nats", feature = "rabbitmq"))]
mod wire;

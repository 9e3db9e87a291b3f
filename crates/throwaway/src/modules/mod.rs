//! Ready-made services (DESIGN.md layer 5), one folder per service, each behind a cargo
//! feature. A module owns its image's contract: port, environment, command, readiness, and
//! helpers such as `connection_url()`.

#[cfg(feature = "memcached")]
pub mod memcached;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "rabbitmq")]
pub mod rabbitmq;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(any(feature = "memcached", feature = "nats", feature = "rabbitmq"))]
mod wire;

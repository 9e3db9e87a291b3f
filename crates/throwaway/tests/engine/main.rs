//! Tests against a real Docker engine, one module per topic.
//!
//! They use local images that `ci/images/build` makes (`redis:7.0`, `postgres:15`,
//! `throwaway-test/tools:1`); on an engine that can pull, the official images serve too,
//! except the tools image, which is ours.
//!
//! Without an engine these tests print why and pass; with `CI` set they fail instead.

mod support;

mod blocking;
mod concurrency;
mod containers;
mod discovery;
mod faults;
#[cfg(feature = "memcached")]
mod memcached;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "nats")]
mod nats;
mod networks;
mod ports;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "rabbitmq")]
mod rabbitmq;
mod reaper;
#[cfg(feature = "redis")]
mod redis;
mod reuse;
#[cfg(all(feature = "redis", feature = "postgres"))]
mod secrets;
mod shared;
#[cfg(feature = "postgres")]
mod snapshots;
mod sweep;
mod teardown;
mod waits;

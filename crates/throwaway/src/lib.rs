//! Disposable Docker containers for Rust tests: ask for an image, get a ready service on a
//! random local port, and have it removed afterwards.
//!
//! ```
//! use throwaway::{ContainerRequest, Wait};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = ContainerRequest::new("redis:7.0")
//!     .exposed_port(6379)
//!     .wait_for(Wait::log("Ready to accept connections"))
//!     .start()
//!     .await?;
//! let url = format!("redis://{}:{}", redis.host(), redis.host_port(6379)?);
//! // … talk to Redis at `url`; the container is removed when `redis` is dropped.
//! # let _ = url;
//! # Ok(()) }
//! ```
//!
//! What it does for you:
//!
//! - **Finds the engine** as Testcontainers does: `DOCKER_HOST` (unix, tcp, tcp with
//!   `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`), `~/.testcontainers.properties`, the current
//!   docker context, then the usual socket paths (rootless Docker and Podman included);
//!   `TESTCONTAINERS_HOST_OVERRIDE` names the host to reach published ports at.
//! - **Checks image references** before talking to the engine and pulls only when the image
//!   is missing ([`PullPolicy`]); `TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX` points Docker Hub
//!   images at a mirror.
//! - **Publishes ports on 127.0.0.1** for a local engine, on random host ports read once at
//!   start: [`Container::host_port`].
//! - **Waits for readiness** with one of the [`Wait`] strategies, and fails at once, with the
//!   exit code and the last log lines, if the container exits instead.
//! - **Cleans up**: a [`Container`] or [`Network`] is removed when dropped, anonymous volumes
//!   included; [`Container::remove`] reports errors. Everything carries the
//!   `org.testcontainers` labels.
//!
//! Every engine call runs on a small runtime owned by the library, so the API works from any
//! async runtime (a `#[tokio::test]` with its single thread included) and a cancelled start
//! still cleans up. For plain `#[test]` functions, use [`blocking`].
//!
//! # Cargo features
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `blocking` | yes | [`blocking`]: the synchronous facade |
//! | `tls` | yes | engines behind TLS (`DOCKER_TLS_VERIFY`), through rustls |
//! | `redis` | yes | [`redis`]: the Redis module, with clients from the `redis` crate |
//! | `postgres` | yes | [`postgres`]: the PostgreSQL module, with fresh databases per test and clients from `tokio-postgres` |
#![deny(missing_docs)]
// One line needs `unsafe`: registering the exit hook (lifecycle/exit.rs).
#![deny(unsafe_code)]

mod container;
mod engine;
mod error;
mod image;
mod lifecycle;
mod modules;
mod wait;

#[cfg(feature = "blocking")]
pub mod blocking;

pub use container::{
    Container, ContainerPort, ContainerRequest, ExecResult, LogLine, LogSource, Logs, Mount,
    Network, Protocol, DEFAULT_STARTUP_TIMEOUT,
};
pub use engine::{engine_info, EngineInfo};
pub use error::{Error, ErrorKind, Result};
pub use image::{ImageRef, PullPolicy};
pub use lifecycle::{Shared, Start, DEFAULT_REAPER_IMAGE};
#[cfg(feature = "postgres")]
pub use modules::postgres;
#[cfg(feature = "redis")]
pub use modules::redis;
pub use wait::{HttpWait, Wait};

// The README's examples are compiled and run as doc tests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The engine API's own types, for [`ContainerRequest::with_create_body`]. They come from
/// the `bollard` crate and follow its version.
pub mod raw {
    pub use bollard::models::{ContainerCreateBody, HostConfig};
}

//! Disposable Docker containers for Rust tests: ask for an image, get a ready service on a
//! random local port, and have it removed afterwards.
//!
//! ```
//! use throwaway::{ContainerRequest, Wait};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
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
//! # Services
//!
//! Modules know their image's contract (port, environment, readiness) and hand out
//! connection URLs and clients: [`redis`] and [`postgres`].
//!
//! ```
//! use throwaway::redis::Redis;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! let redis = Redis::new("redis:7.0").password("s3cret").start().await?;
//! let mut connection = redis.async_connection().await?;
//! let _: () = redis::cmd("SET").arg("greeting").arg("hello").query_async(&mut connection).await?;
//! println!("Redis at {}", redis.connection_url());
//! # Ok(()) }
//! ```
//!
//! # Writing a module
//!
//! The built-in modules use nothing but the public [module kit](kit): a builder that
//! implements [`kit::Module`] (the image contract, and readiness through [`Wait::probe`]
//! for a check of its own such as a login), a started type with `connection_url()` and
//! clients, and optionally [`kit::Isolation`] for a unit per test from a shared server. So a
//! module for any service can live in any crate; the [kit's docs](kit#writing-a-module)
//! walk through a whole one.
//!
//! # One container for many tests
//!
//! Starting a service per test is slow; sharing one is fast if each test still gets a clean
//! slate. [`Shared`] starts a service once, on first use, for every test of the process (and,
//! under `cargo nextest`, for every process of the run); the modules hand each test a fresh,
//! isolated part of it in milliseconds: a PostgreSQL database cloned from a migrated
//! template, a Redis logical database.
//!
//! ```
//! use throwaway::redis::Redis;
//! use throwaway::Shared;
//!
//! static REDIS: Shared<Redis> = Shared::new(|| Redis::new("redis:7.0"));
//!
//! # #[tokio::main] async fn main() -> throwaway::Result<()> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! // In each test:
//! let database = REDIS.get().await?.fresh_database().await?;
//! let url = database.url(); // redis://127.0.0.1:49153/7: nobody else's
//! # let _ = url; Ok(()) }
//! ```
//!
//! # Cleanup: what removes your containers, and when
//!
//! - **Drop.** A [`Container`] or [`Network`] is removed, anonymous volumes included, when it
//!   is dropped, also while a failing test unwinds. Dropping returns at once: the removal
//!   goes on in the background, on the library's own runtime, and a failure is logged
//!   (`tracing` at `warn`, naming the container). A network's removal waits for the
//!   container removals still going on, a container's for the per-test databases being
//!   dropped on its server. [`Container::remove`] and [`Network::remove`] wait and report
//!   errors: call them where the test needs the object gone (to reuse a name, say).
//! - **Failed starts.** A start that fails or times out removes what it created before it
//!   returns; one abandoned by its caller removes it in the background.
//! - **Exit.** Removals still pending when the process exits normally are handed to the
//!   session's reaper, which removes them at once, so that no test process (under `cargo
//!   nextest`, one per test) waits for the engine at its end either; without a reaper that
//!   takes them (disabled, or the official Ryuk), the exit hook waits for them (at most
//!   30 s).
//! - **Shared containers** live in statics, which Rust never drops: they are removed when the
//!   process exits normally (an exit hook), or, when shared by the processes of a nextest
//!   run, by the reaper once the run is over.
//! - **The reaper.** Before the first container of a session exists, the library starts (or
//!   finds) a Ryuk-compatible reaper container and keeps a connection to it open for the
//!   life of the process. When a process ends in a way no code of it sees (SIGKILL, Ctrl-C,
//!   an abort), the connection closes, and 10 s after the last process of the session has
//!   gone the reaper removes every container, network and volume labelled with the session's
//!   id. The fault tests measure about 10–12 s from the kill to nothing left. If the reaper
//!   itself is killed, the library starts another and reconnects. Configure it as in
//!   Testcontainers: `TESTCONTAINERS_RYUK_DISABLED=true` turns it off (then only Drop and the
//!   exit hook clean up), `TESTCONTAINERS_RYUK_CONTAINER_IMAGE` names another image (the
//!   official `testcontainers/ryuk` works), `TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT`
//!   changes the 10 s.
//! - **Reused containers** ([`ContainerRequest::reuse`], opt-in) are never removed by the
//!   library. Remove them with
//!   `docker rm -f $(docker ps -aq --filter label=org.testcontainers.reuse=true)`.
//! - **An engine restart** stops every container, the reaper included. While the test
//!   process lives on, the library connects to a new reaper once the engine is back, so the
//!   session's stopped containers are still removed after it ends. What processes left that
//!   ended while the engine was down goes with the orphan sweep.
//! - **The orphan sweep.** When the process and its reaper die together (a machine or
//!   engine restart, an OOM kill of the whole group, `docker kill` of everything), nothing
//!   would ever remove their containers. So when a session starts, the library looks, in the
//!   background, for containers, networks and volumes of ours whose session has neither a
//!   running reaper nor a running process, and removes them ([`sweep_orphans`] does it on
//!   demand). Every object names the process that made it (label `org.throwaway.owner`:
//!   machine, pid and the pid's start time, on Linux). A session of one process on this
//!   machine has ended when none of its processes runs any more; a session that spans
//!   processes, or one from another machine sharing the engine, when it had a reaper, its
//!   objects are over a minute old, and its reaper is still missing 15 s later; a session
//!   from another machine without a reaper is never judged. Reused containers, snapshots,
//!   reapers, and objects of other Testcontainers libraries are never touched.
//!   `THROWAWAY_SWEEP_DISABLED=true` turns the automatic sweep off.
//!
//! # Cargo features
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `blocking` | yes | [`blocking`]: the synchronous facade |
//! | `macros` | yes | [`test`]: `#[throwaway::test]`, a test's isolation units as its arguments |
//! | `tls` | yes | engines behind TLS (`DOCKER_TLS_VERIFY`), through rustls |
//! | `redis` | yes | [`redis`]: the Redis module, with clients from the `redis` crate |
//! | `postgres` | yes | [`postgres`]: the PostgreSQL module, with fresh databases per test and clients from `tokio-postgres` |
//! | `memcached` | no | [`memcached`]: the Memcached module, with a key prefix per test |
//! | `nats` | no | [`nats`]: the NATS module, with auth, JetStream and a subject prefix per test |
//! | `rabbitmq` | no | [`rabbitmq`]: the RabbitMQ module, with a fresh vhost and user per test |
//! | `mysql` | no | [`mysql`]: the MySQL and MariaDB module, with fresh databases per test and clients from `mysql_async` |
#![deny(missing_docs)]
// One line needs `unsafe`: registering the exit hook (engine/runtime.rs).
#![deny(unsafe_code)]

mod container;
mod engine;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod image;
pub mod kit;
mod lifecycle;
mod modules;
pub mod testing;
mod wait;

#[cfg(feature = "blocking")]
pub mod blocking;

pub use container::{sweep_orphans, Swept};
pub use container::{
    Container, ContainerPort, ContainerRequest, ExecResult, FileMode, LogLine, LogSource, Logs,
    Mount, Network, Protocol, PublishedPort, Start, DEFAULT_REAPER_IMAGE, DEFAULT_STARTUP_TIMEOUT,
};
pub use engine::{engine_info, skip_without_engine, EngineInfo};
pub use error::{Error, ErrorKind, Result};
pub use image::{ImageRef, PullPolicy};
pub use lifecycle::Shared;
#[cfg(feature = "memcached")]
pub use modules::memcached;
#[cfg(feature = "mysql")]
pub use modules::mysql;
#[cfg(feature = "nats")]
pub use modules::nats;
#[cfg(feature = "postgres")]
pub use modules::postgres;
#[cfg(feature = "rabbitmq")]
pub use modules::rabbitmq;
#[cfg(feature = "redis")]
pub use modules::redis;
pub use wait::{Endpoints, HttpWait, ProbeFailure, Wait};

/// A test whose arguments are handed out by shared containers: `#[from(PG)] db:
/// TestDatabase` gets a fresh database of the `static PG: Shared<Postgres>`, kept for a
/// look if the test fails. On `async fn` and plain `fn`, returning `()` or `Result`.
///
/// ```no_run
/// use throwaway::postgres::{Postgres, TestDatabase};
/// use throwaway::redis::{Redis, RedisDatabase};
/// use throwaway::Shared;
///
/// static PG: Shared<Postgres> = Shared::new(|| Postgres::new("postgres:15"));
/// static REDIS: Shared<Redis> = Shared::new(|| Redis::new("redis:7.0"));
///
/// #[throwaway::test]
/// async fn caches_a_user(
///     #[from(PG)] db: TestDatabase,
///     #[from(REDIS)] cache: RedisDatabase,
/// ) -> Result<(), Box<dyn std::error::Error>> {
///     db.client().await?.batch_execute("CREATE TABLE users (name text)").await?;
///     let _ = cache.url(); // both are this test's own; the servers serve the whole run
///     Ok(())
/// }
/// ```
///
/// The [`testing`] module says what each argument type gets, when units are kept, how
/// `#[throwaway::test(skip_without_engine)]` skips when no engine answers, and what
/// `#[throwaway::test(flavor = "multi_thread", worker_threads = 2)]` runs an async test on.
#[cfg(feature = "macros")]
pub use throwaway_macros::test;

// The README's examples are compiled and run as doc tests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The engine API's own types, for [`ContainerRequest::with_create_body`]: the create
/// body and what its fields hold (ports and their bindings, mounts, networking, health
/// checks, limits, restart policies), so that an edit needs no direct dependency on
/// `bollard`. They come from that crate and follow its version.
///
/// ```
/// use throwaway::raw::{DeviceMapping, HostConfig};
/// use throwaway::ContainerRequest;
/// let request = ContainerRequest::new("throwaway-test/tools:1").with_create_body(|body| {
///     let host: &mut HostConfig = body.host_config.get_or_insert_with(Default::default);
///     host.devices = Some(vec![DeviceMapping {
///         path_on_host: Some("/dev/fuse".into()),
///         path_in_container: Some("/dev/fuse".into()),
///         cgroup_permissions: Some("rwm".into()),
///     }]);
/// });
/// # let _ = request;
/// ```
pub mod raw {
    pub use bollard::models::{
        ContainerCreateBody, DeviceMapping, EndpointSettings, HealthConfig, HostConfig,
        HostConfigLogConfig, Mount, MountTmpfsOptions, MountType, MountVolumeOptions,
        NetworkingConfig, PortBinding, PortMap, ResourcesUlimits, RestartPolicy,
        RestartPolicyNameEnum,
    };
}

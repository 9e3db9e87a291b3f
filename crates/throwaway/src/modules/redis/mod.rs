//! Redis: a ready server on a random local port, with a connection URL, clients from the
//! [`redis`](https://docs.rs/redis) crate, and a fresh logical database per test.
//!
//! ```
//! use redis::AsyncCommands;
//! use throwaway::redis::Redis;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! let redis = Redis::new("redis:7.0").password("s3cr:t@").start().await?;
//! let mut connection = redis.async_connection().await?;
//! let _: () = connection.rpush("queue", "hello").await?;
//! let queued: Vec<String> = connection.lrange("queue", 0, -1).await?;
//! assert_eq!(queued, ["hello"]);
//! // connection_url() gives the same server to other clients: redis://:s3cr%3At%40@127.0.0.1:…
//! # assert!(redis.connection_url().starts_with("redis://:s3cr%3At%40@127.0.0.1:"));
//! # Ok(()) }
//! ```
//!
//! Tests that share one server stay apart with [`RedisContainer::fresh_database`]: each call
//! hands out a logical database that no other caller got, also across processes that share
//! the container.
//!
//! ```no_run
//! use throwaway::redis::Redis;
//! use throwaway::Shared;
//!
//! static REDIS: Shared<Redis> = Shared::new(Redis::default);
//!
//! #[tokio::test]
//! async fn counts_visits() -> Result<(), Box<dyn std::error::Error>> {
//!     let database = REDIS.get().await?.fresh_database().await?; // empty, and ours alone
//!     let mut connection = database.async_connection().await?;
//!     let visits: i64 = redis::cmd("INCR").arg("visits").query_async(&mut connection).await?;
//!     assert_eq!(visits, 1);
//!     Ok(())
//! }
//! ```
//!
//! The module keeps to the official image's contract (`redis-server` with arguments, port
//! 6379, "Ready to accept connections"), so other tags of the official image work alike.
//!
//! # What the module adds to the request
//!
//! [`Redis::with_request`] runs after it and can change any of it.
//!
//! | what | value | when |
//! |---|---|---|
//! | exposed port | 6379, or [`Redis::port`], on a random host port | always |
//! | command | `redis-server`, the config file if any, `--databases 1024` ([`DATABASES`]), `--port …`, then each [`setting`](Redis::setting) and [`arg`](Redis::arg) in the order added | always |
//! | file `/etc/throwaway-redis.conf` | `requirepass "…"`, so the password stays off the command line | with [`password`](Redis::password) |
//! | keys `throwaway:fresh-databases` and `throwaway:fresh-databases:session:<id>` | in the last logical database (kept out of [`fresh_database`](RedisContainer::fresh_database)'s reach): count the databases handed out | once a fresh database is asked for |

mod container;
mod endpoint;

use std::fmt;
use std::time::Duration;

use crate::container::{Container, ContainerRequest};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{self, Endpoints, Module, ProbeFailure, RequestEdits, Secret};
use crate::wait::Wait;

pub use container::{RedisContainer, RedisDatabase};
use endpoint::Endpoint;

/// The image [`Redis::default`] starts.
pub const DEFAULT_IMAGE: &str = "redis:7.0";

/// The port Redis listens on inside the container.
pub const PORT: u16 = 6379;

/// How many logical databases the module starts the server with.
///
/// Enough for [`RedisContainer::fresh_database`] to serve a large test suite from one
/// container (1022 databases: 0 stays the default one, and the last holds the module's
/// counts); an empty database costs Redis a few hundred bytes. Raise it with
/// `.arg("--databases").arg("4096")`.
pub const DATABASES: u32 = 1024;

/// Where the password is written, so that it stays off the command line. Not under
/// `/usr/local/etc/redis`: users bind-mount their own configuration there, and a file copied
/// into a bind mount would land on their host.
const CONFIG_PATH: &str = "/etc/throwaway-redis.conf";

/// The line the official image logs once the server accepts connections (Redis 7.2 appends
/// " tcp"; a substring matches both).
const READY_LINE: &str = "Ready to accept connections";

/// A Redis server to start, the way Testcontainers' `RedisContainer` describes one.
///
/// ```no_run
/// use throwaway::redis::Redis;
/// # async fn demo() -> throwaway::Result<()> {
/// let redis = Redis::new("redis:7.0")
///     .password("s3cr:t@")
///     .arg("--appendonly")
///     .arg("yes")
///     .start()
///     .await?;
/// let url = redis.connection_url(); // redis://:s3cr%3At%40@127.0.0.1:49153
/// # let _ = url; Ok(()) }
/// ```
///
/// A builder is a value: clone it to start several servers alike. `Debug` shows the
/// password as `***`.
#[derive(Clone)]
pub struct Redis {
    image: String,
    password: Option<Secret>,
    port: Option<u16>,
    args: Vec<String>,
    edits: RequestEdits,
}

impl Redis {
    /// A Redis server from `image`, such as `"redis:7.0"` or a mirror's copy of it.
    pub fn new(image: impl Into<String>) -> Self {
        Redis {
            image: image.into(),
            password: None,
            port: None,
            args: Vec::new(),
            edits: RequestEdits::new(),
        }
    }

    /// Requires clients to authenticate with `password` (Redis's `requirepass`).
    ///
    /// The password reaches the server through a configuration file copied into the
    /// container, not its command line, so `docker inspect`, the request's `Debug` and error
    /// messages do not show it. [`RedisContainer::connection_url`] and the clients include it.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(Secret::new(password.into()));
        self
    }

    /// Adds an argument for `redis-server`, such as `--appendonly` and then `yes`.
    ///
    /// Arguments come after the module's own (`--databases 1024`), so they win over them.
    /// Set the password with [`password`](Redis::password) rather than `--requirepass`: the
    /// module has to know it to check the server and to build connection URLs.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// A configuration directive for `redis-server`, passed as `--key value`:
    /// `.setting("maxmemory", "10mb").setting("maxmemory-policy", "allkeys-lru")`. The
    /// same as two [`arg`](Redis::arg)s, in the same order with them; the name the other
    /// modules use for server settings (`Postgres::setting`, `Mysql::setting`).
    pub fn setting(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.arg(format!("--{}", key.trim_start_matches('-')))
            .arg(value)
    }

    /// The port the server listens on inside the container (default 6379, [`PORT`]).
    ///
    /// The module tells the server (`--port …`), exposes that port, and connects to it for
    /// readiness, URLs and fresh databases. The host port stays random; for a fixed one as
    /// well, add `.with_request(|r| r.exposed_port_at(6380, 6380))`.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The port the server listens on inside the container.
    fn container_port(&self) -> u16 {
        self.port.unwrap_or(PORT)
    }

    /// Adds several arguments for `redis-server`, as [`arg`](Redis::arg) adds one.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Edits the container request the module built, for what the module does not cover:
    /// environment, mounts, networks, a startup timeout, a pull policy, …
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use throwaway::redis::Redis;
    /// # async fn demo() -> throwaway::Result<()> {
    /// let redis = Redis::default()
    ///     .with_request(|request| {
    ///         request
    ///             .tmpfs("/data")
    ///             .memory_limit(256 << 20)
    ///             .startup_timeout(Duration::from_secs(120))
    ///     })
    ///     .start()
    ///     .await?;
    /// # let _ = redis; Ok(()) }
    /// ```
    ///
    /// `edit` runs on every start, after the module's settings. Replacing the command, the
    /// exposed port or the readiness check breaks what the module relies on.
    pub fn with_request(
        mut self,
        edit: impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static,
    ) -> Self {
        self.edits.push(edit);
        self
    }

    /// Starts the server and waits until a client can talk to it.
    ///
    /// Ready means: the server logged "Ready to accept connections", and it answered `PING`
    /// through its published port from a client of this module, authenticated with the
    /// password if one was set. If the caller stops waiting, the start still completes in
    /// the background and the container is then removed.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidRequest`]: an empty password.
    /// - Whatever [`ContainerRequest::start`] returns: a malformed image reference, no
    ///   engine, an image that cannot be pulled, a server that exits (for instance on an
    ///   unknown argument: the error quotes its last log lines), or one that is not ready
    ///   within the startup timeout ([`ErrorKind::WaitTimeout`], also when it does not answer
    ///   `PING` in time).
    /// - [`ErrorKind::Service`]: the server refused the module's client, for instance because
    ///   an argument set another password.
    pub async fn start(self) -> Result<RedisContainer> {
        kit::start(self).await
    }

    /// The container request for this server: the official image's contract, plus the
    /// user's edits.
    fn build_request(&self) -> ContainerRequest {
        let mut cmd = vec!["redis-server".to_string()];
        let mut request = ContainerRequest::new(&self.image)
            .exposed_port(self.container_port())
            .wait_for(
                Wait::log(READY_LINE)
                    .and(answers_ping(self.container_port(), self.password.clone())),
            );
        if let Some(password) = &self.password {
            // A config file must be the first argument (the official entrypoint and
            // redis-server both expect it there); later arguments override it.
            request = request.copy_bytes(config_file(password.expose()), CONFIG_PATH);
            cmd.push(CONFIG_PATH.to_string());
        }
        cmd.extend(["--databases".to_string(), DATABASES.to_string()]);
        if let Some(port) = self.port {
            cmd.extend(["--port".to_string(), port.to_string()]);
        }
        cmd.extend(self.args.iter().cloned());
        self.edits.apply(request.cmd(cmd))
    }
}

impl Module for Redis {
    type Started = RedisContainer;

    fn request(&self) -> Result<ContainerRequest> {
        if self.password.as_ref().is_some_and(Secret::is_empty) {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "an empty password for {} would mean no password: leave out .password(…)",
                    self.image
                ),
            ));
        }
        Ok(self.build_request())
    }

    async fn ready(self, container: Container) -> Result<RedisContainer> {
        let container_port = self.container_port();
        let endpoint = Endpoint::new(
            container.host(),
            container.host_port(container_port)?,
            self.password,
        );
        let databases = databases(&endpoint, &container.describe()).await;
        let session_id = kit::session_id().await?;
        tracing::debug!(container = %container.describe(), databases, "redis answers PING");
        Ok(RedisContainer::new(
            container,
            container_port,
            endpoint,
            databases,
            &session_id,
        ))
    }
}

impl Default for Redis {
    /// `Redis::new(DEFAULT_IMAGE)`: [`DEFAULT_IMAGE`] is `redis:7.0`.
    fn default() -> Self {
        Redis::new(DEFAULT_IMAGE)
    }
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("image", &self.image)
            .field("password", &self.password)
            .field("port", &self.container_port())
            .field("args", &self.args)
            .field("edits", &self.edits)
            .finish()
    }
}

/// A configuration file that sets `password`, quoted so that any character survives:
/// redis-server reads `\xHH` escapes inside double quotes.
fn config_file(password: &str) -> String {
    let mut quoted = String::with_capacity(password.len());
    for byte in password.bytes() {
        if byte.is_ascii_alphanumeric() {
            quoted.push(char::from(byte));
        } else {
            quoted.push_str(&format!("\\x{byte:02x}"));
        }
    }
    format!(
        "# Written by throwaway: the password goes here to stay off the command line.\n\
         requirepass \"{quoted}\"\n"
    )
}

/// How long one readiness `PING` may take: connecting, authenticating, answering.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Ready means a client of this module gets `PONG` through the published port: the log
/// line comes first, and the engine's port forwarding may lag behind it by a moment.
fn answers_ping(container_port: u16, password: Option<Secret>) -> Wait {
    Wait::probe("Redis answering PING", move |endpoints: Endpoints| {
        let password = password.clone();
        async move {
            let who = endpoints.container().to_string();
            let port = endpoints
                .host_port(container_port)
                .map_err(ProbeFailure::fatal)?;
            let endpoint = Endpoint::new(endpoints.host(), port, password);
            let client = endpoint.client(0, &who).map_err(ProbeFailure::fatal)?;
            match ping(&client).await {
                Ok(()) => Ok(()),
                Err(error) if is_auth_error(&error) => Err(ProbeFailure::fatal(
                    Error::new(
                        ErrorKind::Service,
                        format!(
                            "{who} refused the module's client: {error}. Set the password \
                             with Redis::password(…) rather than a --requirepass argument, \
                             so that the module and connection_url() know it"
                        ),
                    )
                    .with_source(error),
                )),
                Err(error) => Err(ProbeFailure::not_yet(format!(
                    "{error} (at {})",
                    endpoint.url(None).masked()
                ))),
            }
        }
    })
}

fn connection_config() -> redis::AsyncConnectionConfig {
    redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(PING_TIMEOUT))
        .set_response_timeout(Some(PING_TIMEOUT))
}

async fn ping(client: &redis::Client) -> redis::RedisResult<()> {
    let mut connection = client
        .get_multiplexed_async_connection_with_config(&connection_config())
        .await?;
    let _: String = redis::cmd("PING").query_async(&mut connection).await?;
    Ok(())
}

/// How many logical databases the ready server has (`CONFIG GET databases`): the user's
/// arguments may have changed the module's number. A server whose `CONFIG` command is
/// renamed away still works; assume the module's number then.
async fn databases(endpoint: &Endpoint, who: &str) -> u32 {
    let asked = async {
        let client = endpoint.client(0, who).ok()?;
        let mut connection = client
            .get_multiplexed_async_connection_with_config(&connection_config())
            .await
            .ok()?;
        let config: std::collections::HashMap<String, String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("databases")
            .query_async(&mut connection)
            .await
            .ok()?;
        config.get("databases")?.parse().ok()
    };
    asked.await.unwrap_or(DATABASES)
}

/// Whether the server refused a client for its credentials (rather than being unreachable).
fn is_auth_error(error: &redis::RedisError) -> bool {
    error.kind() == redis::ErrorKind::AuthenticationFailed
        || matches!(error.code(), Some("NOAUTH" | "WRONGPASS"))
}

/// A module error for a failed client operation: `what` says which, on which container.
fn service_error(what: impl fmt::Display, error: redis::RedisError) -> Error {
    Error::new(ErrorKind::Service, format!("{what}: {error}")).with_source(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "s3cr:t@ \"q\" \\ #x";

    #[test]
    fn without_a_password_the_command_is_the_official_images() {
        let request = Redis::default()
            .arg("--appendonly")
            .arg("yes")
            .build_request();
        assert_eq!(request.image(), "redis:7.0");
        assert_eq!(
            request.cmd.as_deref().unwrap(),
            ["redis-server", "--databases", "1024", "--appendonly", "yes"]
        );
        assert_eq!(request.exposed_ports, [crate::ContainerPort::tcp(6379)]);
        assert!(request.copies.is_empty());
        assert_eq!(
            request.wait.to_string(),
            "all of (log 'Ready to accept connections' on stdout or stderr, Redis answering PING)"
        );
    }

    #[test]
    fn the_password_goes_into_a_config_file_not_the_command_line() {
        let request = Redis::new("redis:7.0")
            .password(PASSWORD)
            .args(["--maxmemory", "10mb"])
            .build_request();
        assert_eq!(
            request.cmd.as_deref().unwrap(),
            [
                "redis-server",
                CONFIG_PATH,
                "--databases",
                "1024",
                "--maxmemory",
                "10mb"
            ]
        );
        assert_eq!(request.copies.len(), 1);
        assert_eq!(request.copies[0].0, CONFIG_PATH);
        let debug = format!("{request:?}");
        assert!(!debug.contains("s3cr"), "{debug}");
    }

    #[test]
    fn a_port_and_settings_reach_the_command_in_order() {
        let redis = Redis::default()
            .port(6380)
            .setting("maxmemory", "10mb")
            .arg("--appendonly")
            .arg("yes")
            .setting("--save", "");
        let request = redis.build_request();
        assert_eq!(
            request.cmd.as_deref().unwrap(),
            [
                "redis-server",
                "--databases",
                "1024",
                "--port",
                "6380",
                "--maxmemory",
                "10mb",
                "--appendonly",
                "yes",
                "--save",
                ""
            ]
        );
        assert_eq!(request.exposed_ports, [crate::ContainerPort::tcp(6380)]);
        assert!(format!("{redis:?}").contains("port: 6380"), "{redis:?}");
    }

    #[test]
    fn the_config_file_escapes_every_special_character() {
        let file = config_file(PASSWORD);
        let line = file.lines().find(|l| l.starts_with("requirepass")).unwrap();
        assert_eq!(
            line,
            r#"requirepass "s3cr\x3at\x40\x20\x22q\x22\x20\x5c\x20\x23x""#
        );
        // Multi-byte characters are escaped byte by byte.
        assert!(config_file("é").contains(r#""\xc3\xa9""#));
    }

    #[test]
    fn edits_to_the_request_come_last() {
        let request = Redis::default()
            .with_request(|r| r.env("A", "1").startup_timeout(Duration::from_secs(5)))
            .build_request();
        assert_eq!(request.env["A"], "1");
        assert_eq!(request.startup_timeout, Duration::from_secs(5));
    }

    #[test]
    fn debug_hides_the_password() {
        let redis = Redis::default().password(PASSWORD);
        let debug = format!("{redis:?}");
        assert!(!debug.contains("s3cr"), "{debug}");
        assert!(debug.contains(r#"password: Some("***")"#), "{debug}");
        let without = format!("{:?}", Redis::default());
        assert!(without.contains("password: None"), "{without}");
    }

    #[test]
    fn the_start_future_stays_small() {
        // `Shared` nests it in further futures; the container start inside is boxed.
        let size = std::mem::size_of_val(&Redis::default().start());
        assert!(size < 4096, "{size} bytes");
    }

    #[tokio::test]
    async fn an_empty_password_is_refused_before_anything_starts() {
        let err = Redis::default().password("").start().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert!(err.to_string().contains("empty password"), "{err}");
    }
}

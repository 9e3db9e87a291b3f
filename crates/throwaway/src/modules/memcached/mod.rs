//! Memcached: a ready server on a random local port, its address, a memory limit, and a
//! key prefix per test.
//!
//! ```
//! use throwaway::memcached::Memcached;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! let memcached = Memcached::new("memcached:1.6").memory_mb(32).start().await?;
//! let address = memcached.address(); // 127.0.0.1:49153, for any memcached client
//! # assert!(address.starts_with("127.0.0.1:"));
//! # Ok(()) }
//! ```
//!
//! # Isolation: what memcached has, and what the module offers
//!
//! Memcached has no databases, namespaces or users: every client of a server sees every
//! key. Tests that share one server stay apart by a key prefix each
//! ([`MemcachedContainer::fresh_prefix`], the module's [`Isolation`](crate::kit::Isolation)),
//! which the server does not enforce: a test that reads and writes only
//! [`KeyPrefix::key`]s never sees another's data. [`MemcachedContainer::flush_all`] empties
//! the whole server (every test's keys) for a test that has it to itself.
//!
//! # The image contract it relies on
//!
//! The official `memcached` image: its entrypoint runs a first argument `memcached` as
//! given, the server runs as the image's `memcache` user and listens on port 11211, and it
//! logs nothing unless asked (`-v`). So readiness is a real `version` command through the
//! published port, answered with `VERSION …`, each attempt limited to 2 s.
//!
//! # What the module adds to the request
//!
//! [`Memcached::with_request`] runs after it and can change any of it.
//!
//! | what | value | when |
//! |---|---|---|
//! | exposed port | 11211 ([`PORT`]), or [`Memcached::port`], on a random host port | always |
//! | command | `memcached -m <memory_mb>` ([`memory_mb`](Memcached::memory_mb), 64 by default), `-p …` with [`port`](Memcached::port), then each [`arg`](Memcached::arg) in the order added | always |
//!
//! Server settings are memcached's own options, given with [`arg`](Memcached::arg) and
//! [`args`](Memcached::args): `.args(["-I", "2m", "-c", "2048"])`. The container port is
//! not one of them: a `-p` here would leave the module probing another; use
//! [`Memcached::port`].

mod container;

pub use container::{KeyPrefix, MemcachedContainer};

use crate::container::{Container, ContainerRequest};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{self, Endpoints, Module, ProbeFailure, RequestEdits};
use crate::modules::wire;
use crate::wait::Wait;

/// The image [`Memcached::default`] starts.
pub const DEFAULT_IMAGE: &str = "memcached:1.6";

/// The port memcached listens on inside the container.
pub const PORT: u16 = 11211;

/// Memory for items unless [`Memcached::memory_mb`] says otherwise: memcached's own
/// default, 64 MB.
pub const DEFAULT_MEMORY_MB: u32 = 64;

/// What the readiness probe is called in messages.
const PROBE: &str = "memcached answering `version`";

/// A Memcached server to start.
///
/// ```no_run
/// use throwaway::memcached::Memcached;
/// # async fn demo() -> throwaway::Result<()> {
/// let memcached = Memcached::default()
///     .memory_mb(16)
///     .args(["-I", "2m"]) // items up to 2 MB
///     .start()
///     .await?;
/// # let _ = memcached; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Memcached {
    image: String,
    memory_mb: u32,
    port: Option<u16>,
    args: Vec<String>,
    edits: RequestEdits,
}

impl Memcached {
    /// A Memcached server from `image`, such as `"memcached:1.6"` or a mirror's copy of it.
    pub fn new(image: impl Into<String>) -> Self {
        Memcached {
            image: image.into(),
            memory_mb: DEFAULT_MEMORY_MB,
            port: None,
            args: Vec::new(),
            edits: RequestEdits::new(),
        }
    }

    /// The memory for items, in megabytes (`memcached -m`); 64 unless set. When it is full,
    /// memcached evicts the least recently used items, so a test that relies on an item
    /// staying must not fill it.
    pub fn memory_mb(mut self, megabytes: u32) -> Self {
        self.memory_mb = megabytes;
        self
    }

    /// Adds an option for `memcached`, such as `-I` and then `2m`. Options come after the
    /// module's `-m`, so a `-m` here wins, but then [`MemcachedContainer::memory_mb`] is
    /// wrong: use [`memory_mb`](Memcached::memory_mb).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// The port the server listens on inside the container (default 11211, [`PORT`]).
    /// The module tells the server (`-p`), exposes that port, and connects to it; the host
    /// port stays random (for a fixed one as well, add
    /// `.with_request(|r| r.exposed_port_at(11212, 11212))`).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The port the server listens on inside the container.
    fn container_port(&self) -> u16 {
        self.port.unwrap_or(PORT)
    }

    /// Adds several options for `memcached`, as [`arg`](Memcached::arg) adds one.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Edits the container request the module built, for what the module does not cover
    /// (a network, a memory limit for the container, a startup timeout). `edit` runs on
    /// every start, after the module's settings; replacing the command, the exposed port or
    /// the readiness check breaks what the module relies on.
    pub fn with_request(
        mut self,
        edit: impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static,
    ) -> Self {
        self.edits.push(edit);
        self
    }

    /// Starts the server and waits until it answers `version` through its published port.
    /// If the caller stops waiting, the start still completes in the background and the
    /// container is then removed.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidRequest`]: a memory limit of 0.
    /// - Whatever [`ContainerRequest::start`] returns: no engine, an image that cannot be
    ///   pulled, a server that exits (on an unknown option, say: the error quotes its last
    ///   lines), or one that does not answer within the startup timeout
    ///   ([`ErrorKind::WaitTimeout`]).
    pub async fn start(self) -> Result<MemcachedContainer> {
        kit::start(self).await
    }

    /// The container request: the official image's contract, plus the user's edits.
    fn build_request(&self) -> ContainerRequest {
        let mut cmd = vec![
            "memcached".to_string(),
            "-m".to_string(),
            self.memory_mb.to_string(),
        ];
        if let Some(port) = self.port {
            cmd.extend(["-p".to_string(), port.to_string()]);
        }
        cmd.extend(self.args.iter().cloned());
        let container_port = self.container_port();
        let request = ContainerRequest::new(&self.image)
            .exposed_port(container_port)
            .cmd(cmd)
            .wait_for(Wait::probe(PROBE, move |endpoints| {
                answers_version(endpoints, container_port)
            }));
        self.edits.apply(request)
    }
}

impl Default for Memcached {
    /// `Memcached::new(DEFAULT_IMAGE)`: [`DEFAULT_IMAGE`] is `memcached:1.6`.
    fn default() -> Self {
        Memcached::new(DEFAULT_IMAGE)
    }
}

impl Module for Memcached {
    type Started = MemcachedContainer;

    fn request(&self) -> Result<ContainerRequest> {
        if self.memory_mb == 0 {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "a memory limit of 0 MB for {} leaves no room for items: give \
                     .memory_mb(…) at least 1",
                    self.image
                ),
            ));
        }
        Ok(self.build_request())
    }

    async fn ready(self, container: Container) -> Result<MemcachedContainer> {
        let port = self.container_port();
        Ok(MemcachedContainer::new(container, port, self.memory_mb))
    }
}

/// Sends one text-protocol command over a new connection and reads the first line of the
/// answer, without its line end.
pub(crate) async fn command(host: &str, port: u16, line: &str) -> std::io::Result<String> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::TcpStream::connect((host, port)).await?;
    let mut stream = BufReader::new(stream);
    stream.write_all(format!("{line}\r\n").as_bytes()).await?;
    let mut answer = String::new();
    if stream.read_line(&mut answer).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(answer.trim_end().to_string())
}

/// Ready means a `version` command gets `VERSION …` back, which memcached sends only once
/// it takes commands.
async fn answers_version(endpoints: Endpoints, container_port: u16) -> Result<(), ProbeFailure> {
    let port = endpoints
        .host_port(container_port)
        .map_err(ProbeFailure::fatal)?;
    let at = wire::socket_address(endpoints.host(), port);
    let answer = wire::attempt(
        wire::ATTEMPT_LIMIT,
        &at,
        command(endpoints.host(), port, "version"),
    )
    .await?;
    match answer.starts_with("VERSION ") {
        true => Ok(()),
        false => Err(ProbeFailure::not_yet(format!(
            "{at} answered `version` with {answer:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    use super::*;
    use crate::ContainerPort;

    #[test]
    fn the_command_is_memcached_with_the_memory_limit_then_the_users_options() {
        let request = Memcached::default()
            .memory_mb(16)
            .args(["-I", "2m"])
            .arg("-vv")
            .build_request();
        assert_eq!(request.image(), "memcached:1.6");
        assert_eq!(
            request.command().unwrap(),
            ["memcached", "-m", "16", "-I", "2m", "-vv"]
        );
        assert_eq!(request.exposed_ports(), [ContainerPort::tcp(11211)]);
        assert_eq!(request.readiness().to_string(), PROBE);
        assert_eq!(
            Memcached::default().build_request().command().unwrap(),
            ["memcached", "-m", "64"]
        );
    }

    #[test]
    fn edits_to_the_request_come_last() {
        let request = Memcached::default()
            .with_request(|r| r.env("A", "1").cmd(["memcached", "-m", "8"]))
            .build_request();
        assert_eq!(request.env_vars()["A"], "1");
        assert_eq!(request.command().unwrap(), ["memcached", "-m", "8"]);
    }

    #[tokio::test]
    async fn no_memory_is_refused_before_anything_starts() {
        let err = Memcached::default().memory_mb(0).start().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert!(
            err.to_string().contains(".memory_mb(…) at least 1"),
            "{err}"
        );
    }

    #[test]
    fn another_port_is_told_to_the_server_and_exposed() {
        let request = Memcached::default().port(11300).arg("-v").build_request();
        assert_eq!(
            request.command().unwrap(),
            ["memcached", "-m", "64", "-p", "11300", "-v"]
        );
        assert_eq!(request.exposed_ports(), [ContainerPort::tcp(11300)]);
    }

    /// A server of the test's own on the host's loopback that answers each line it reads
    /// with `answer` (or says nothing if it is `None`).
    async fn fake_server(answer: Option<&'static str>) -> Endpoints {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut line = String::new();
                    while stream.read_line(&mut line).await.unwrap_or(0) > 0 {
                        match answer {
                            Some(answer) => stream.write_all(answer.as_bytes()).await.unwrap(),
                            None => tokio::time::sleep(Duration::from_secs(60)).await,
                        }
                        line.clear();
                    }
                });
            }
        });
        Endpoints::new(
            "memcached:1.6 (0123456789ab)",
            "127.0.0.1",
            [(ContainerPort::tcp(PORT), port)],
        )
    }

    #[tokio::test]
    async fn the_probe_wants_a_version_answer() {
        let ready = fake_server(Some("VERSION 1.6.22\r\n")).await;
        answers_version(ready, PORT).await.unwrap();

        let confused = fake_server(Some("ERROR\r\n")).await;
        let failure = answers_version(confused, PORT).await.unwrap_err();
        assert!(!failure.is_fatal());
        assert!(
            failure.detail().contains("\"ERROR\""),
            "{}",
            failure.detail()
        );
    }

    #[tokio::test]
    async fn a_silent_server_costs_one_attempt_limit_not_the_whole_wait() {
        let silent = fake_server(None).await;
        let started = std::time::Instant::now();
        let failure = answers_version(silent, PORT).await.unwrap_err();
        assert!(started.elapsed() < wire::ATTEMPT_LIMIT + Duration::from_secs(1));
        assert!(
            failure.detail().contains("within 2000 ms"),
            "{}",
            failure.detail()
        );
    }
}

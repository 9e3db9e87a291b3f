//! NATS: a ready server on a random local port, its client URL and monitoring URL, an
//! optional token or user/password login, optional JetStream, and a subject prefix per test.
//!
//! ```
//! use throwaway::nats::Nats;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! let nats = Nats::new("nats:2").token("s3cr/t").jetstream().start().await?;
//! let url = nats.connection_url(); // nats://s3cr%2Ft@127.0.0.1:49153, for any NATS client
//! # assert!(url.starts_with("nats://s3cr%2Ft@127.0.0.1:"));
//! let monitoring = nats.monitoring_url(); // http://127.0.0.1:49154 (/varz, /healthz, …)
//! # let _ = monitoring;
//! # Ok(()) }
//! ```
//!
//! # Isolation: what NATS has, and what the module offers
//!
//! NATS keeps tenants apart with accounts, but accounts are server configuration: they
//! cannot be added to a running server from a client (without an operator set up with
//! JWTs and a resolver, which a test server does not have). So tests that share a server
//! stay apart by a subject prefix each ([`NatsContainer::fresh_prefix`], the module's
//! [`Isolation`](crate::kit::Isolation)), which the server does not enforce: a test that
//! publishes and subscribes under [`SubjectPrefix::subject`] (and
//! [`all_subjects`](SubjectPrefix::all_subjects)) only never sees another's messages. A
//! JetStream stream of a test's own should name its prefix in its subjects, and a name of
//! its own.
//!
//! # The image contract it relies on
//!
//! The official `nats` image: its entrypoint is `nats-server`, so the module's command is
//! the server's options. The module writes its own configuration file ([`CONFIG_PATH`],
//! copied in before the start): the client port 4222 and the monitoring port 8222 on every
//! address, and the login, which so stays off the command line and out of `docker
//! inspect`. JetStream is `-js` with its store on a tmpfs ([`JETSTREAM_DIR`]).
//!
//! Readiness is a real protocol exchange through the published port: the server's `INFO`,
//! then `CONNECT` with the login and `PING`, answered with `PONG`. A server that refuses
//! the login fails the start at once with [`ErrorKind::Service`].
//!
//! # What the module adds to the request
//!
//! [`Nats::with_request`] runs after it and can change any of it.
//!
//! | what | value | when |
//! |---|---|---|
//! | exposed ports | 4222 ([`PORT`]) or [`Nats::port`], and 8222 ([`MONITORING_PORT`]), on random host ports | always |
//! | file [`CONFIG_PATH`] | `port: 4222` (or [`Nats::port`]), `http_port: 8222`, and the `authorization` block of [`token`](Nats::token) or [`user_password`](Nats::user_password) | always |
//! | command | `--config /throwaway-nats.conf`, `-js --store_dir …` with [`jetstream`](Nats::jetstream), then each [`arg`](Nats::arg) in the order added | always |
//! | tmpfs | at [`JETSTREAM_DIR`] | with [`jetstream`](Nats::jetstream) |
//!
//! Server settings are `nats-server`'s options, given with [`arg`](Nats::arg) and
//! [`args`](Nats::args) (`.args(["--max_payload", "2MB"])`); they come after the
//! configuration file, so they win over it. The client port is not one of them: a `--port`
//! here would leave the module probing another; use [`Nats::port`].

mod config;
mod container;
mod probe;

use std::fmt;

pub use config::CONFIG_PATH;
pub use container::{NatsContainer, SubjectPrefix};

use self::config::{config_file, Auth};
use crate::container::{Container, ContainerRequest};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{self, Module, RequestEdits, Secret};

/// The image [`Nats::default`] starts.
pub const DEFAULT_IMAGE: &str = "nats:2";

/// The client port inside the container.
pub const PORT: u16 = 4222;

/// The HTTP monitoring port inside the container (`/varz`, `/healthz`, `/jsz`, …).
pub const MONITORING_PORT: u16 = 8222;

/// Where JetStream keeps its data, with [`Nats::jetstream`]: a tmpfs, since a test server's
/// streams need not outlive it, and memory is faster to write and free to remove.
pub const JETSTREAM_DIR: &str = "/tmp/throwaway-jetstream";

/// A NATS server to start.
///
/// ```no_run
/// use throwaway::nats::Nats;
/// # async fn demo() -> throwaway::Result<()> {
/// let nats = Nats::default()
///     .user_password("app", "p@ss")
///     .args(["--max_payload", "2MB"])
///     .start()
///     .await?;
/// # let _ = nats; Ok(()) }
/// ```
///
/// A builder is a value: clone it to start several servers alike. `Debug` shows the token
/// or password as `***`.
#[derive(Clone)]
pub struct Nats {
    image: String,
    auth: Auth,
    jetstream: bool,
    port: Option<u16>,
    args: Vec<String>,
    edits: RequestEdits,
}

impl Nats {
    /// A NATS server from `image`, such as `"nats:2"` or a mirror's copy of it.
    pub fn new(image: impl Into<String>) -> Self {
        Nats {
            image: image.into(),
            auth: Auth::Anonymous,
            jetstream: false,
            port: None,
            args: Vec::new(),
            edits: RequestEdits::new(),
        }
    }

    /// Requires clients to log in with `token` (`CONNECT {"auth_token": …}`; in URLs
    /// `nats://token@host:port`). Replaces a user and password set before.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.auth = Auth::Token(Secret::new(token.into()));
        self
    }

    /// Requires clients to log in as `user` with `password`. Replaces a token set before.
    pub fn user_password(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Auth::User {
            user: user.into(),
            password: Secret::new(password.into()),
        };
        self
    }

    /// Turns JetStream on (`-js`), with its store on a tmpfs at [`JETSTREAM_DIR`].
    pub fn jetstream(mut self) -> Self {
        self.jetstream = true;
        self
    }

    /// Adds an option for `nats-server`, such as `--max_payload` and then `2MB`. Options
    /// come after the module's own, so they win over the configuration file. Set the login
    /// with [`token`](Nats::token) or [`user_password`](Nats::user_password) rather than
    /// `--auth` or `--user`: the module has to know it to check the server and to build
    /// connection URLs.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// The client port the server listens on inside the container (default 4222,
    /// [`PORT`]). The module writes it into its configuration file, exposes it, and
    /// connects to it for readiness and URLs; the host port stays random (for a fixed one
    /// as well, add `.with_request(|r| r.exposed_port_at(4223, 4223))`).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The client port inside the container.
    fn container_port(&self) -> u16 {
        self.port.unwrap_or(PORT)
    }

    /// Adds several options for `nats-server`, as [`arg`](Nats::arg) adds one.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Edits the container request the module built, for what the module does not cover
    /// (a network, a memory limit, a startup timeout). `edit` runs on every start, after
    /// the module's settings; replacing the command, the exposed ports or the readiness
    /// check breaks what the module relies on.
    pub fn with_request(
        mut self,
        edit: impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static,
    ) -> Self {
        self.edits.push(edit);
        self
    }

    /// Starts the server and waits until a client of this module, logged in as set, gets
    /// `PONG` through the published port. If the caller stops waiting, the start still
    /// completes in the background and the container is then removed.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidRequest`]: an empty token, user or password.
    /// - Whatever [`ContainerRequest::start`] returns: no engine, an image that cannot be
    ///   pulled, a server that exits (on an unknown option, say: the error quotes its last
    ///   lines), or one not ready within the startup timeout ([`ErrorKind::WaitTimeout`]).
    /// - [`ErrorKind::Service`]: the server refused the module's login (an option of the
    ///   user's set another).
    pub async fn start(self) -> Result<NatsContainer> {
        kit::start(self).await
    }

    /// The container request: the official image's contract, plus the user's edits.
    fn build_request(&self) -> ContainerRequest {
        let mut cmd = vec!["--config".to_string(), CONFIG_PATH.to_string()];
        let mut request = ContainerRequest::new(&self.image)
            .exposed_port(self.container_port())
            .exposed_port(MONITORING_PORT)
            .copy_bytes(
                config_file(&self.auth, self.container_port(), MONITORING_PORT),
                CONFIG_PATH,
            )
            .wait_for(probe::answers_ping(
                self.container_port(),
                self.auth.clone(),
            ));
        if self.jetstream {
            cmd.extend(["-js", "--store_dir", JETSTREAM_DIR].map(String::from));
            request = request.tmpfs(JETSTREAM_DIR);
        }
        cmd.extend(self.args.iter().cloned());
        self.edits.apply(request.cmd(cmd))
    }
}

impl Default for Nats {
    /// `Nats::new(DEFAULT_IMAGE)`: [`DEFAULT_IMAGE`] is `nats:2`.
    fn default() -> Self {
        Nats::new(DEFAULT_IMAGE)
    }
}

impl Module for Nats {
    type Started = NatsContainer;

    fn request(&self) -> Result<ContainerRequest> {
        if self.auth.has_empty_secret() {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "an empty token, user or password for {} would mean no login: leave out \
                     .token(…) / .user_password(…)",
                    self.image
                ),
            ));
        }
        Ok(self.build_request())
    }

    async fn ready(self, container: Container) -> Result<NatsContainer> {
        let port = self.container_port();
        Ok(NatsContainer::new(
            container,
            port,
            self.auth,
            self.jetstream,
        ))
    }
}

impl fmt::Debug for Nats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nats")
            .field("image", &self.image)
            .field("auth", &self.auth)
            .field("jetstream", &self.jetstream)
            .field("port", &self.container_port())
            .field("args", &self.args)
            .field("edits", &self.edits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ContainerPort;

    #[test]
    fn the_command_reads_the_modules_config_then_the_users_options() {
        let request = Nats::default()
            .arg("--max_payload")
            .arg("2MB")
            .build_request();
        assert_eq!(request.image(), "nats:2");
        assert_eq!(
            request.command().unwrap(),
            ["--config", CONFIG_PATH, "--max_payload", "2MB"]
        );
        assert_eq!(
            request.exposed_ports(),
            [ContainerPort::tcp(4222), ContainerPort::tcp(8222)]
        );
        assert_eq!(request.copied_paths().collect::<Vec<_>>(), [CONFIG_PATH]);
        assert_eq!(request.readiness().to_string(), probe::WHAT);
    }

    #[test]
    fn another_client_port_goes_into_the_config_file_and_is_exposed() {
        let nats = Nats::default().port(4300);
        let request = nats.build_request();
        assert_eq!(
            request.exposed_ports(),
            [ContainerPort::tcp(4300), ContainerPort::tcp(8222)]
        );
        assert!(config_file(&Auth::Anonymous, 4300, 8222).contains("port: 4300\n"));
        assert!(format!("{nats:?}").contains("port: 4300"), "{nats:?}");
    }

    #[test]
    fn jetstream_keeps_its_store_on_a_tmpfs() {
        let request = Nats::default().jetstream().build_request();
        assert_eq!(
            request.command().unwrap(),
            ["--config", CONFIG_PATH, "-js", "--store_dir", JETSTREAM_DIR]
        );
        let debug = format!("{request:?}");
        assert!(debug.contains(JETSTREAM_DIR), "{debug}");
    }

    #[test]
    fn the_login_stays_out_of_the_command_and_debug() {
        let nats = Nats::default().user_password("app", "hunter2");
        let request = nats.build_request();
        let shown = format!("{request:?} {nats:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("\"***\""), "{shown}");
        let token = format!("{:?}", Nats::default().token("hunter2"));
        assert!(!token.contains("hunter2"), "{token}");
    }

    #[tokio::test]
    async fn an_empty_secret_is_refused_before_anything_starts() {
        for nats in [
            Nats::default().token(""),
            Nats::default().user_password("app", ""),
        ] {
            let err = nats.start().await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest);
            assert!(err.to_string().contains("empty token"), "{err}");
        }
    }
}

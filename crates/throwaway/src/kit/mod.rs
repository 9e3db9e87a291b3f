//! The module kit: everything a service module is made of, public, so that a module for
//! any service can live in any crate. The built-in [`redis`](crate::redis) and
//! [`postgres`](crate::postgres) modules use nothing else.
//!
//! | piece | what it is for |
//! |---|---|
//! | [`Module`] | the image contract (a [`ContainerRequest`]) and the step from a ready container to the typed handle |
//! | [`Wait::probe`](crate::Wait::probe), [`ProbeFailure`], [`Endpoints`] | a readiness check of the module's own (a login, a `PING`), run by the one readiness driver |
//! | [`RequestEdits`] | the user's `with_request(|r| …)` escape hatch |
//! | [`Secret`], [`ServiceUrl`] | passwords that never show in `Debug` or errors; escaped, maskable URLs |
//! | [`Isolation`], [`IsolationUnit`] | per-test units handed out by a shared container |
//! | [`Container::on_restart`](crate::Container::on_restart) | preparing the service again after a restart |
//! | [`Error::new`](crate::Error::new) | errors that say what happened and what to do |
//!
//! # Writing a module
//!
//! A module is a builder with the service's settings, and a started type that holds the
//! [`Container`]. Five steps:
//!
//! 1. **The builder** holds the settings, with defaults from the image's documentation,
//!    and a [`RequestEdits`] for `with_request`. Secrets go in a [`Secret`].
//! 2. **[`Module::request`]** writes the image contract: port, environment, command,
//!    files, and readiness. Check the settings first and return
//!    [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) for ones that cannot
//!    work. Readiness is a [`Wait`]: a log line where the image prints one, and a
//!    [`Wait::probe`](crate::Wait::probe) that talks to the service the way a client will,
//!    so that "ready" means a client gets an answer. Never write a retry loop of your own:
//!    the driver owns the deadline, notices when the container exits, and writes the error.
//! 3. **[`Module::ready`]** makes the started type from the ready container, after any
//!    one-time preparation. Read host ports from the container whenever you need them
//!    (a restarted container may have new ones), and register a
//!    [`Container::on_restart`](crate::Container::on_restart) hook if the preparation must
//!    be redone after a restart.
//! 4. **The started type** implements `AsRef<Container>` and gives `connection_url()`
//!    (a [`ServiceUrl`]) and clients; its `Debug` masks secrets.
//! 5. **Optionally, [`Isolation`]**: hand out a unit per test (a database, a key prefix)
//!    from a server shared by the run.
//!
//! The module then starts like the built-in ones: `start().await` (through [`start`]),
//! [`StartBlocking`](crate::blocking::StartBlocking) from a plain `#[test]`, and
//! [`Shared`](crate::Shared) for one server per run.
//!
//! A whole module for Memcached (the official `memcached` image: port 11211, the
//! `memcached` command, the text protocol), with a key prefix per test as its isolation:
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use throwaway::kit::{self, Endpoints, Isolation, IsolationUnit, Module, ProbeFailure, RequestEdits};
//! use throwaway::{Container, ContainerRequest, Shared, Wait};
//! use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//!
//! const PORT: u16 = 11211;
//!
//! /// A Memcached server to start.
//! #[derive(Clone, Debug)]
//! pub struct Memcached {
//!     image: String,
//!     memory_mb: u32,
//!     edits: RequestEdits,
//! }
//!
//! impl Memcached {
//!     pub fn new(image: impl Into<String>) -> Self {
//!         Memcached { image: image.into(), memory_mb: 64, edits: RequestEdits::new() }
//!     }
//!
//!     /// The memory for items, in megabytes (`memcached -m`).
//!     pub fn memory_mb(mut self, megabytes: u32) -> Self {
//!         self.memory_mb = megabytes;
//!         self
//!     }
//!
//!     /// The escape hatch: edit the container request the module built.
//!     pub fn with_request(
//!         mut self,
//!         edit: impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static,
//!     ) -> Self {
//!         self.edits.push(edit);
//!         self
//!     }
//!
//!     pub async fn start(self) -> throwaway::Result<MemcachedContainer> {
//!         kit::start(self).await
//!     }
//! }
//!
//! /// Ready means a `version` command gets its answer, which memcached gives only once it
//! /// takes commands. Each attempt has a time limit of its own: a port that accepts the
//! /// connection and then says nothing must not use up the whole startup timeout.
//! async fn answers_version(endpoints: Endpoints) -> Result<(), ProbeFailure> {
//!     let port = endpoints.host_port(PORT).map_err(ProbeFailure::fatal)?;
//!     let exchange = async {
//!         let stream = tokio::net::TcpStream::connect((endpoints.host(), port)).await?;
//!         let mut stream = BufReader::new(stream);
//!         stream.write_all(b"version\r\n").await?;
//!         let mut answer = String::new();
//!         stream.read_line(&mut answer).await?;
//!         Ok::<_, std::io::Error>(answer)
//!     };
//!     let answer = tokio::time::timeout(Duration::from_secs(2), exchange)
//!         .await
//!         .map_err(|_| ProbeFailure::not_yet("no answer within 2 s"))?
//!         .map_err(ProbeFailure::not_yet)?;
//!     match answer.starts_with("VERSION ") {
//!         true => Ok(()),
//!         false => Err(ProbeFailure::not_yet(format!("it answered {answer:?}"))),
//!     }
//! }
//!
//! impl Module for Memcached {
//!     type Started = MemcachedContainer;
//!
//!     fn request(&self) -> throwaway::Result<ContainerRequest> {
//!         let request = ContainerRequest::new(&self.image)
//!             .exposed_port(PORT)
//!             .cmd(["memcached".to_string(), "-m".to_string(), self.memory_mb.to_string()])
//!             .wait_for(Wait::probe("memcached answering `version`", answers_version));
//!         Ok(self.edits.apply(request))
//!     }
//!
//!     async fn ready(self, container: Container) -> throwaway::Result<MemcachedContainer> {
//!         Ok(MemcachedContainer { container })
//!     }
//! }
//!
//! /// A running Memcached server, removed when dropped.
//! #[derive(Debug)]
//! pub struct MemcachedContainer {
//!     container: Container,
//! }
//!
//! impl MemcachedContainer {
//!     /// `127.0.0.1:49153`: read from the container each time, so it is right after a restart.
//!     pub fn address(&self) -> throwaway::Result<String> {
//!         Ok(format!("{}:{}", self.container.host(), self.container.host_port(PORT)?))
//!     }
//! }
//!
//! impl AsRef<Container> for MemcachedContainer {
//!     fn as_ref(&self) -> &Container {
//!         &self.container
//!     }
//! }
//!
//! /// A key prefix of its own per test: memcached has no databases.
//! pub struct KeyPrefix {
//!     address: String,
//!     prefix: String,
//! }
//!
//! impl IsolationUnit for KeyPrefix {
//!     fn url(&self) -> String {
//!         format!("memcache://{}?prefix={}", self.address, self.prefix)
//!     }
//!     fn masked_url(&self) -> String {
//!         self.url() // nothing secret in it
//!     }
//! }
//!
//! impl Isolation for MemcachedContainer {
//!     type Unit = KeyPrefix;
//!
//!     async fn fresh_unit(&self) -> throwaway::Result<KeyPrefix> {
//!         let session = kit::session_id().await?;
//!         let session: String = session.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
//!         let prefix = format!("t{session}-{:016x}:", rand_u64());
//!         Ok(KeyPrefix { address: self.address()?, prefix })
//!     }
//! }
//! # fn rand_u64() -> u64 { 42 }
//!
//! // Used like any built-in module:
//! static MEMCACHED: Shared<Memcached> = Shared::new(|| Memcached::new("memcached:1.6"));
//!
//! # #[tokio::main] async fn main() -> throwaway::Result<()> {
//! let own = MEMCACHED.get().await?.fresh_unit().await?;
//! println!("this test's keys: {}", own.url());
//! # Ok(()) }
//! ```
//!
//! A module outside this crate, written this way and tested like the built-in ones, lives
//! in the repository's `crates/mosquitto`.

mod isolation;
mod module;
mod secret;
mod url;

pub use isolation::{session_id, Isolation, IsolationUnit};
pub use module::{start, Module, RequestEdits};
pub use secret::Secret;
pub use url::ServiceUrl;

pub use crate::wait::{Endpoints, ProbeFailure};

#[allow(unused_imports)] // for the links above
use crate::container::{Container, ContainerRequest};
#[allow(unused_imports)]
use crate::wait::Wait;

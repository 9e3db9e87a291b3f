//! A synchronous facade for plain `#[test]` functions (DESIGN.md layer 8).
//!
//! Every call runs the async API to completion on the library's own runtime; there is no
//! second implementation. Use it from synchronous code only: from async code, use the async
//! API directly.
//!
//! ```no_run
//! use throwaway::{ContainerRequest, Wait};
//! use throwaway::blocking::StartBlocking;
//!
//! #[test]
//! fn talks_to_redis() -> throwaway::Result<()> {
//!     let redis = ContainerRequest::new("redis:7.0")
//!         .exposed_port(6379)
//!         .wait_for(Wait::log("Ready to accept connections"))
//!         .start_blocking()?;
//!     let port = redis.host_port(6379)?;
//!     // connect to 127.0.0.1:{port} …
//!     # let _ = port;
//!     Ok(())
//! }
//! ```
//!
//! Modules start the same way (`Redis::new("redis:7.0").start_blocking()?`), and any other
//! async call of the library, a module's included, runs from a plain test through [`run`]:
//!
//! ```no_run
//! use throwaway::blocking::{self, StartBlocking};
//! use throwaway::redis::Redis;
//! use throwaway::Shared;
//!
//! static REDIS: Shared<Redis> = Shared::new(Redis::default);
//!
//! #[test]
//! fn a_plain_test_on_a_shared_server() -> throwaway::Result<()> {
//!     let redis = REDIS.get_blocking()?;
//!     let database = blocking::run(redis.fresh_database())?;
//!     let pong = blocking::Container::of(redis).exec(["redis-cli", "PING"])?;
//!     assert_eq!(pong.stdout_text(), "PONG\n");
//!     # let _ = database;
//!     Ok(())
//! }
//! ```

use std::borrow::Borrow;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;

use crate::container::{self, ContainerPort, ContainerRequest, ExecResult, Logs};
use crate::engine::runtime::block_on;
use crate::error::Result;
use crate::kit::Module;

/// Runs `fut`, any async call of this library or of a module built on it, to completion on
/// the library's runtime, blocking the thread: `blocking::run(redis.fresh_database())`.
///
/// Connections that a call makes for the caller (a module's clients) are driven by the
/// library's runtime, so they keep working after `run` returns.
///
/// # Panics
/// When called from async code, where blocking would stall the runtime: `.await` there.
#[track_caller]
pub fn run<F: Future>(fut: F) -> F::Output {
    block_on(fut)
}

/// Adds [`start_blocking`](StartBlocking::start_blocking) to container requests and to
/// every module's builder.
pub trait StartBlocking {
    /// What starting gives: a [`Container`] with blocking methods for a request, the
    /// module's started service for a module.
    type Started;

    /// Starts the container or service and waits until it is ready, blocking the thread.
    ///
    /// # Errors
    /// As the async `start`.
    ///
    /// # Panics
    /// When called from async code.
    fn start_blocking(self) -> Result<Self::Started>;
}

impl StartBlocking for ContainerRequest {
    type Started = Container;

    #[track_caller]
    fn start_blocking(self) -> Result<Container> {
        run(self.start()).map(Container)
    }
}

impl<M: Module> StartBlocking for M {
    type Started = M::Started;

    #[track_caller]
    fn start_blocking(self) -> Result<M::Started> {
        run(crate::kit::start(self))
    }
}

/// A started container with blocking methods.
///
/// The methods mirror [`crate::Container`]'s; see there for details and errors. Owned
/// (what [`StartBlocking::start_blocking`] gives), it removes the container when dropped;
/// borrowed ([`Container::of`]), it works on a container someone else holds, a shared one
/// or a module's.
pub struct Container<C = container::Container>(C);

impl<'a> Container<&'a container::Container> {
    /// Blocking methods for a container held elsewhere: a [`Shared`](crate::Shared) one, or
    /// a module's (`Container::of(&redis)`).
    pub fn of(started: &'a impl AsRef<container::Container>) -> Self {
        Container(started.as_ref())
    }
}

impl Container {
    /// Removes the container now and reports failure.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine cannot remove it.
    pub fn remove(self) -> Result<()> {
        block_on(self.0.remove())
    }

    /// The async container inside, for code that mixes both styles.
    pub fn into_async(self) -> container::Container {
        self.0
    }
}

impl<C: Borrow<container::Container>> Container<C> {
    /// The engine's id of the container.
    pub fn id(&self) -> &str {
        self.inner().id()
    }

    /// The image the container runs.
    pub fn image(&self) -> &str {
        self.inner().image()
    }

    /// The host to reach published ports at.
    pub fn host(&self) -> &str {
        self.inner().host()
    }

    /// The host port that container port `port` is published on.
    ///
    /// # Errors
    /// [`crate::ErrorKind::PortNotExposed`] for a port the request did not expose.
    pub fn host_port(&self, port: impl Into<ContainerPort>) -> Result<u16> {
        self.inner().host_port(port)
    }

    /// Every exposed container port with its host port.
    pub fn ports(&self) -> Vec<(ContainerPort, u16)> {
        self.inner().ports()
    }

    /// Runs a command in the container and waits for it.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Exec`] if the command could not be started.
    pub fn exec<I, S>(&self, cmd: I) -> Result<ExecResult>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        block_on(self.inner().exec(cmd))
    }

    /// Everything the container has written so far.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine cannot return the logs.
    pub fn logs(&self) -> Result<Logs> {
        block_on(self.inner().logs())
    }

    /// Copies a host file or folder into the container.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Io`] or [`crate::ErrorKind::Engine`].
    pub fn copy_file_to(
        &self,
        host_path: impl Into<PathBuf>,
        container_path: impl Into<String>,
    ) -> Result<()> {
        block_on(self.inner().copy_file_to(host_path, container_path))
    }

    /// Writes `contents` to a file in the container.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Io`] or [`crate::ErrorKind::Engine`].
    pub fn copy_bytes_to(
        &self,
        contents: impl Into<Vec<u8>>,
        container_path: impl Into<String>,
    ) -> Result<()> {
        block_on(self.inner().copy_bytes_to(contents, container_path))
    }

    /// Copies a host file or folder into the container with the mode and owner of `mode`
    /// (see [`crate::FileMode`]).
    ///
    /// # Errors
    /// [`crate::ErrorKind::Io`], [`crate::ErrorKind::Engine`], or
    /// [`crate::ErrorKind::InvalidRequest`] for an owner name the image does not know.
    pub fn copy_file_to_with(
        &self,
        host_path: impl Into<PathBuf>,
        container_path: impl Into<String>,
        mode: crate::FileMode,
    ) -> Result<()> {
        block_on(
            self.inner()
                .copy_file_to_with(host_path, container_path, mode),
        )
    }

    /// Writes `contents` to a file in the container with the mode and owner of `mode`.
    ///
    /// # Errors
    /// As [`copy_file_to_with`](Container::copy_file_to_with).
    pub fn copy_bytes_to_with(
        &self,
        contents: impl Into<Vec<u8>>,
        container_path: impl Into<String>,
        mode: crate::FileMode,
    ) -> Result<()> {
        block_on(
            self.inner()
                .copy_bytes_to_with(contents, container_path, mode),
        )
    }

    /// Reads a file out of the container.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] or [`crate::ErrorKind::InvalidRequest`].
    pub fn copy_file_from(&self, container_path: impl Into<String>) -> Result<Vec<u8>> {
        block_on(self.inner().copy_file_from(container_path))
    }

    /// Stops the container.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine refuses.
    pub fn stop(&self) -> Result<()> {
        block_on(self.inner().stop())
    }

    /// Starts a stopped container again and waits until it is ready.
    ///
    /// # Errors
    /// As for the first start.
    pub fn start(&self) -> Result<()> {
        block_on(self.inner().start())
    }

    /// Freezes the container's processes.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine refuses.
    pub fn pause(&self) -> Result<()> {
        block_on(self.inner().pause())
    }

    /// Resumes a paused container.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine refuses.
    pub fn unpause(&self) -> Result<()> {
        block_on(self.inner().unpause())
    }

    fn inner(&self) -> &container::Container {
        self.0.borrow()
    }
}

impl<C: Borrow<container::Container>> fmt::Debug for Container<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner().fmt(f)
    }
}

/// A user network with blocking methods; removed when dropped.
#[derive(Debug)]
pub struct Network(container::Network);

impl Network {
    /// Creates a network with a unique name.
    ///
    /// # Errors
    /// [`crate::ErrorKind::EngineUnavailable`] or [`crate::ErrorKind::Engine`].
    pub fn new() -> Result<Network> {
        block_on(container::Network::new()).map(Network)
    }

    /// The network's name.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The async network inside, to pass to [`ContainerRequest::network`].
    pub fn as_async(&self) -> &container::Network {
        &self.0
    }

    /// Removes the network now and reports failure.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`], e.g. while containers are still attached.
    pub fn remove(self) -> Result<()> {
        block_on(self.0.remove())
    }
}

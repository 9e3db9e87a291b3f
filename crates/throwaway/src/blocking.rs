//! A synchronous facade for plain `#[test]` functions (DESIGN.md layer 7).
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

use std::fmt;
use std::future::Future;
use std::path::PathBuf;

use crate::container::{self, ContainerPort, ContainerRequest, ExecResult, Logs};
use crate::engine::runtime::runtime;
use crate::error::Result;

/// Runs `fut` to completion on the library's runtime, blocking this thread.
///
/// # Panics
/// When called from inside an async runtime, where blocking would stall it: use the async
/// API there.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    if tokio::runtime::Handle::try_current().is_ok() {
        panic!(
            "throwaway::blocking was called from async code; await the async API instead \
             (e.g. `request.start().await` rather than `request.start_blocking()`)"
        );
    }
    runtime().block_on(fut)
}

/// Adds [`start_blocking`](StartBlocking::start_blocking) to container requests.
pub trait StartBlocking {
    /// Starts the container and waits until it is ready, blocking the thread.
    ///
    /// # Errors
    /// As [`ContainerRequest::start`].
    ///
    /// # Panics
    /// When called from async code.
    fn start_blocking(self) -> Result<Container>;
}

impl StartBlocking for ContainerRequest {
    fn start_blocking(self) -> Result<Container> {
        block_on(self.start()).map(Container)
    }
}

/// A started container with blocking methods; removed when dropped.
///
/// The methods mirror [`crate::Container`]'s; see there for details and errors.
pub struct Container(container::Container);

impl Container {
    /// The engine's id of the container.
    pub fn id(&self) -> &str {
        self.0.id()
    }

    /// The image the container runs.
    pub fn image(&self) -> &str {
        self.0.image()
    }

    /// The host to reach published ports at.
    pub fn host(&self) -> &str {
        self.0.host()
    }

    /// The host port that container port `port` is published on.
    ///
    /// # Errors
    /// [`crate::ErrorKind::PortNotExposed`] for a port the request did not expose.
    pub fn host_port(&self, port: impl Into<ContainerPort>) -> Result<u16> {
        self.0.host_port(port)
    }

    /// Every exposed container port with its host port.
    pub fn ports(&self) -> Vec<(ContainerPort, u16)> {
        self.0.ports()
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
        block_on(self.0.exec(cmd))
    }

    /// Everything the container has written so far.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine cannot return the logs.
    pub fn logs(&self) -> Result<Logs> {
        block_on(self.0.logs())
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
        block_on(self.0.copy_file_to(host_path, container_path))
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
        block_on(self.0.copy_bytes_to(contents, container_path))
    }

    /// Reads a file out of the container.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] or [`crate::ErrorKind::InvalidRequest`].
    pub fn copy_file_from(&self, container_path: impl Into<String>) -> Result<Vec<u8>> {
        block_on(self.0.copy_file_from(container_path))
    }

    /// Stops the container.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine refuses.
    pub fn stop(&self) -> Result<()> {
        block_on(self.0.stop())
    }

    /// Starts a stopped container again and waits until it is ready.
    ///
    /// # Errors
    /// As for the first start.
    pub fn start(&self) -> Result<()> {
        block_on(self.0.start())
    }

    /// Freezes the container's processes.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine refuses.
    pub fn pause(&self) -> Result<()> {
        block_on(self.0.pause())
    }

    /// Resumes a paused container.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine refuses.
    pub fn unpause(&self) -> Result<()> {
        block_on(self.0.unpause())
    }

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

impl fmt::Debug for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
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

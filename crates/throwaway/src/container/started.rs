//! A started container: its ports, output, commands, files and lifecycle.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bollard::query_parameters::StopContainerOptionsBuilder;
use bollard::Docker;
use futures_util::stream::Stream;
use futures_util::FutureExt;

use super::copy::{self, CopySource, FileMode};
use super::exec::{self, ExecResult};
use super::inner::{remove, short_id, Inner};
use super::logs::{self, LogLine, Logs};
use super::request::ContainerRequest;
use crate::engine::runtime::{finished_within, on_engine, pending, Work};
use crate::engine::{ContainerPort, Engine};
use crate::error::{engine_status, Error, Result};
use crate::wait::Endpoints;

/// How long a removal waits for the work on the container's service that must come first
/// (see [`Work::BeforeRemoval`]).
const BEFORE_REMOVAL_LIMIT: Duration = Duration::from_secs(5);

/// A running container, removed (with its anonymous volumes) when dropped.
///
/// Dropping returns at once and never panics: the removal goes on in the background, on the
/// library's runtime, and a failure is logged. Call [`remove`](Container::remove) to wait
/// for it and see the error. Work that needs the container gone (reusing its name, checking
/// that nothing is left) should call `remove().await` rather than rely on `drop`.
pub struct Container {
    inner: Arc<Inner>,
    on_drop: OnDrop,
}

/// The host port of one container port, read afresh on every call: see
/// [`Container::published`].
#[derive(Clone)]
pub struct PublishedPort {
    inner: std::sync::Weak<Inner>,
    port: ContainerPort,
}

impl PublishedPort {
    /// The host port now, or `None` once the container's handle is gone or the port is not
    /// published.
    pub fn current(&self) -> Option<u16> {
        self.inner.upgrade()?.host_port(self.port).ok()
    }

    /// The container port this follows.
    pub fn container_port(&self) -> ContainerPort {
        self.port
    }
}

impl fmt::Debug for PublishedPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishedPort")
            .field("port", &self.port)
            .field("current", &self.current())
            .finish()
    }
}

/// What dropping a [`Container`] handle does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnDrop {
    /// Removes the container: the handle owns it.
    Remove,
    /// Leaves it: it is shared with other processes, kept for later runs, or already removed.
    Leave,
}

impl Container {
    /// The handle on a container that `inner` describes; dropping it removes the container.
    pub(super) fn new(inner: Inner) -> Self {
        Container {
            inner: Arc::new(inner),
            on_drop: OnDrop::Remove,
        }
    }

    /// A handle on container `id`, made from `request` with the resolved image `reference`.
    pub(super) fn for_request(
        engine: &Engine,
        request: &ContainerRequest,
        id: String,
        reference: &str,
    ) -> Self {
        Container::new(Inner::new(
            id,
            reference.to_string(),
            engine.host().to_string(),
            request.exposed_ports.clone(),
            request.wait.clone(),
            request.startup_timeout,
            engine.docker().clone(),
        ))
    }

    /// Runs `work` with the shared state on the engine runtime, whatever executor awaits it.
    async fn run<T, F>(&self, work: impl FnOnce(Arc<Inner>) -> F) -> T
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        on_engine(work(self.inner.clone())).await
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// The engine's id of the container.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The image the container runs, as sent to the engine.
    pub fn image(&self) -> &str {
        &self.inner.image
    }

    /// The host name or address to reach published ports at (`127.0.0.1` for a local engine).
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// The host port that container port `port` is published on.
    ///
    /// # Errors
    /// [`ErrorKind::PortNotExposed`](crate::ErrorKind::PortNotExposed) if the request did not expose `port`; the message lists
    /// the ports it did expose.
    pub fn host_port(&self, port: impl Into<ContainerPort>) -> Result<u16> {
        self.inner.host_port(port.into())
    }

    /// A handle on the host port that container port `port` is published on, for values
    /// that outlive a borrow of this container (a module's per-test units, its own
    /// connections): it reads the port the container has *now*, so it follows a restart,
    /// and it does not keep the container alive.
    pub fn published(&self, port: impl Into<ContainerPort>) -> PublishedPort {
        PublishedPort {
            inner: Arc::downgrade(&self.inner),
            port: port.into(),
        }
    }

    /// Every exposed container port with its host port.
    pub fn ports(&self) -> Vec<(ContainerPort, u16)> {
        let ports = self.inner.ports();
        ports.iter().map(|(c, h)| (*c, *h)).collect()
    }

    /// Runs a command (no shell: `["sh", "-c", "…"]` if you need one) and waits for it.
    ///
    /// # Errors
    /// [`ErrorKind::Exec`](crate::ErrorKind::Exec) if the command could not be started; a command that runs and fails
    /// is not an error: look at [`ExecResult::exit_code`].
    pub async fn exec<I, S>(&self, cmd: I) -> Result<ExecResult>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cmd: Vec<String> = cmd.into_iter().map(Into::into).collect();
        self.run(|c| async move { exec::run(&c.docker, &c.id, &c.describe(), cmd).await })
            .await
            .map(ExecResult::from)
    }

    /// Everything the container has written so far.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`](crate::ErrorKind::Engine) if the engine cannot return the logs (e.g. the container is gone).
    pub async fn logs(&self) -> Result<Logs> {
        self.run(|c| async move { logs::snapshot(&c.docker, &c.id, None).await })
            .await
    }

    /// The container's output as a stream of lines: everything so far, then live output
    /// until the container stops.
    pub fn follow_logs(&self) -> impl Stream<Item = Result<LogLine>> + Send + 'static {
        logs::follow(&self.inner.docker, &self.inner.id, None)
    }

    /// Copies a host file or folder into the running container at `container_path`,
    /// owned by root, mode `0644` (`0755` if executable on the host; folders `0755`); see
    /// [`copy_file_to_with`](Container::copy_file_to_with) for another mode or owner.
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) if the host file cannot be read, [`ErrorKind::Engine`](crate::ErrorKind::Engine) if the
    /// engine refuses the archive (e.g. the target folder is read-only).
    pub async fn copy_file_to(
        &self,
        host_path: impl Into<PathBuf>,
        container_path: impl Into<String>,
    ) -> Result<()> {
        self.copy_file_to_with(host_path, container_path, FileMode::default())
            .await
    }

    /// Copies a host file or folder into the running container at `container_path`, with
    /// the permission bits and owner of `mode` (see [`FileMode`]).
    ///
    /// # Errors
    /// As [`copy_file_to`](Container::copy_file_to); [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest)
    /// for an owner name the container's `/etc/passwd` does not know.
    pub async fn copy_file_to_with(
        &self,
        host_path: impl Into<PathBuf>,
        container_path: impl Into<String>,
        mode: FileMode,
    ) -> Result<()> {
        self.upload(container_path.into(), CopySource::path(host_path, mode))
            .await
    }

    /// Writes `contents` to a file at `container_path` in the running container, owned by
    /// root, mode `0644`; see [`copy_bytes_to_with`](Container::copy_bytes_to_with).
    ///
    /// # Errors
    /// As [`copy_file_to`](Container::copy_file_to).
    pub async fn copy_bytes_to(
        &self,
        contents: impl Into<Vec<u8>>,
        container_path: impl Into<String>,
    ) -> Result<()> {
        self.copy_bytes_to_with(contents, container_path, FileMode::default())
            .await
    }

    /// Writes `contents` to a file at `container_path` in the running container, with the
    /// permission bits and owner of `mode` (see [`FileMode`]).
    ///
    /// # Errors
    /// As [`copy_file_to_with`](Container::copy_file_to_with).
    pub async fn copy_bytes_to_with(
        &self,
        contents: impl Into<Vec<u8>>,
        container_path: impl Into<String>,
        mode: FileMode,
    ) -> Result<()> {
        self.upload(container_path.into(), CopySource::bytes(contents, mode))
            .await
    }

    async fn upload(&self, path: String, source: CopySource) -> Result<()> {
        self.run(
            |c| async move { copy::upload(&c.docker, &c.id, &c.describe(), &path, &source).await },
        )
        .await
    }

    /// Reads a file out of the container.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`](crate::ErrorKind::Engine) if there is no such path; [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) if it is a
    /// directory.
    pub async fn copy_file_from(&self, container_path: impl Into<String>) -> Result<Vec<u8>> {
        let path = container_path.into();
        self.run(|c| async move { copy::download(&c.docker, &c.id, &c.describe(), &path).await })
            .await
    }

    /// Stops the container (SIGTERM, then SIGKILL after 10 s). It keeps its state and can be
    /// started again.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`](crate::ErrorKind::Engine) if the engine refuses.
    pub async fn stop(&self) -> Result<()> {
        self.run(|c| async move {
            let options = StopContainerOptionsBuilder::new().t(10).build();
            match c.docker.stop_container(&c.id, Some(options)).await {
                Ok(()) => Ok(()),
                // 304: already stopped.
                Err(err) if engine_status(&err) == Some(304) => Ok(()),
                Err(err) => Err(Error::engine(format!("stopping {}", c.describe()), err)),
            }
        })
        .await
    }

    /// Starts a stopped container again, reads its (possibly new) host ports, and waits until
    /// it is ready by the request's strategy, judged on the new run's output only; then runs
    /// what modules asked to run after a restart ([`Container::on_restart`]).
    ///
    /// # Errors
    /// As for the first start: the container exits, or is not ready in time.
    pub async fn start(&self) -> Result<()> {
        self.run(|c| async move {
            let before = c.output_before_start().await;
            c.docker
                .start_container(&c.id, None)
                .await
                .map_err(|e| Error::engine(format!("starting {} again", c.describe()), e))?;
            c.after_restart(before).await
        })
        .await
    }

    /// Freezes every process of the container.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`](crate::ErrorKind::Engine) if the engine refuses (e.g. the container is not running).
    pub async fn pause(&self) -> Result<()> {
        self.run(|c| async move {
            c.docker
                .pause_container(&c.id)
                .await
                .map_err(|e| Error::engine(format!("pausing {}", c.describe()), e))
        })
        .await
    }

    /// Resumes a paused container.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`](crate::ErrorKind::Engine) if the engine refuses (e.g. the container is not paused).
    pub async fn unpause(&self) -> Result<()> {
        self.run(|c| async move {
            c.docker
                .unpause_container(&c.id)
                .await
                .map_err(|e| Error::engine(format!("unpausing {}", c.describe()), e))
        })
        .await
    }

    /// Removes the container now, with its anonymous volumes, and reports failure.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`](crate::ErrorKind::Engine) if the engine cannot remove it; a container already gone is fine.
    pub async fn remove(mut self) -> Result<()> {
        self.on_drop = OnDrop::Leave;
        self.run(|c| async move { remove_after_its_work(&c).await })
            .await
    }

    /// `image (short id)`, the way messages name the container.
    pub(crate) fn describe(&self) -> String {
        self.inner.describe()
    }

    /// The same handle, but one that never removes the container: it is shared with other
    /// processes or kept for later runs.
    pub(crate) fn kept(mut self) -> Self {
        self.on_drop = OnDrop::Leave;
        self
    }

    /// Whether dropping this handle leaves the container in place.
    pub(crate) fn is_kept(&self) -> bool {
        self.on_drop == OnDrop::Leave
    }

    /// Runs `hook` after every later [`Container::start`] of this handle, once the request's
    /// readiness check has passed again: the place for a module to prepare its service
    /// anew when the container's data did not survive the stop (a data directory in
    /// memory, say). `hook` gets the container's [`Endpoints`], read after the start, and
    /// its error fails that start. Register it once, from [`Module::ready`].
    ///
    /// The hook is kept by the container, so it must not own the container (an `Arc` of
    /// the module's started type, say): that cycle would keep the handle alive and the
    /// container would never be removed. Capture a `Weak` instead, or only plain values.
    ///
    /// [`Module::ready`]: crate::kit::Module::ready
    pub fn on_restart<F, Fut>(&self, hook: F)
    where
        F: Fn(Endpoints) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.inner
            .add_restart_hook(Arc::new(move |endpoints| hook(endpoints).boxed()));
    }

    /// The engine client the container was created with.
    pub(crate) fn docker(&self) -> &Docker {
        &self.inner.docker
    }
}

impl Drop for Container {
    /// Hands the removal to the library's runtime and returns at once: a test never waits
    /// for the engine to delete files. Failures are logged (`warn`, naming the container);
    /// [`Container::remove`] is the way to wait and see them. What is still being removed
    /// when the process exits is finished (or handed to the reaper) by the exit hook.
    fn drop(&mut self) {
        if self.on_drop == OnDrop::Leave {
            return;
        }
        let c = self.inner.clone();
        super::teardown::hand_off(Work::RemoveContainer, c.id.clone(), async move {
            let who = c.describe();
            match remove_after_its_work(&c).await {
                Ok(()) => tracing::debug!(container = %who, "removed"),
                Err(err) => tracing::warn!(container = %who, "{err}"),
            }
        });
    }
}

/// Removes the container once the work on its service that must come first has ended
/// (per-test databases being dropped; bounded, since a paused server would never answer).
async fn remove_after_its_work(c: &Inner) -> Result<()> {
    let before = pending(Work::BeforeRemoval, Some(&c.id));
    if !finished_within(before, BEFORE_REMOVAL_LIMIT).await {
        tracing::debug!(container = %c.describe(), "removing it while work on its service goes on");
    }
    remove(&c.docker, &c.id, &c.describe()).await
}

impl fmt::Debug for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Container")
            .field("id", &short_id(self.id()))
            .field("image", &self.image())
            .field("host", &self.host())
            .field("ports", &self.ports())
            .finish_non_exhaustive()
    }
}

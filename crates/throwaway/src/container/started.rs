//! A started container: its ports, output, commands, files and lifecycle.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::query_parameters::{
    DownloadFromContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, Stream};
use futures_util::{FutureExt, StreamExt, TryStreamExt};

use super::copy::{self, CopySource};
use super::exec::{self, ExecResult};
use super::logs::{self, LogLine, Logs};
use super::ContainerPort;
use crate::engine::runtime::{block_on_engine, on_engine};
use crate::error::{engine_status, Error, ErrorKind, Result};
use crate::wait::target::{ExecOutcome, ExitInfo, Health, Target};
use crate::wait::{wait_until_ready, Wait};

/// How long `Drop` waits for the engine to remove a container before it gives up and lets
/// the removal finish in the background.
const DROP_REMOVAL_LIMIT: Duration = Duration::from_secs(30);

/// A running container, removed (with its anonymous volumes) when dropped.
///
/// Dropping is best effort and never panics; call [`remove`](Container::remove) to see the
/// error if removal fails.
pub struct Container {
    inner: Arc<Inner>,
    removed: bool,
}

/// What a started container knows about itself, shared with work on the engine runtime.
pub(crate) struct Inner {
    id: String,
    image: String,
    host: String,
    exposed: Vec<ContainerPort>,
    ports: Mutex<BTreeMap<ContainerPort, u16>>,
    /// Where the last run's output begins, after a restart, so that a readiness check reads
    /// only the new run's output.
    logs_since: Mutex<Option<logs::Since>>,
    wait: Wait,
    startup_timeout: Duration,
    docker: Docker,
}

impl Container {
    pub(crate) fn new(
        id: String,
        image: String,
        host: String,
        exposed: Vec<ContainerPort>,
        wait: Wait,
        startup_timeout: Duration,
        docker: Docker,
    ) -> Self {
        let inner = Inner {
            id,
            image,
            host,
            exposed,
            ports: Mutex::new(BTreeMap::new()),
            logs_since: Mutex::new(None),
            wait,
            startup_timeout,
            docker,
        };
        Container {
            inner: Arc::new(inner),
            removed: false,
        }
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
    /// [`ErrorKind::PortNotExposed`] if the request did not expose `port`; the message lists
    /// the ports it did expose.
    pub fn host_port(&self, port: impl Into<ContainerPort>) -> Result<u16> {
        self.inner.host_port(port.into())
    }

    /// Every exposed container port with its host port.
    pub fn ports(&self) -> Vec<(ContainerPort, u16)> {
        let ports = self.inner.ports.lock().unwrap_or_else(|p| p.into_inner());
        ports.iter().map(|(c, h)| (*c, *h)).collect()
    }

    /// Runs a command (no shell: `["sh", "-c", "…"]` if you need one) and waits for it.
    ///
    /// # Errors
    /// [`ErrorKind::Exec`] if the command could not be started; a command that runs and fails
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
    /// [`ErrorKind::Engine`] if the engine cannot return the logs (e.g. the container is gone).
    pub async fn logs(&self) -> Result<Logs> {
        self.run(|c| async move { logs::snapshot(&c.docker, &c.id, None).await })
            .await
    }

    /// The container's output as a stream of lines: everything so far, then live output
    /// until the container stops.
    pub fn follow_logs(&self) -> impl Stream<Item = Result<LogLine>> + Send + 'static {
        logs::follow(&self.inner.docker, &self.inner.id, None)
    }

    /// Copies a host file or folder into the running container at `container_path`.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] if the host file cannot be read, [`ErrorKind::Engine`] if the
    /// engine refuses the archive (e.g. the target folder is read-only).
    pub async fn copy_file_to(
        &self,
        host_path: impl Into<PathBuf>,
        container_path: impl Into<String>,
    ) -> Result<()> {
        self.upload(container_path.into(), CopySource::Path(host_path.into()))
            .await
    }

    /// Writes `contents` to a file at `container_path` in the running container.
    ///
    /// # Errors
    /// As [`copy_file_to`](Container::copy_file_to).
    pub async fn copy_bytes_to(
        &self,
        contents: impl Into<Vec<u8>>,
        container_path: impl Into<String>,
    ) -> Result<()> {
        let source = CopySource::Bytes {
            data: contents.into(),
            mode: 0o644,
        };
        self.upload(container_path.into(), source).await
    }

    async fn upload(&self, path: String, source: CopySource) -> Result<()> {
        self.run(|c| async move { upload(&c.docker, &c.id, &c.describe(), &path, &source).await })
            .await
    }

    /// Reads a file out of the container.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`] if there is no such path; [`ErrorKind::InvalidRequest`] if it is a
    /// directory.
    pub async fn copy_file_from(&self, container_path: impl Into<String>) -> Result<Vec<u8>> {
        let path = container_path.into();
        self.run(|c| async move {
            let who = c.describe();
            let options = DownloadFromContainerOptionsBuilder::new()
                .path(&path)
                .build();
            let archive: Vec<u8> = c
                .docker
                .download_from_container(&c.id, Some(options))
                .map_ok(|chunk| chunk.to_vec())
                .try_concat()
                .await
                .map_err(|e| Error::engine(format!("copying {path} out of {who}"), e))?;
            copy::single_file(&archive, &path, &who)
        })
        .await
    }

    /// Stops the container (SIGTERM, then SIGKILL after 10 s). It keeps its state and can be
    /// started again.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`] if the engine refuses.
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
    /// it is ready by the request's strategy, judged on the new run's output only.
    ///
    /// # Errors
    /// As for the first start: the container exits, or is not ready in time.
    pub async fn start(&self) -> Result<()> {
        self.run(|c| async move {
            c.docker
                .start_container(&c.id, None)
                .await
                .map_err(|e| Error::engine(format!("starting {} again", c.describe()), e))?;
            let started_at = c.read_ports().await?;
            c.begin_run(started_at);
            wait_until_ready(&c.wait, &*c, c.startup_timeout).await
        })
        .await
    }

    /// Freezes every process of the container.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`] if the engine refuses (e.g. the container is not running).
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
    /// [`ErrorKind::Engine`] if the engine refuses (e.g. the container is not paused).
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
    /// [`ErrorKind::Engine`] if the engine cannot remove it; a container already gone is fine.
    pub async fn remove(mut self) -> Result<()> {
        self.removed = true;
        self.run(|c| async move { remove(&c.docker, &c.id, &c.describe()).await })
            .await
    }

    /// `image (short id)`, the way messages name the container.
    pub(crate) fn describe(&self) -> String {
        self.inner.describe()
    }

    /// The same handle, but one that never removes the container: it is shared with other
    /// processes or kept for later runs.
    pub(crate) fn kept(mut self) -> Self {
        self.removed = true;
        self
    }

    /// Whether dropping this handle leaves the container in place.
    pub(crate) fn is_kept(&self) -> bool {
        self.removed
    }

    /// The engine client the container was created with.
    pub(crate) fn docker(&self) -> &Docker {
        &self.inner.docker
    }
}

impl Inner {
    fn host_port(&self, port: ContainerPort) -> Result<u16> {
        if let Some(host_port) = self
            .ports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&port)
        {
            return Ok(*host_port);
        }
        let exposed = if self.exposed.is_empty() {
            "none".to_string()
        } else {
            self.exposed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let advice = if self.exposed.contains(&port) {
            "the engine did not publish it (is the container running?)".to_string()
        } else {
            format!("add .exposed_port({}) to the request", port.number())
        };
        Err(Error::new(
            ErrorKind::PortNotExposed,
            format!(
                "port {port} of {} has no host port: {advice}; exposed: {exposed}",
                self.describe()
            ),
        ))
    }

    /// Reads the published ports from the engine; called once per start. Returns when the
    /// engine says the container started.
    pub(crate) async fn read_ports(&self) -> Result<Option<logs::LogTime>> {
        let inspected = self
            .docker
            .inspect_container(&self.id, None)
            .await
            .map_err(|e| Error::engine(format!("inspecting {}", self.describe()), e))?;
        let started_at = inspected
            .state
            .and_then(|s| s.started_at)
            .and_then(|t| logs::LogTime::parse(&t));
        let published = inspected
            .network_settings
            .and_then(|n| n.ports)
            .unwrap_or_default();
        let mut ports = BTreeMap::new();
        for (spec, bindings) in published {
            let Ok(port) = spec.parse::<ContainerPort>() else {
                continue;
            };
            if let Some(host_port) = pick_binding(bindings.as_deref().unwrap_or_default()) {
                ports.insert(port, host_port);
            }
        }
        *self.ports.lock().unwrap_or_else(|p| p.into_inner()) = ports;
        Ok(started_at)
    }

    /// `image (short id)`, the way messages name the container.
    pub(crate) fn describe(&self) -> String {
        format!("{} ({})", self.image, short_id(&self.id))
    }

    /// Marks a new run of the container, started at the engine's `started_at`, so that
    /// readiness checks read only its output.
    pub(crate) fn begin_run(&self, started_at: Option<logs::LogTime>) {
        *self.logs_since.lock().unwrap_or_else(|p| p.into_inner()) =
            started_at.map(logs::Since::new);
    }
}

/// The host port to use among an exposed port's bindings.
///
/// Engines may publish one port twice, on an IPv4 and an IPv6 address, and with different
/// host ports; tests connect over IPv4, so prefer that binding.
pub(crate) fn pick_binding(bindings: &[bollard::models::PortBinding]) -> Option<u16> {
    let port = |b: &bollard::models::PortBinding| b.host_port.as_deref()?.parse::<u16>().ok();
    let is_ipv4 = |b: &&bollard::models::PortBinding| {
        b.host_ip
            .as_deref()
            .is_none_or(|ip| ip.is_empty() || ip.parse::<std::net::Ipv4Addr>().is_ok())
    };
    bindings
        .iter()
        .filter(is_ipv4)
        .find_map(port)
        .or_else(|| bindings.iter().find_map(port))
}

pub(crate) fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Uploads `source` into container `id` so that it lands at `container_path`.
pub(crate) async fn upload(
    docker: &Docker,
    id: &str,
    who: &str,
    container_path: &str,
    source: &CopySource,
) -> Result<()> {
    let archive = copy::archive(container_path, source)?;
    upload_archive(docker, id, who, container_path, archive).await
}

/// Uploads a tar `archive` (made by [`copy::archive`] for `container_path`) into `id`.
pub(crate) async fn upload_archive(
    docker: &Docker,
    id: &str,
    who: &str,
    container_path: &str,
    archive: Vec<u8>,
) -> Result<()> {
    let options = UploadToContainerOptionsBuilder::new().path("/").build();
    docker
        .upload_to_container(id, Some(options), bollard::body_full(archive.into()))
        .await
        .map_err(|e| Error::engine(format!("copying {container_path} into {who}"), e))
}

/// Force-removes container `id` with its anonymous volumes; one already gone is fine.
pub(crate) async fn remove(docker: &Docker, id: &str, who: &str) -> Result<()> {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(err) if engine_status(&err) == Some(404) => Ok(()),
        // 409: removal already in progress (someone else is removing it).
        Err(err) if engine_status(&err) == Some(409) => Ok(()),
        Err(err) => Err(Error::engine(format!("removing {who}"), err)),
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let c = self.inner.clone();
        let removal = async move { remove(&c.docker, &c.id, &c.describe()).await };
        let who = self.describe();
        match block_on_engine(removal, Some(DROP_REMOVAL_LIMIT)) {
            Some(Ok(())) => tracing::debug!(container = %who, "removed"),
            Some(Err(err)) => tracing::warn!(container = %who, "{err}"),
            None => tracing::warn!(
                container = %who,
                "removal is taking longer than {} s; it goes on in the background",
                DROP_REMOVAL_LIMIT.as_secs()
            ),
        }
    }
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

impl Target for Inner {
    fn describe(&self) -> String {
        Inner::describe(self)
    }

    fn host(&self) -> &str {
        &self.host
    }

    fn host_port(&self, port: ContainerPort) -> Result<u16> {
        Inner::host_port(self, port)
    }

    fn exposed_ports(&self) -> Vec<ContainerPort> {
        let mut ports = self.exposed.clone();
        ports.sort();
        ports
    }

    fn follow_logs(&self) -> BoxStream<'_, Result<LogLine>> {
        let since = self
            .logs_since
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        logs::follow(&self.docker, &self.id, since)
    }

    fn exec(&self, cmd: Vec<String>) -> BoxFuture<'_, Result<ExecOutcome>> {
        async move { exec::run(&self.docker, &self.id, &self.describe(), cmd).await }.boxed()
    }

    fn health(&self) -> BoxFuture<'_, Result<Health>> {
        async move {
            let inspected = self
                .docker
                .inspect_container(&self.id, None)
                .await
                .map_err(|e| Error::engine(format!("inspecting {}", self.describe()), e))?;
            let Some(health) = inspected.state.and_then(|s| s.health) else {
                return Ok(Health::None);
            };
            use bollard::models::HealthStatusEnum as S;
            Ok(match health.status {
                Some(S::HEALTHY) => Health::Healthy,
                Some(S::UNHEALTHY) => Health::Unhealthy {
                    last_output: health
                        .log
                        .and_then(|log| log.last().and_then(|l| l.output.clone()))
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                },
                Some(S::STARTING) => Health::Starting,
                _ => Health::None,
            })
        }
        .boxed()
    }

    fn exited(&self) -> BoxFuture<'_, ExitInfo> {
        watch_exit(&self.docker, &self.id).boxed()
    }

    fn tail_logs(&self, n: usize) -> BoxFuture<'_, String> {
        logs::tail_lines(&self.docker, &self.id, n).boxed()
    }
}

/// Resolves once container `id` is not running, with how it ended.
async fn watch_exit(docker: &Docker, id: &str) -> ExitInfo {
    use bollard::query_parameters::WaitContainerOptionsBuilder;
    loop {
        let options = WaitContainerOptionsBuilder::new()
            .condition("not-running")
            .build();
        // The wait call ends at exit (bollard reports a non-zero code as an error), on a
        // request timeout, or when the connection drops: inspect to tell which.
        let _ = docker.wait_container(id, Some(options)).next().await;
        match docker.inspect_container(id, None).await {
            Ok(inspected) => {
                let state = inspected.state.unwrap_or_default();
                if state.running != Some(true) || state.restarting == Some(true) {
                    return ExitInfo {
                        code: state.exit_code,
                        oom_killed: state.oom_killed.unwrap_or(false),
                        error: state.error.filter(|e| !e.is_empty()),
                    };
                }
            }
            Err(err) if engine_status(&err) == Some(404) => {
                return ExitInfo {
                    code: None,
                    oom_killed: false,
                    error: Some("the container was removed".to_string()),
                }
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::PortBinding;

    fn binding(ip: &str, port: &str) -> PortBinding {
        PortBinding {
            host_ip: Some(ip.to_string()),
            host_port: Some(port.to_string()),
        }
    }

    #[test]
    fn prefers_the_ipv4_binding_when_the_engine_reports_two() {
        let bindings = [binding("::", "49154"), binding("0.0.0.0", "49153")];
        assert_eq!(pick_binding(&bindings), Some(49153));
        assert_eq!(pick_binding(&[binding("::", "49154")]), Some(49154));
        assert_eq!(pick_binding(&[binding("127.0.0.1", "")]), None);
        assert_eq!(pick_binding(&[]), None);
    }

    #[test]
    fn short_ids_are_twelve_characters() {
        assert_eq!(short_id("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}

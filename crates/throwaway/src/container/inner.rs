//! What a started container knows about itself, shared between its handle and the work on
//! the engine runtime; and the engine's view of it that readiness strategies read
//! ([`Target`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::query_parameters::RemoveContainerOptionsBuilder;
use bollard::Docker;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};

use super::exec;
use super::logs::{self, LogLine};
use crate::engine::port::pick_binding;
use crate::engine::ContainerPort;
use crate::error::{engine_status, is_not_found, Error, ErrorKind, Result};
use crate::wait::health;
use crate::wait::target::{ExecOutcome, ExitInfo, Health, Target};
use crate::wait::{wait_until_ready, Endpoints, Wait};

/// Work a module asks to run after every restart of the container, once it is ready again:
/// the PostgreSQL module remakes its template, for instance, when the data lived in memory.
pub(crate) type RestartHook =
    Arc<dyn Fn(Endpoints) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// The container's identity, published ports, readiness check and engine client.
pub(crate) struct Inner {
    pub(super) id: String,
    pub(super) image: String,
    pub(super) host: String,
    pub(super) exposed: Vec<ContainerPort>,
    ports: Mutex<BTreeMap<ContainerPort, u16>>,
    /// Where the current run's output begins, after a restart, so that a readiness check
    /// reads only the new run's output.
    logs_since: Mutex<Option<logs::RunStart>>,
    /// When this process last saw the engine start the container, by the host's clock.
    running_since: Mutex<Option<Instant>>,
    pub(super) wait: Wait,
    pub(super) startup_timeout: Duration,
    pub(super) docker: Docker,
    restart_hooks: Mutex<Vec<RestartHook>>,
}

impl Inner {
    pub(super) fn new(
        id: String,
        image: String,
        host: String,
        exposed: Vec<ContainerPort>,
        wait: Wait,
        startup_timeout: Duration,
        docker: Docker,
    ) -> Self {
        Inner {
            id,
            image,
            host,
            exposed,
            ports: Mutex::new(BTreeMap::new()),
            logs_since: Mutex::new(None),
            running_since: Mutex::new(None),
            wait,
            startup_timeout,
            docker,
            restart_hooks: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn host_port(&self, port: ContainerPort) -> Result<u16> {
        if let Some(host_port) = self.ports().get(&port) {
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

    /// The published ports as last read.
    pub(super) fn ports(&self) -> std::sync::MutexGuard<'_, BTreeMap<ContainerPort, u16>> {
        self.ports.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the published ports from the engine; called once per start. Returns when the
    /// engine says the container started.
    pub(super) async fn read_ports(&self) -> Result<Option<logs::LogTime>> {
        let inspected = crate::engine::inspect::inspect_container(&self.docker, &self.id)
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
        *self.ports() = ports;
        *self.running_since.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        Ok(started_at)
    }

    /// When the current run began, as far as this process saw it.
    fn running_since(&self) -> Option<Instant> {
        *self.running_since.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `image (short id)`, the way messages name the container.
    pub(crate) fn describe(&self) -> String {
        format!("{} ({})", self.image, short_id(&self.id))
    }

    /// Marks a new run of the container, so that readiness checks read only its output:
    /// after the output it had before it was started (`before`), or else from the moment
    /// the engine says it started.
    pub(super) fn begin_run(
        &self,
        before: Option<logs::Offsets>,
        started_at: Option<logs::LogTime>,
    ) {
        let run = match before {
            Some(offsets) => Some(logs::RunStart::After(offsets)),
            None => started_at.map(|at| logs::RunStart::Since(logs::Since::new(at))),
        };
        *self.logs_since.lock().unwrap_or_else(|p| p.into_inner()) = run;
    }

    /// How much output the stopped container has, read just before starting it again so
    /// that the new run's output is told apart exactly; `None` if the engine would not say.
    pub(super) async fn output_before_start(&self) -> Option<logs::Offsets> {
        match logs::offsets(&self.docker, &self.id).await {
            Ok(offsets) => Some(offsets),
            Err(err) => {
                tracing::debug!(container = %self.describe(), "{err}; the new run's output is told apart by time");
                None
            }
        }
    }

    pub(super) fn add_restart_hook(&self, hook: RestartHook) {
        self.restart_hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(hook);
    }

    /// After a start of an existing container that had the output `before` (see
    /// [`Inner::output_before_start`]): reads the new ports, waits until it is ready by the
    /// request's strategy on the new run's output, then runs the modules' restart hooks.
    pub(super) async fn after_restart(&self, before: Option<logs::Offsets>) -> Result<()> {
        let started_at = self.read_ports().await?;
        self.begin_run(before, started_at);
        wait_until_ready(&self.wait, self, self.startup_timeout).await?;
        let hooks = self
            .restart_hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for hook in hooks {
            hook(Endpoints::of(self)).await?;
        }
        Ok(())
    }
}

pub(crate) fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Force-removes container `id` with its anonymous volumes; one already gone is fine.
pub(crate) async fn remove(docker: &Docker, id: &str, who: &str) -> Result<()> {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(err) if is_not_found(&err) => Ok(()),
        // 409: removal already in progress (someone else is removing it).
        Err(err) if engine_status(&err) == Some(409) => Ok(()),
        Err(err) => Err(Error::engine(format!("removing {who}"), err)),
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
            let inspected = crate::engine::inspect::inspect_container(&self.docker, &self.id)
                .await
                .map_err(|e| Error::engine(format!("inspecting {}", self.describe()), e))?;
            let Some(health) = inspected.state.and_then(|s| s.health) else {
                return Ok(Health::None);
            };
            use bollard::models::HealthStatusEnum as S;
            let command = inspected.config.and_then(|c| c.healthcheck).and_then(|h| {
                let interval = h.interval.and_then(|ns| u64::try_from(ns).ok());
                Some((
                    health::healthcheck_command(&h.test?)?,
                    interval.map(Duration::from_nanos),
                ))
            });
            let probes = health.log.as_ref().map_or(0, Vec::len);
            let running_for = self.running_since().map(|at| at.elapsed());
            if let (Some((command, interval)), Some(running_for)) = (command, running_for) {
                if !matches!(health.status, Some(S::HEALTHY | S::UNHEALTHY))
                    && health::engine_runs_no_probes(probes, running_for, interval)
                {
                    return Ok(Health::NotRunByEngine { command });
                }
            }
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
        match crate::engine::inspect::inspect_container(docker, id).await {
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
            Err(err) if is_not_found(&err) => {
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

    #[test]
    fn short_ids_are_twelve_characters() {
        assert_eq!(short_id("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}

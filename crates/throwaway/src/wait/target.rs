//! What a readiness strategy may look at: the seam between `wait` and `container`.
//!
//! The real implementation lives in `container`; tests use a fake one, so every strategy is
//! specified without an engine.

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;

use crate::engine::ContainerPort;
use crate::error::Result;

/// Which output stream a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogSource {
    /// The container's standard output.
    Stdout,
    /// The container's standard error.
    Stderr,
}

/// One line of container output, without its line terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Where the line came from.
    pub source: LogSource,
    /// The text, lossily decoded as UTF-8.
    pub text: String,
}

/// How a container ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ExitInfo {
    /// The exit code, if the engine reported one.
    pub code: Option<i64>,
    /// Whether the kernel's OOM killer ended it.
    pub oom_killed: bool,
    /// The engine's error text for the container, if any (e.g. a failed start).
    pub error: Option<String>,
}

/// The engine's view of a container's healthcheck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Health {
    /// The image or request defines no healthcheck.
    None,
    /// Still in the start period or not yet checked.
    Starting,
    /// The last checks passed.
    Healthy,
    /// The checks failed `retries` times in a row; `last_output` is the last probe's output.
    Unhealthy { last_output: String },
    /// The container has a healthcheck, but the engine has run no probe long after the
    /// first was due: Podman runs probes from systemd timers, so without systemd it runs
    /// none. `command` is the healthcheck's command, to run through exec instead.
    NotRunByEngine { command: Vec<String> },
}

/// The result of a command run in the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExecOutcome {
    /// The exit code (`None` if the engine did not report one).
    pub exit_code: Option<i64>,
    /// Everything written to standard output.
    pub stdout: Vec<u8>,
    /// Everything written to standard error.
    pub stderr: Vec<u8>,
}

/// A started container, seen by a readiness strategy.
pub(crate) trait Target: Send + Sync {
    /// How to name the container in messages, e.g. `redis:7.0 (3f2a9c1b04de)`.
    fn describe(&self) -> String;

    /// The host name or address to reach published ports at.
    fn host(&self) -> &str;

    /// The host port a container port is published on.
    ///
    /// Fails with `ErrorKind::PortNotExposed` for a port the request did not expose.
    fn host_port(&self, port: ContainerPort) -> Result<u16>;

    /// The container ports the request exposed, in ascending order.
    fn exposed_ports(&self) -> Vec<ContainerPort>;

    /// All output from the container's start on, then live output; ends when the container
    /// stops.
    fn follow_logs(&self) -> BoxStream<'_, Result<LogLine>>;

    /// Runs a command (no shell) in the container and collects its output.
    fn exec(&self, cmd: Vec<String>) -> BoxFuture<'_, Result<ExecOutcome>>;

    /// The current healthcheck state.
    fn health(&self) -> BoxFuture<'_, Result<Health>>;

    /// Resolves when the container has stopped, with how it ended. Never resolves while the
    /// container keeps running.
    fn exited(&self) -> BoxFuture<'_, ExitInfo>;

    /// The last `n` lines of output (both streams, in order), for error messages.
    fn tail_logs(&self, n: usize) -> BoxFuture<'_, String>;
}

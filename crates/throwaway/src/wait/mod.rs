//! Readiness strategies (DESIGN.md layer 3): when a started container counts as ready.
//!
//! A [`Wait`] says what to wait for: a log line, a listening port, an HTTP answer, the Docker
//! healthcheck, a command that succeeds, a check of one's own ([`Wait::probe`]), a fixed
//! delay, or several of these in order. Only
//! [`Wait::http`] returns a builder of its own ([`HttpWait`]), which converts into a `Wait`.
//!
//! Every strategy runs under the request's startup timeout and watches the container at the
//! same time: if it stops first, the wait fails at once with the exit code and the last log
//! lines, rather than running into the timeout.

mod all;
mod duration;
mod exec;
#[cfg(test)]
mod fake;
pub(crate) mod health;
mod http;
mod log;
mod port;
mod probe;
pub(crate) mod report;
pub(crate) mod target;

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use crate::engine::ContainerPort;
use crate::error::{Error, ErrorKind, Result};
use target::{ExitInfo, Target};

use exec::ExecWait;
use health::HealthWait;
#[cfg(feature = "rabbitmq")]
pub(crate) use http::exchange as http_exchange;
pub use http::HttpWait;
use log::LogWait;
use port::PortWait;
use probe::ProbeWait;
pub use probe::{Endpoints, ProbeFailure};

/// How often polling strategies look again, unless told otherwise.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// What to wait for before a started container counts as ready.
///
/// Build one with the constructors below and refine it with the methods that read on from
/// them (`Wait::log("…").times(2).stderr()`). [`Wait::http`] alone returns a builder of its
/// own, [`HttpWait`], which converts into a `Wait`. `Display` describes the strategy in
/// words, as error messages quote it.
///
/// ```
/// use std::time::Duration;
/// use throwaway::Wait;
///
/// // PostgreSQL prints the line twice on a fresh data directory: the first comes from the
/// // temporary server that runs the init scripts.
/// let postgres = Wait::log("database system is ready to accept connections")
///     .times(2)
///     .stderr();
///
/// let api = Wait::port(8080).and(Wait::http("/health").port(8080).body_contains("ok"));
/// assert_eq!(
///     api.to_string(),
///     "all of (port 8080/tcp listening, HTTP GET /health on port 8080 answering 2xx \
///      with a body containing 'ok')"
/// );
///
/// let custom = Wait::all([
///     Wait::log_regex(r"listening on .*:\d+")?,
///     Wait::exec(["pg_isready", "-q"]),
///     Wait::duration(Duration::from_millis(200)),
/// ])
/// .poll_interval(Duration::from_millis(50));
/// # let _ = (postgres, custom);
/// # Ok::<(), throwaway::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Wait(Inner);

#[derive(Clone, Debug)]
enum Inner {
    None,
    Log(LogWait),
    Port(PortWait),
    Http(HttpWait),
    Health(HealthWait),
    Exec(ExecWait),
    Probe(ProbeWait),
    Duration(Duration),
    /// Never nested: [`Wait::all`] flattens.
    All(Vec<Wait>),
}

impl Wait {
    /// Wait for a line of output that contains `text` (a literal substring, case-sensitive).
    ///
    /// Lines are matched one at a time, without their line terminator (a trailing `\r` is
    /// dropped too), and each line counts once however often it contains the text. Output is
    /// read from the container's start, so a line written before the wait began counts. By
    /// default the first matching line on either stream is enough: see [`Wait::times`],
    /// [`Wait::stdout`] and [`Wait::stderr`].
    pub fn log(text: impl Into<String>) -> Wait {
        Wait(Inner::Log(LogWait::literal(text.into())))
    }

    /// Wait for a line of output that matches the regular expression `pattern`
    /// ([`regex`](https://docs.rs/regex) syntax), as [`Wait::log`] waits for a text.
    ///
    /// The pattern is matched against each line on its own, so `^` and `$` anchor at the
    /// line's start and end.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidRequest`] if `pattern` is not a valid regular expression.
    pub fn log_regex(pattern: &str) -> Result<Wait> {
        Ok(Wait(Inner::Log(LogWait::regex(pattern)?)))
    }

    /// Wait until `port` is listening, seen both from the host and inside the container.
    ///
    /// A `u16` means a TCP port; pass [`ContainerPort::udp`] for UDP. Fails at once with
    /// [`ErrorKind::PortNotExposed`] if the request did not expose the port. A TCP port must
    /// pass two checks:
    ///
    /// - **From the host**: a connection to the published port succeeds and is not closed at
    ///   once. Docker's userland proxy accepts connections on the host port even when nothing
    ///   listens inside the container yet, and then closes them immediately; such a
    ///   connection does not count.
    /// - **Inside the container**: `cat /proc/net/tcp /proc/net/tcp6` shows a socket
    ///   listening on the port. This check is best effort: images without `cat` (distroless,
    ///   scratch) skip it, and an attempt whose command fails for another reason relies on
    ///   the host check alone.
    ///
    /// UDP cannot be probed from the host, so a UDP port is only checked inside
    /// (`/proc/net/udp*`); in an image without `cat` it counts as ready once published. SCTP
    /// ports are not probed at all.
    pub fn port(port: impl Into<ContainerPort>) -> Wait {
        Wait(Inner::Port(PortWait::one(port.into())))
    }

    /// Wait until every port the request exposed is listening, as [`Wait::port`] checks one.
    ///
    /// A request without exposed ports is ready at once.
    pub fn exposed_ports() -> Wait {
        Wait(Inner::Port(PortWait::exposed()))
    }

    /// Wait until an HTTP request for `path` is answered with a 2xx status (or the status
    /// and body set on the returned [`HttpWait`]).
    ///
    /// A path without a leading `/` gets one; it may carry a query (`/ready?full=1`).
    pub fn http(path: impl Into<String>) -> HttpWait {
        HttpWait::new(path.into())
    }

    /// Wait until the image's (or request's) Docker `HEALTHCHECK` reports healthy.
    ///
    /// The engine runs the probe on the schedule the image or request set; this only asks
    /// the engine for the verdict. `unhealthy` is not final (a later probe may pass), so the
    /// wait goes on, and the probe's last output is quoted if the startup timeout runs out.
    /// Fails at once with [`ErrorKind::InvalidRequest`] if the container has no healthcheck.
    pub fn healthy() -> Wait {
        Wait(Inner::Health(HealthWait::new()))
    }

    /// Wait until a command, run in the container without a shell, exits with code 0 (or the
    /// code set with [`Wait::exit_code`]).
    ///
    /// The command runs again after each poll interval; one that cannot be started yet is
    /// retried too. Use `["sh", "-c", "…"]` for shell syntax.
    pub fn exec<I, S>(cmd: I) -> Wait
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Wait(Inner::Exec(ExecWait::new(
            cmd.into_iter().map(Into::into).collect(),
        )))
    }

    /// Wait until `check` passes: a check of one's own, such as a login or a `PING` from a
    /// client, which modules and users plug into the same driver as every other strategy.
    ///
    /// `check` is called with the container's [`Endpoints`] (host and published ports, read
    /// afresh for each attempt) and runs again after each poll interval until it returns
    /// `Ok`. Return [`ProbeFailure::not_yet`] while the service is not ready (its detail
    /// shows in the timeout message), [`ProbeFailure::fatal`] when waiting cannot help (the
    /// start then fails at once with that error). `what` describes the condition in words
    /// for messages: "Redis answering PING".
    ///
    /// An attempt that hangs is cut off by the startup deadline; give the check a timeout of
    /// its own (a connect timeout) so that one slow attempt does not use up the rest.
    ///
    /// ```
    /// use throwaway::{ProbeFailure, Wait};
    ///
    /// let answers = Wait::probe("the server accepting TCP connections", |endpoints| async move {
    ///     let port = endpoints.host_port(6379).map_err(ProbeFailure::fatal)?;
    ///     tokio::net::TcpStream::connect((endpoints.host(), port))
    ///         .await
    ///         .map(drop)
    ///         .map_err(ProbeFailure::not_yet)
    /// });
    /// assert_eq!(answers.to_string(), "the server accepting TCP connections");
    /// ```
    pub fn probe<F, Fut>(what: impl Into<String>, check: F) -> Wait
    where
        F: Fn(Endpoints) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = std::result::Result<(), ProbeFailure>> + Send + 'static,
    {
        Wait(Inner::Probe(ProbeWait::new(what.into(), check)))
    }

    /// Wait a fixed time.
    ///
    /// Prefer a condition the service itself reports: a fixed delay is either too long or,
    /// on a slow machine, too short.
    pub fn duration(delay: Duration) -> Wait {
        Wait(Inner::Duration(delay))
    }

    /// Wait for each of `parts` in turn, all under the one startup timeout.
    ///
    /// Nested `all`s are flattened; an empty list is the same as [`Wait::none`].
    pub fn all<I>(parts: I) -> Wait
    where
        I: IntoIterator,
        I::Item: Into<Wait>,
    {
        let mut flat = Vec::new();
        for part in parts {
            match part.into() {
                Wait(Inner::All(inner)) => flat.extend(inner),
                Wait(Inner::None) => {}
                other => flat.push(other),
            }
        }
        if flat.is_empty() {
            Wait::none()
        } else {
            Wait(Inner::All(flat))
        }
    }

    /// Ready as soon as the container has started.
    pub fn none() -> Wait {
        Wait(Inner::None)
    }

    /// Wait for this, then for `next`, under the one startup timeout: a shorthand for
    /// [`Wait::all`].
    pub fn and(self, next: impl Into<Wait>) -> Wait {
        Wait::all([self, next.into()])
    }

    /// For a log wait: wait for the `n`th matching line instead of the first. `0` counts
    /// as 1.
    ///
    /// # Panics
    ///
    /// If this is not a log wait ([`Wait::log`], [`Wait::log_regex`]).
    #[track_caller]
    pub fn times(self, n: usize) -> Wait {
        match self.0 {
            Inner::Log(w) => Wait(Inner::Log(w.times(n))),
            _ => self.misapplied("times", "log waits (Wait::log, Wait::log_regex)"),
        }
    }

    /// For a log wait: look at standard output only. The default is either stream; the last
    /// of `stdout()` and `stderr()` wins.
    ///
    /// # Panics
    ///
    /// If this is not a log wait ([`Wait::log`], [`Wait::log_regex`]).
    #[track_caller]
    pub fn stdout(self) -> Wait {
        match self.0 {
            Inner::Log(w) => Wait(Inner::Log(w.stdout())),
            _ => self.misapplied("stdout", "log waits (Wait::log, Wait::log_regex)"),
        }
    }

    /// For a log wait: look at standard error only. The default is either stream; the last
    /// of `stdout()` and `stderr()` wins.
    ///
    /// # Panics
    ///
    /// If this is not a log wait ([`Wait::log`], [`Wait::log_regex`]).
    #[track_caller]
    pub fn stderr(self) -> Wait {
        match self.0 {
            Inner::Log(w) => Wait(Inner::Log(w.stderr())),
            _ => self.misapplied("stderr", "log waits (Wait::log, Wait::log_regex)"),
        }
    }

    /// For a command wait: the exit code that means ready. The default is 0.
    ///
    /// # Panics
    ///
    /// If this is not a command wait ([`Wait::exec`]).
    #[track_caller]
    pub fn exit_code(self, code: i64) -> Wait {
        match self.0 {
            Inner::Exec(w) => Wait(Inner::Exec(w.exit_code(code))),
            _ => self.misapplied("exit_code", "command waits (Wait::exec)"),
        }
    }

    /// How often to look again, for the strategies that poll (port, HTTP, healthcheck,
    /// command, probe; a log wait pauses this long before following the logs again if the stream
    /// breaks off while the container runs). For [`Wait::all`], for each of its parts. The
    /// default is 100 ms.
    pub fn poll_interval(self, every: Duration) -> Wait {
        let inner = match self.0 {
            Inner::Log(w) => Inner::Log(w.poll_interval(every)),
            Inner::Port(w) => Inner::Port(w.poll_interval(every)),
            Inner::Http(w) => Inner::Http(w.poll_interval(every)),
            Inner::Health(w) => Inner::Health(w.poll_interval(every)),
            Inner::Exec(w) => Inner::Exec(w.poll_interval(every)),
            Inner::Probe(w) => Inner::Probe(w.poll_interval(every)),
            Inner::All(parts) => Inner::All(
                parts
                    .into_iter()
                    .map(|part| part.poll_interval(every))
                    .collect(),
            ),
            other @ (Inner::None | Inner::Duration(_)) => other,
        };
        Wait(inner)
    }

    /// A builder method called on the wrong kind of wait is a bug in the calling code, found
    /// the first time it runs: say so where it was called rather than ignore the option.
    #[track_caller]
    fn misapplied(&self, method: &str, applies_to: &str) -> ! {
        panic!("Wait::{method} applies to {applies_to}, not to {self}")
    }

    /// Runs the strategy until it succeeds or fails for good; never gives up by itself: the
    /// driver owns the deadline. Boxed because `all` recurses.
    fn run<'a>(
        &'a self,
        target: &'a dyn Target,
        progress: &'a Progress,
    ) -> BoxFuture<'a, Result<()>> {
        match &self.0 {
            Inner::None => futures_util::future::ready(Ok(())).boxed(),
            Inner::Log(w) => w.run(target, progress).boxed(),
            Inner::Port(w) => w.run(target, progress).boxed(),
            Inner::Http(w) => w.run(target, progress).boxed(),
            Inner::Health(w) => w.run(target, progress).boxed(),
            Inner::Exec(w) => w.run(target, progress).boxed(),
            Inner::Probe(w) => w.run(target, progress).boxed(),
            Inner::Duration(d) => duration::run(*d).boxed(),
            Inner::All(parts) => all::run(parts, target, progress).boxed(),
        }
    }
}

impl Default for Wait {
    /// [`Wait::none`].
    fn default() -> Self {
        Wait::none()
    }
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::None => f.write_str("nothing (ready once started)"),
            Inner::Log(w) => w.fmt(f),
            Inner::Port(w) => w.fmt(f),
            Inner::Http(w) => w.fmt(f),
            Inner::Health(w) => w.fmt(f),
            Inner::Exec(w) => w.fmt(f),
            Inner::Probe(w) => w.fmt(f),
            Inner::Duration(d) => write!(f, "a fixed delay of {}", duration::human(*d)),
            Inner::All(parts) => {
                f.write_str("all of (")?;
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    part.fmt(f)?;
                }
                f.write_str(")")
            }
        }
    }
}

impl From<HttpWait> for Wait {
    fn from(w: HttpWait) -> Wait {
        Wait(Inner::Http(w))
    }
}

/// What a strategy saw last, for the timeout message ("saw 1 of 2 matching lines",
/// "last answer: 503 Service Unavailable").
///
/// A strategy future is dropped when the deadline passes, so it cannot return this; it writes
/// it here as it goes instead. The lock is never held across an `.await`.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    inner: Mutex<ProgressInner>,
}

#[derive(Debug, Default)]
struct ProgressInner {
    /// Which part of an `all` is running, e.g. "part 2 of 3 (port 5432/tcp listening)".
    part: Option<String>,
    /// The latest observation of the running strategy.
    note: Option<String>,
}

impl Progress {
    /// Records the latest observation, replacing the previous one.
    pub(crate) fn note(&self, note: impl Into<String>) {
        self.lock().note = Some(note.into());
    }

    /// Records that an `all` moved on to another part; forgets the previous part's note.
    fn start_part(&self, part: String) {
        let mut inner = self.lock();
        inner.part = Some(part);
        inner.note = None;
    }

    /// The progress in words, if there is anything to say.
    fn describe(&self) -> Option<String> {
        let inner = self.lock();
        match (&inner.part, &inner.note) {
            (None, None) => None,
            (None, Some(note)) => Some(note.clone()),
            (Some(part), None) => Some(format!("at {part}")),
            (Some(part), Some(note)) => Some(format!("at {part}: {note}")),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressInner> {
        // A panic while holding the lock leaves nothing half-written worth refusing.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether a failure is the request's fault, so retrying until the deadline cannot help.
///
/// Everything else (connection refused, an exec that fails while the container is still
/// starting, an engine hiccup) is retried.
pub(crate) fn is_permanent(err: &Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::InvalidRequest | ErrorKind::PortNotExposed
    )
}

/// Waits until `target` is ready as `wait` says, for at most `timeout`, watching the
/// container the whole time.
///
/// # Errors
///
/// - [`ErrorKind::ContainerExited`] as soon as the container stops, with the exit code, OOM
///   kill, the engine's error text and the last log lines.
/// - [`ErrorKind::WaitTimeout`] when `timeout` passes first, naming the strategy, what it saw
///   last and the last log lines.
/// - [`ErrorKind::InvalidRequest`] or [`ErrorKind::PortNotExposed`] at once when the strategy
///   cannot work for this container (no healthcheck, a port the request did not expose, …).
///
/// # Races
///
/// The strategy and the exit watch run concurrently, and the first to finish decides. When
/// both are ready at the same moment, success wins: a log line or an answer seen before the
/// exit was noticed is a genuine sign of readiness, and a service that dies right after will
/// fail the test in a way that shows the exit. Conversely the log strategy never treats the
/// end of the log stream as a verdict: the stream ends when the container stops, and the exit
/// watch reports that with the exit code, which says far more than "the logs ended".
pub(crate) async fn wait_until_ready(
    wait: &Wait,
    target: &dyn Target,
    timeout: Duration,
) -> Result<()> {
    if matches!(wait.0, Inner::None) {
        return Ok(());
    }
    tracing::debug!(container = %target.describe(), strategy = %wait, ?timeout, "waiting until ready");
    let started = tokio::time::Instant::now();
    let progress = Progress::default();

    enum Outcome {
        Done(Result<()>),
        TimedOut,
        Exited(ExitInfo),
    }
    let outcome = {
        let run = tokio::time::timeout_at(started + timeout, wait.run(target, &progress));
        let exited = target.exited();
        tokio::select! {
            biased;
            finished = run => match finished {
                Ok(result) => Outcome::Done(result),
                Err(_elapsed) => Outcome::TimedOut,
            },
            exit = exited => Outcome::Exited(exit),
        }
    };

    match outcome {
        Outcome::Done(Ok(())) => {
            tracing::debug!(container = %target.describe(), strategy = %wait, elapsed = ?started.elapsed(), "ready");
            Ok(())
        }
        Outcome::Done(Err(err)) => Err(err),
        Outcome::TimedOut => {
            let mut message = format!(
                "waited {} for {wait} on {}",
                duration::human(timeout),
                target.describe()
            );
            if let Some(progress) = progress.describe() {
                message.push_str("; ");
                message.push_str(&progress);
            }
            message.push_str("; if the service is only slow to start, raise the startup timeout");
            message.push_str(&report::last_lines(target).await);
            Err(Error::new(ErrorKind::WaitTimeout, message))
        }
        Outcome::Exited(exit) => {
            let during = format!("while waiting for {wait}");
            Err(report::exited(target, &exit, &during, progress.describe()).await)
        }
    }
}

/// Quotes user text in descriptions, shortened so that a huge pattern cannot swamp a message.
fn quoted(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("'{}…'", &text[..cut]),
        None => format!("'{text}'"),
    }
}

#[cfg(test)]
mod tests;

//! Waiting for a check of one's own: a login, a `PING`, a protocol handshake.
//!
//! Modules and users plug a check into the one readiness driver, and so get what every
//! other strategy gets: the startup deadline, the fail-fast when the container exits (with
//! its exit code and last lines), and a timeout message that says what the last attempt
//! saw.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use super::target::Target;
use super::{Progress, DEFAULT_POLL_INTERVAL};
use crate::engine::ContainerPort;
use crate::error::{Error, ErrorKind, Result};

/// Where a started container's published ports are reached from the host, as a probe (or a
/// module's restart hook) sees them.
///
/// A plain value, taken afresh for every attempt: after a restart the engine may have
/// published the ports on new host ports.
#[derive(Debug, Clone)]
pub struct Endpoints {
    container: String,
    host: String,
    ports: BTreeMap<ContainerPort, u16>,
}

impl Endpoints {
    /// Endpoints made by hand: for a module's unit tests of its probe or restart hook,
    /// against a server of the test's own (`container` is how messages name it).
    pub fn new(
        container: impl Into<String>,
        host: impl Into<String>,
        ports: impl IntoIterator<Item = (ContainerPort, u16)>,
    ) -> Endpoints {
        Endpoints {
            container: container.into(),
            host: host.into(),
            ports: ports.into_iter().collect(),
        }
    }

    /// The published ports of `target` right now.
    pub(crate) fn of(target: &dyn Target) -> Endpoints {
        let ports = target
            .exposed_ports()
            .into_iter()
            .filter_map(|port| Some((port, target.host_port(port).ok()?)))
            .collect();
        Endpoints {
            container: target.describe(),
            host: target.host().to_string(),
            ports,
        }
    }

    /// The host to connect to (`127.0.0.1` for a local engine).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The host port that container port `port` is published on.
    ///
    /// # Errors
    /// [`ErrorKind::PortNotExposed`] if the request did not expose `port` (or the engine has
    /// not published it); the message lists the ports that are published.
    pub fn host_port(&self, port: impl Into<ContainerPort>) -> Result<u16> {
        let port = port.into();
        self.ports.get(&port).copied().ok_or_else(|| {
            let published: Vec<String> = self.ports.keys().map(ToString::to_string).collect();
            Error::new(
                ErrorKind::PortNotExposed,
                format!(
                    "port {port} of {} is not published (published: {}): expose it in the \
                     module's request",
                    self.container,
                    if published.is_empty() {
                        "none".to_string()
                    } else {
                        published.join(", ")
                    }
                ),
            )
        })
    }

    /// How messages name the container, e.g. `redis:7.0 (3f2a9c1b04de)`.
    pub fn container(&self) -> &str {
        &self.container
    }
}

/// Why one probe attempt did not find the service ready.
///
/// [`not_yet`](ProbeFailure::not_yet) means "try again after the poll interval" (the
/// service does not answer yet); [`fatal`](ProbeFailure::fatal) means waiting longer cannot
/// help (the service refused the credentials), and the start fails at once with that error.
#[derive(Debug)]
pub struct ProbeFailure(Failure);

#[derive(Debug)]
enum Failure {
    NotYet(String),
    Fatal(Error),
}

impl ProbeFailure {
    /// The service is not ready yet; `detail` says what the attempt saw ("connection
    /// refused"), and appears in the timeout message if the deadline passes.
    pub fn not_yet(detail: impl fmt::Display) -> Self {
        ProbeFailure(Failure::NotYet(detail.to_string()))
    }

    /// The service answered in a way that waiting cannot change: fail the start with `error`.
    /// Name the container in its message ([`Endpoints::container`]); the driver adds it
    /// otherwise.
    pub fn fatal(error: Error) -> Self {
        ProbeFailure(Failure::Fatal(error))
    }

    /// Whether this ends the wait at once.
    pub fn is_fatal(&self) -> bool {
        matches!(self.0, Failure::Fatal(_))
    }

    /// What the attempt saw, in words: the detail, or the fatal error's message.
    pub fn detail(&self) -> &str {
        match &self.0 {
            Failure::NotYet(detail) => detail,
            Failure::Fatal(error) => error.message(),
        }
    }
}

type Check = Arc<dyn Fn(Endpoints) -> BoxFuture<'static, Result<(), ProbeFailure>> + Send + Sync>;

/// The state behind [`Wait::probe`](super::Wait::probe).
#[derive(Clone)]
pub(super) struct ProbeWait {
    what: String,
    check: Check,
    poll_interval: Duration,
}

impl ProbeWait {
    pub(super) fn new<F, Fut>(what: String, check: F) -> Self
    where
        F: Fn(Endpoints) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ProbeFailure>> + Send + 'static,
    {
        ProbeWait {
            what,
            check: Arc::new(move |endpoints| check(endpoints).boxed()),
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    pub(super) fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    pub(super) async fn run(&self, target: &dyn Target, progress: &Progress) -> Result<()> {
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            match (self.check)(Endpoints::of(target)).await {
                Ok(()) => return Ok(()),
                Err(ProbeFailure(Failure::Fatal(error))) => {
                    let who = target.describe();
                    if error.message().contains(&who) {
                        return Err(error);
                    }
                    return Err(error.prefixed(&format!("{who}, while waiting for {self}")));
                }
                Err(ProbeFailure(Failure::NotYet(detail))) => {
                    let tries = if attempts == 1 {
                        "1 attempt".to_string()
                    } else {
                        format!("{attempts} attempts")
                    };
                    progress.note(format!("{tries}, the last saw: {detail}"));
                }
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}

impl fmt::Display for ProbeWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl fmt::Debug for ProbeWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeWait")
            .field("what", &self.what)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::super::fake::FakeTarget;
    use super::super::{wait_until_ready, Wait};
    use super::*;

    const LONG: Duration = Duration::from_secs(2);

    #[tokio::test]
    async fn ready_once_the_check_passes_retrying_until_then() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let wait = Wait::probe("the service answering PING", move |endpoints| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                assert_eq!(endpoints.host(), "127.0.0.1");
                assert_eq!(endpoints.host_port(6379).unwrap(), 49153);
                if n < 2 {
                    Err(ProbeFailure::not_yet("connection refused"))
                } else {
                    Ok(())
                }
            }
        })
        .poll_interval(Duration::from_millis(10));
        let target = FakeTarget::new().port(6379, 49153);
        wait_until_ready(&wait, &target, LONG).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_fatal_answer_fails_at_once_with_the_probes_error() {
        let wait = Wait::probe("a login", |_| async {
            Err(ProbeFailure::fatal(Error::new(
                ErrorKind::Service,
                "the server refused the password",
            )))
        });
        let started = std::time::Instant::now();
        let err = wait_until_ready(&wait, &FakeTarget::new(), LONG)
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(err.kind(), ErrorKind::Service);
        assert_eq!(
            err.message(),
            "fake:1 (0123456789ab), while waiting for a login: the server refused the password"
        );
    }

    #[tokio::test]
    async fn the_timeout_names_the_probe_and_what_the_last_attempt_saw() {
        let wait = Wait::probe("Redis answering PING", |_| async {
            Err(ProbeFailure::not_yet("connection reset by peer"))
        })
        .poll_interval(Duration::from_millis(20));
        let err = wait_until_ready(&wait, &FakeTarget::new(), Duration::from_millis(200))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        let message = err.message();
        assert!(
            message.contains("waited 200 ms for Redis answering PING on fake:1"),
            "{message}"
        );
        assert!(
            message.contains("attempts, the last saw: connection reset by peer"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_container_that_exits_ends_the_probe_with_its_exit_code() {
        let wait = Wait::probe("a login", |_| async {
            Err(ProbeFailure::not_yet("connection refused"))
        });
        let target = FakeTarget::new()
            .stderr(10, "FATAL: bad config")
            .exits(50, 1);
        let err = wait_until_ready(&wait, &target, LONG).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ContainerExited);
        assert!(err.message().contains("exited with code 1"), "{err}");
        assert!(err.message().contains("FATAL: bad config"), "{err}");
    }

    #[test]
    fn failures_say_what_they_are() {
        let later = ProbeFailure::not_yet("connection refused");
        assert!(!later.is_fatal());
        assert_eq!(later.detail(), "connection refused");
        let now = ProbeFailure::fatal(Error::new(ErrorKind::Service, "wrong password"));
        assert!(now.is_fatal());
        assert_eq!(now.detail(), "wrong password");
    }

    #[test]
    fn endpoints_name_the_published_ports_when_one_is_missing() {
        let endpoints = Endpoints::new(
            "svc:1 (0123456789ab)",
            "127.0.0.1",
            [(ContainerPort::tcp(80), 49000)],
        );
        let err = endpoints.host_port(443).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PortNotExposed);
        assert!(err.message().contains("443/tcp"), "{err}");
        assert!(err.message().contains("published: 80/tcp"), "{err}");
    }
}

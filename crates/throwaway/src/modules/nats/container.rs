//! A started NATS server: its URLs, and a subject prefix per test.

use std::fmt;

use super::config::Auth;
use super::MONITORING_PORT;
use crate::container::Container;
use crate::error::Result;
use crate::kit::{self, Isolation, IsolationUnit, ServiceUrl};
use crate::modules::wire;

/// A running NATS server, removed when dropped (as its [`Container`] is).
///
/// Made by [`Nats::start`](super::Nats::start). Ports are read from the container each
/// time, so they are right after [`Container::stop`] and [`Container::start`]. `Debug`
/// shows the connection URL with the token or password as `***`.
pub struct NatsContainer {
    container: Container,
    /// The client port inside the container ([`Nats::port`](super::Nats::port)).
    port: u16,
    auth: Auth,
    jetstream: bool,
}

impl NatsContainer {
    pub(super) fn new(container: Container, port: u16, auth: Auth, jetstream: bool) -> Self {
        NatsContainer {
            container,
            port,
            auth,
            jetstream,
        }
    }

    /// The underlying container: logs, `exec`, stop and start, and the rest.
    pub fn container(&self) -> &Container {
        &self.container
    }

    /// The host to connect to (`127.0.0.1` for a local engine).
    pub fn host(&self) -> &str {
        self.container.host()
    }

    /// The host port that the client port (4222, or [`Nats::port`](super::Nats::port)) is
    /// published on now (0 while stopped).
    pub fn host_port(&self) -> u16 {
        self.container.host_port(self.port).unwrap_or(0)
    }

    /// The client URL: `nats://127.0.0.1:49153`, `nats://s3cr%2Ft@127.0.0.1:49153` with a
    /// token, `nats://app:p%40ss@127.0.0.1:49153` with a user and password (escaped).
    pub fn connection_url(&self) -> String {
        self.url().to_string()
    }

    /// The host port of the HTTP monitoring port 8222 now (0 while stopped).
    pub fn monitoring_port(&self) -> u16 {
        self.container.host_port(MONITORING_PORT).unwrap_or(0)
    }

    /// `http://127.0.0.1:49154`: the monitoring endpoints (`/varz`, `/connz`, `/healthz`,
    /// `/jsz`, …). They need no login.
    pub fn monitoring_url(&self) -> String {
        format!(
            "http://{}",
            wire::socket_address(self.host(), self.monitoring_port())
        )
    }

    /// Whether the server runs JetStream ([`Nats::jetstream`](super::Nats::jetstream)).
    pub fn jetstream(&self) -> bool {
        self.jetstream
    }

    /// The user name clients log in with, if the server has a user and password.
    pub fn user(&self) -> Option<&str> {
        match &self.auth {
            Auth::User { user, .. } => Some(user),
            _ => None,
        }
    }

    /// A subject prefix that no other caller got, in any thread or process of this test
    /// run: the way to keep tests apart that share one server. Costs no call to the server.
    ///
    /// # Errors
    /// [`ErrorKind::EngineUnavailable`](crate::ErrorKind::EngineUnavailable) if the engine
    /// that names the test session cannot be reached.
    pub async fn fresh_prefix(&self) -> Result<SubjectPrefix> {
        let session = kit::session_id().await?;
        Ok(SubjectPrefix {
            prefix: format!("{}.", wire::unique_name("t", &session, fastrand::u64(..))),
            url: self.url(),
        })
    }

    /// Removes the container now and reports failure, as [`Container::remove`] does.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`](crate::ErrorKind::Engine) if the engine cannot remove it.
    pub async fn remove(self) -> Result<()> {
        self.container.remove().await
    }

    fn url(&self) -> ServiceUrl {
        self.auth.url(self.host(), self.host_port())
    }
}

impl AsRef<Container> for NatsContainer {
    fn as_ref(&self) -> &Container {
        &self.container
    }
}

impl fmt::Debug for NatsContainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsContainer")
            .field("url", &self.url())
            .field("monitoring", &self.monitoring_url())
            .field("jetstream", &self.jetstream)
            .field("container", &self.container)
            .finish()
    }
}

/// A subject prefix handed out by [`NatsContainer::fresh_prefix`]: `t<session>-<random>.`,
/// such as `t4f1c2a9e-0b3d5e7f9a1c2e4d.`.
///
/// The server enforces nothing: the prefix keeps a test's messages apart as long as the
/// test publishes and subscribes under [`subject`](SubjectPrefix::subject) only. A plain
/// value; nothing happens when it is dropped. `Debug` shows the URL with the secret as
/// `***`.
///
/// Not kept after a failed `#[throwaway::test]`: a prefix is a name, not something on the
/// server (the broker holds no messages under it once the test's subscriptions end), so
/// there is nothing to keep or to name after the test. The failure output shows its URL.
#[derive(Clone)]
pub struct SubjectPrefix {
    prefix: String,
    url: ServiceUrl,
}

impl SubjectPrefix {
    /// The prefix, ending in `.`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `name` under this test's prefix: `subject("orders.new")` is `t4f1c2a9e-….orders.new`.
    pub fn subject(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The wildcard that subscribes to every subject under this prefix (`….>`), and to no
    /// other test's.
    pub fn all_subjects(&self) -> String {
        self.subject(">")
    }
}

impl IsolationUnit for SubjectPrefix {
    /// The server's URL with the prefix as a query parameter:
    /// `nats://127.0.0.1:49153?prefix=t4f1c2a9e-0b3d5e7f9a1c2e4d.`. Clients ignore it; it
    /// carries the prefix to code that takes one URL.
    fn url(&self) -> String {
        // The prefix is letters, digits, `-` and `.`, all of which a query may hold as is.
        format!("{}?prefix={}", self.url, self.prefix)
    }

    fn masked_url(&self) -> String {
        format!("{}?prefix={}", self.url.masked(), self.prefix)
    }
}

impl fmt::Debug for SubjectPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectPrefix")
            .field("url", &self.masked_url())
            .finish()
    }
}

impl Isolation for NatsContainer {
    type Unit = SubjectPrefix;

    fn fresh_unit(&self) -> impl std::future::Future<Output = Result<SubjectPrefix>> + Send {
        self.fresh_prefix()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::Secret;

    #[test]
    fn subjects_live_under_the_prefix_and_the_url_masks_the_token() {
        let unit = SubjectPrefix {
            prefix: format!("{}.", wire::unique_name("t", "0123456789abcdef", 0xbeef)),
            url: Auth::Token(Secret::new("hunter2")).url("127.0.0.1", 49153),
        };
        assert_eq!(unit.prefix(), "t01234567-000000000000beef.");
        assert_eq!(
            unit.subject("orders.new"),
            "t01234567-000000000000beef.orders.new"
        );
        assert_eq!(unit.all_subjects(), "t01234567-000000000000beef.>");
        assert_eq!(
            unit.url(),
            "nats://hunter2@127.0.0.1:49153?prefix=t01234567-000000000000beef."
        );
        assert_eq!(
            unit.masked_url(),
            "nats://***@127.0.0.1:49153?prefix=t01234567-000000000000beef."
        );
        assert!(!format!("{unit:?}").contains("hunter2"));
    }
}

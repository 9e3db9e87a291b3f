//! A started Memcached server: its address, emptying it, and a key prefix per test.

use std::fmt;

use super::command;
use crate::container::Container;
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{self, Isolation, IsolationUnit, ServiceUrl};
use crate::modules::wire;

/// A running Memcached server, removed when dropped (as its [`Container`] is).
///
/// Made by [`Memcached::start`](super::Memcached::start). The address is read from the
/// container each time, so it is right after [`Container::stop`] and [`Container::start`]
/// (memcached keeps nothing across a restart: the server comes back empty).
pub struct MemcachedContainer {
    container: Container,
    /// The port inside the container ([`Memcached::port`](super::Memcached::port)).
    port: u16,
    memory_mb: u32,
}

impl MemcachedContainer {
    pub(super) fn new(container: Container, port: u16, memory_mb: u32) -> Self {
        MemcachedContainer {
            container,
            port,
            memory_mb,
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

    /// The host port that memcached's port (11211, or [`Memcached::port`](super::Memcached::port))
    /// is published on now (0 while the container is stopped).
    pub fn host_port(&self) -> u16 {
        self.container.host_port(self.port).unwrap_or(0)
    }

    /// `127.0.0.1:49153`: the `host:port` that memcached clients take.
    pub fn address(&self) -> String {
        wire::socket_address(self.host(), self.host_port())
    }

    /// `memcache://127.0.0.1:49153`, the URL form that clients such as the `memcache` crate
    /// take.
    pub fn connection_url(&self) -> String {
        ServiceUrl::new("memcache", self.host(), self.host_port()).to_string()
    }

    /// The memory for items the server was started with, in megabytes.
    pub fn memory_mb(&self) -> u32 {
        self.memory_mb
    }

    /// Empties the whole server (`flush_all`): every key, also those of other tests that
    /// share it. For a test that has the server to itself; tests that share one stay apart
    /// with [`fresh_prefix`](MemcachedContainer::fresh_prefix) instead.
    ///
    /// # Errors
    /// [`ErrorKind::Service`] if the server cannot be reached or does not answer `OK`.
    pub async fn flush_all(&self) -> Result<()> {
        let who = self.container.describe();
        let at = self.address();
        let failed = |detail: String| {
            Error::new(
                ErrorKind::Service,
                format!("emptying {who} at {at} (flush_all): {detail}"),
            )
        };
        let answer = tokio::time::timeout(
            CONTROL_LIMIT,
            command(self.host(), self.host_port(), "flush_all"),
        )
        .await
        .map_err(|_| failed(format!("no answer within {} s", CONTROL_LIMIT.as_secs())))?
        .map_err(|e| failed(e.to_string()))?;
        match answer.as_str() {
            "OK" => Ok(()),
            other => Err(failed(format!("it answered {other:?}"))),
        }
    }

    /// A key prefix that no other caller got, in any thread or process of this test run:
    /// the way to keep tests apart that share one server. Costs no call to the server.
    ///
    /// # Errors
    /// [`ErrorKind::EngineUnavailable`] if the engine that names the test session cannot be
    /// reached.
    pub async fn fresh_prefix(&self) -> Result<KeyPrefix> {
        let session = kit::session_id().await?;
        Ok(KeyPrefix {
            prefix: format!("{}:", wire::unique_name("t", &session, fastrand::u64(..))),
            url: self.connection_url(),
        })
    }

    /// Removes the container now and reports failure, as [`Container::remove`] does.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`] if the engine cannot remove it.
    pub async fn remove(self) -> Result<()> {
        self.container.remove().await
    }
}

/// How long the module's own `flush_all` may take; emptying is instant in memcached (it
/// only marks items expired), so this only keeps a broken server from hanging a test.
const CONTROL_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

impl AsRef<Container> for MemcachedContainer {
    fn as_ref(&self) -> &Container {
        &self.container
    }
}

impl fmt::Debug for MemcachedContainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemcachedContainer")
            .field("address", &self.address())
            .field("memory_mb", &self.memory_mb)
            .field("container", &self.container)
            .finish()
    }
}

/// A key prefix handed out by [`MemcachedContainer::fresh_prefix`]:
/// `t<session>-<random>:`, such as `t4f1c2a9e-0b3d5e7f9a1c2e4d:` (27 characters, so keys
/// under it may have 223 more of memcached's 250).
///
/// The server enforces nothing: the prefix keeps a test's data apart as long as the test
/// uses [`key`](KeyPrefix::key)s only. A plain value; nothing happens when it is dropped
/// (its items stay until evicted or flushed).
///
/// Not kept after a failed `#[throwaway::test]`: memcached has no namespaces to rename or
/// mark, and cannot list keys, so a prefix cannot be named after the test nor found again
/// by a later run. Its items simply stay until memcached evicts them or the container goes;
/// the failure output shows the prefix's URL, which is how to find them.
#[derive(Clone, Debug)]
pub struct KeyPrefix {
    prefix: String,
    url: String,
}

impl KeyPrefix {
    /// The prefix, ending in `:`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `name` under this test's prefix: `key("user:1")` is `t4f1c2a9e-…:user:1`.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

impl IsolationUnit for KeyPrefix {
    /// The server's URL with the prefix as a query parameter:
    /// `memcache://127.0.0.1:49153?prefix=t4f1c2a9e-0b3d5e7f9a1c2e4d:`. Clients ignore it;
    /// it carries the prefix to code that takes one URL.
    fn url(&self) -> String {
        // The prefix is letters, digits, `-` and `:`, all of which a query may hold as is.
        format!("{}?prefix={}", self.url, self.prefix)
    }

    fn masked_url(&self) -> String {
        self.url() // nothing secret in it
    }
}

impl Isolation for MemcachedContainer {
    type Unit = KeyPrefix;

    fn fresh_unit(&self) -> impl std::future::Future<Output = Result<KeyPrefix>> + Send {
        self.fresh_prefix()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_live_under_the_prefix_and_the_url_carries_it() {
        let unit = KeyPrefix {
            prefix: format!("{}:", wire::unique_name("t", "0123456789abcdef", 0xbeef)),
            url: "memcache://127.0.0.1:49153".into(),
        };
        assert_eq!(unit.prefix(), "t01234567-000000000000beef:");
        assert_eq!(unit.key("user:1"), "t01234567-000000000000beef:user:1");
        assert_eq!(
            unit.url(),
            "memcache://127.0.0.1:49153?prefix=t01234567-000000000000beef:"
        );
        assert_eq!(unit.masked_url(), unit.url());
    }
}

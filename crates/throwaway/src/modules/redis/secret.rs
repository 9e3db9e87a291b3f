//! The password, and the connection URLs that carry it: revealed only where asked for.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{Error, ErrorKind, Result};

/// Everything but RFC 3986's unreserved characters is escaped in the URL's user info, so
/// that `:`, `@`, `/`, `%` and the rest of a password survive the trip through a URL.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A password that `Debug` shows as `***`.
#[derive(Clone)]
pub(super) struct Secret(String);

impl Secret {
    pub(super) fn new(value: String) -> Self {
        Secret(value)
    }

    /// The password itself, for the few places that must send it.
    pub(super) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Where a server listens and how to log in: the parts of its connection URLs.
#[derive(Clone)]
pub(super) struct Endpoint {
    host: String,
    port: u16,
    password: Option<Secret>,
}

impl Endpoint {
    pub(super) fn new(host: String, port: u16, password: Option<Secret>) -> Self {
        Endpoint {
            host,
            port,
            password,
        }
    }

    /// The same server on another host port (after a restart).
    pub(super) fn on_port(&self, port: u16) -> Self {
        Endpoint {
            port,
            ..self.clone()
        }
    }

    pub(super) fn port(&self) -> u16 {
        self.port
    }

    /// `redis://[:password@]host:port[/db]`, the password percent-escaped.
    pub(super) fn url(&self, db: Option<u32>) -> String {
        let password = self
            .password
            .as_ref()
            .map(|p| utf8_percent_encode(p.expose(), USERINFO).to_string());
        self.format(password.as_deref(), db)
    }

    /// [`url`](Endpoint::url) with the password shown as `***`, for messages and `Debug`.
    pub(super) fn redacted_url(&self, db: Option<u32>) -> String {
        self.format(self.password.as_ref().map(|_| "***"), db)
    }

    fn format(&self, password: Option<&str>, db: Option<u32>) -> String {
        let mut url = String::from("redis://");
        if let Some(password) = password {
            url.push(':');
            url.push_str(password);
            url.push('@');
        }
        // An IPv6 address needs brackets in a URL (a remote engine named by address).
        if self.host.contains(':') && !self.host.starts_with('[') {
            url.push_str(&format!("[{}]", self.host));
        } else {
            url.push_str(&self.host);
        }
        url.push_str(&format!(":{}", self.port));
        if let Some(db) = db {
            url.push_str(&format!("/{db}"));
        }
        url
    }

    /// A client for logical database `db`. `who` names the container in errors.
    ///
    /// # Errors
    /// [`ErrorKind::Service`] if the redis crate refuses the address; the message shows the
    /// URL without the password.
    pub(super) fn client(&self, db: u32, who: &str) -> Result<redis::Client> {
        redis::Client::open(self.url(Some(db)).as_str()).map_err(|error| {
            Error::new(
                ErrorKind::Service,
                format!(
                    "cannot make a Redis client for {who} at {}: {error}",
                    self.redacted_url(Some(db))
                ),
            )
            .with_source(error)
        })
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted_url(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(host: &str, password: Option<&str>) -> Endpoint {
        Endpoint::new(
            host.to_string(),
            49153,
            password.map(|p| Secret::new(p.to_string())),
        )
    }

    #[test]
    fn urls_escape_the_password() {
        let with = endpoint("127.0.0.1", Some("s3cr:t@"));
        assert_eq!(with.url(None), "redis://:s3cr%3At%40@127.0.0.1:49153");
        assert_eq!(with.url(Some(7)), "redis://:s3cr%3At%40@127.0.0.1:49153/7");
        let odd = endpoint("127.0.0.1", Some("a/b?c#d%e f-g.h_i~j"));
        assert_eq!(
            odd.url(None),
            "redis://:a%2Fb%3Fc%23d%25e%20f-g.h_i~j@127.0.0.1:49153"
        );
        let without = endpoint("127.0.0.1", None);
        assert_eq!(without.url(None), "redis://127.0.0.1:49153");
    }

    #[test]
    fn escaped_passwords_reach_the_client_intact() {
        for password in ["s3cr:t@", "a/b?c#d%e f", "ünï\"cødé\\", "%41"] {
            let client = endpoint("127.0.0.1", Some(password))
                .client(3, "x")
                .unwrap();
            let info = client.get_connection_info().redis_settings();
            assert_eq!(info.password(), Some(password));
            assert_eq!(info.db(), 3);
        }
    }

    #[test]
    fn ipv6_hosts_get_brackets() {
        assert_eq!(
            endpoint("::1", None).url(None),
            "redis://[::1]:49153",
            "an IPv6 literal"
        );
        assert_eq!(endpoint("[::1]", None).url(None), "redis://[::1]:49153");
    }

    #[test]
    fn redacted_urls_and_debug_hide_the_password() {
        let with = endpoint("127.0.0.1", Some("hunter2"));
        assert_eq!(with.redacted_url(Some(2)), "redis://:***@127.0.0.1:49153/2");
        assert!(!format!("{with:?}").contains("hunter2"));
        assert_eq!(
            format!("{:?}", Some(Secret::new("hunter2".into()))),
            r#"Some("***")"#
        );
    }
}

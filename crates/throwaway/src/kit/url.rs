//! Connection URLs: `scheme://user:password@host:port/path`, escaped so that any user name,
//! password or database name survives the trip, and masked for messages.
//!
//! Not the `url` crate: its user-info escaping leaves `%` alone, so a password such as
//! `%41` would reach the server as `A`. Everything but RFC 3986's unreserved characters is
//! escaped here.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::Secret;

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const PART: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A service's connection URL, built from its parts.
///
/// ```
/// use throwaway::kit::{Secret, ServiceUrl};
///
/// let url = ServiceUrl::new("postgres", "127.0.0.1", 49153)
///     .user("app")
///     .password(&Secret::new("p@ss:w/rd"))
///     .path("users");
/// assert_eq!(url.to_string(), "postgres://app:p%40ss%3Aw%2Frd@127.0.0.1:49153/users");
/// assert_eq!(url.masked(), "postgres://app:***@127.0.0.1:49153/users");
///
/// // A password without a user, as Redis takes it; an IPv6 host gets brackets.
/// let redis = ServiceUrl::new("redis", "::1", 6379).password(&Secret::new("s3cr:t"));
/// assert_eq!(redis.to_string(), "redis://:s3cr%3At@[::1]:6379");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceUrl {
    scheme: String,
    user: Option<String>,
    password: Option<Secret>,
    token: Option<Secret>,
    host: String,
    port: u16,
    path: Option<String>,
}

impl ServiceUrl {
    /// `scheme://host:port`.
    pub fn new(scheme: impl Into<String>, host: impl Into<String>, port: u16) -> Self {
        ServiceUrl {
            scheme: scheme.into(),
            user: None,
            password: None,
            token: None,
            host: host.into(),
            port,
            path: None,
        }
    }

    /// The user name, escaped.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// The password, escaped; `***` in [`masked`](ServiceUrl::masked) and `Debug`.
    pub fn password(mut self, password: &Secret) -> Self {
        self.password = Some(password.clone());
        self
    }

    /// A secret that stands alone before the `@`, as NATS takes a token
    /// (`nats://s3cr3t@host:4222`): escaped, and `***` in
    /// [`masked`](ServiceUrl::masked) and `Debug`. It replaces a user and password.
    ///
    /// ```
    /// use throwaway::kit::{Secret, ServiceUrl};
    ///
    /// let url = ServiceUrl::new("nats", "127.0.0.1", 49153).token(&Secret::new("t/k"));
    /// assert_eq!(url.to_string(), "nats://t%2Fk@127.0.0.1:49153");
    /// assert_eq!(url.masked(), "nats://***@127.0.0.1:49153");
    /// ```
    pub fn token(mut self, token: &Secret) -> Self {
        self.token = Some(token.clone());
        self
    }

    /// One path segment after the port (a database name, a logical database's index, a
    /// RabbitMQ vhost), escaped as a whole: a `/` in it stays part of the name.
    pub fn path(mut self, segment: impl Into<String>) -> Self {
        self.path = Some(segment.into());
        self
    }

    /// `part` escaped as this builder escapes user names, passwords and paths: everything
    /// but RFC 3986's unreserved characters. For finding a password in a tool's message.
    pub fn escape(part: &str) -> String {
        escape(part)
    }

    /// The URL with the password shown as `***`, for messages and `Debug`.
    pub fn masked(&self) -> String {
        let hidden = || "***".to_string();
        self.format(
            self.token.as_ref().map(|_| hidden()),
            self.password.as_ref().map(|_| hidden()),
        )
    }

    fn format(&self, token: Option<String>, password: Option<String>) -> String {
        let mut url = format!("{}://", self.scheme);
        if let Some(token) = token {
            url.push_str(&token);
            url.push('@');
        } else if self.user.is_some() || password.is_some() {
            if let Some(user) = &self.user {
                url.push_str(&escape(user));
            }
            if let Some(password) = password {
                url.push(':');
                url.push_str(&password);
            }
            url.push('@');
        }
        // An IPv6 literal needs brackets to be told apart from the port.
        if self.host.contains(':') && !self.host.starts_with('[') {
            url.push_str(&format!("[{}]", self.host));
        } else {
            url.push_str(&self.host);
        }
        url.push_str(&format!(":{}", self.port));
        if let Some(path) = &self.path {
            url.push('/');
            url.push_str(&escape(path));
        }
        url
    }
}

fn escape(part: &str) -> String {
    utf8_percent_encode(part, PART).to_string()
}

impl fmt::Display for ServiceUrl {
    /// The whole URL, password included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |secret: &Option<Secret>| secret.as_ref().map(|s| escape(s.expose()));
        f.write_str(&self.format(shown(&self.token), shown(&self.password)))
    }
}

impl fmt::Debug for ServiceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reserved_character_is_escaped_percent_included() {
        let url = ServiceUrl::new("redis", "127.0.0.1", 49153)
            .password(&Secret::new("a/b?c#d%e f-g.h_i~j"));
        assert_eq!(
            url.to_string(),
            "redis://:a%2Fb%3Fc%23d%25e%20f-g.h_i~j@127.0.0.1:49153"
        );
        let url = ServiceUrl::new("postgres", "h", 1)
            .user("app user")
            .password(&Secret::new("%41"))
            .path("my/db");
        assert_eq!(url.to_string(), "postgres://app%20user:%2541@h:1/my%2Fdb");
    }

    #[test]
    fn parts_are_optional() {
        assert_eq!(
            ServiceUrl::new("redis", "127.0.0.1", 1).to_string(),
            "redis://127.0.0.1:1"
        );
        assert_eq!(
            ServiceUrl::new("amqp", "h", 1).user("guest").to_string(),
            "amqp://guest@h:1"
        );
        assert_eq!(
            ServiceUrl::new("redis", "h", 1).path("7").to_string(),
            "redis://h:1/7"
        );
    }

    #[test]
    fn a_token_stands_alone_escaped_and_masked() {
        let url = ServiceUrl::new("nats", "h", 1)
            .user("ignored")
            .token(&Secret::new("a@b:c%"));
        assert_eq!(url.to_string(), "nats://a%40b%3Ac%25@h:1");
        assert_eq!(url.masked(), "nats://***@h:1");
        assert!(!format!("{url:?}").contains("a%40b"));
    }

    #[test]
    fn masked_urls_and_debug_hide_the_password() {
        let url = ServiceUrl::new("redis", "[::1]", 1).password(&Secret::new("hunter2"));
        assert_eq!(url.masked(), "redis://:***@[::1]:1");
        assert!(!format!("{url:?}").contains("hunter2"));
        let without = ServiceUrl::new("redis", "h", 1);
        assert_eq!(without.masked(), "redis://h:1");
    }
}

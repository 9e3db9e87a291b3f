//! Where a Redis server is reached and how to log in: its URLs and clients.

use std::fmt;

use crate::error::{Error, ErrorKind, Result};
use crate::kit::{Secret, ServiceUrl};

/// The address and password of a server, as the host sees it.
#[derive(Clone)]
pub(super) struct Endpoint {
    host: String,
    port: u16,
    password: Option<Secret>,
}

impl Endpoint {
    pub(super) fn new(host: &str, port: u16, password: Option<Secret>) -> Self {
        Endpoint {
            host: host.to_string(),
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

    /// `redis://[:password@]host:port[/db]`, the password escaped.
    pub(super) fn url(&self, db: Option<u32>) -> ServiceUrl {
        let mut url = ServiceUrl::new("redis", &self.host, self.port);
        if let Some(password) = &self.password {
            url = url.password(password);
        }
        match db {
            Some(db) => url.path(db.to_string()),
            None => url,
        }
    }

    /// A client for logical database `db`. `who` names the container in errors.
    ///
    /// # Errors
    /// [`ErrorKind::Service`] if the redis crate refuses the address; the message shows the
    /// URL without the password.
    pub(super) fn client(&self, db: u32, who: &str) -> Result<redis::Client> {
        let url = self.url(Some(db));
        redis::Client::open(url.to_string().as_str()).map_err(|error| {
            Error::new(
                ErrorKind::Service,
                format!(
                    "cannot make a Redis client for {who} at {}: {error}",
                    url.masked()
                ),
            )
            .with_source(error)
        })
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url(None).masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(host: &str, password: Option<&str>) -> Endpoint {
        Endpoint::new(host, 49153, password.map(Secret::new))
    }

    #[test]
    fn urls_carry_the_escaped_password_and_the_database() {
        let with = endpoint("127.0.0.1", Some("s3cr:t@"));
        assert_eq!(
            with.url(None).to_string(),
            "redis://:s3cr%3At%40@127.0.0.1:49153"
        );
        assert_eq!(
            with.url(Some(7)).to_string(),
            "redis://:s3cr%3At%40@127.0.0.1:49153/7"
        );
        assert_eq!(
            endpoint("127.0.0.1", None).url(None).to_string(),
            "redis://127.0.0.1:49153"
        );
        assert_eq!(
            endpoint("::1", None).url(None).to_string(),
            "redis://[::1]:49153"
        );
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
    fn masked_urls_and_debug_hide_the_password() {
        let with = endpoint("127.0.0.1", Some("hunter2"));
        assert_eq!(with.url(Some(2)).masked(), "redis://:***@127.0.0.1:49153/2");
        assert!(!format!("{with:?}").contains("hunter2"));
    }
}

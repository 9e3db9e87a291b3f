//! Where the server is and how to log in: URLs, driver configuration, connections.

use std::fmt;
use std::time::Duration;

use tokio_postgres::{Client, NoTls};

use crate::engine::runtime::on_engine;
use crate::error::{Error, ErrorKind};
use crate::kit::{Secret, ServiceUrl};

/// How long logging in may take before the server counts as unreachable. A paused or
/// wedged container accepts the TCP connection through the engine's proxy and then says
/// nothing; without a limit that would hang.
pub(crate) const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's address and the credentials of the superuser the image created.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
}

impl Endpoint {
    /// `postgres://user:password@host:port/database`, with the parts percent-escaped.
    pub fn url(&self, database: &str) -> String {
        self.service_url(database).to_string()
    }

    /// The URL with the password shown as `***`, for `Debug` and messages.
    pub fn masked_url(&self, database: &str) -> String {
        self.service_url(database).masked()
    }

    fn service_url(&self, database: &str) -> ServiceUrl {
        ServiceUrl::new("postgres", &self.host, self.port)
            .user(&self.user)
            .password(&self.password)
            .path(database)
    }

    /// The driver's configuration for `database`.
    pub fn config(&self, database: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .user(&self.user)
            .password(self.password.expose())
            .dbname(database)
            .application_name("throwaway")
            .connect_timeout(LOGIN_TIMEOUT);
        config
    }

    /// `database 'users' as user 'postgres' at 127.0.0.1:49153`, for messages.
    pub fn describe(&self, database: &str) -> String {
        format!(
            "database '{database}' as user '{}' at {}:{}",
            self.user, self.host, self.port
        )
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password)
            .finish()
    }
}

/// Why a connection could not be made.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The driver failed: refused, closed, or the server said no.
    Driver(tokio_postgres::Error),
    /// The server accepted the connection but did not finish the login in time.
    TimedOut,
}

impl ConnectError {
    /// Whether trying again shortly may succeed: the server is not (yet) listening, or is
    /// still starting up. A refused login is final.
    pub fn is_transient(&self) -> bool {
        match self {
            ConnectError::TimedOut => true,
            ConnectError::Driver(err) => match err.code() {
                // 57P03 cannot_connect_now: "the database system is starting up".
                Some(code) => code == &tokio_postgres::error::SqlState::CANNOT_CONNECT_NOW,
                None => err.as_db_error().is_none(),
            },
        }
    }

    /// Whether the server said that the database does not exist.
    pub fn is_missing_database(&self) -> bool {
        matches!(self, ConnectError::Driver(err)
            if err.code() == Some(&tokio_postgres::error::SqlState::INVALID_CATALOG_NAME))
    }

    /// The driver's words, with its causes.
    pub fn detail(&self) -> String {
        match self {
            ConnectError::Driver(err) => driver_detail(err),
            ConnectError::TimedOut => format!(
                "the server did not complete the login within {} s",
                LOGIN_TIMEOUT.as_secs()
            ),
        }
    }

    pub fn into_source(self) -> Option<tokio_postgres::Error> {
        match self {
            ConnectError::Driver(err) => Some(err),
            ConnectError::TimedOut => None,
        }
    }
}

/// The error for a connection to `database` that could not be made.
pub(crate) fn connect_failed(
    err: ConnectError,
    who: &str,
    endpoint: &Endpoint,
    database: &str,
) -> Error {
    let error = Error::new(
        ErrorKind::Service,
        format!(
            "cannot connect to {who} ({}): {}",
            endpoint.describe(database),
            err.detail()
        ),
    );
    match err.into_source() {
        Some(source) => error.with_source(source),
        None => error,
    }
}

/// A driver error in words: PostgreSQL's own message for a server error (`ERROR: …`, with
/// detail and hint), otherwise the driver's description and its causes ("error connecting
/// to server: Connection refused").
pub(crate) fn driver_detail(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return db.to_string().replace('\n', "; ");
    }
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Connects with `config` and drives the connection on the current tokio runtime, or on
/// the library's own runtime when there is none.
///
/// Connections the library keeps for itself use [`connect_on_engine`] instead, so that they
/// do not die with the runtime of the test that happened to open them.
pub(crate) async fn connect_here(config: tokio_postgres::Config) -> Result<Client, ConnectError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        connect(config).await
    } else {
        on_engine(connect(config)).await
    }
}

/// Connects with `config`, the connection driven by the library's runtime.
pub(crate) async fn connect_on_engine(
    config: tokio_postgres::Config,
) -> Result<Client, ConnectError> {
    on_engine(connect(config)).await
}

async fn connect(config: tokio_postgres::Config) -> Result<Client, ConnectError> {
    let login = tokio::time::timeout(LOGIN_TIMEOUT, config.connect(NoTls)).await;
    let (client, connection) = match login {
        Ok(result) => result.map_err(ConnectError::Driver)?,
        Err(_elapsed) => return Err(ConnectError::TimedOut),
    };
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!("PostgreSQL connection ended: {}", driver_detail(&err));
        }
    });
    Ok(client)
}

/// `name` as an SQL identifier: in double quotes, inner quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(password: &str) -> Endpoint {
        Endpoint {
            host: "127.0.0.1".into(),
            port: 49153,
            user: "app user".into(),
            password: Secret::new(password),
        }
    }

    #[test]
    fn urls_escape_user_password_and_database() {
        let e = endpoint("p@ss:w/rd%?#");
        assert_eq!(
            e.url("my/db"),
            "postgres://app%20user:p%40ss%3Aw%2Frd%25%3F%23@127.0.0.1:49153/my%2Fdb"
        );
        assert_eq!(
            e.masked_url("users"),
            "postgres://app%20user:***@127.0.0.1:49153/users"
        );
    }

    #[test]
    fn the_driver_reads_back_what_the_url_says() {
        let e = endpoint("p@ss:w/rd%?# é");
        let parsed: tokio_postgres::Config = e.url("we:ird/db").parse().unwrap();
        assert_eq!(parsed.get_user(), Some("app user"));
        assert_eq!(parsed.get_password(), Some("p@ss:w/rd%?# é".as_bytes()));
        assert_eq!(parsed.get_dbname(), Some("we:ird/db"));
        assert_eq!(parsed.get_ports(), &[49153]);
    }

    #[test]
    fn ipv6_hosts_get_brackets() {
        let e = Endpoint {
            host: "::1".into(),
            ..endpoint("x")
        };
        assert!(e.url("d").contains("@[::1]:49153/"), "{}", e.url("d"));
    }

    #[test]
    fn debug_masks_the_password() {
        let debug = format!("{:?}", endpoint("hunter2"));
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("users"), "\"users\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }
}

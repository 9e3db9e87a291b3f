//! Where the server is and how to log in: URLs, driver options, connections, SQL quoting.

use std::fmt;
use std::time::Duration;

use mysql_async::{Conn, Opts, OptsBuilder};

use crate::engine::runtime::on_engine;
use crate::error::{Error, ErrorKind};
use crate::kit::{Secret, ServiceUrl};

/// How long logging in may take before the server counts as unreachable: a paused
/// container accepts the TCP connection through the engine's proxy and then says nothing.
pub(crate) const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Server error codes the module tells apart.
pub(crate) mod code {
    /// `ER_ACCESS_DENIED_ERROR`: wrong user or password.
    pub const ACCESS_DENIED: u16 = 1045;
    /// `ER_DBACCESS_DENIED_ERROR`: the user may not use that database.
    pub const DATABASE_DENIED: u16 = 1044;
    /// `ER_BAD_DB_ERROR`: no such database.
    pub const UNKNOWN_DATABASE: u16 = 1049;
    /// `ER_DB_CREATE_EXISTS`.
    pub const DATABASE_EXISTS: u16 = 1007;
}

/// The server's address and one account on it.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
}

impl Endpoint {
    /// `mysql://user:password@host:port/database`, the parts percent-escaped.
    pub fn url(&self, database: &str) -> String {
        self.service_url(database).to_string()
    }

    /// The URL with the password shown as `***`.
    pub fn masked_url(&self, database: &str) -> String {
        self.service_url(database).masked()
    }

    fn service_url(&self, database: &str) -> ServiceUrl {
        let url = ServiceUrl::new("mysql", &self.host, self.port).user(&self.user);
        let url = if self.password.is_empty() {
            url
        } else {
            url.password(&self.password)
        };
        if database.is_empty() {
            url
        } else {
            url.path(database)
        }
    }

    /// The driver's options for `database` (none: no default database).
    pub fn opts(&self, database: Option<&str>) -> Opts {
        OptsBuilder::default()
            .ip_or_hostname(self.host.clone())
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(Some(self.password.expose().to_string()))
            .db_name(database.map(str::to_string))
            // The driver would otherwise switch a loopback connection to the server's unix
            // socket path, which names a file inside the container.
            .prefer_socket(false)
            .into()
    }

    /// `database 'app' as user 'test' at 127.0.0.1:49153`, for messages.
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
    Driver(mysql_async::Error),
    /// Connected, but the login did not finish in time.
    TimedOut,
}

impl ConnectError {
    /// The server's error code, if the server answered with an error.
    pub fn server_code(&self) -> Option<u16> {
        match self {
            ConnectError::Driver(mysql_async::Error::Server(e)) => Some(e.code),
            _ => None,
        }
    }

    /// Whether trying again shortly may succeed: nothing listens yet (the entrypoint's
    /// temporary server has networking off), or the connection broke. A server's
    /// answer is final.
    pub fn is_transient(&self) -> bool {
        self.server_code().is_none()
    }

    pub fn detail(&self) -> String {
        match self {
            ConnectError::Driver(err) => driver_detail(err),
            ConnectError::TimedOut => format!(
                "the server did not complete the login within {} s",
                LOGIN_TIMEOUT.as_secs()
            ),
        }
    }

    pub fn into_source(self) -> Option<mysql_async::Error> {
        match self {
            ConnectError::Driver(err) => Some(err),
            ConnectError::TimedOut => None,
        }
    }
}

/// A driver error in words: the server's code, state and message, or the driver's
/// description with its causes.
pub(crate) fn driver_detail(err: &mysql_async::Error) -> String {
    if let mysql_async::Error::Server(e) = err {
        return format!("ERROR {} ({}): {}", e.code, e.state, e.message);
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

/// The error for a connection that could not be made; `who` names the container.
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

async fn connect(opts: Opts) -> Result<Conn, ConnectError> {
    match tokio::time::timeout(LOGIN_TIMEOUT, Conn::new(opts)).await {
        Ok(result) => result.map_err(ConnectError::Driver),
        Err(_elapsed) => Err(ConnectError::TimedOut),
    }
}

/// Connects on the caller's tokio runtime, or on the library's when there is none: for
/// connections handed to the caller.
pub(crate) async fn connect_here(opts: Opts) -> Result<Conn, ConnectError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        connect(opts).await
    } else {
        on_engine(connect(opts)).await
    }
}

/// Connects on the library's runtime: for the connections the module keeps, which must
/// not die with the runtime of the test that opened them.
pub(crate) async fn connect_on_engine(opts: Opts) -> Result<Conn, ConnectError> {
    on_engine(connect(opts)).await
}

/// `name` as an identifier: in backquotes, inner backquotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `value` as a string literal, safe whatever the server's `sql_mode` (backslashes
/// escaped, quotes doubled).
pub(crate) fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
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
            "mysql://app%20user:p%40ss%3Aw%2Frd%25%3F%23@127.0.0.1:49153/my%2Fdb"
        );
        assert_eq!(
            e.masked_url("test"),
            "mysql://app%20user:***@127.0.0.1:49153/test"
        );
        // No password, no database: nothing invented.
        assert_eq!(endpoint("").url(""), "mysql://app%20user@127.0.0.1:49153");
    }

    #[test]
    fn the_driver_reads_back_what_the_url_says() {
        let e = endpoint("p@ss:w/rd%?# é");
        let opts = Opts::from_url(&e.url("we:ird db")).unwrap();
        assert_eq!(opts.user(), Some("app user"));
        assert_eq!(opts.pass(), Some("p@ss:w/rd%?# é"));
        assert_eq!(opts.db_name(), Some("we:ird db"));
        assert_eq!(opts.tcp_port(), 49153);
    }

    #[test]
    fn options_never_switch_to_the_containers_socket() {
        let opts = endpoint("x").opts(Some("test"));
        assert!(!opts.prefer_socket());
        assert_eq!(opts.db_name(), Some("test"));
    }

    #[test]
    fn debug_masks_the_password() {
        let debug = format!("{:?}", endpoint("hunter2"));
        assert!(
            !debug.contains("hunter2") && debug.contains("***"),
            "{debug}"
        );
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident("we`ird"), "`we``ird`");
        assert_eq!(quote_literal(r"it's a \ test"), r"'it''s a \\ test'");
    }
}

//! The management plugin's HTTP API, for what AMQP cannot do: vhosts, users, permissions.
//! A call takes milliseconds; `rabbitmqctl` in an exec boots an Erlang VM and takes seconds.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};

use crate::error::{Error, ErrorKind, Result};
use crate::kit::{Secret, ServiceUrl};
use crate::modules::wire;
use crate::wait::http_exchange;

/// Where the API is and who calls it: the broker's default user, an administrator.
#[derive(Clone)]
pub(super) struct Api {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) user: String,
    pub(super) password: Secret,
    /// How messages name the container.
    pub(super) who: String,
}

impl Api {
    /// `/api/` followed by `parts`, each escaped as one path segment (`/` is a vhost name).
    pub(super) fn path(parts: &[&str]) -> String {
        let escaped: Vec<String> = parts.iter().map(|p| ServiceUrl::escape(p)).collect();
        format!("/api/{}", escaped.join("/"))
    }

    /// Sends one request; returns the status and the body.
    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> std::result::Result<(u16, String), String> {
        use base64::Engine as _;
        let login = format!("{}:{}", self.user, self.password.expose());
        let basic = base64::engine::general_purpose::STANDARD.encode(login);
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, wire::socket_address(&self.host, self.port))
            .header(AUTHORIZATION, format!("Basic {basic}"))
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let (status, body) = http_exchange(&self.host, self.port, request).await?;
        Ok((status.as_u16(), String::from_utf8_lossy(&body).to_string()))
    }

    /// [`call`](Api::call), where any answer but a 2xx is an error that says `what` failed.
    pub(super) async fn expect_success(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        what: &str,
    ) -> Result<()> {
        let failed = |detail: String| {
            Error::new(
                ErrorKind::Service,
                format!(
                    "{what} on {} through the management API (port {}): {detail}",
                    self.who, self.port
                ),
            )
        };
        match self.call(method, path, body).await {
            Ok((status, _)) if (200..300).contains(&status) => Ok(()),
            Ok((status, body)) => Err(failed(format!("HTTP {status}: {body}"))),
            Err(error) => Err(failed(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_escaped_whole() {
        assert_eq!(Api::path(&["vhosts", "/"]), "/api/vhosts/%2F");
        assert_eq!(
            Api::path(&["permissions", "a b", "u@x"]),
            "/api/permissions/a%20b/u%40x"
        );
    }
}

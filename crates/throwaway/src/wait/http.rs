//! Waiting for an HTTP answer.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, HOST, USER_AGENT};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::target::Target;
use super::{quoted, Progress, Wait, DEFAULT_POLL_INTERVAL};
use crate::engine::{ContainerPort, Protocol};
use crate::error::{Error, ErrorKind, Result};

/// How long one request may take, from connecting to the end of the body.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);

/// The most of a response body that is read; a readiness endpoint answers briefly.
const MAX_BODY: usize = 1 << 20;

/// How much of a body an error message quotes.
const BODY_EXCERPT: usize = 200;

/// A check on the response body, set with [`HttpWait::body_matches`].
type BodyCheck = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Waits until an HTTP/1.1 request to a published port gets the expected answer.
///
/// Made by [`Wait::http`]; converts into a [`Wait`]. Each attempt opens a new connection to the
/// published port on the container's host, sends one request (with a `Host` header naming
/// that address) and reads the whole answer, all within one second; failures and unexpected
/// answers are retried until the startup timeout, and the last one is quoted if it runs out.
/// Plain HTTP only.
#[derive(Clone)]
pub struct HttpWait {
    path: String,
    port: Option<u16>,
    method: String,
    headers: Vec<(String, String)>,
    /// `None`: any 2xx.
    status: Option<u16>,
    body_contains: Option<String>,
    body_check: Option<BodyCheck>,
    poll_interval: Duration,
}

impl HttpWait {
    pub(super) fn new(path: String) -> Self {
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        HttpWait {
            path,
            port: None,
            method: "GET".to_owned(),
            headers: Vec::new(),
            status: None,
            body_contains: None,
            body_check: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// The container port (TCP) to send the request to. The default is the lowest exposed
    /// TCP port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The request method, such as `"HEAD"`. The default is `GET`.
    ///
    /// A method that is not a valid HTTP token makes the wait fail with
    /// [`ErrorKind::InvalidRequest`] when it starts.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = method.into();
        self
    }

    /// Adds a request header, such as an `Authorization`. A `Host` header set here replaces
    /// the default one.
    ///
    /// An invalid name or value makes the wait fail with [`ErrorKind::InvalidRequest`] when
    /// it starts.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The exact status to wait for. The default is any 2xx status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Also require the response body to contain `text` (case-sensitive; the body is decoded
    /// as UTF-8, lossily).
    pub fn body_contains(mut self, text: impl Into<String>) -> Self {
        self.body_contains = Some(text.into());
        self
    }

    /// Also require `check` to accept the response body (decoded as UTF-8, lossily), e.g.
    /// `|body| body.contains(r#""status":"UP""#)`.
    pub fn body_matches(mut self, check: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.body_check = Some(Arc::new(check));
        self
    }

    /// How often to ask again. The default is 100 ms.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Wait for this, then for `next`, under the one startup timeout: a shorthand for
    /// [`Wait::all`].
    pub fn and(self, next: impl Into<Wait>) -> Wait {
        Wait::from(self).and(next)
    }

    pub(super) async fn run(&self, target: &dyn Target, progress: &Progress) -> Result<()> {
        let port = match self.port {
            Some(port) => ContainerPort::tcp(port),
            None => target
                .exposed_ports()
                .into_iter()
                .find(|port| port.protocol() == Protocol::Tcp)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidRequest,
                        format!(
                            "{} exposes no TCP port to send the HTTP readiness request to; \
                             expose one or name it with Wait::http(…).port(…)",
                            target.describe()
                        ),
                    )
                })?,
        };
        let host = target.host();
        let host_port = target.host_port(port)?;
        let request = self.template(host, host_port)?;
        loop {
            match tokio::time::timeout(ATTEMPT_TIMEOUT, exchange(host, host_port, request.build()))
                .await
            {
                Ok(Ok((status, body))) => match self.verdict(status, &body) {
                    Ok(()) => return Ok(()),
                    Err(note) => progress.note(note),
                },
                Ok(Err(why)) => progress.note(format!(
                    "last attempt: {} {} on {}: {why}",
                    request.method,
                    request.uri,
                    address(host, host_port)
                )),
                Err(_) => progress.note(format!(
                    "last attempt: {} {} on {} got no complete answer within 1 s",
                    request.method,
                    request.uri,
                    address(host, host_port)
                )),
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    /// Checks method, path and headers once, before the first attempt.
    fn template(&self, host: &str, host_port: u16) -> Result<Template> {
        let invalid = |what: String| Error::new(ErrorKind::InvalidRequest, what);
        let method = Method::from_bytes(self.method.as_bytes()).map_err(|_| {
            invalid(format!(
                "'{}' is not an HTTP method: use a token such as GET or HEAD",
                self.method
            ))
        })?;
        let uri: Uri = self.path.parse().map_err(|err| {
            invalid(format!(
                "'{}' is not a valid HTTP request path: {err}",
                self.path
            ))
        })?;
        let mut headers = HeaderMap::new();
        let host_value = HeaderValue::from_str(&address(host, host_port))
            .map_err(|_| invalid(format!("'{host}' cannot be sent as an HTTP Host header")))?;
        headers.insert(HOST, host_value);
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("throwaway/", env!("CARGO_PKG_VERSION"))),
        );
        let mut replaced = Vec::new();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("'{name}' is not a valid HTTP header name")))?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                invalid(format!(
                    "the value of the HTTP header '{name}' is not valid"
                ))
            })?;
            // Headers set here replace the defaults, and may repeat among themselves.
            if !replaced.contains(&name) {
                headers.remove(&name);
                replaced.push(name.clone());
            }
            headers.append(name, value);
        }
        Ok(Template {
            method,
            uri,
            headers,
        })
    }

    /// `Err` says what was wrong with the answer.
    fn verdict(&self, status: StatusCode, body: &Bytes) -> Result<(), String> {
        let body = String::from_utf8_lossy(body);
        let status_ok = match self.status {
            Some(wanted) => status.as_u16() == wanted,
            None => status.is_success(),
        };
        let problem = if !status_ok {
            None
        } else if let Some(text) = self.body_contains.as_deref().filter(|t| !body.contains(t)) {
            Some(format!("its body did not contain {}", quoted(text)))
        } else if self.body_check.as_ref().is_some_and(|check| !check(&body)) {
            Some("its body did not pass the check".to_owned())
        } else {
            return Ok(());
        };
        let mut note = format!("last answer: {status}");
        if let Some(problem) = problem {
            note.push_str(", but ");
            note.push_str(&problem);
        }
        let body = body.trim();
        if !body.is_empty() {
            note.push_str("; body: ");
            match body.char_indices().nth(BODY_EXCERPT) {
                Some((cut, _)) => {
                    note.push_str(&body[..cut]);
                    note.push('…');
                }
                None => note.push_str(body),
            }
        }
        Err(note)
    }
}

/// The validated parts of the request, to build a fresh one for each attempt.
struct Template {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl Template {
    fn build(&self) -> Request<Empty<Bytes>> {
        let mut request = Request::new(Empty::new());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// `host:port`, with brackets around an IPv6 address.
fn address(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One request on a new connection; `Err` says what went wrong, in words. Also what the
/// modules' own HTTP calls go through (RabbitMQ's management API), so that the library
/// has one small HTTP client.
pub(crate) async fn exchange<B>(
    host: &str,
    port: u16,
    request: Request<B>,
) -> Result<(StatusCode, Bytes), String>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|err| format!("connecting failed: {err}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| causes(&err))?;
    let answer = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|err| causes(&err))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|err| format!("reading the body failed: {}", causes(&*err)))?
            .to_bytes();
        Ok((status, body))
    };
    // The connection future does the I/O; drive it here rather than spawning it, so nothing
    // outlives the attempt. If it fails, `answer` fails too and says why.
    let drive = async {
        let _ = connection.await;
        std::future::pending::<()>().await;
    };
    tokio::select! {
        result = answer => result,
        () = drive => unreachable!("the connection future is followed by a pending one"),
    }
}

/// An error and its causes on one line: hyper's own messages are terse.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl fmt::Display for HttpWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}", self.method, self.path)?;
        match self.port {
            Some(port) => write!(f, " on port {port}")?,
            None => f.write_str(" on the first exposed port")?,
        }
        match self.status {
            Some(status) => write!(f, " answering {status}")?,
            None => f.write_str(" answering 2xx")?,
        }
        match (&self.body_contains, &self.body_check) {
            (Some(text), None) => write!(f, " with a body containing {}", quoted(text)),
            (Some(text), Some(_)) => write!(
                f,
                " with a body containing {} and passing a check",
                quoted(text)
            ),
            (None, Some(_)) => f.write_str(" with a body passing a check"),
            (None, None) => Ok(()),
        }
    }
}

impl fmt::Debug for HttpWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may be credentials (Authorization, cookies, API keys): names only.
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, _)| (name.as_str(), "***"))
            .collect();
        f.debug_struct("HttpWait")
            .field("path", &self.path)
            .field("port", &self.port)
            .field("method", &self.method)
            .field("headers", &headers)
            .field("status", &self.status)
            .field("body_contains", &self.body_contains)
            .field(
                "body_check",
                &self.body_check.as_ref().map(|_| "Fn(&str) -> bool"),
            )
            .field("poll_interval", &self.poll_interval)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    #[test]
    fn debug_shows_header_names_not_values() {
        let wait = super::super::Wait::http("/health").header("Authorization", "Bearer t0ken");
        let shown = format!("{wait:?} {:?}", super::super::Wait::from(wait.clone()));
        assert!(shown.contains("Authorization"), "{shown}");
        assert!(!shown.contains("t0ken"), "{shown}");
    }
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::super::fake::FakeTarget;
    use super::super::{wait_until_ready, Wait};
    use crate::error::ErrorKind;

    const LONG: Duration = Duration::from_secs(2);

    /// A tiny HTTP/1.1 server on 127.0.0.1: answers each request with the next of `answers`
    /// (status line and body), the last one forever, and records the request heads it got.
    async fn server(answers: &[(&str, &str)]) -> (u16, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let answers: Vec<(String, String)> = answers
            .iter()
            .map(|(s, b)| (s.to_string(), b.to_string()))
            .collect();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::clone(&seen);
        tokio::spawn(async move {
            let mut next = 0;
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                requests
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let (status, body) = &answers[next.min(answers.len() - 1)];
                next += 1;
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        (port, seen)
    }

    #[tokio::test]
    async fn waits_through_503s_for_the_200() {
        let (port, seen) = server(&[
            ("503 Service Unavailable", "starting"),
            ("503 Service Unavailable", "starting"),
            ("200 OK", "{\"status\":\"ok\"}"),
        ])
        .await;
        let target = FakeTarget::new().port(8080, port);
        let wait = Wait::http("health")
            .port(8080)
            .body_contains("ok")
            .header("x-probe", "1")
            .poll_interval(Duration::from_millis(20));
        wait_until_ready(&wait.into(), &target, LONG).await.unwrap();

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        let head = seen[2].to_ascii_lowercase();
        assert!(head.starts_with("get /health http/1.1\r\n"), "{head}");
        assert!(
            head.contains(&format!("host: 127.0.0.1:{port}\r\n")),
            "{head}"
        );
        assert!(head.contains("x-probe: 1\r\n"), "{head}");
    }

    #[tokio::test]
    async fn the_timeout_quotes_the_last_answer() {
        let (port, _) = server(&[("503 Service Unavailable", "still migrating")]).await;
        let target = FakeTarget::new()
            .port(8080, port)
            .stdout(0, "migrating 3 of 9");
        let wait = Wait::http("/health").port(8080);
        let err = wait_until_ready(&wait.into(), &target, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        let message = err.message();
        assert!(
            message.contains("HTTP GET /health on port 8080 answering 2xx"),
            "{message}"
        );
        assert!(
            message.contains("last answer: 503 Service Unavailable; body: still migrating"),
            "{message}"
        );
        assert!(message.contains("\n  migrating 3 of 9"), "{message}");
    }

    #[tokio::test]
    async fn status_and_body_must_both_match() {
        let (port, _) = server(&[("200 OK", "nope")]).await;
        let target = FakeTarget::new().port(8080, port);

        let wrong_status = Wait::http("/").port(8080).status(204);
        let err = wait_until_ready(&wrong_status.into(), &target, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(
            err.message().contains("last answer: 200 OK; body: nope"),
            "{err}"
        );

        let wrong_body = Wait::http("/").port(8080).body_contains("ok");
        let err = wait_until_ready(&wrong_body.into(), &target, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(
            err.message()
                .contains("last answer: 200 OK, but its body did not contain 'ok'"),
            "{err}"
        );

        let check = Wait::http("/")
            .port(8080)
            .body_matches(|body| body == "nope");
        wait_until_ready(&check.into(), &target, LONG)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn connection_failures_are_retried_and_reported() {
        let port = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let target = FakeTarget::new().port(8080, port);
        let err = wait_until_ready(
            &Wait::http("/").port(8080).into(),
            &target,
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(
            err.message().contains("last attempt: GET / on 127.0.0.1:"),
            "{err}"
        );
        assert!(err.message().contains("connecting failed"), "{err}");
    }

    #[tokio::test]
    async fn the_port_defaults_to_the_first_exposed_tcp_port() {
        let (port, _) = server(&[("200 OK", "")]).await;
        let target = FakeTarget::new()
            .port(crate::engine::ContainerPort::udp(53), 1)
            .port(9000, port)
            .port(9001, 1);
        wait_until_ready(&Wait::http("/").into(), &target, LONG)
            .await
            .unwrap();

        let err = wait_until_ready(&Wait::http("/").into(), &FakeTarget::new(), LONG)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }

    #[tokio::test]
    async fn bad_requests_fail_at_once() {
        let target = FakeTarget::new().port(8080, 1);
        for wait in [
            Wait::http("/").port(8080).method("GE T"),
            Wait::http("/").port(8080).header("bad header", "x"),
            Wait::http("/a b").port(8080),
        ] {
            let err = wait_until_ready(&wait.into(), &target, LONG)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
        }
        let err = wait_until_ready(&Wait::http("/").port(8081).into(), &target, LONG)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PortNotExposed);
    }

    #[test]
    fn display() {
        assert_eq!(
            Wait::http("/health").port(8080).status(200).to_string(),
            "HTTP GET /health on port 8080 answering 200"
        );
        assert_eq!(
            Wait::http("ready").method("HEAD").to_string(),
            "HTTP HEAD /ready on the first exposed port answering 2xx"
        );
        assert_eq!(
            Wait::http("/").port(80).body_matches(|_| true).to_string(),
            "HTTP GET / on port 80 answering 2xx with a body passing a check"
        );
        assert!(format!("{:?}", Wait::http("/").body_matches(|_| true)).contains("body_check"));
    }
}

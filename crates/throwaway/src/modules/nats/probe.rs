//! Readiness: a real NATS protocol exchange through the published port. The server greets
//! with `INFO`; the client sends `CONNECT` (with the login) and `PING`; a server that
//! takes the client answers `PONG`, one that refuses the login `-ERR 'Authorization
//! Violation'`.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::config::Auth;
use crate::error::{Error, ErrorKind};
use crate::kit::{Endpoints, ProbeFailure};
use crate::modules::wire;
use crate::wait::Wait;

/// What the probe is called in messages.
pub(super) const WHAT: &str = "NATS answering CONNECT and PING with PONG";

/// What the server said after the client's `CONNECT` and `PING`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Answer {
    /// `PONG`: the client is in.
    Pong,
    /// `-ERR '…'`: the server refused it, for the reason quoted.
    Refused(String),
    /// The server's first line was not `INFO {…}`: not a NATS server (yet).
    NoGreeting(String),
}

/// `CONNECT {…}\r\nPING\r\n`: a client that wants no `+OK` for every command, logged in
/// with `auth`.
pub(super) fn connect_and_ping(auth: &Auth) -> String {
    let mut fields = auth.connect_fields();
    for (key, value) in [
        ("verbose", false.into()),
        ("pedantic", false.into()),
        ("name", "throwaway-probe".into()),
        ("lang", "rust".into()),
        ("version", env!("CARGO_PKG_VERSION").into()),
        ("protocol", 1.into()),
    ] {
        fields.insert(key.into(), value);
    }
    format!("CONNECT {}\r\nPING\r\n", serde_json::Value::Object(fields))
}

/// Greets, logs in and pings over one new connection.
pub(super) async fn exchange(host: &str, port: u16, auth: &Auth) -> std::io::Result<Answer> {
    let mut stream = BufReader::new(TcpStream::connect((host, port)).await?);
    let greeting = read_line(&mut stream).await?;
    if !greeting.starts_with("INFO ") {
        return Ok(Answer::NoGreeting(greeting));
    }
    stream
        .get_mut()
        .write_all(connect_and_ping(auth).as_bytes())
        .await?;
    loop {
        let line = read_line(&mut stream).await?;
        match line.as_str() {
            "PONG" => return Ok(Answer::Pong),
            // The server may ping first; a client answers.
            "PING" => stream.get_mut().write_all(b"PONG\r\n").await?,
            "+OK" => {}
            _ if line.starts_with("-ERR") => {
                let reason = line.trim_start_matches("-ERR").trim().trim_matches('\'');
                return Ok(Answer::Refused(reason.to_string()));
            }
            _ if line.starts_with("INFO ") => {} // an update, such as new cluster routes
            _ => return Ok(Answer::NoGreeting(line)),
        }
    }
}

async fn read_line(stream: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut line = String::new();
    if stream.read_line(&mut line).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line.trim_end().to_string())
}

/// Ready means a client of this module gets `PONG` through the published port.
pub(super) fn answers_ping(container_port: u16, auth: Auth) -> Wait {
    Wait::probe(WHAT, move |endpoints: Endpoints| {
        let auth = auth.clone();
        async move { attempt(&endpoints, container_port, &auth).await }
    })
}

async fn attempt(
    endpoints: &Endpoints,
    container_port: u16,
    auth: &Auth,
) -> Result<(), ProbeFailure> {
    let port = endpoints
        .host_port(container_port)
        .map_err(ProbeFailure::fatal)?;
    let at = wire::socket_address(endpoints.host(), port);
    let answer = wire::attempt(
        wire::ATTEMPT_LIMIT,
        &at,
        exchange(endpoints.host(), port, auth),
    )
    .await?;
    match answer {
        Answer::Pong => Ok(()),
        Answer::Refused(reason) if reason.to_ascii_lowercase().contains("authorization") => {
            let tried = match auth {
                Auth::Anonymous => "without a login".to_string(),
                Auth::Token(_) => "with the token".to_string(),
                Auth::User { user, .. } => format!("as user {user:?}"),
            };
            Err(ProbeFailure::fatal(Error::new(
                ErrorKind::Service,
                format!(
                    "{} refused the module's client {tried}: '{reason}'. Set the login with \
                     Nats::token(…) or Nats::user_password(…) rather than in a configuration \
                     of your own, so that the readiness check and connection_url() use it",
                    endpoints.container()
                ),
            )))
        }
        Answer::Refused(reason) => Err(ProbeFailure::not_yet(format!(
            "{at} answered -ERR '{reason}'"
        ))),
        Answer::NoGreeting(line) => Err(ProbeFailure::not_yet(format!(
            "{at} sent {line:?}, not a NATS greeting"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::*;
    use crate::kit::Secret;
    use crate::modules::nats::PORT;
    use crate::ContainerPort;

    #[test]
    fn connect_carries_the_login_as_json() {
        let text = connect_and_ping(&Auth::User {
            user: "app".into(),
            password: Secret::new("p\"w"),
        });
        let (connect, ping) = text.split_once("\r\n").unwrap();
        assert_eq!(ping, "PING\r\n");
        let json: serde_json::Value =
            serde_json::from_str(connect.strip_prefix("CONNECT ").unwrap()).unwrap();
        assert_eq!(json["user"], "app");
        assert_eq!(json["pass"], "p\"w");
        assert_eq!(json["verbose"], false);
        assert!(json.get("auth_token").is_none());
    }

    /// A fake server on the host's loopback that greets with `greeting`, reads the client's
    /// two lines and answers `answer`.
    async fn fake(greeting: &'static str, answer: &'static str) -> Endpoints {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let mut stream = BufReader::new(stream);
                stream
                    .get_mut()
                    .write_all(greeting.as_bytes())
                    .await
                    .unwrap();
                let mut line = String::new();
                for _ in 0..2 {
                    stream.read_line(&mut line).await.unwrap();
                }
                stream.get_mut().write_all(answer.as_bytes()).await.unwrap();
            }
        });
        Endpoints::new(
            "nats:2 (0123456789ab)",
            "127.0.0.1",
            [(ContainerPort::tcp(PORT), port)],
        )
    }

    #[tokio::test]
    async fn pong_means_ready() {
        let endpoints = fake("INFO {}\r\n", "PONG\r\n").await;
        attempt(&endpoints, PORT, &Auth::Anonymous).await.unwrap();
    }

    #[tokio::test]
    async fn a_server_that_pings_first_is_answered_then_pongs() {
        let endpoints = fake("INFO {}\r\n", "PING\r\nPONG\r\n").await;
        attempt(&endpoints, PORT, &Auth::Anonymous).await.unwrap();
    }

    #[tokio::test]
    async fn an_authorization_violation_is_fatal_and_names_the_fix() {
        let endpoints = fake("INFO {}\r\n", "-ERR 'Authorization Violation'\r\n").await;
        let failure = attempt(&endpoints, PORT, &Auth::Token(Secret::new("hunter2")))
            .await
            .unwrap_err();
        assert!(failure.is_fatal());
        let detail = failure.detail();
        assert!(detail.contains("nats:2 (0123456789ab) refused"), "{detail}");
        assert!(detail.contains("Nats::token"), "{detail}");
        assert!(!detail.contains("hunter2"), "{detail}");
    }

    #[tokio::test]
    async fn anything_but_a_greeting_is_not_yet() {
        let endpoints = fake("HTTP/1.1 400 Bad Request\r\n", "").await;
        let failure = attempt(&endpoints, PORT, &Auth::Anonymous)
            .await
            .unwrap_err();
        assert!(!failure.is_fatal());
        assert!(
            failure.detail().contains("not a NATS greeting"),
            "{}",
            failure.detail()
        );
    }
}

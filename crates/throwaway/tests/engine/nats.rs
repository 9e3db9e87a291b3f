//! The NATS module: readiness, URLs, token and user/password logins, JetStream, subject
//! prefixes per test, restarts, a server that exits during its start, and secrets that
//! stay secret.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use throwaway::kit::IsolationUnit;
use throwaway::nats::{Nats, NatsContainer, JETSTREAM_DIR};
use throwaway::{ErrorKind, Shared};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::require_engine;
use crate::support::{http_get, raw};

const IMAGE: &str = "nats:2";

/// A token with every character a URL, JSON or the server's config file could trip over.
const TOKEN: &str = "s3cr:t@/ #%?\"q\\$ü";

/// A NATS client of the test's own, speaking the text protocol.
struct Client {
    stream: BufReader<TcpStream>,
}

impl Client {
    /// Connects with `login` (the CONNECT fields as JSON, without braces) and pings; returns
    /// the client and the server's answer to the ping (`PONG`, or `-ERR …`).
    async fn connect(port: u16, login: &str) -> (Client, String) {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut client = Client {
            stream: BufReader::new(stream),
        };
        let greeting = client.line().await;
        assert!(greeting.starts_with("INFO "), "{greeting}");
        let comma = if login.is_empty() { "" } else { "," };
        client
            .send(&format!(
                "CONNECT {{\"verbose\":false{comma}{login}}}\r\nPING\r\n"
            ))
            .await;
        let answer = client.line().await;
        (client, answer)
    }

    async fn send(&mut self, text: &str) {
        self.stream
            .get_mut()
            .write_all(text.as_bytes())
            .await
            .unwrap();
    }

    async fn line(&mut self) -> String {
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(5), self.stream.read_line(&mut line))
            .await
            .expect("an answer within 5 s")
            .unwrap();
        line.trim_end().to_string()
    }

    /// Subscribes to `subject` and waits until the server has it (a PING's PONG).
    async fn subscribe(&mut self, subject: &str) {
        self.send(&format!("SUB {subject} 1\r\nPING\r\n")).await;
        assert_eq!(self.line().await, "PONG");
    }

    async fn publish(&mut self, subject: &str, payload: &str) {
        self.send(&format!(
            "PUB {subject} {}\r\n{payload}\r\nPING\r\n",
            payload.len()
        ))
        .await;
        assert_eq!(self.line().await, "PONG");
    }

    /// The next message's subject and payload.
    async fn message(&mut self) -> (String, String) {
        let header = self.line().await;
        let subject = header
            .split(' ')
            .nth(1)
            .expect("MSG <subject> …")
            .to_string();
        assert!(header.starts_with("MSG "), "{header}");
        (subject, self.line().await)
    }
}

fn token_json(token: &str) -> String {
    format!("\"auth_token\":{}", serde_json::Value::from(token))
}

#[tokio::test]
async fn a_started_server_answers_ping_and_monitoring_at_its_urls() {
    require_engine!();
    let nats = Nats::new(IMAGE).start().await.unwrap();
    let port = nats.host_port();
    assert_eq!(nats.container().host_port(4222).unwrap(), port);
    assert_eq!(nats.connection_url(), format!("nats://127.0.0.1:{port}"));
    let (_, answer) = Client::connect(port, "").await;
    assert_eq!(answer, "PONG");

    let monitoring = nats.monitoring_port();
    assert_eq!(
        nats.monitoring_url(),
        format!("http://127.0.0.1:{monitoring}")
    );
    let (status, body) = http_get("127.0.0.1", monitoring, "/varz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"server_id\""), "{body}");
    // The module's config file set the ports; JetStream is off unless asked for.
    assert!(!nats.jetstream());
    assert!(!body.contains(JETSTREAM_DIR), "{body}");
}

#[tokio::test]
async fn a_token_is_required_and_survives_the_url() {
    require_engine!();
    let nats = Nats::new(IMAGE).token(TOKEN).start().await.unwrap();
    let port = nats.host_port();
    assert_eq!(
        nats.connection_url(),
        format!("nats://s3cr%3At%40%2F%20%23%25%3F%22q%5C%24%C3%BC@127.0.0.1:{port}")
    );
    let (_, answer) = Client::connect(port, &token_json(TOKEN)).await;
    assert_eq!(answer, "PONG");
    let (_, answer) = Client::connect(port, &token_json("wrong")).await;
    assert_eq!(answer, "-ERR 'Authorization Violation'");
    let (_, answer) = Client::connect(port, "").await;
    assert_eq!(answer, "-ERR 'Authorization Violation'");
}

#[tokio::test]
async fn a_user_and_password_are_required() {
    require_engine!();
    let nats = Nats::default()
        .user_password("app", TOKEN)
        .start()
        .await
        .unwrap();
    let port = nats.host_port();
    assert_eq!(nats.user(), Some("app"));
    assert!(
        nats.connection_url().starts_with("nats://app:s3cr%3At%40"),
        "{}",
        nats.connection_url()
    );
    let login = |password: &str| {
        format!(
            "\"user\":\"app\",\"pass\":{}",
            serde_json::Value::from(password)
        )
    };
    let (_, answer) = Client::connect(port, &login(TOKEN)).await;
    assert_eq!(answer, "PONG");
    let (_, answer) = Client::connect(port, &login("wrong")).await;
    assert_eq!(answer, "-ERR 'Authorization Violation'");
}

#[tokio::test]
async fn a_refused_login_fails_the_start_at_once_naming_the_fix() {
    require_engine!();
    let started = Instant::now();
    // An option of the user's sets another token than the module's.
    let err = Nats::default()
        .token(TOKEN)
        .args(["--auth", "other-token"])
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("refused the module's client"), "{shown}");
    assert!(shown.contains("Nats::token"), "{shown}");
    assert!(
        !shown.contains("s3cr") && !shown.contains("other-token"),
        "{shown}"
    );
}

#[tokio::test]
async fn jetstream_runs_with_its_store_on_a_tmpfs() {
    require_engine!();
    let nats = Nats::default().jetstream().start().await.unwrap();
    assert!(nats.jetstream());
    let (status, body) = http_get("127.0.0.1", nats.monitoring_port(), "/varz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(JETSTREAM_DIR), "{body}");
    // A JetStream API request gets an answer, which only a server with JetStream gives.
    let (mut client, answer) = Client::connect(nats.host_port(), "").await;
    assert_eq!(answer, "PONG");
    client.subscribe("reply.here").await;
    client.send("PUB $JS.API.INFO reply.here 0\r\n\r\n").await;
    let (subject, payload) = client.message().await;
    assert_eq!(subject, "reply.here");
    assert!(
        payload.contains("io.nats.jetstream.api.v1.account_info_response"),
        "{payload}"
    );
    // The store is a tmpfs mount: the server's file system table says so.
    let mounts = nats
        .container()
        .copy_file_from("/proc/mounts")
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).to_string());
    let mounts = match mounts {
        Ok(mounts) => mounts,
        // /proc cannot be copied out on every engine; ask the engine instead (Podman lists
        // a tmpfs in the host config only, not among the mounts).
        Err(_) => {
            let inspected = raw()
                .inspect_container(nats.container().id(), None)
                .await
                .unwrap();
            format!(
                "{:?} {:?}",
                inspected.mounts,
                inspected.host_config.and_then(|h| h.tmpfs)
            )
        }
    };
    assert!(mounts.contains(JETSTREAM_DIR), "{mounts}");
}

static SHARED: Shared<Nats> = Shared::new(|| Nats::new(IMAGE).token(TOKEN));

#[tokio::test]
async fn tests_that_share_a_server_never_see_each_others_messages() {
    require_engine!();
    let nats: &'static NatsContainer = SHARED.get().await.unwrap();
    let first = nats.fresh_prefix().await.unwrap();
    let second = nats.fresh_prefix().await.unwrap();
    assert_ne!(first.prefix(), second.prefix());
    let port = nats.host_port();
    let (mut listener, _) = Client::connect(port, &token_json(TOKEN)).await;
    listener.subscribe(&first.all_subjects()).await;
    let (mut publisher, _) = Client::connect(port, &token_json(TOKEN)).await;
    // The same subject name in both tests: only the first's reaches its subscriber.
    publisher
        .publish(&second.subject("orders.new"), "theirs")
        .await;
    publisher
        .publish(&first.subject("orders.new"), "ours")
        .await;
    let (subject, payload) = listener.message().await;
    assert_eq!(subject, first.subject("orders.new"));
    assert_eq!(payload, "ours");

    // Units from tasks of their own are distinct too, and their URLs carry the prefix.
    let tasks =
        (0..4).map(|_| tokio::spawn(async { SHARED.get().await.unwrap().fresh_prefix().await }));
    let units = futures_util::future::try_join_all(tasks).await.unwrap();
    let prefixes: HashSet<String> = units
        .iter()
        .map(|unit| unit.as_ref().unwrap().prefix().to_string())
        .collect();
    assert_eq!(prefixes.len(), 4, "{prefixes:?}");
    let unit = units[0].as_ref().unwrap();
    assert!(unit.url().ends_with(&format!("?prefix={}", unit.prefix())));
    assert!(unit.masked_url().starts_with("nats://***@127.0.0.1:"));
}

#[tokio::test]
async fn a_restarted_server_answers_again_at_its_current_url() {
    require_engine!();
    let nats = Nats::default().token("t").start().await.unwrap();
    nats.container().stop().await.unwrap();
    nats.container().start().await.unwrap();
    // The config file was copied into the container, so the login survives the restart.
    let (_, answer) = Client::connect(nats.host_port(), &token_json("t")).await;
    assert_eq!(answer, "PONG");
    assert!(nats
        .connection_url()
        .ends_with(&format!(":{}", nats.host_port())));
}

#[tokio::test]
async fn a_server_that_exits_during_start_is_reported_with_its_code_and_last_lines() {
    require_engine!();
    let err = Nats::default()
        .args(["--config", "/no/such.conf"])
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err}");
    let message = err.to_string();
    assert!(message.contains("exited with code 1"), "{message}");
    assert!(message.contains("/no/such.conf"), "{message}");
}

/// The `Debug` text of every request the module built, captured by `with_request`.
static REQUESTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[tokio::test]
async fn the_token_stays_out_of_debug_inspect_and_logs() {
    require_engine!();
    let leaks = |text: &str| text.contains("s3cr");
    let nats = Nats::new(IMAGE).token(TOKEN).with_request(|request| {
        REQUESTS.lock().unwrap().push(format!("{request:?}"));
        request
    });
    assert!(!leaks(&format!("{nats:?}")), "{nats:?}");
    let started = nats.start().await.unwrap();
    let requests = REQUESTS.lock().unwrap().clone();
    assert!(!requests.is_empty());
    for request in &requests {
        assert!(!leaks(request), "{request}");
    }
    let shown = format!("{started:?}");
    assert!(!leaks(&shown) && shown.contains("nats://***@"), "{shown}");
    let unit = started.fresh_prefix().await.unwrap();
    assert!(!leaks(&format!("{unit:?}")) && !leaks(&unit.masked_url()));
    assert!(leaks(&unit.url()), "only the URLs carry it");

    let inspected = raw()
        .inspect_container(started.container().id(), None)
        .await
        .unwrap();
    let config = inspected.config.unwrap();
    let visible = format!("{:?} {:?} {:?}", config.cmd, config.env, config.entrypoint);
    assert!(!leaks(&visible), "{visible}");
    let logs = started.container().logs().await.unwrap();
    let logs = format!("{}{}", logs.stdout_text(), logs.stderr_text());
    assert!(!leaks(&logs), "{logs}");
}

#[tokio::test]
async fn another_client_port_is_where_the_server_listens() {
    require_engine!();
    let nats = Nats::new(IMAGE)
        .token(TOKEN)
        .port(4300)
        .start()
        .await
        .unwrap();
    assert_eq!(nats.host_port(), nats.container().host_port(4300).unwrap());
    assert!(
        nats.connection_url()
            .ends_with(&format!(":{}", nats.host_port())),
        "{}",
        nats.connection_url()
    );
    let (_client, answer) = Client::connect(nats.host_port(), &token_json(TOKEN)).await;
    assert_eq!(answer, "PONG");
}

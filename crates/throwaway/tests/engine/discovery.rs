//! Reaching the engine other ways than the default socket: plain TCP, the properties file,
//! a host override, and what a TLS engine's refusals say.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use throwaway::{ContainerRequest, ErrorKind, Wait};

use crate::require_engine;
use crate::support::{assert_child, run_child, TOOLS};

/// The unix socket of the engine under test: `DOCKER_HOST`'s when it names one (Podman's,
/// in CI), else Docker's default (also behind CI's tcp and TLS proxies).
fn engine_socket() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|host| host.strip_prefix("unix://").map(str::to_owned))
        .unwrap_or_else(|| "/var/run/docker.sock".to_owned())
}

/// What a child reaching the engine through the plain proxy must not inherit: the TLS
/// settings of an engine under test that is reached over TLS.
const NO_TLS: [(&str, &str); 2] = [("DOCKER_TLS_VERIFY", ""), ("DOCKER_CERT_PATH", "")];

/// A loopback TCP listener that forwards every connection to the engine's unix socket, as a
/// stand-in for an engine served over `tcp://`. Returns its port and a connection counter.
fn start_tcp_proxy() -> (u16, Arc<AtomicUsize>) {
    let socket = engine_socket();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (mut client, _) = listener.accept().await.unwrap();
                counter.fetch_add(1, Ordering::SeqCst);
                let socket = socket.clone();
                tokio::spawn(async move {
                    let mut engine = tokio::net::UnixStream::connect(&socket).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                });
            }
        });
    });
    (port, connections)
}

#[test]
fn a_plain_tcp_engine_from_docker_host() {
    require_engine!();
    let (port, connections) = start_tcp_proxy();
    run_child(
        "discovery::child_uses_the_engine",
        &[
            ("DOCKER_HOST", &format!("tcp://127.0.0.1:{port}")),
            NO_TLS[0],
            NO_TLS[1],
        ],
    );
    assert!(
        connections.load(Ordering::SeqCst) > 0,
        "the child did not go through the proxy"
    );
}

#[test]
fn a_tcp_engine_from_the_properties_file() {
    require_engine!();
    let (port, connections) = start_tcp_proxy();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".testcontainers.properties"),
        format!("# written by the test\ndocker.host=tcp://127.0.0.1:{port}\n"),
    )
    .unwrap();
    run_child(
        "discovery::child_uses_the_engine",
        &[
            ("DOCKER_HOST", ""),
            ("HOME", home.path().to_str().unwrap()),
            NO_TLS[0],
            NO_TLS[1],
        ],
    );
    assert!(
        connections.load(Ordering::SeqCst) > 0,
        "the child did not go through the proxy"
    );
}

#[tokio::test]
#[ignore = "run in a child process by the tests of this module"]
async fn child_uses_the_engine() {
    assert_child();
    let container = ContainerRequest::new(TOOLS)
        .cmd([
            "sh",
            "-c",
            "echo ready; exec busybox httpd -f -p 8080 -h /www",
        ])
        .exposed_port(8080)
        .wait_for(Wait::log("ready").and(Wait::port(8080)))
        .start()
        .await
        .unwrap();
    // A tcp engine on loopback is local: ports stay on 127.0.0.1.
    assert_eq!(container.host(), "127.0.0.1");
    let (status, _) = crate::support::http_get(
        container.host(),
        container.host_port(8080).unwrap(),
        "/health",
    )
    .await;
    assert_eq!(status, 200);
    let info = throwaway::engine_info().await.unwrap();
    assert!(info.endpoint.starts_with("tcp://127.0.0.1:"), "{info:?}");
}

#[test]
fn the_host_override_names_the_host_of_published_ports() {
    require_engine!();
    run_child(
        "discovery::child_host_override",
        &[("TESTCONTAINERS_HOST_OVERRIDE", "localhost")],
    );
}

#[tokio::test]
#[ignore = "run in a child process by the_host_override_names_the_host_of_published_ports"]
async fn child_host_override() {
    assert_child();
    let container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .start()
        .await
        .unwrap();
    assert_eq!(container.host(), "localhost");
}

/// The certificate directory of the engine under test when it is reached over verified TLS
/// (`DOCKER_HOST=tcp://…`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`: CI's TLS proxy).
fn tls_engine_certs() -> Option<std::path::PathBuf> {
    let host = std::env::var("DOCKER_HOST").ok()?;
    let verify = std::env::var("DOCKER_TLS_VERIFY").ok()?;
    let dir = std::env::var("DOCKER_CERT_PATH").ok()?;
    (host.starts_with("tcp://") && !matches!(verify.trim(), "" | "0" | "false")).then(|| dir.into())
}

/// A copy of the engine's certificate directory with `file` replaced by `content`.
fn spoiled_certs(certs: &std::path::Path, file: &str, content: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::copy(certs.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join(file), content).unwrap();
    dir
}

/// Through the real TLS proxy: a CA that did not sign the engine's certificate gets a TLS
/// headline with rustls' reason and the directory to look in, and a key that cannot be read
/// is named before any handshake (rustls would only report that the engine asked for a
/// certificate). Each in a child process: a process keeps the first engine client it makes.
#[test]
fn tls_refusals_say_which_certificate_or_file_is_wrong() {
    require_engine!();
    let Some(certs) = tls_engine_certs() else {
        println!(
            "SKIPPED: the engine under test is not reached over verified TLS \
             (DOCKER_HOST=tcp://…, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH); ci/engines tls runs this"
        );
        return;
    };
    // The client's own certificate as the CA: it signed nothing, least of all the engine's.
    let client_cert = std::fs::read(certs.join("cert.pem")).unwrap();
    let wrong_ca = spoiled_certs(&certs, "ca.pem", &client_cert);
    let dir = wrong_ca.path().to_str().unwrap();
    run_child(
        "discovery::child_tls_refused",
        &[
            ("DOCKER_CERT_PATH", dir),
            (
                "THROWAWAY_TEST_EXPECT",
                &format!("answered, but the TLS handshake failed|UnknownIssuer|files in {dir}"),
            ),
        ],
    );
    let garbage_key = spoiled_certs(&certs, "key.pem", b"garbage\n");
    let key = garbage_key.path().join("key.pem");
    run_child(
        "discovery::child_tls_refused",
        &[
            ("DOCKER_CERT_PATH", garbage_key.path().to_str().unwrap()),
            (
                "THROWAWAY_TEST_EXPECT",
                &format!(
                    "the key in {} cannot be read (it holds no private key)",
                    key.display()
                ),
            ),
        ],
    );
}

#[tokio::test]
#[ignore = "run in a child process by tls_refusals_say_which_certificate_or_file_is_wrong"]
async fn child_tls_refused() {
    assert_child();
    let err = ContainerRequest::new(TOOLS).start().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::EngineConfig, "{err}");
    let message = err.to_string();
    for part in std::env::var("THROWAWAY_TEST_EXPECT").unwrap().split('|') {
        assert!(message.contains(part), "{part:?} is not in: {message}");
    }
    assert!(!message.contains("Start Docker"), "{message}");
}

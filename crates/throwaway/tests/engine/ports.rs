//! Fixed host ports, a taken one, copies with a mode and an owner, and the raw escape hatch.

use std::net::TcpListener;

use throwaway::raw::{PortBinding, PortMap};
use throwaway::{Container, ContainerRequest, ErrorKind, FileMode, Wait};

use crate::require_engine;
use crate::support::{http_get, raw, TOOLS};

/// A host port that nothing holds right now: the kernel picks one, and we let it go.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap().port()
}

fn web() -> ContainerRequest {
    ContainerRequest::new(TOOLS)
        .cmd(["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"])
        .wait_for(Wait::http("/health").port(8080).status(200))
}

/// The host address and port the engine bound `port` to.
async fn binding(container: &Container, port: &str) -> PortBinding {
    let inspected = raw().inspect_container(container.id(), None).await.unwrap();
    let bindings: PortMap = inspected.host_config.unwrap().port_bindings.unwrap();
    bindings[port].as_ref().unwrap()[0].clone()
}

/// `stat` of `path` in the container: mode, uid and gid, as "600 999 999".
async fn stat(container: &Container, path: &str) -> String {
    let out = container
        .exec(["stat", "-c", "%a %u %g", path])
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0, "stat {path}: {}", out.stderr_text());
    out.stdout_text().trim().to_string()
}

#[tokio::test]
async fn a_fixed_host_port_is_published_there_on_loopback() {
    require_engine!();
    let port = free_port();
    let web = web().exposed_port_at(8080, port).start().await.unwrap();
    assert_eq!(web.host_port(8080).unwrap(), port);
    let bound = binding(&web, "8080/tcp").await;
    assert_eq!(bound.host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(bound.host_port.as_deref(), Some(port.to_string().as_str()));
    let (status, _) = http_get("127.0.0.1", port, "/health").await;
    assert_eq!(status, 200);
    web.remove().await.unwrap();
}

#[tokio::test]
async fn a_host_port_held_by_another_container_is_port_taken() {
    require_engine!();
    let port = free_port();
    let first = web().exposed_port_at(8080, port).start().await.unwrap();
    let err = web().exposed_port_at(8080, port).start().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PortTaken, "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("host port {port}")), "{message}");
    assert!(message.contains("8080/tcp"), "{message}");
    assert!(message.contains(TOOLS), "{message}");
    assert!(message.contains("exposed_port"), "{message}");
    assert!(!message.contains("command and entrypoint"), "{message}");
    // The first one is untouched.
    assert_eq!(
        http_get("127.0.0.1", port, "/health").await.0,
        200,
        "{message}"
    );
    first.remove().await.unwrap();
}

#[tokio::test]
async fn a_host_port_held_by_a_process_is_port_taken() {
    require_engine!();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let result = web().exposed_port_at(8080, port).start().await;
    drop(listener);
    match result {
        Err(err) => {
            assert_eq!(err.kind(), ErrorKind::PortTaken, "{err:?}");
            assert!(err.to_string().contains(&port.to_string()), "{err}");
        }
        // An engine without a userland proxy forwards with firewall rules and binds no
        // socket: nothing is taken from its point of view, and the container runs.
        Ok(web) => {
            assert_eq!(web.host_port(8080).unwrap(), port);
            eprintln!("note: this engine does not bind published ports itself");
        }
    }
}

#[tokio::test]
async fn the_raw_types_edit_a_port_binding() {
    require_engine!();
    let port = free_port();
    let web = web()
        .exposed_port(8080)
        .with_create_body(move |body| {
            let host = body.host_config.get_or_insert_with(Default::default);
            let bindings: &mut PortMap = host.port_bindings.get_or_insert_with(Default::default);
            bindings.insert(
                "8080/tcp".into(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(port.to_string()),
                }]),
            );
        })
        .start()
        .await
        .unwrap();
    assert_eq!(web.host_port(8080).unwrap(), port);
    web.remove().await.unwrap();
}

#[tokio::test]
async fn copies_get_the_mode_and_owner_asked_for() {
    require_engine!();
    let dir = std::env::temp_dir().join(format!("throwaway-fix16-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("run.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .copy_bytes("plain", "/etc/app/plain")
        .copy_bytes_with(
            "secret",
            "/etc/app/key",
            FileMode::new(0o600).owner(1234, 2345),
        )
        .copy_file_with(
            &script,
            "/etc/app/run.sh",
            FileMode::new(0o750).owner_name("daemon"),
        )
        .start()
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(stat(&container, "/etc/app/plain").await, "644 0 0");
    assert_eq!(stat(&container, "/etc/app/key").await, "600 1234 2345");
    // daemon is 1:1 in Debian's /etc/passwd, which the tools image has.
    assert_eq!(stat(&container, "/etc/app/run.sh").await, "750 1 1");
    let key = container.copy_file_from("/etc/app/key").await.unwrap();
    assert_eq!(key, b"secret");

    // Into a running container too.
    container
        .copy_bytes_to_with(
            "later",
            "/tmp/later",
            FileMode::new(0o640).owner_name("mail"),
        )
        .await
        .unwrap();
    assert_eq!(stat(&container, "/tmp/later").await, "640 8 8");
    container.remove().await.unwrap();
}

#[tokio::test]
async fn an_owner_the_image_does_not_know_is_a_clear_error() {
    require_engine!();
    let err = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .copy_bytes_with("x", "/x", FileMode::new(0o600).owner_name("no-such-user"))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err:?}");
    let message = err.to_string();
    assert!(message.contains("no-such-user"), "{message}");
    assert!(message.contains("FileMode::owner"), "{message}");
}

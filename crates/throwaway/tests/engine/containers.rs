//! The started-container API: ports, env, exec, logs, copy, lifecycle, labels, removal.

use std::time::Duration;

use futures_util::StreamExt;
use throwaway::{ContainerRequest, ErrorKind, Mount, Wait};

use crate::require_engine;
use crate::support::{
    container_exists, container_gone_within, http_get, raw, volume_exists, volume_gone_within,
    REDIS, TOOLS,
};

/// A web server that takes a moment to come up, like a real service.
fn web() -> ContainerRequest {
    ContainerRequest::new(TOOLS)
        .cmd([
            "sh",
            "-c",
            "echo starting; sleep 1; echo ready; exec busybox httpd -f -p 8080 -h /www",
        ])
        .exposed_port(8080)
        .env("MODE", "test")
        .wait_for(Wait::http("/health").port(8080).status(200))
}

#[tokio::test]
async fn a_generic_container_is_ready_and_reachable_on_loopback() {
    require_engine!();
    let web = web().start().await.unwrap();
    assert_eq!(web.host(), "127.0.0.1");
    let port = web.host_port(8080).unwrap();
    let (status, body) = http_get(web.host(), port, "/health").await;
    assert_eq!(status, 200);
    assert!(body.contains("ok"), "{body}");

    // Published on loopback only: a test service must not be reachable from the network.
    let inspected = raw().inspect_container(web.id(), None).await.unwrap();
    let bindings = inspected.host_config.unwrap().port_bindings.unwrap();
    let binding = &bindings["8080/tcp"].as_ref().unwrap()[0];
    assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));

    let env = web.exec(["sh", "-c", "echo $MODE"]).await.unwrap();
    assert_eq!(env.stdout_text().trim(), "test");
}

#[tokio::test]
async fn everything_created_carries_the_testcontainers_labels() {
    require_engine!();
    let container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .label("team", "storage")
        .start()
        .await
        .unwrap();
    let labels = raw()
        .inspect_container(container.id(), None)
        .await
        .unwrap()
        .config
        .unwrap()
        .labels
        .unwrap();
    assert_eq!(labels["org.testcontainers"], "true");
    assert_eq!(labels["org.testcontainers.lang"], "rust");
    assert_eq!(
        labels["org.testcontainers.version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(labels["org.testcontainers.session-id"].len(), 32);
    assert_eq!(labels["team"], "storage");
}

#[tokio::test]
async fn exec_reports_exit_code_and_both_streams() {
    require_engine!();
    let container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .start()
        .await
        .unwrap();
    let result = container
        .exec(["sh", "-c", "echo out; echo err >&2; exit 7"])
        .await
        .unwrap();
    assert_eq!(result.exit_code, 7);
    assert!(!result.success());
    assert_eq!(result.stdout_text(), "out\n");
    assert_eq!(result.stderr_text(), "err\n");

    let missing = container.exec(["/no/such/program"]).await;
    match missing {
        // Engines differ: some refuse to start the exec, others run it and report 126/127.
        Err(err) => assert_eq!(err.kind(), ErrorKind::Exec, "{err}"),
        Ok(result) => assert!(
            result.exit_code == 126 || result.exit_code == 127,
            "{result:?}"
        ),
    }
}

#[tokio::test]
async fn logs_as_a_snapshot_and_as_a_live_stream() {
    require_engine!();
    let container = ContainerRequest::new(TOOLS)
        .cmd([
            "sh",
            "-c",
            "echo one; echo warn >&2; echo two; sleep 1; echo three; sleep 300",
        ])
        .wait_for(Wait::log("two"))
        .start()
        .await
        .unwrap();
    let logs = container.logs().await.unwrap();
    assert_eq!(logs.stdout_text(), "one\ntwo\n");
    assert_eq!(logs.stderr_text(), "warn\n");

    // Following starts from the beginning and then delivers "three" live.
    let lines: Vec<_> = container
        .follow_logs()
        .take(4)
        .map(|line| line.unwrap().text)
        .collect()
        .await;
    assert!(lines.contains(&"three".to_string()), "{lines:?}");
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn files_go_in_before_start_and_in_and_out_after() {
    require_engine!();
    let dir = tempfile::tempdir().unwrap();
    let host_file = dir.path().join("greeting.txt");
    std::fs::write(&host_file, "hello from the host\n").unwrap();

    let container = ContainerRequest::new(TOOLS)
        // The command reads the file at start: it must be there before the process runs.
        .copy_bytes("port=1234\n", "/etc/app/config")
        .cmd(["sh", "-c", "cat /etc/app/config; sleep 300"])
        .wait_for(Wait::log("port=1234"))
        .start()
        .await
        .unwrap();

    container
        .copy_file_to(&host_file, "/tmp/in/greeting.txt")
        .await
        .unwrap();
    let shown = container
        .exec(["cat", "/tmp/in/greeting.txt"])
        .await
        .unwrap();
    assert_eq!(shown.stdout_text(), "hello from the host\n");

    container
        .copy_bytes_to(b"abc".to_vec(), "/tmp/bytes")
        .await
        .unwrap();
    container
        .exec(["sh", "-c", "echo made inside > /tmp/out.txt"])
        .await
        .unwrap();
    assert_eq!(
        container.copy_file_from("/tmp/out.txt").await.unwrap(),
        b"made inside\n"
    );
    assert_eq!(
        container.copy_file_from("/tmp/bytes").await.unwrap(),
        b"abc"
    );

    let err = container.copy_file_from("/no/such/file").await.unwrap_err();
    assert!(err.to_string().contains("/no/such/file"), "{err}");
}

#[tokio::test]
async fn stop_start_pause_and_unpause() {
    require_engine!();
    let web = web().start().await.unwrap();

    web.pause().await.unwrap();
    let state = raw()
        .inspect_container(web.id(), None)
        .await
        .unwrap()
        .state
        .unwrap();
    assert_eq!(state.paused, Some(true));
    web.unpause().await.unwrap();

    web.stop().await.unwrap();
    let state = raw()
        .inspect_container(web.id(), None)
        .await
        .unwrap()
        .state
        .unwrap();
    assert_eq!(state.running, Some(false));

    // Started again, it waits for readiness anew and may be on a new host port.
    web.start().await.unwrap();
    let (status, _) = http_get(web.host(), web.host_port(8080).unwrap(), "/health").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn remove_reports_and_the_container_is_gone() {
    require_engine!();
    let container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .start()
        .await
        .unwrap();
    let id = container.id().to_string();
    container.remove().await.unwrap();
    assert!(!container_exists(&id).await);
}

#[tokio::test]
async fn drop_removes_the_container_and_its_anonymous_volumes() {
    require_engine!();
    // The Redis image declares `VOLUME /data`: starting it creates an anonymous volume.
    let redis = ContainerRequest::new(REDIS)
        .exposed_port(6379)
        .wait_for(Wait::log("Ready to accept connections"))
        .start()
        .await
        .unwrap();
    let id = redis.id().to_string();
    let mounts = raw()
        .inspect_container(&id, None)
        .await
        .unwrap()
        .mounts
        .unwrap();
    let volume = mounts
        .iter()
        .find(|m| m.destination.as_deref() == Some("/data"))
        .and_then(|m| m.name.clone())
        .expect("an anonymous volume at /data");
    assert!(volume_exists(&volume).await);

    drop(redis);
    // The removal goes on in the background (see teardown.rs for how fast drop returns).
    container_gone_within(&id, Duration::from_secs(15)).await;
    volume_gone_within(&volume, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn mounts_named_volumes_and_tmpfs() {
    require_engine!();
    let volume = format!("throwaway-test-{:x}", std::process::id() as u64 * 7919 + 1);
    let writer = ContainerRequest::new(TOOLS)
        .mount(Mount::volume(&volume, "/keep"))
        .tmpfs("/scratch")
        .cmd(["sh", "-c", "echo kept > /keep/file; sleep 300"])
        .start()
        .await
        .unwrap();
    let mounts = writer
        .exec(["sh", "-c", "grep ' /scratch ' /proc/mounts"])
        .await
        .unwrap();
    assert!(mounts.stdout_text().contains("tmpfs"), "{mounts:?}");
    // Wait for the command to have written the file.
    for _ in 0..50 {
        if writer
            .exec(["test", "-f", "/keep/file"])
            .await
            .unwrap()
            .success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    writer.remove().await.unwrap();

    // A named volume outlives its container on purpose.
    let reader = ContainerRequest::new(TOOLS)
        .mount(Mount::volume(&volume, "/keep").read_only())
        .cmd(["sleep", "300"])
        .start()
        .await
        .unwrap();
    let read = reader.exec(["cat", "/keep/file"]).await.unwrap();
    assert_eq!(read.stdout_text(), "kept\n");
    reader.remove().await.unwrap();
    raw()
        .remove_volume(
            &volume,
            None::<bollard::query_parameters::RemoveVolumeOptions>,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_port_that_was_never_exposed_is_a_clear_error() {
    require_engine!();
    let web = web().start().await.unwrap();
    let err = web.host_port(9999).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PortNotExposed);
    let message = err.to_string();
    assert!(message.contains("9999/tcp"), "{message}");
    assert!(message.contains("exposed: 8080/tcp"), "{message}");
    assert!(message.contains(TOOLS), "{message}");
}

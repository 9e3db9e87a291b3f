//! Reuse across runs: opt-in, keyed by the whole request, never removed by the library.

use throwaway::{ContainerRequest, Wait};

use crate::require_engine;
use crate::support::{
    assert_child, block, container_exists, container_gone_within, raw, run_child, TOOLS,
};

/// A request unique to this test run, so that parallel runs do not reuse each other's.
fn reusable(marker: &str) -> ContainerRequest {
    ContainerRequest::new(TOOLS)
        .cmd(["sh", "-c", "echo ready; exec sleep 600"])
        .env("THROWAWAY_REUSE_MARKER", marker)
        .wait_for(Wait::log("ready"))
        .reuse(true)
}

/// The id a child printed as `container: <id>`.
fn printed_id(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.split("container: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the child printed a container id")
        .to_string()
}

#[test]
fn a_reused_container_outlives_its_process_and_is_found_again() {
    require_engine!();
    let marker = format!("{}-{}", std::process::id(), fastrand_like());
    let enabled = [
        ("TESTCONTAINERS_REUSE_ENABLE", "true"),
        ("THROWAWAY_REUSE_MARKER", marker.as_str()),
    ];
    let first = printed_id(&run_child("reuse::child_reused", &enabled));
    let cleanup = Cleanup(first.clone());
    assert!(
        block(container_exists(&first)),
        "the reused container was removed at exit"
    );

    let second = printed_id(&run_child("reuse::child_reused", &enabled));
    assert_eq!(first, second, "the same request found the same container");

    // A stopped one is started again.
    block(raw().kill_container(
        &first,
        None::<bollard::query_parameters::KillContainerOptions>,
    ))
    .unwrap();
    let third = printed_id(&run_child("reuse::child_reused", &enabled));
    assert_eq!(first, third);

    // A different request is a different container.
    let changed = [
        ("TESTCONTAINERS_REUSE_ENABLE", "true"),
        ("THROWAWAY_REUSE_MARKER", &format!("{marker}-changed")),
    ];
    let other = printed_id(&run_child("reuse::child_reused", &changed));
    let _cleanup_other = Cleanup(other.clone());
    assert_ne!(first, other);

    // Not enabled by the user: the request's wish alone does nothing.
    let disabled = [("THROWAWAY_REUSE_MARKER", marker.as_str())];
    let own = printed_id(&run_child("reuse::child_reused", &disabled));
    assert_ne!(own, first);
    // Removed at the child's exit, by its exit hook or by the reaper it handed it to.
    block(container_gone_within(
        &own,
        std::time::Duration::from_secs(5),
    ));
    drop(cleanup);
}

#[tokio::test]
#[ignore = "run in a child process by a_reused_container_outlives_its_process_and_is_found_again"]
async fn child_reused() {
    assert_child();
    let marker = std::env::var("THROWAWAY_REUSE_MARKER").unwrap();
    let container = reusable(&marker).start().await.unwrap();
    println!("container: {}", container.id());
    assert!(container.exec(["true"]).await.unwrap().success());
}

/// Removes a reused container at the end of the test, whatever happened.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let options = bollard::query_parameters::RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        let _ = block(raw().remove_container(&self.0, Some(options)));
    }
}

fn fastrand_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

//! Shared containers: started once per process, removed when it exits.

use std::collections::HashSet;
use std::sync::Mutex;

use throwaway::{ContainerRequest, Shared, Wait};

use crate::require_engine;
use crate::support::{assert_child, container_gone_within, run_child, TOOLS};

static SERVICE: Shared<ContainerRequest> = Shared::new(|| {
    ContainerRequest::new(TOOLS)
        .cmd(["sh", "-c", "echo ready; exec sleep 300"])
        .wait_for(Wait::log("ready"))
});

/// The container ids each test of this module saw.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[tokio::test]
async fn tests_asking_at_the_same_moment_share_one_start() {
    require_engine!();
    let asks =
        (0..8).map(|_| tokio::spawn(async { SERVICE.get().await.map(|c| c.id().to_string()) }));
    let ids: HashSet<String> = futures_util::future::join_all(asks)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    SEEN.lock().unwrap().extend(ids);
}

#[test]
fn a_plain_test_gets_the_same_container() {
    require_engine!();
    let id = SERVICE.get_blocking().unwrap().id().to_string();
    let exec = SERVICE.get_blocking().unwrap();
    let running = crate::support::block(exec.exec(["true"])).unwrap();
    assert!(running.success());
    SEEN.lock().unwrap().push(id);
    let seen: HashSet<_> = SEEN.lock().unwrap().iter().cloned().collect();
    // Whichever test ran first, they all saw one container.
    assert_eq!(seen.len(), 1, "{seen:?}");
}

#[test]
fn a_shared_container_is_removed_when_the_process_exits() {
    require_engine!();
    let output = run_child("shared::child_starts_a_shared_container", &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let id = stdout
        .lines()
        .find_map(|l| l.split("shared container: ").nth(1))
        .expect("the child printed its container id")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    // The child has exited; its exit hook removed the container, or handed it to the
    // session's reaper, which removes it at once.
    crate::support::block(container_gone_within(
        &id,
        std::time::Duration::from_secs(5),
    ));
}

#[tokio::test]
#[ignore = "run in a child process by a_shared_container_is_removed_when_the_process_exits"]
async fn child_starts_a_shared_container() {
    assert_child();
    let service = SERVICE.get().await.unwrap();
    println!("shared container: {}", service.id());
}

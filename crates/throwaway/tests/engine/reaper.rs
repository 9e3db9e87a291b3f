//! Nothing leaks, however the test process ends: the reaper removes what a process left.
//!
//! Each test runs a child test process in a session of its own, ends it the hard way, and
//! checks that everything it created is gone within the reaper's grace period (10 s after
//! the last connection closed) plus a margin.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::query_parameters::{ListContainersOptionsBuilder, ListNetworksOptionsBuilder};
use throwaway::{ContainerRequest, Network, Wait};

use crate::require_engine;
use crate::support::{assert_child, block, list_containers, raw, run_child, spawn_child, TOOLS};

/// How long after the process ends everything must be gone: the reaper's 10 s grace period
/// and a margin for a busy machine.
const CLEANUP_LIMIT: Duration = Duration::from_secs(20);

fn session_filter(session: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        vec![format!("org.testcontainers.session-id={session}")],
    )])
}

/// Containers and networks of `session` still on the engine.
fn left_of(session: &str) -> (usize, usize) {
    block(async {
        let filters = session_filter(session);
        let containers = list_containers(
            ListContainersOptionsBuilder::new()
                .all(true)
                .filters(&filters)
                .build(),
        )
        .await
        .len();
        let networks = raw()
            .list_networks(Some(
                ListNetworksOptionsBuilder::new().filters(&filters).build(),
            ))
            .await
            .unwrap()
            .len();
        (containers, networks)
    })
}

/// Waits until nothing of `session` is left; returns how long that took from `since`.
fn assert_cleaned_up(session: &str, since: Instant) -> Duration {
    loop {
        let left = left_of(session);
        if left == (0, 0) {
            let took = since.elapsed();
            eprintln!("session {session} cleaned up {took:.1?} after its process ended");
            return took;
        }
        assert!(
            since.elapsed() < CLEANUP_LIMIT,
            "{left:?} containers/networks of session {session} remain {CLEANUP_LIMIT:?} after the process ended"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn session_name(test: &str) -> String {
    format!("{test}-{}-{:?}", std::process::id(), Instant::now())
}

#[test]
fn sigkill_while_a_container_is_starting() {
    require_engine!();
    let name = session_name("starting");
    let mut child = spawn_child("reaper::child_slow_start", &[("THROWAWAY_SESSION", &name)]);
    let session = child.line_with("session: ");
    // The child is now waiting for a log line that never comes.
    child.line_with("starting now");
    wait_until_created(&session);
    child.signal("KILL");
    assert_cleaned_up(&session, Instant::now());
}

#[test]
fn sigkill_while_a_test_runs() {
    require_engine!();
    let name = session_name("running");
    let mut child = spawn_child("reaper::child_runs", &[("THROWAWAY_SESSION", &name)]);
    let session = child.line_with("session: ");
    child.line_with("running");
    assert_eq!(left_of(&session), (1, 1));
    child.signal("KILL");
    assert_cleaned_up(&session, Instant::now());
}

#[test]
fn sigint_to_the_test_run() {
    require_engine!();
    let name = session_name("interrupted");
    let mut child = spawn_child("reaper::child_runs", &[("THROWAWAY_SESSION", &name)]);
    let session = child.line_with("session: ");
    child.line_with("running");
    child.signal("INT");
    assert_cleaned_up(&session, Instant::now());
}

#[test]
fn a_panicking_test_leaves_nothing() {
    require_engine!();
    let name = session_name("panicking");
    let mut child = spawn_child("reaper::child_panics", &[("THROWAWAY_SESSION", &name)]);
    let session = child.line_with("session: ");
    let status = child.wait();
    assert!(!status.success(), "the child test was meant to fail");
    // Drop runs while the panic unwinds: nothing should even wait for the reaper.
    let took = assert_cleaned_up(&session, Instant::now());
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn a_killed_reaper_is_replaced() {
    require_engine!();
    let name = session_name("replaced");
    let output = run_child(
        "reaper::child_kills_its_reaper",
        &[("THROWAWAY_SESSION", &name)],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("a new reaper guards the session"),
        "{stdout}"
    );
}

fn wait_until_created(session: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while left_of(session).0 == 0 {
        assert!(
            Instant::now() < deadline,
            "the child never created its container"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn print_session() {
    let info = throwaway::engine_info().await.unwrap();
    println!("session: {}", info.session_id);
}

#[tokio::test]
#[ignore = "run in a child process by sigkill_while_a_container_is_starting"]
async fn child_slow_start() {
    assert_child();
    print_session().await;
    println!("starting now");
    let _never = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .wait_for(Wait::log("never printed"))
        .startup_timeout(Duration::from_secs(120))
        .start()
        .await;
    unreachable!("the parent kills this process while the container starts");
}

#[tokio::test]
#[ignore = "run in a child process by the tests of this module"]
async fn child_runs() {
    assert_child();
    print_session().await;
    let network = Network::new().await.unwrap();
    let _container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .network(&network)
        .start()
        .await
        .unwrap();
    println!("running");
    tokio::time::sleep(Duration::from_secs(120)).await;
    unreachable!("the parent ends this process while it runs");
}

#[tokio::test]
#[ignore = "run in a child process by a_panicking_test_leaves_nothing"]
async fn child_panics() {
    assert_child();
    print_session().await;
    let _container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .start()
        .await
        .unwrap();
    panic!("a test that fails while holding a container");
}

#[tokio::test]
#[ignore = "run in a child process by a_killed_reaper_is_replaced"]
async fn child_kills_its_reaper() {
    assert_child();
    let session = throwaway::engine_info().await.unwrap().session_id;
    let _container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .start()
        .await
        .unwrap();
    let reaper = format!("throwaway-reaper-{session}");
    let first = raw()
        .inspect_container(&reaper, None)
        .await
        .unwrap()
        .id
        .unwrap();
    raw()
        .kill_container(
            &reaper,
            None::<bollard::query_parameters::KillContainerOptions>,
        )
        .await
        .unwrap();
    // The library notices the broken connection and starts another reaper under the name.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(inspected) = raw().inspect_container(&reaper, None).await {
            let running = inspected.state.and_then(|s| s.running) == Some(true);
            if running && inspected.id.as_deref() != Some(first.as_str()) {
                break;
            }
        }
        assert!(Instant::now() < deadline, "no new reaper was started");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("a new reaper guards the session");
}

#[test]
fn the_reaper_can_be_turned_off() {
    require_engine!();
    let name = session_name("disabled");
    run_child(
        "reaper::child_without_reaper",
        &[
            ("THROWAWAY_SESSION", &name),
            ("TESTCONTAINERS_RYUK_DISABLED", "true"),
        ],
    );
}

#[tokio::test]
#[ignore = "run in a child process by the_reaper_can_be_turned_off"]
async fn child_without_reaper() {
    assert_child();
    let session = throwaway::engine_info().await.unwrap().session_id;
    let container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .start()
        .await
        .unwrap();
    let reaper = format!("throwaway-reaper-{session}");
    let err = raw().inspect_container(&reaper, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                ..
            }
        ),
        "a reaper was started although it is disabled: {err}"
    );
    container.remove().await.unwrap();
}

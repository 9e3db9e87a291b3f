//! Teardown that never waits: `Drop` returns at once, the removal goes on in the background,
//! and nothing is left when the process exits.

use std::time::{Duration, Instant};

use throwaway::{ContainerRequest, Network, Wait};

use crate::require_engine;
use crate::support::{
    assert_child, block, container_exists, container_gone_within, raw, run_child, TOOLS,
};

fn quick() -> ContainerRequest {
    ContainerRequest::new(TOOLS)
        .cmd(["sh", "-c", "echo ready; exec sleep 300"])
        .wait_for(Wait::log("ready"))
}

/// Well under the 140–170 ms a synchronous removal took, with room for a loaded 2-core
/// machine: this checks that `drop` does not wait for the engine, it is not a benchmark.
const DROP_LIMIT: Duration = Duration::from_millis(50);

async fn network_exists(id: &str) -> bool {
    match raw()
        .inspect_network(id, None::<bollard::query_parameters::InspectNetworkOptions>)
        .await
    {
        Ok(_) => true,
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => false,
        Err(e) => panic!("inspecting network {id}: {e}"),
    }
}

#[tokio::test]
async fn drop_returns_at_once_and_the_container_is_gone_shortly_after() {
    require_engine!();
    let container = quick().start().await.unwrap();
    let id = container.id().to_string();
    let began = Instant::now();
    drop(container);
    let took = began.elapsed();
    assert!(took < DROP_LIMIT, "drop took {took:?}");
    container_gone_within(&id, Duration::from_secs(15)).await;
}

#[test]
fn drop_from_a_plain_test_returns_at_once_too() {
    require_engine!();
    use throwaway::blocking::StartBlocking;
    let container = quick().start_blocking().unwrap();
    let id = container.id().to_string();
    let began = Instant::now();
    drop(container);
    let took = began.elapsed();
    assert!(took < DROP_LIMIT, "drop took {took:?}");
    block(container_gone_within(&id, Duration::from_secs(15)));
}

#[tokio::test]
async fn a_network_dropped_right_after_its_containers_is_removed_too() {
    require_engine!();
    let network = Network::new().await.unwrap();
    let network_id = network.id().to_string();
    let mut ids = Vec::new();
    let mut containers = Vec::new();
    for alias in ["one", "two"] {
        let container = quick()
            .network(&network)
            .network_alias(alias)
            .start()
            .await
            .unwrap();
        ids.push(container.id().to_string());
        containers.push(container);
    }
    let began = Instant::now();
    drop(containers);
    drop(network);
    let took = began.elapsed();
    assert!(took < DROP_LIMIT * 2, "dropping took {took:?}");
    for id in &ids {
        container_gone_within(id, Duration::from_secs(15)).await;
    }
    // The network's removal waited for its containers', so it did not fail with "active
    // endpoints".
    let deadline = Instant::now() + Duration::from_secs(15);
    while network_exists(&network_id).await {
        assert!(
            Instant::now() < deadline,
            "network {network_id} outlived its containers by 15 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn remove_still_waits_and_reports() {
    require_engine!();
    let container = quick().start().await.unwrap();
    let id = container.id().to_string();
    container.remove().await.unwrap();
    assert!(
        !container_exists(&id).await,
        "remove() returned before the container was gone"
    );
}

/// What the child printed after `marker`.
fn printed(output: &std::process::Output, marker: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|l| l.split(marker).nth(1))
        .unwrap_or_else(|| panic!("the child printed no {marker:?}:\n{stdout}"))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Everything labelled with `session`, containers and networks; force-removed by
/// [`SessionCleanup`] whatever the test found.
async fn labelled_with(session: &str) -> (Vec<String>, Vec<String>) {
    use std::collections::HashMap;
    let filters = HashMap::from([(
        "label".to_string(),
        vec![format!("org.testcontainers.session-id={session}")],
    )]);
    let containers = crate::support::list_containers(
        bollard::query_parameters::ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build(),
    )
    .await
    .into_iter()
    .filter_map(|c| c.id)
    .collect();
    let networks = raw()
        .list_networks(Some(
            bollard::query_parameters::ListNetworksOptionsBuilder::new()
                .filters(&filters)
                .build(),
        ))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|n| n.id)
        .collect();
    (containers, networks)
}

/// Removes whatever a child of this test left, so that a failing test leaks nothing.
struct SessionCleanup {
    session: Option<String>,
    reaper: bool,
}

impl Drop for SessionCleanup {
    fn drop(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        let reaper = self.reaper;
        block(async move {
            let (containers, networks) = labelled_with(&session).await;
            let force = bollard::query_parameters::RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
            let mut all = containers;
            if reaper {
                all.push(format!("throwaway-reaper-{session}"));
            }
            for id in all {
                let _ = raw().remove_container(&id, Some(force.clone())).await;
            }
            for id in networks {
                let _ = raw().remove_network(&id).await;
            }
        });
    }
}

/// Runs the child with its own session and `env`; returns the session id it printed, with
/// a cleanup for it, and how long the child's process took after its test body ended.
fn run_dropping_child(env: &[(&str, &str)], reaper: bool) -> (String, SessionCleanup) {
    let name = format!("drop11-{}-{}", std::process::id(), fastrand_like());
    let mut env = env.to_vec();
    env.push(("THROWAWAY_SESSION", &name));
    let output = run_child("teardown::child_drops_what_it_started_and_exits", &env);
    let session = printed(&output, "session: ");
    let cleanup = SessionCleanup {
        session: Some(session.clone()),
        reaper,
    };
    (session, cleanup)
}

fn fastrand_like() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

/// Asserts that nothing labelled with `session` is left within `within`.
fn nothing_left_within(session: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let (containers, networks) = block(labelled_with(session));
        if containers.is_empty() && networks.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{within:?} after the child exited, session {session} still has containers \
             {containers:?} and networks {networks:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn process_exit_finishes_pending_removals_without_a_reaper() {
    require_engine!();
    // No reaper: only the exit hook can have removed what the child dropped just before it
    // ended.
    let (session, _cleanup) =
        run_dropping_child(&[("TESTCONTAINERS_RYUK_DISABLED", "true")], false);
    nothing_left_within(&session, Duration::from_secs(2));
}

#[test]
fn at_exit_the_reaper_takes_over_pending_removals() {
    require_engine!();
    // A reaper that would wait a minute before its own prune: anything gone within a couple
    // of seconds was removed on the exit hook's request, not by the end-of-session prune.
    let (session, _cleanup) = run_dropping_child(
        &[
            ("TESTCONTAINERS_RYUK_DISABLED", ""),
            ("TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT", "60s"),
        ],
        true,
    );
    nothing_left_within(&session, Duration::from_secs(3));
    let reaper = format!("throwaway-reaper-{session}");
    let logs = block(async {
        use futures_util::TryStreamExt;
        let options = bollard::query_parameters::LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .build();
        raw()
            .logs(&reaper, Some(options))
            .map_ok(|chunk| chunk.to_string())
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .concat()
    });
    assert!(
        logs.contains("removing on request"),
        "the reaper {reaper} was not asked to remove anything; its log:\n{logs}"
    );
}

#[tokio::test]
#[ignore = "run in a child process by the process-exit tests of this module"]
async fn child_drops_what_it_started_and_exits() {
    assert_child();
    let info = throwaway::engine_info().await.unwrap();
    println!("session: {}", info.session_id);
    let network = Network::new().await.unwrap();
    let container = quick()
        .network(&network)
        .network_alias("dropped")
        .start()
        .await
        .unwrap();
    println!("container: {}", container.id());
    // Dropped as the test ends, in the order a test would: the removals are still pending
    // when the process exits a moment later.
    drop(container);
    drop(network);
    // For ci/teardown-timing: how long the process takes from here to its end is what the
    // exit hook costs a test under `cargo nextest`.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    println!("dropped at: {}", now.as_nanos());
}

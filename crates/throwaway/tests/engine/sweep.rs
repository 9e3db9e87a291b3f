//! The orphan sweep: what a process and its reaper left when both were killed at once goes
//! when the next session starts; a live session's objects stay.
//!
//! Every child runs in a session of its own process (no nextest run id, no session name),
//! so that the sweep judges it by its pid, and labels what it makes with
//! [`LABEL`] so that the parent can find it.

use std::time::{Duration, Instant};

use throwaway::{ContainerRequest, Network};

use crate::require_engine;
use crate::support::{assert_child, block, container_exists, raw, run_child, spawn_child, TOOLS};

/// On everything these tests make; the value names the test.
const LABEL: &str = "throwaway-test.sweep";

/// How soon after a new session starts the old session's objects must be gone.
const SWEEP_LIMIT: Duration = Duration::from_secs(10);

/// A session of the child's process alone, whatever the parent runs under.
const OWN_SESSION: [(&str, &str); 2] = [("THROWAWAY_SESSION", ""), ("NEXTEST_RUN_ID", "")];

fn network_exists(id: &str) -> bool {
    block(async {
        match raw().inspect_network(id, None).await {
            Ok(_) => true,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => false,
            Err(e) => panic!("inspecting network {id}: {e}"),
        }
    })
}

/// Removes, whatever happened, what a child made: a failed test must not leak either.
struct Cleanup {
    container: String,
    network: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        block(async {
            let options = bollard::query_parameters::RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
            let _ = raw().remove_container(&self.container, Some(options)).await;
            let _ = raw().remove_network(&self.network).await;
        });
    }
}

/// Reads what a holding child printed: its session, container and network.
fn held(child: &mut crate::support::RunningChild) -> (String, Cleanup) {
    let session = child.line_with("session: ");
    let container = child.line_with("container: ");
    let network = child.line_with("network: ");
    (session, Cleanup { container, network })
}

fn kill_reaper(session: &str) {
    block(async {
        let name = format!("throwaway-reaper-{session}");
        // It may not have been needed (reaper disabled) or be gone already: both fine.
        let _ = raw()
            .kill_container(
                &name,
                None::<bollard::query_parameters::KillContainerOptions>,
            )
            .await;
    });
}

#[test]
fn a_session_killed_with_its_reaper_is_swept_when_the_next_starts() {
    require_engine!();
    let mut env = OWN_SESSION.to_vec();
    env.push(("SWEEP_TEST", "killed"));
    let mut child = spawn_child("sweep::child_holds", &env);
    let (session, left) = held(&mut child);
    // Both at once, as an OOM kill of the group or `docker kill` of everything would.
    child.signal("KILL");
    kill_reaper(&session);
    assert!(
        block(container_exists(&left.container)),
        "the kill itself removed it"
    );

    // A new session: its first container starts the sweep in the background.
    let began = Instant::now();
    let gone = [("SWEEP_EXPECT_GONE", left.container.as_str())];
    let env: Vec<_> = OWN_SESSION.iter().copied().chain(gone).collect();
    run_child("sweep::child_sees_the_orphan_go", &env);
    loop {
        let container = block(container_exists(&left.container));
        let network = network_exists(&left.network);
        if !container && !network {
            eprintln!(
                "the killed session's objects were gone {:.1?} after the next session started",
                began.elapsed()
            );
            break;
        }
        assert!(
            began.elapsed() < SWEEP_LIMIT,
            "{SWEEP_LIMIT:?} after a new session started, the killed session {session} still \
             has its container ({container}) or network ({network})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_live_session_is_left_alone_and_swept_once_it_dies() {
    require_engine!();
    // No reaper at all: only the process being alive protects what it made.
    let mut env = OWN_SESSION.to_vec();
    env.extend([
        ("SWEEP_TEST", "alive"),
        ("TESTCONTAINERS_RYUK_DISABLED", "true"),
    ]);
    let mut child = spawn_child("sweep::child_holds", &env);
    let (session, held) = held(&mut child);

    let swept = block(throwaway::sweep_orphans()).expect("sweeping");
    assert!(!swept.sessions.contains(&session), "{swept:?}");
    assert!(
        block(container_exists(&held.container)),
        "a live session's container was removed"
    );
    assert!(
        network_exists(&held.network),
        "a live session's network was removed"
    );

    child.signal("KILL");
    let swept = block(throwaway::sweep_orphans()).expect("sweeping");
    assert!(swept.sessions.contains(&session), "{swept:?}");
    assert!(swept.containers >= 1 && swept.networks >= 1, "{swept:?}");
    assert!(!block(container_exists(&held.container)));
    assert!(!network_exists(&held.network));
}

#[tokio::test]
#[ignore = "run in a child process by the tests of this module"]
async fn child_holds() {
    assert_child();
    let test = std::env::var("SWEEP_TEST").unwrap();
    let info = throwaway::engine_info().await.unwrap();
    println!("session: {}", info.session_id);
    let network = Network::new().await.unwrap();
    let container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .label(LABEL, &test)
        .network(&network)
        .start()
        .await
        .unwrap();
    println!("container: {}", container.id());
    println!("network: {}", network.name());
    tokio::time::sleep(Duration::from_secs(120)).await;
    unreachable!("the parent kills this process while it holds its container");
}

#[tokio::test]
#[ignore = "run in a child process by a_session_killed_with_its_reaper_is_swept_when_the_next_starts"]
async fn child_sees_the_orphan_go() {
    assert_child();
    let orphan = std::env::var("SWEEP_EXPECT_GONE").unwrap();
    let container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .label(LABEL, "next-session")
        .start()
        .await
        .unwrap();
    let began = Instant::now();
    while container_exists(&orphan).await {
        assert!(
            began.elapsed() < SWEEP_LIMIT,
            "the orphan {orphan} is still there"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    container.remove().await.unwrap();
}

//! Many containers at once: from one task and from many.

use futures_util::future::join_all;
use throwaway::{ContainerRequest, Wait};

use crate::require_engine;
use crate::support::{container_gone_within, TOOLS};

fn quick() -> ContainerRequest {
    ContainerRequest::new(TOOLS)
        .cmd(["sh", "-c", "echo ready; exec sleep 300"])
        .exposed_port(8080)
        .wait_for(Wait::log("ready"))
}

/// Every container gone soon after its handle was dropped (removal goes on in the
/// background).
async fn all_removed(ids: &[String]) {
    for id in ids {
        container_gone_within(id, std::time::Duration::from_secs(30)).await;
    }
}

#[tokio::test]
async fn sixteen_containers_started_with_join_all_in_one_task() {
    require_engine!();
    let started = join_all((0..16).map(|_| quick().start())).await;
    let containers: Vec<_> = started.into_iter().map(Result::unwrap).collect();
    let ids: Vec<String> = containers.iter().map(|c| c.id().to_string()).collect();
    let mut ports: Vec<u16> = containers
        .iter()
        .map(|c| c.host_port(8080).unwrap())
        .collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 16, "every container has its own host port");
    drop(containers);
    all_removed(&ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_containers_started_from_sixteen_tasks() {
    require_engine!();
    let handles: Vec<_> = (0..16).map(|_| tokio::spawn(quick().start())).collect();
    let mut ids = Vec::new();
    let mut containers = Vec::new();
    for handle in handles {
        let container = handle.await.unwrap().unwrap();
        ids.push(container.id().to_string());
        containers.push(container);
    }
    // Removal concurrently too, from spawned tasks.
    let removals: Vec<_> = containers
        .into_iter()
        .map(|c| tokio::spawn(c.remove()))
        .collect();
    for removal in removals {
        removal.await.unwrap().unwrap();
    }
    all_removed(&ids).await;
}

//! One `Shared` container across the processes of a `cargo nextest run`.
//!
//! nextest runs every test in a process of its own, all with the same `NEXTEST_RUN_ID`. Each
//! test here asks for the same shared container and records its id in the folder named by
//! `THROWAWAY_SHARING_RECORD`; `ci/nextest-sharing` runs this binary under nextest and
//! checks that every process saw one and the same container, created once, and that it is
//! gone after the run. Under plain `cargo test` the tests run in one process and pass too.

use std::time::Duration;

use throwaway::{ContainerRequest, Shared, Wait};

static SERVICE: Shared<ContainerRequest> = Shared::new(|| {
    ContainerRequest::new("throwaway-test/tools:1")
        .cmd(["sh", "-c", "echo ready; exec sleep 600"])
        .env("PURPOSE", "nextest-sharing")
        .wait_for(Wait::log("ready"))
});

async fn use_the_shared_container(test: &str) {
    if throwaway::skip_without_engine() {
        return;
    }
    let service = SERVICE.get().await.unwrap();
    // Work done in the container proves it is usable from every process.
    let echoed = service.exec(["echo", test]).await.unwrap();
    assert_eq!(echoed.stdout_text().trim(), test);
    if let Some(dir) = std::env::var_os("THROWAWAY_SHARING_RECORD") {
        let file = std::path::Path::new(&dir).join(format!("{test}-{}", std::process::id()));
        std::fs::write(file, service.id()).unwrap();
    }
    // Overlap with the other processes, as real tests do.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn first() {
    use_the_shared_container("first").await;
}

#[tokio::test]
async fn second() {
    use_the_shared_container("second").await;
}

#[tokio::test]
async fn third() {
    use_the_shared_container("third").await;
}

#[tokio::test]
async fn fourth() {
    use_the_shared_container("fourth").await;
}

#[tokio::test]
async fn fifth() {
    use_the_shared_container("fifth").await;
}

#[tokio::test]
async fn sixth() {
    use_the_shared_container("sixth").await;
}

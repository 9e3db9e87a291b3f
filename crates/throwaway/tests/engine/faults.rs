//! Bad input and faults: each gives a clear, quick error and leaves nothing behind.

use std::time::{Duration, Instant};

use throwaway::{ContainerRequest, ErrorKind, PullPolicy, Wait};

use crate::require_engine;
use crate::support::{assert_child, containers_labelled, raw, run_child, TOOLS};

fn unique() -> String {
    format!("{}-{:?}", std::process::id(), Instant::now())
}

#[test]
fn an_unreachable_engine_is_reported_within_a_second() {
    run_child(
        "faults::child_engine_down",
        &[("DOCKER_HOST", "unix:///nonexistent.sock")],
    );
}

#[tokio::test]
#[ignore = "run in a child process by an_unreachable_engine_is_reported_within_a_second"]
async fn child_engine_down() {
    assert_child();
    let began = Instant::now();
    let err = ContainerRequest::new(TOOLS).start().await.unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(1),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::EngineUnavailable, "{err}");
    let message = err.to_string();
    assert!(message.contains("/nonexistent.sock"), "{message}");
    assert!(message.contains("DOCKER_HOST"), "{message}");
}

#[test]
fn an_invalid_image_reference_fails_before_any_engine_call() {
    // The child has no engine at all: only a check made before contacting it can answer.
    run_child(
        "faults::child_invalid_reference",
        &[("DOCKER_HOST", "unix:///nonexistent.sock")],
    );
}

#[tokio::test]
#[ignore = "run in a child process by an_invalid_image_reference_fails_before_any_engine_call"]
async fn child_invalid_reference() {
    assert_child();
    for bad in ["Redis:7", "redis:", "redis:bad tag", ""] {
        let err = ContainerRequest::new(bad).start().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidImageReference, "{bad}: {err}");
        assert!(err.to_string().contains(&format!("'{bad}'")), "{err}");
    }
}

#[tokio::test]
async fn an_image_that_cannot_be_pulled_is_reported_quickly() {
    require_engine!();
    let began = Instant::now();
    let err = ContainerRequest::new("throwaway-test/absent:never")
        .start()
        .await
        .unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::ImageUnavailable, "{err}");
    let message = err.to_string();
    assert!(message.contains("throwaway-test/absent:never"), "{message}");
    assert!(
        message.contains("TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX"),
        "{message}"
    );
    assert!(message.contains("docker build"), "{message}");
}

#[tokio::test]
async fn pull_policy_never_refuses_a_missing_image() {
    require_engine!();
    let err = ContainerRequest::new("throwaway-test/absent:never")
        .pull_policy(PullPolicy::Never)
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ImageUnavailable, "{err}");
    assert!(err.to_string().contains("Never"), "{err}");
}

#[tokio::test]
async fn a_container_that_exits_during_startup_fails_fast_with_code_and_logs() {
    require_engine!();
    let tag = unique();
    let began = Instant::now();
    let err = ContainerRequest::new(TOOLS)
        .cmd([
            "sh",
            "-c",
            "echo loading config; echo 'fatal: bad config' >&2; exit 3",
        ])
        .label("throwaway-test", &tag)
        .wait_for(Wait::log("never printed"))
        .start()
        .await
        .unwrap_err();
    // The process exits at once; the error must not wait for the 60 s startup timeout.
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err}");
    let message = err.to_string();
    assert!(message.contains("code 3"), "{message}");
    assert!(message.contains("fatal: bad config"), "{message}");
    assert!(message.contains("never printed"), "{message}");
    assert_eq!(
        containers_labelled("throwaway-test", &tag).await,
        0,
        "left behind"
    );
}

#[tokio::test]
async fn a_command_that_cannot_run_is_reported_with_the_engine_message() {
    require_engine!();
    let tag = unique();
    let began = Instant::now();
    let err = ContainerRequest::new(TOOLS)
        .cmd(["/no/such/server", "--port", "1"])
        .label("throwaway-test", &tag)
        .wait_for(Wait::log("never printed"))
        .start()
        .await
        .unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err}");
    assert!(err.to_string().contains("/no/such/server"), "{err}");
    assert_eq!(
        containers_labelled("throwaway-test", &tag).await,
        0,
        "left behind"
    );
}

#[tokio::test]
async fn a_timed_out_start_removes_its_container() {
    require_engine!();
    let tag = unique();
    let err = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .label("throwaway-test", &tag)
        .wait_for(Wait::log("never printed"))
        .startup_timeout(Duration::from_secs(1))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{err}");
    assert_eq!(
        containers_labelled("throwaway-test", &tag).await,
        0,
        "left behind"
    );
}

#[tokio::test]
async fn a_start_abandoned_by_its_caller_still_cleans_up() {
    require_engine!();
    let tag = unique();
    let start = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .label("throwaway-test", &tag)
        .wait_for(Wait::log("never printed"))
        .startup_timeout(Duration::from_secs(2))
        .start();
    // The caller gives up before the container could be ready.
    assert!(tokio::time::timeout(Duration::from_millis(500), start)
        .await
        .is_err());
    // The start goes on in the background, times out, and removes what it created.
    let deadline = Instant::now() + Duration::from_secs(10);
    while containers_labelled("throwaway-test", &tag).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the abandoned container was not removed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn the_registry_prefix_is_applied_to_docker_hub_images() {
    require_engine!();
    // Stand in for a mirror: the images the child needs under the mirror's names (the
    // reaper's image is a Docker Hub image too, so it comes from the mirror as well).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mirror = "mirror.throwaway.test";
    let images = [
        (TOOLS, "throwaway-test/tools", "1"),
        (
            throwaway::DEFAULT_REAPER_IMAGE,
            "testcontainers/ryuk",
            "0.14.0",
        ),
    ];
    runtime.block_on(async {
        for (source, repo, tag) in images {
            let options = bollard::query_parameters::TagImageOptionsBuilder::new()
                .repo(&format!("{mirror}/{repo}"))
                .tag(tag)
                .build();
            raw().tag_image(source, Some(options)).await.unwrap();
        }
    });
    let outcome = std::panic::catch_unwind(|| {
        run_child(
            "faults::child_registry_prefix",
            &[(
                "TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX",
                "mirror.throwaway.test/",
            )],
        )
    });
    runtime.block_on(async {
        for (_, repo, tag) in images {
            raw()
                .remove_image(
                    &format!("{mirror}/{repo}:{tag}"),
                    None::<bollard::query_parameters::RemoveImageOptions>,
                    None,
                )
                .await
                .unwrap();
        }
    });
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
#[ignore = "run in a child process by the_registry_prefix_is_applied_to_docker_hub_images"]
async fn child_registry_prefix() {
    assert_child();
    let container = ContainerRequest::new(TOOLS)
        .cmd(["sleep", "300"])
        .pull_policy(PullPolicy::Never)
        .start()
        .await
        .unwrap();
    assert_eq!(
        container.image(),
        "mirror.throwaway.test/throwaway-test/tools:1"
    );
    // An image that is not on the mirror is reported under the mirror's name.
    let err = ContainerRequest::new("throwaway-test/absent:never")
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("mirror.throwaway.test/throwaway-test/absent:never"),
        "{err}"
    );
}

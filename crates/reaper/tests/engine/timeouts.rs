//! When the reaper prunes: nobody connecting, and several clients.

use std::time::Duration;

use crate::support::{scene, Kind, SESSION_LABEL};

#[tokio::test]
async fn exits_when_nobody_connects() {
    scene(|scene| async move {
        let reaper = scene
            .start_reaper(&[("RYUK_CONNECTION_TIMEOUT", "1s")], scene.labels(None))
            .await;
        assert_eq!(scene.exit_code(&reaper, Duration::from_secs(10)).await, 0);
        let logs = scene.logs(&reaper.id).await;
        assert!(
            logs.contains("msg=removed containers=0 networks=0 volumes=0 images=0 left=0"),
            "{logs}"
        );
    })
    .await;
}

#[tokio::test]
async fn waits_until_every_client_is_gone() {
    scene(|scene| async move {
        let session = scene.session("shared");
        let reaper = scene
            .start_reaper(
                &[
                    ("RYUK_CONNECTION_TIMEOUT", "60s"),
                    ("RYUK_RECONNECTION_TIMEOUT", "1s"),
                ],
                scene.labels(None),
            )
            .await;
        let victim = scene.container(Some(&session), vec![], false, None).await;

        let first = reaper
            .connect(&format!("label={SESSION_LABEL}={session}\n"))
            .await;
        // Java percent-encodes the '=' of the label: the same filter.
        let second = reaper
            .connect(&format!("label={SESSION_LABEL}%3D{session}\n"))
            .await;
        drop(first);
        // Well past the reconnection timeout, with the second client still connected.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(
            scene.running(&reaper.id).await,
            "{}",
            scene.logs(&reaper.id).await
        );
        assert!(scene.exists(Kind::Container, &victim).await);

        drop(second);
        assert_eq!(scene.exit_code(&reaper, Duration::from_secs(15)).await, 0);
        let logs = scene.logs(&reaper.id).await;
        assert!(!scene.exists(Kind::Container, &victim).await, "{logs}");
        // One filter, sent twice.
        assert_eq!(logs.matches("msg=\"adding filter\"").count(), 1, "{logs}");
    })
    .await;
}

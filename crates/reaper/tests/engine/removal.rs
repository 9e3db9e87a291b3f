//! What the reaper removes, what it leaves, and in which order it manages it.

use std::time::Duration;

use crate::support::{scene, send, Kind, SESSION_LABEL};

#[tokio::test]
async fn removes_what_matches_once_the_last_client_is_gone() {
    scene(|scene| async move {
        let session = scene.session("victims");
        let other = scene.session("bystanders");
        // Labelled with the session too, as testcontainers-node does with its reaper: the
        // image's org.testcontainers.ryuk label must keep it from removing itself.
        let reaper = scene
            .start_reaper(
                &[
                    ("RYUK_CONNECTION_TIMEOUT", "60s"),
                    ("RYUK_RECONNECTION_TIMEOUT", "1s"),
                ],
                scene.labels(Some(&session)),
            )
            .await;

        // Victims: a network with a container on it (the network can only go once the
        // container has), a volume mounted by another container, and an anonymous volume.
        let network = scene.network(Some(&session)).await;
        let volume = scene.volume(Some(&session)).await;
        let on_network = scene
            .container(Some(&session), vec![], true, Some(&network))
            .await;
        let anonymous = scene.anonymous_volume_of(&on_network).await;
        let with_volume = scene
            .container(Some(&session), vec![format!("{volume}:/data")], false, None)
            .await;
        // Bystanders: another session's objects, and a network of no session at all.
        let other_container = scene.container(Some(&other), vec![], false, None).await;
        let other_volume = scene.volume(Some(&other)).await;
        let unlabelled_network = scene.network(None).await;

        // Node, Python and Go send the '=' of the label raw, and end lines with \r\n or \n.
        let client = reaper
            .connect(&format!("label={SESSION_LABEL}={session}\r\n"))
            .await;
        drop(client);

        // Gone within the reconnection timeout plus a few seconds.
        assert_eq!(scene.exit_code(&reaper, Duration::from_secs(15)).await, 0);
        let logs = scene.logs(&reaper.id).await;
        for (kind, id) in [
            (Kind::Container, &on_network),
            (Kind::Container, &with_volume),
            (Kind::Network, &network),
            (Kind::Volume, &volume),
            (Kind::Volume, &anonymous),
        ] {
            assert!(
                !scene.exists(kind, id).await,
                "{kind:?} {id} is left:\n{logs}"
            );
        }
        for (kind, id) in [
            (Kind::Container, &reaper.id),
            (Kind::Container, &other_container),
            (Kind::Volume, &other_volume),
            (Kind::Network, &unlabelled_network),
        ] {
            assert!(
                scene.exists(kind, id).await,
                "{kind:?} {id} was removed:\n{logs}"
            );
        }
        assert!(
            logs.contains("msg=removed containers=2 networks=1 volumes=1 images=0 left=0"),
            "{logs}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_stop_signal_prunes_at_once() {
    scene(|scene| async move {
        let session = scene.session("stopped");
        // Long timeouts: only the signal can make it prune within the test.
        let reaper = scene
            .start_reaper(
                &[
                    ("RYUK_CONNECTION_TIMEOUT", "60s"),
                    ("RYUK_RECONNECTION_TIMEOUT", "60s"),
                ],
                scene.labels(None),
            )
            .await;
        let victim = scene.container(Some(&session), vec![], false, None).await;
        // A one-off client, as `printf … | nc` would be: the line, then the close.
        drop(
            reaper
                .connect(&format!("label={SESSION_LABEL}={session}\n"))
                .await,
        );
        // Older than the creation-time check's one second.
        tokio::time::sleep(Duration::from_millis(1100)).await;

        scene
            .docker
            .stop_container(&reaper.id, None)
            .await
            .expect("docker stop");
        assert_eq!(scene.exit_code(&reaper, Duration::from_secs(10)).await, 0);
        let logs = scene.logs(&reaper.id).await;
        assert!(logs.contains("msg=\"signal received\""), "{logs}");
        assert!(!scene.exists(Kind::Container, &victim).await, "{logs}");
    })
    .await;
}

#[tokio::test]
async fn a_remove_line_removes_those_objects_of_its_session_now() {
    scene(|scene| async move {
        let session = scene.session("exiting");
        let other = scene.session("bystanders");
        // A minute before the end-of-session prune: whatever goes sooner went on request.
        let reaper = scene
            .start_reaper(
                &[
                    ("RYUK_CONNECTION_TIMEOUT", "60s"),
                    ("RYUK_RECONNECTION_TIMEOUT", "60s"),
                ],
                scene.labels(None),
            )
            .await;
        let network = scene.network(Some(&session)).await;
        let on_network = scene
            .container(Some(&session), vec![], true, Some(&network))
            .await;
        let not_named = scene.container(Some(&session), vec![], false, None).await;
        let other_session = scene.container(Some(&other), vec![], false, None).await;

        let mut client = reaper
            .connect(&format!("label={SESSION_LABEL}={session}\n"))
            .await;
        // The network is named before its container: the reaper removes containers first.
        // Another session's container, named by id, must match nothing.
        let line = format!(
            "label={SESSION_LABEL}={session}&remove={network}&remove={on_network}\
             &remove={other_session}\n"
        );
        assert_eq!(send(&mut client, line.as_bytes()).await, "REMOVING\n");
        // A short id is refused: the engine's id filter matches prefixes.
        let short = format!(
            "label={SESSION_LABEL}={session}&remove={}\n",
            &not_named[..12]
        );
        let refused = send(&mut client, short.as_bytes()).await;
        assert!(refused.starts_with("ERROR removal refused"), "{refused}");

        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while scene.exists(Kind::Container, &on_network).await
            || scene.exists(Kind::Network, &network).await
        {
            assert!(
                std::time::Instant::now() < deadline,
                "not removed on request within 15 s:\n{}",
                scene.logs(&reaper.id).await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The totals are logged once the removal is over, a moment after the last object.
        let mut logs = scene.logs(&reaper.id).await;
        while !logs.contains("msg=\"removed on request\"") {
            assert!(std::time::Instant::now() < deadline, "{logs}");
            tokio::time::sleep(Duration::from_millis(100)).await;
            logs = scene.logs(&reaper.id).await;
        }
        assert!(logs.contains("containers=1 networks=1 left=0"), "{logs}");
        for id in [&not_named, &other_session, &reaper.id] {
            assert!(
                scene.exists(Kind::Container, id).await,
                "{id} was removed:\n{logs}"
            );
        }
        drop(client);
    })
    .await;
}

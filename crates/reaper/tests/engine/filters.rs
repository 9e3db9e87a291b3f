//! Which filter lines the reaper takes: only those that pin one session, in every spelling a
//! Testcontainers client sends; and what it never removes, whatever the filter.

use std::time::Duration;

use crate::support::{scene, send, Kind, Reaper, Scene, SESSION_LABEL, TEST_LABEL};

/// Short timeouts: the reaper prunes a second after the last client leaves.
const QUICK: &[(&str, &str)] = &[
    ("RYUK_CONNECTION_TIMEOUT", "60s"),
    ("RYUK_RECONNECTION_TIMEOUT", "1s"),
];

/// The labels every Testcontainers client puts on what it creates, plus its session label.
fn client_labels<'a>(
    lang: &'a str,
    session_label: &'a str,
    id: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("org.testcontainers", "true"),
        ("org.testcontainers.lang", lang),
        ("org.testcontainers.version", "1.0.0"),
        (session_label, id),
    ]
}

/// Waits for the reaper to prune and exit with status 0; returns what it logged.
async fn pruned(scene: &Scene, reaper: &Reaper) -> String {
    let code = scene.exit_code(reaper, Duration::from_secs(15)).await;
    let logs = scene.logs(&reaper.id).await;
    assert_eq!(code, 0, "{logs}");
    logs
}

/// Checks that the prune left every object of `left` and removed every one of `gone`.
async fn assert_outcome(
    scene: &Scene,
    logs: &str,
    left: &[(Kind, &String)],
    gone: &[(Kind, &String)],
) {
    for (objects, exists) in [(left, true), (gone, false)] {
        for (kind, id) in objects {
            let verdict = if exists { "left" } else { "gone" };
            assert_eq!(
                scene.exists(*kind, id).await,
                exists,
                "{kind:?} {id} should be {verdict}:\n{logs}"
            );
        }
    }
}

#[tokio::test]
async fn a_broad_filter_is_refused_and_changes_nothing() {
    scene(|scene| async move {
        let session = scene.session("pinned");
        let reaper = scene.start_reaper(QUICK, scene.labels(None)).await;
        // What a broad filter would take: another session's container and a reused one, both
        // marked as Testcontainers objects.
        let tag = scene.tag().to_string();
        let other = scene.session("other");
        let of_other_session = scene
            .labelled_container(
                scene.tagged(&[("org.testcontainers", "true"), (SESSION_LABEL, &other)]),
            )
            .await;
        let reused = scene
            .labelled_container(scene.tagged(&[
                ("org.testcontainers", "true"),
                ("org.testcontainers.reuse", "true"),
            ]))
            .await;
        let victim = scene.container(Some(&session), vec![], false, None).await;

        let mut client = reaper.client().await;
        // The line, narrowed to this test's objects so that a reaper that wrongly
        // accepted it could not touch anything outside this test.
        for line in [
            format!("label=org.testcontainers=true&label={TEST_LABEL}={tag}\n"),
            format!("label={TEST_LABEL}={tag}\r\n"),
            format!("label={SESSION_LABEL}&label={TEST_LABEL}={tag}\n"),
        ] {
            let answer = send(&mut client, line.as_bytes()).await;
            assert!(
                answer.starts_with("ERROR filter refused: it does not pin one session"),
                "{line:?} was answered {answer:?}"
            );
            assert!(
                answer.contains("send label=org.testcontainers.session-id=<session id>"),
                "{answer:?}"
            );
        }
        // The connection is still usable, and still counts: a pinned line is taken.
        assert_eq!(
            send(
                &mut client,
                format!("label={SESSION_LABEL}={session}\n").as_bytes()
            )
            .await,
            "ACK\n"
        );
        drop(client);

        let logs = pruned(&scene, &reaper).await;
        let left = [
            (Kind::Container, &of_other_session),
            (Kind::Container, &reused),
        ];
        assert_outcome(&scene, &logs, &left, &[(Kind::Container, &victim)]).await;
        assert_eq!(logs.matches("msg=\"filter refused\"").count(), 3, "{logs}");
        assert_eq!(logs.matches("msg=\"adding filter\"").count(), 1, "{logs}");
        assert!(logs.contains("msg=removed containers=1 "), "{logs}");
    })
    .await;
}

#[tokio::test]
async fn protected_resources_survive_a_filter_that_matches_them() {
    scene(|scene| async move {
        let session = scene.session("protected");
        let reaper = scene.start_reaper(QUICK, scene.labels(None)).await;
        // Each matches the session filter, and each must stay: reused containers, snapshots
        // of every kind, and another reaper (a Node client labels its Ryuk with its session).
        let mut protected = Vec::new();
        for (kind, label) in [
            (Kind::Container, "org.testcontainers.reuse"),
            (Kind::Container, "org.throwaway.snapshot"),
            (Kind::Volume, "org.throwaway.snapshot"),
            (Kind::Network, "org.throwaway.snapshot"),
            (Kind::Container, "org.testcontainers.ryuk"),
        ] {
            let labels = scene.tagged(&[(SESSION_LABEL, &session), (label, "true")]);
            protected.push((kind, scene.labelled(kind, labels).await));
        }
        // And what the filter is for: removed.
        let victim = scene.container(Some(&session), vec![], false, None).await;
        let victim_volume = scene.volume(Some(&session)).await;

        drop(
            reaper
                .connect(&format!("label={SESSION_LABEL}={session}\n"))
                .await,
        );

        // Leaving protected objects is not a failure: the exit status stays 0.
        let logs = pruned(&scene, &reaper).await;
        let left: Vec<(Kind, &String)> = protected.iter().map(|(k, id)| (*k, id)).collect();
        let gone = [(Kind::Container, &victim), (Kind::Volume, &victim_volume)];
        assert_outcome(&scene, &logs, &left, &gone).await;
        assert!(
            logs.contains("msg=removed containers=1 networks=0 volumes=1 images=0 left=0 kept=5"),
            "{logs}"
        );
        for label in [
            "org.testcontainers.reuse",
            "org.throwaway.snapshot",
            "org.testcontainers.ryuk",
        ] {
            assert!(logs.contains(&format!("label={label}")), "{logs}");
        }
    })
    .await;
}

#[tokio::test]
async fn testcontainers_pythons_filter_still_works() {
    scene(|scene| async move {
        let session = scene.uuid_session();
        let reaper = scene.start_reaper(QUICK, scene.labels(None)).await;
        // Labelled as testcontainers-python 4.15 labels what it creates (core/labels.py).
        let labels = scene.tagged(&client_labels("python", SESSION_LABEL, &session));
        let container = scene.labelled_container(labels.clone()).await;
        let network = scene.labelled_network(labels.clone()).await;
        let volume = scene.labelled_volume(labels).await;
        let bystander = scene
            .labelled_container(scene.tagged(&client_labels(
                "python",
                SESSION_LABEL,
                &scene.uuid_session(),
            )))
            .await;

        // The bytes of core/container.py, `Reaper._create_instance`:
        //     rs.send(f"label={LABEL_SESSION_ID}={SESSION_ID}\r\n".encode())
        // Python never reads the answer; it is read here only to check it is not an error.
        let mut client = reaper.client().await;
        let line = format!("label=org.testcontainers.session-id={session}\r\n");
        assert_eq!(send(&mut client, line.as_bytes()).await, "ACK\n");
        drop(client);

        let logs = pruned(&scene, &reaper).await;
        let gone = [
            (Kind::Container, &container),
            (Kind::Network, &network),
            (Kind::Volume, &volume),
        ];
        assert_outcome(&scene, &logs, &[(Kind::Container, &bystander)], &gone).await;
    })
    .await;
}

#[tokio::test]
async fn the_other_clients_filters_still_work() {
    scene(|scene| async move {
        let reaper = scene.start_reaper(QUICK, scene.labels(None)).await;
        let (java, go, node, dotnet) = (
            scene.uuid_session(),
            scene.uuid_session(),
            scene.uuid_session(),
            scene.uuid_session(),
        );
        let dotnet_label = "org.testcontainers.resource-reaper-session";
        let victims = [
            ("java", "org.testcontainers.sessionId", &java),
            ("go", "org.testcontainers.sessionId", &go),
            ("node", SESSION_LABEL, &node),
            ("dotnet", dotnet_label, &dotnet),
        ];
        let mut created = Vec::new();
        for (lang, label, id) in victims {
            created.push(
                scene
                    .labelled_container(scene.tagged(&client_labels(lang, label, id)))
                    .await,
            );
        }
        let bystander = scene
            .labelled_container(scene.tagged(&client_labels(
                "java",
                "org.testcontainers.sessionId",
                &scene.uuid_session(),
            )))
            .await;

        // Each line as its client writes it (sources in the crate docs).
        let lines = [
            // Java, ResourceReaper.FilterRegistry: its marker labels and the session,
            // URL-encoded, joined with '&'.
            format!(
                "label=org.testcontainers%3Dtrue&label=org.testcontainers.lang%3Djava\
                 &label=org.testcontainers.version%3D1.0.0\
                 &label=org.testcontainers.sessionId%3D{java}\n"
            ),
            // Go, internal/core/reaper: core.DefaultLabels raw, in map order.
            format!(
                "label=org.testcontainers.lang=go&label=org.testcontainers.sessionId={go}\
                 &label=org.testcontainers=true&label=org.testcontainers.version=1.0.0\n"
            ),
            // Node, reaper.ts addSession.
            format!("label=org.testcontainers.session-id={node}\r\n"),
            // .NET, ResourceReaper.MaintainRyukConnection.
            format!("label={dotnet_label}={dotnet}\n"),
        ];
        let mut clients = Vec::new();
        for line in &lines {
            let mut client = reaper.client().await;
            assert_eq!(
                send(&mut client, line.as_bytes()).await,
                "ACK\n",
                "{line:?}"
            );
            clients.push(client);
        }
        drop(clients);

        let logs = pruned(&scene, &reaper).await;
        let gone: Vec<(Kind, &String)> = created.iter().map(|id| (Kind::Container, id)).collect();
        assert_outcome(&scene, &logs, &[(Kind::Container, &bystander)], &gone).await;
        assert_eq!(logs.matches("msg=\"adding filter\"").count(), 4, "{logs}");
    })
    .await;
}

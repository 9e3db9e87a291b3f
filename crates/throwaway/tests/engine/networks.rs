//! User networks: containers reach each other by alias.

use throwaway::{ContainerRequest, Network, Wait};

use crate::require_engine;
use crate::support::{raw, TOOLS};

#[tokio::test]
async fn one_container_reaches_another_by_alias() {
    require_engine!();
    // Declared first, so dropped last: after the containers that use it.
    let network = Network::new().await.unwrap();
    let _web = ContainerRequest::new(TOOLS)
        .network(&network)
        .network_alias("web")
        .cmd(["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"])
        .wait_for(Wait::port(8080))
        .exposed_port(8080)
        .start()
        .await
        .unwrap();
    let client = ContainerRequest::new(TOOLS)
        .network(&network)
        .cmd(["sleep", "300"])
        .start()
        .await
        .unwrap();
    let fetched = client
        .exec(["busybox", "wget", "-q", "-O", "-", "http://web:8080/health"])
        .await
        .unwrap();
    assert_eq!(fetched.exit_code, 0, "{}", fetched.stderr_text());
    assert!(!fetched.stdout.is_empty());

    let labels = raw()
        .inspect_network(
            network.name(),
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
        .unwrap()
        .labels
        .unwrap();
    assert_eq!(labels["org.testcontainers"], "true");
}

#[tokio::test]
async fn a_dropped_network_is_removed() {
    require_engine!();
    let network = Network::new().await.unwrap();
    let name = network.name().to_string();
    drop(network);
    // Removed in the background: poll.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let err = loop {
        let inspected = raw()
            .inspect_network(
                &name,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await;
        match inspected {
            Err(err) => break err,
            Ok(_) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "network {name} outlived its handle by 15 s"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    assert!(
        matches!(
            err,
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_alias_without_a_network_is_refused_before_the_engine_is_asked() {
    let err = ContainerRequest::new(TOOLS)
        .network_alias("lost")
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), throwaway::ErrorKind::InvalidRequest);
    assert!(err.to_string().contains(".network("), "{err}");
}

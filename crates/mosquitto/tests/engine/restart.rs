//! Stopping and starting the container: the broker comes back, the module follows it.

use throwaway_mosquitto::Mosquitto;

use crate::require_engine;
use crate::support::connack_code;

#[tokio::test]
async fn a_restarted_broker_is_usable_on_its_new_port_with_the_same_login() {
    require_engine!();
    let broker = Mosquitto::default()
        .credentials("app", "p:w d")
        .start()
        .await
        .unwrap();
    broker.container().stop().await.unwrap();
    broker.container().start().await.unwrap();

    let port = broker.host_port();
    assert_eq!(
        port,
        broker.container().host_port(1883).unwrap(),
        "read afresh"
    );
    assert!(broker
        .connection_url()
        .ends_with(&format!("@127.0.0.1:{port}")));
    // The hashed password file outlived the stop, though its plain-text input is gone.
    assert_eq!(
        connack_code(broker.host(), port, Some(("app", "p:w d"))).await,
        0
    );
    assert_eq!(connack_code(broker.host(), port, None).await, 5);
}

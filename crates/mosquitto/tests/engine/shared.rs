//! One broker shared by several tests, each with a prefix of its own.

use std::sync::OnceLock;

use throwaway::Shared;
use throwaway_mosquitto::Mosquitto;

use crate::require_engine;
use crate::support::connack_code;

static BROKER: Shared<Mosquitto> = Shared::new(|| Mosquitto::default().credentials("shared", "pw"));

/// The container id the first test to get the broker saw.
static FIRST_ID: OnceLock<String> = OnceLock::new();

/// What each sharing test does: the same container as every other, a prefix of its own,
/// and a working login.
async fn use_the_shared_broker(test: &str) {
    let broker = BROKER.get().await.unwrap();
    let id = FIRST_ID.get_or_init(|| broker.container().id().to_string());
    assert_eq!(broker.container().id(), id, "{test} got another broker");
    let own = broker.fresh_prefix().await.unwrap();
    assert!(own.prefix().starts_with("throwaway/"));
    assert_eq!(
        connack_code(broker.host(), broker.host_port(), Some(("shared", "pw"))).await,
        0
    );
    #[cfg(feature = "client")]
    {
        use crate::support::client::{next_message, publish, subscribe};
        // Client ids are the broker's keys for sessions: one of its own per test.
        let (subscriber, mut inbox) = own.client(format!("{test}-subscriber"));
        subscribe(&subscriber, &mut inbox, &own.all_topics()).await;
        let (publisher, mut outbox) = own.client(format!("{test}-publisher"));
        publish(&publisher, &mut outbox, &own.topic("ping"), test).await;
        assert_eq!(
            next_message(&mut inbox).await,
            (own.topic("ping"), test.to_string())
        );
    }
}

// Separate tests, each on a runtime of its own, as a test suite would have them.
#[tokio::test]
async fn a_shared_broker_serves_the_first_test() {
    require_engine!();
    use_the_shared_broker("first").await;
}

#[tokio::test]
async fn a_shared_broker_serves_the_second_test() {
    require_engine!();
    use_the_shared_broker("second").await;
}

#[test]
fn a_shared_broker_serves_a_plain_test() {
    require_engine!();
    let broker = BROKER.get_blocking().unwrap();
    let id = FIRST_ID.get_or_init(|| broker.container().id().to_string());
    assert_eq!(broker.container().id(), id);
    let own = throwaway::blocking::run(broker.fresh_prefix()).unwrap();
    assert!(own.prefix().starts_with("throwaway/"));
}

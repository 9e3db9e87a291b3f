//! Topic prefixes: one per test, different every time, and keeping messages apart.

use throwaway::kit::{Isolation, IsolationUnit};
use throwaway_mosquitto::Mosquitto;

use crate::require_engine;

#[tokio::test]
async fn two_fresh_units_get_different_prefixes_under_the_broker() {
    require_engine!();
    let broker = Mosquitto::default()
        .credentials("app", "pw")
        .start()
        .await
        .unwrap();
    let first = broker.fresh_unit().await.unwrap();
    let second = broker.fresh_unit().await.unwrap();
    assert_ne!(first.prefix(), second.prefix());
    for unit in [&first, &second] {
        assert!(unit.prefix().starts_with("throwaway/") && unit.prefix().ends_with('/'));
        assert!(!unit.prefix().contains(['+', '#']), "{}", unit.prefix());
        assert_eq!(
            unit.url(),
            format!("{}?prefix={}", broker.connection_url(), unit.prefix())
        );
        assert!(
            unit.masked_url().starts_with("mqtt://app:***@127.0.0.1:"),
            "{}",
            unit.masked_url()
        );
    }
    assert_eq!(first.topic("a/b"), format!("{}a/b", first.prefix()));
}

#[cfg(feature = "client")]
#[tokio::test]
async fn a_subscriber_under_one_prefix_sees_only_its_own_messages() {
    use crate::support::client::{next_message, publish, subscribe};
    require_engine!();
    let broker = Mosquitto::default().start().await.unwrap();
    let mine = broker.fresh_prefix().await.unwrap();
    let theirs = broker.fresh_prefix().await.unwrap();

    let (subscriber, mut inbox) = mine.client("mine");
    subscribe(&subscriber, &mut inbox, &mine.all_topics()).await;
    let (publisher, mut outbox) = theirs.client("theirs");
    // Theirs first: if it leaked across prefixes, it would be the first message seen.
    publish(
        &publisher,
        &mut outbox,
        &theirs.topic("orders"),
        "not yours",
    )
    .await;
    publish(&publisher, &mut outbox, &mine.topic("orders"), "yours").await;
    assert_eq!(
        next_message(&mut inbox).await,
        (mine.topic("orders"), "yours".to_string())
    );
}

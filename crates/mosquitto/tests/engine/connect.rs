//! A started broker: reachable at its URL, carrying messages, over TCP and WebSockets.

use throwaway_mosquitto::Mosquitto;

use crate::require_engine;
use crate::support::{connack_code, connect_packet};

#[tokio::test]
async fn a_started_broker_accepts_a_raw_connect_at_its_url() {
    require_engine!();
    let broker = Mosquitto::default().start().await.unwrap();
    let port = broker.host_port();
    assert_eq!(broker.container().host_port(1883).unwrap(), port);
    assert_eq!(broker.host(), "127.0.0.1");
    assert_eq!(broker.connection_url(), format!("mqtt://127.0.0.1:{port}"));
    assert_eq!(broker.user(), None);
    assert_eq!(broker.websockets_url(), None);
    assert_eq!(
        connack_code(broker.host(), port, None).await,
        0,
        "anonymous clients are accepted"
    );
}

#[cfg(feature = "client")]
#[tokio::test]
async fn a_published_message_reaches_a_subscriber() {
    use crate::support::client::{next_message, publish, subscribe};
    require_engine!();
    let broker = Mosquitto::default().start().await.unwrap();
    let (subscriber, mut inbox) = broker.client("subscriber");
    subscribe(&subscriber, &mut inbox, "greetings/+").await;
    let (publisher, mut outbox) = broker.client("publisher");
    publish(&publisher, &mut outbox, "greetings/en", "hello").await;
    assert_eq!(
        next_message(&mut inbox).await,
        ("greetings/en".to_string(), "hello".to_string())
    );
}

#[tokio::test]
async fn the_websockets_listener_upgrades_and_speaks_mqtt() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    require_engine!();
    let broker = Mosquitto::default().websockets().start().await.unwrap();
    let port = broker.websockets_port().expect("a websockets port");
    assert_ne!(port, broker.host_port());
    assert_eq!(
        broker.websockets_url().unwrap(),
        format!("ws://127.0.0.1:{port}")
    );

    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut stream = BufReader::new(stream);
    stream
        .write_all(
            b"GET / HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
              Sec-WebSocket-Protocol: mqtt\r\n\r\n",
        )
        .await
        .unwrap();
    let mut status = String::new();
    stream.read_line(&mut status).await.unwrap();
    assert!(status.starts_with("HTTP/1.1 101"), "{status:?}");
    loop {
        let mut header = String::new();
        stream.read_line(&mut header).await.unwrap();
        if header == "\r\n" {
            break;
        }
    }
    // One masked binary frame with a CONNECT (RFC 6455 5.2: a client masks what it sends).
    let connect = connect_packet("over-websockets", None);
    let mask = [1, 2, 3, 4];
    let mut frame = vec![0x82, 0x80 | connect.len() as u8];
    frame.extend(mask);
    frame.extend(connect.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).await.unwrap();
    let mut answer = [0u8; 6];
    tokio::time::timeout(crate::support::LIMIT, stream.read_exact(&mut answer))
        .await
        .expect("a CONNACK over websockets within 10 s")
        .unwrap();
    assert_eq!(
        answer,
        [0x82, 4, 0x20, 2, 0, 0],
        "an unmasked frame holding an accepting CONNACK"
    );
}

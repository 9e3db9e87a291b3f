//! Shared helpers: the engine check, and a raw MQTT client small enough to read at a
//! glance, so the tests check the broker without trusting the module's own packets.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A bound for anything that could hang if the module got it wrong.
pub const LIMIT: Duration = Duration::from_secs(10);

/// Whether an engine answers; with `CI` set, a missing engine is a failure, not a skip
/// (the library's own rule: [`throwaway::skip_without_engine`]).
pub fn engine_available() -> bool {
    !throwaway::skip_without_engine()
}

/// Returns early from a test (printing why) when no engine is reachable outside CI.
#[macro_export]
macro_rules! require_engine {
    () => {
        if !$crate::support::engine_available() {
            return;
        }
    };
}

/// The bytes of an MQTT 3.1.1 CONNECT for a clean session, written out field by field.
pub fn connect_packet(client_id: &str, login: Option<(&str, &str)>) -> Vec<u8> {
    let field = |s: &str| [&(s.len() as u16).to_be_bytes()[..], s.as_bytes()].concat();
    let flags: u8 = if login.is_some() { 0xc2 } else { 0x02 };
    let mut body = [&field("MQTT")[..], &[4, flags, 0, 30], &field(client_id)].concat();
    if let Some((user, password)) = login {
        body.extend(field(user));
        body.extend(field(password));
    }
    assert!(body.len() < 128, "the tests' logins fit a one-byte length");
    [&[0x10, body.len() as u8][..], &body].concat()
}

/// Connects to `host:port`, sends a CONNECT and returns the CONNACK's return code (0 is
/// accepted), within [`LIMIT`].
pub async fn connack_code(host: &str, port: u16, login: Option<(&str, &str)>) -> u8 {
    let exchange = async {
        let mut stream = TcpStream::connect((host, port)).await.expect("connecting");
        stream
            .write_all(&connect_packet("throwaway-test", login))
            .await
            .expect("sending CONNECT");
        let mut connack = [0u8; 4];
        stream
            .read_exact(&mut connack)
            .await
            .expect("reading CONNACK");
        assert_eq!(connack[..2], [0x20, 0x02], "not a CONNACK: {connack:02x?}");
        connack[3]
    };
    tokio::time::timeout(LIMIT, exchange)
        .await
        .expect("the broker must answer a CONNECT within 10 s")
}

/// A message round trip through the broker with clients of the module.
#[cfg(feature = "client")]
pub mod client {
    use rumqttc::{AsyncClient, Event, EventLoop, Packet, QoS};

    use super::LIMIT;

    /// Subscribes `subscriber` to `filter` and waits for the broker's SUBACK.
    pub async fn subscribe(client: &AsyncClient, events: &mut EventLoop, filter: &str) {
        client.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
        until(events, |event| matches!(event, Packet::SubAck(_))).await;
    }

    /// Publishes `payload` on `topic` and drives `events` until the broker has it. Use a
    /// client of its own: a message it is subscribed to itself could arrive before the
    /// acknowledgement and be passed over here.
    pub async fn publish(client: &AsyncClient, events: &mut EventLoop, topic: &str, payload: &str) {
        client
            .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
            .await
            .unwrap();
        until(events, |event| matches!(event, Packet::PubAck(_))).await;
    }

    /// The next message `events` delivers: its topic and payload.
    pub async fn next_message(events: &mut EventLoop) -> (String, String) {
        let packet = until(events, |event| matches!(event, Packet::Publish(_))).await;
        let Packet::Publish(message) = packet else {
            unreachable!()
        };
        let payload = String::from_utf8(message.payload.to_vec()).unwrap();
        (message.topic, payload)
    }

    /// Polls `events` until an incoming packet satisfies `wanted`, within the limit.
    pub async fn until(events: &mut EventLoop, wanted: impl Fn(&Packet) -> bool) -> Packet {
        let wait = async {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(packet)) if wanted(&packet) => return packet,
                    Ok(_) => {}
                    Err(error) => panic!("the client's connection failed: {error}"),
                }
            }
        };
        tokio::time::timeout(LIMIT, wait)
            .await
            .expect("the broker must answer within 10 s")
    }
}

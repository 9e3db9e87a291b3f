//! An Eclipse Mosquitto MQTT broker for tests: a ready broker on a random local port, with
//! a connection URL, optional credentials, and a topic prefix per test.
//!
//! ```
//! use throwaway_mosquitto::Mosquitto;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! let broker = Mosquitto::default().credentials("app", "s3cr:t").start().await?;
//! // Any MQTT client reaches it here; the container is removed when `broker` is dropped.
//! let url = broker.connection_url(); // mqtt://app:s3cr%3At@127.0.0.1:49153
//! # assert!(url.starts_with("mqtt://app:s3cr%3At@127.0.0.1:"));
//! # Ok(()) }
//! ```
//!
//! With the `client` feature (on by default), the broker hands out [`rumqttc`](https://docs.rs/rumqttc)
//! clients, already pointed at it and logged in:
//!
//! ```
//! use rumqttc::{Event, Packet, QoS};
//! use throwaway_mosquitto::Mosquitto;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! let broker = Mosquitto::default().start().await?;
//! let (client, mut events) = broker.client("docs-example");
//! client.subscribe("greetings", QoS::AtLeastOnce).await?;
//! client.publish("greetings", QoS::AtLeastOnce, false, "hello").await?;
//! let message = loop {
//!     if let Event::Incoming(Packet::Publish(message)) = events.poll().await? {
//!         break message;
//!     }
//! };
//! assert_eq!(message.payload, "hello");
//! # Ok(()) }
//! ```
//!
//! Tests that share one broker stay apart with a topic prefix each
//! ([`MosquittoContainer::fresh_prefix`], the module's [`Isolation`](throwaway::kit::Isolation)):
//!
//! ```no_run
//! use throwaway::Shared;
//! use throwaway_mosquitto::Mosquitto;
//!
//! static BROKER: Shared<Mosquitto> = Shared::new(Mosquitto::default);
//!
//! #[tokio::test]
//! async fn publishes_an_order() -> throwaway::Result<()> {
//!     let own = BROKER.get().await?.fresh_prefix().await?;
//!     let topic = own.topic("orders/new"); // throwaway/4f1c2a9e-…/orders/new: nobody else's
//!     # let _ = topic;
//!     Ok(())
//! }
//! ```
//!
//! # The image contract it relies on
//!
//! The official `eclipse-mosquitto:2` image, or any image that keeps its contract:
//!
//! - the default command runs `/usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf`,
//!   and the module writes that file ([`CONFIG_PATH`]) itself: Mosquitto 2 with no
//!   `listener` only listens on the container's loopback, which no published port reaches,
//!   so the file sets `listener 1883` and `allow_anonymous true`, or, with
//!   [`credentials`](Mosquitto::credentials), `allow_anonymous false` and a password file;
//! - `sh` and `mosquitto_passwd` are on `PATH` (only used with credentials), and the broker,
//!   started as root, switches to the `mosquitto` user itself;
//! - the broker logs "mosquitto version … running" once every listener is open.
//!
//! Readiness is that line, then a real MQTT 3.1.1 CONNECT through the published port
//! answered with an accepting CONNACK. A broker that refuses the login (CONNACK 4 or 5)
//! fails the start at once with [`ErrorKind::Service`](throwaway::ErrorKind::Service).
//!
//! # Cargo features
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `client` | yes | `client()` and `mqtt_options()` on [`MosquittoContainer`] and [`TopicPrefix`]: clients of the [`rumqttc`](https://docs.rs/rumqttc) crate (plain TCP, no TLS) |
//!
//! This crate is also the proof that a module can live outside `throwaway`: it uses only
//! the public [module kit](throwaway::kit).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod broker;
mod config;
mod container;
mod endpoint;
mod isolation;
mod packet;
mod probe;

pub use broker::Mosquitto;
pub use config::CONFIG_PATH;
pub use container::MosquittoContainer;
pub use isolation::TopicPrefix;

/// The image [`Mosquitto::default`] starts.
pub const DEFAULT_IMAGE: &str = "eclipse-mosquitto:2";

/// The port the broker's MQTT listener has inside the container.
pub const PORT: u16 = 1883;

/// The port of the WebSockets listener inside the container, with
/// [`Mosquitto::websockets`]: 9001, as the image's documentation uses.
pub const WEBSOCKETS_PORT: u16 = 9001;

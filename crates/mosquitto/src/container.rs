//! A started broker: where it is, its URLs and clients.

use std::fmt;

use throwaway::{Container, Result};

use crate::endpoint::Endpoint;
use crate::{PORT, WEBSOCKETS_PORT};

/// A running Mosquitto broker, removed when dropped (as its [`Container`] is).
///
/// Made by [`Mosquitto::start`](crate::Mosquitto::start). Host ports are read from the
/// container each time, so they are right after [`Container::stop`] and
/// [`Container::start`]. `Debug` shows the connection URL with the password as `***`.
pub struct MosquittoContainer {
    container: Container,
    /// The host, credentials, and the MQTT port as read at start.
    endpoint: Endpoint,
    websockets: bool,
}

impl MosquittoContainer {
    pub(crate) fn new(container: Container, endpoint: Endpoint, websockets: bool) -> Self {
        MosquittoContainer {
            container,
            endpoint,
            websockets,
        }
    }

    /// The underlying container: logs, `exec`, stop and start, and the rest.
    pub fn container(&self) -> &Container {
        &self.container
    }

    /// The host to connect to (`127.0.0.1` for a local engine).
    pub fn host(&self) -> &str {
        self.container.host()
    }

    /// The host port that MQTT's port 1883 is published on now.
    pub fn host_port(&self) -> u16 {
        self.endpoint().port
    }

    /// The broker's URL, for any MQTT client: `mqtt://127.0.0.1:49153`, or with credentials
    /// `mqtt://app:s3cr%3At@127.0.0.1:49153` (user and password percent-escaped).
    pub fn connection_url(&self) -> String {
        self.endpoint().url().to_string()
    }

    /// The host port of the WebSockets listener, if the broker has one
    /// ([`Mosquitto::websockets`](crate::Mosquitto::websockets)).
    pub fn websockets_port(&self) -> Option<u16> {
        if !self.websockets {
            return None;
        }
        self.container.host_port(WEBSOCKETS_PORT).ok()
    }

    /// `ws://127.0.0.1:49154`: MQTT over WebSockets, if the broker has a WebSockets
    /// listener. Mosquitto answers the upgrade on any path; clients log in with the same
    /// credentials as on [`connection_url`](MosquittoContainer::connection_url), in their
    /// CONNECT.
    pub fn websockets_url(&self) -> Option<String> {
        let port = self.websockets_port()?;
        let host = self.host();
        Some(match host.contains(':') {
            true => format!("ws://[{host}]:{port}"),
            false => format!("ws://{host}:{port}"),
        })
    }

    /// The user name clients log in with, if the broker requires one.
    pub fn user(&self) -> Option<&str> {
        self.endpoint.credentials.as_ref().map(|c| c.user.as_str())
    }

    /// Options for a [`rumqttc`] client with `client_id`, logged in if the broker requires
    /// it. Their `Debug` (rumqttc's) shows the password: do not print them.
    #[cfg(feature = "client")]
    pub fn mqtt_options(&self, client_id: impl Into<String>) -> rumqttc::MqttOptions {
        self.endpoint().mqtt_options(client_id.into())
    }

    /// A new [`rumqttc`] client with `client_id`, and the event loop that drives it: poll
    /// the loop (`event_loop.poll().await` in a task of the test's runtime) for the client
    /// to connect and for messages to flow.
    ///
    /// ```no_run
    /// use rumqttc::{Event, Packet, QoS};
    /// use throwaway_mosquitto::Mosquitto;
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let broker = Mosquitto::default().start().await?;
    /// let (client, mut events) = broker.client("my-test");
    /// client.subscribe("greetings", QoS::AtLeastOnce).await?;
    /// client.publish("greetings", QoS::AtLeastOnce, false, "hello").await?;
    /// loop {
    ///     if let Event::Incoming(Packet::Publish(message)) = events.poll().await? {
    ///         assert_eq!(message.payload, "hello");
    ///         break;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "client")]
    pub fn client(
        &self,
        client_id: impl Into<String>,
    ) -> (rumqttc::AsyncClient, rumqttc::EventLoop) {
        self.endpoint().client(client_id.into())
    }

    /// Removes the container now and reports failure, as [`Container::remove`] does.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`](throwaway::ErrorKind::Engine) if the engine cannot remove it.
    pub async fn remove(self) -> Result<()> {
        self.container.remove().await
    }

    /// The host, credentials and the MQTT port the container has now (a restarted
    /// container may have a new one).
    pub(crate) fn endpoint(&self) -> Endpoint {
        let mut endpoint = self.endpoint.clone();
        if let Ok(port) = self.container.host_port(PORT) {
            endpoint.port = port;
        }
        endpoint
    }
}

impl AsRef<Container> for MosquittoContainer {
    fn as_ref(&self) -> &Container {
        &self.container
    }
}

impl fmt::Debug for MosquittoContainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MosquittoContainer")
            .field("url", &self.endpoint().url())
            .field("websockets", &self.websockets_url())
            .field("container", &self.container)
            .finish()
    }
}

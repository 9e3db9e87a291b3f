//! A topic prefix per test: MQTT has no databases or vhosts, so tests that share a broker
//! stay apart by publishing and subscribing under topics of their own.

use std::fmt;

use throwaway::kit::{self, Isolation, IsolationUnit};
use throwaway::Result;

use crate::container::MosquittoContainer;
use crate::endpoint::Endpoint;

/// The first level of every prefix, so a test's topics are told apart from an
/// application's own at a glance.
const ROOT: &str = "throwaway";

/// A topic prefix that no other caller got: `throwaway/<session>-<random>/`, where the
/// session part names the test run (every process of a `cargo nextest` run shares it) and
/// 64 random bits tell the callers of one run apart.
///
/// Made by [`MosquittoContainer::fresh_prefix`] (or [`Isolation::fresh_unit`]). The
/// broker enforces nothing: the prefix keeps a test's messages apart as long as the test
/// publishes and subscribes under [`topic`](TopicPrefix::topic) (and
/// [`all_topics`](TopicPrefix::all_topics)) only. A plain value, valid as long as the
/// broker runs on the port it had when the prefix was handed out; nothing happens when it
/// is dropped. `Debug` shows the URL with the password as `***`.
///
/// Not kept after a failed `#[throwaway::test]`: a prefix is a name, not something on the
/// broker (retained messages under it stay as they are anyway), so there is nothing to keep
/// or to name after the test. The failure output shows its URL.
#[derive(Clone)]
pub struct TopicPrefix {
    prefix: String,
    endpoint: Endpoint,
}

impl TopicPrefix {
    /// The prefix, ending in `/`: `throwaway/4f1c2a9e-0b3d5e7f9a1c2e4d/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `name` under this test's prefix: `topic("orders/new")` is
    /// `throwaway/4f1c2a9e-0b3d5e7f9a1c2e4d/orders/new`.
    pub fn topic(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The filter that subscribes to every topic under this prefix (`…/#`), and to no
    /// other test's.
    pub fn all_topics(&self) -> String {
        self.topic("#")
    }

    /// Options for a [`rumqttc`] client with `client_id`, logged in if the broker requires
    /// it; publish and subscribe under [`topic`](TopicPrefix::topic). Their `Debug`
    /// (rumqttc's) shows the password: do not print them.
    #[cfg(feature = "client")]
    pub fn mqtt_options(&self, client_id: impl Into<String>) -> rumqttc::MqttOptions {
        self.endpoint.mqtt_options(client_id.into())
    }

    /// A new [`rumqttc`] client with `client_id` and its event loop, as
    /// [`MosquittoContainer::client`] makes them.
    #[cfg(feature = "client")]
    pub fn client(
        &self,
        client_id: impl Into<String>,
    ) -> (rumqttc::AsyncClient, rumqttc::EventLoop) {
        self.endpoint.client(client_id.into())
    }

    fn url_with(&self, base: String) -> String {
        // The prefix is letters, digits, `-` and `/`, all of which a query may hold as is.
        format!("{base}?prefix={}", self.prefix)
    }
}

impl IsolationUnit for TopicPrefix {
    /// The broker's connection URL with the prefix as a query parameter:
    /// `mqtt://127.0.0.1:49153?prefix=throwaway/4f1c2a9e-0b3d5e7f9a1c2e4d/`. MQTT clients
    /// do not read the parameter; it carries the prefix to code that takes one URL, which
    /// then publishes and subscribes under it.
    fn url(&self) -> String {
        self.url_with(self.endpoint.url().to_string())
    }

    fn masked_url(&self) -> String {
        self.url_with(self.endpoint.url().masked())
    }
}

impl fmt::Debug for TopicPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicPrefix")
            .field("url", &self.masked_url())
            .finish()
    }
}

impl MosquittoContainer {
    /// A topic prefix that no other caller got, in any thread or process of this test run:
    /// the way to keep tests apart that share one broker. Costs no call to the broker.
    ///
    /// # Errors
    /// [`ErrorKind::EngineUnavailable`](throwaway::ErrorKind::EngineUnavailable) if the
    /// engine that names the test session cannot be reached.
    pub async fn fresh_prefix(&self) -> Result<TopicPrefix> {
        let session = kit::session_id().await?;
        Ok(TopicPrefix {
            prefix: prefix_for(&session, fastrand::u64(..)),
            endpoint: self.endpoint(),
        })
    }
}

impl Isolation for MosquittoContainer {
    type Unit = TopicPrefix;

    fn fresh_unit(&self) -> impl std::future::Future<Output = Result<TopicPrefix>> + Send {
        self.fresh_prefix()
    }
}

/// `throwaway/<first 8 of the session>-<random as 16 hex digits>/`. Only letters and
/// digits of the session are kept: MQTT gives `+` and `#` a meaning in filters.
fn prefix_for(session: &str, random: u64) -> String {
    let session: String = session
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    format!("{ROOT}/{session}-{random:016x}/")
}

#[cfg(test)]
mod tests {
    use throwaway::kit::Secret;

    use super::*;
    use crate::config::Credentials;

    fn unit(credentials: Option<Credentials>) -> TopicPrefix {
        TopicPrefix {
            prefix: prefix_for("0123456789abcdef0123456789abcdef", 0xbeef),
            endpoint: Endpoint {
                host: "127.0.0.1".into(),
                port: 49153,
                credentials,
            },
        }
    }

    #[test]
    fn prefixes_name_the_session_and_the_random_part() {
        assert_eq!(
            prefix_for("0123456789abcdef0123456789abcdef", 0xbeef),
            "throwaway/01234567-000000000000beef/"
        );
        // Filter characters in a session name never reach the topic.
        assert_eq!(
            prefix_for("a+b#c/d-e", 1),
            "throwaway/abcde-0000000000000001/"
        );
        assert_ne!(prefix_for("s", 1), prefix_for("s", 2));
    }

    #[test]
    fn topics_and_the_filter_live_under_the_prefix() {
        let unit = unit(None);
        assert_eq!(unit.prefix(), "throwaway/01234567-000000000000beef/");
        assert_eq!(
            unit.topic("orders/new"),
            "throwaway/01234567-000000000000beef/orders/new"
        );
        assert_eq!(unit.all_topics(), "throwaway/01234567-000000000000beef/#");
    }

    #[test]
    fn the_url_carries_the_prefix_and_masks_the_password() {
        let anonymous = unit(None);
        assert_eq!(
            anonymous.url(),
            "mqtt://127.0.0.1:49153?prefix=throwaway/01234567-000000000000beef/"
        );
        assert_eq!(anonymous.masked_url(), anonymous.url());

        let login = unit(Some(Credentials {
            user: "app".into(),
            password: Secret::new("p@ss word"),
        }));
        assert_eq!(
            login.url(),
            "mqtt://app:p%40ss%20word@127.0.0.1:49153?prefix=throwaway/01234567-000000000000beef/"
        );
        assert_eq!(
            login.masked_url(),
            "mqtt://app:***@127.0.0.1:49153?prefix=throwaway/01234567-000000000000beef/"
        );
        let debug = format!("{login:?}");
        assert!(
            !debug.contains("p%40ss") && !debug.contains("p@ss"),
            "{debug}"
        );
    }
}

//! Where a broker is reached and how a client logs in: what URLs and clients are made from.

use throwaway::kit::ServiceUrl;

use crate::config::Credentials;

/// A broker's host, MQTT port and credentials, as seen at one moment.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) credentials: Option<Credentials>,
}

impl Endpoint {
    /// `mqtt://[user:password@]host:port`, escaped; `Debug` and `masked()` hide the password.
    pub(crate) fn url(&self) -> ServiceUrl {
        let url = ServiceUrl::new("mqtt", &self.host, self.port);
        match &self.credentials {
            Some(login) => url.user(&login.user).password(&login.password),
            None => url,
        }
    }

    /// Options for a [`rumqttc`] client with `client_id`, logged in if the broker needs it.
    #[cfg(feature = "client")]
    pub(crate) fn mqtt_options(&self, client_id: String) -> rumqttc::MqttOptions {
        let mut options = rumqttc::MqttOptions::new(client_id, &self.host, self.port);
        if let Some(login) = &self.credentials {
            options.set_credentials(&login.user, login.password.expose());
        }
        options
    }

    /// A new [`rumqttc`] client with `client_id`, and the event loop that drives it.
    #[cfg(feature = "client")]
    pub(crate) fn client(&self, client_id: String) -> (rumqttc::AsyncClient, rumqttc::EventLoop) {
        // rumqttc's own default for how many requests wait for the event loop.
        const CAPACITY: usize = 10;
        rumqttc::AsyncClient::new(self.mqtt_options(client_id), CAPACITY)
    }
}

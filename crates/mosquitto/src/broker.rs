//! The builder: what a Mosquitto broker needs from the official image, as a container
//! request.

use std::fmt;

use throwaway::kit::{self, Module, RequestEdits, Secret};
use throwaway::{Container, ContainerRequest, Result, Wait};

use crate::config::{self, Credentials, CONFIG_PATH};
use crate::container::MosquittoContainer;
use crate::endpoint::Endpoint;
use crate::probe;
use crate::{DEFAULT_IMAGE, PORT, WEBSOCKETS_PORT};

/// The log line the broker writes once every listener is open (on stderr, after a Unix-time
/// prefix): "mosquitto version 2.0.18 running".
const RUNNING_LINE: &str = r"mosquitto version \S+ running";

/// An Eclipse Mosquitto broker to start, from the official `eclipse-mosquitto` image or
/// one that keeps its contract.
///
/// ```no_run
/// use throwaway_mosquitto::Mosquitto;
/// # async fn demo() -> throwaway::Result<()> {
/// let broker = Mosquitto::default()
///     .credentials("app", "s3cr:t@")
///     .websockets()
///     .start()
///     .await?;
/// let url = broker.connection_url(); // mqtt://app:s3cr%3At%40@127.0.0.1:49153
/// # let _ = url; Ok(()) }
/// ```
///
/// A builder is a value: clone it to start several brokers alike. `Debug` shows the
/// password as `***`.
#[derive(Clone)]
pub struct Mosquitto {
    image: String,
    credentials: Option<Credentials>,
    websockets: bool,
    edits: RequestEdits,
}

impl Mosquitto {
    /// A broker from `image`, such as `"eclipse-mosquitto:2"` or a mirror's copy of it.
    /// It accepts anonymous clients on port 1883 until [`credentials`](Mosquitto::credentials)
    /// says otherwise.
    pub fn new(image: impl Into<String>) -> Self {
        Mosquitto {
            image: image.into(),
            credentials: None,
            websockets: false,
            edits: RequestEdits::new(),
        }
    }

    /// Requires clients to log in as `user` with `password`; anonymous clients are refused.
    ///
    /// The password reaches the broker through a file copied into the container, which
    /// `mosquitto_passwd` (shipped with the image) hashes at the first start and then
    /// removes; it is never on a command line, so `docker inspect`, the request's `Debug`
    /// and error messages do not show it. Any character but a line break or NUL works, `:`
    /// and spaces included; the user name may not contain `:`.
    /// [`MosquittoContainer::connection_url`] and the clients include both.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials = Some(Credentials {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// Adds a listener for MQTT over WebSockets, on container port
    /// [`WEBSOCKETS_PORT`]: see [`MosquittoContainer::websockets_url`].
    pub fn websockets(mut self) -> Self {
        self.websockets = true;
        self
    }

    /// The escape hatch: changes the module's container request before it starts, for
    /// settings of the container rather than of the broker (a network, a memory limit,
    /// a startup timeout, a pull policy).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use throwaway_mosquitto::Mosquitto;
    /// # async fn demo() -> throwaway::Result<()> {
    /// let broker = Mosquitto::default()
    ///     .with_request(|request| request.startup_timeout(Duration::from_secs(20)))
    ///     .start()
    ///     .await?;
    /// # let _ = broker; Ok(()) }
    /// ```
    ///
    /// `edit` runs last, on every start, so it can override the module; a configuration
    /// file, command or readiness check of its own takes away what the module relies on.
    pub fn with_request(
        mut self,
        edit: impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static,
    ) -> Self {
        self.edits.push(edit);
        self
    }

    /// Starts the broker and waits until a client can connect.
    ///
    /// Ready means: the broker logged "mosquitto version … running" (every listener is
    /// open), and it answered an MQTT 3.1.1 CONNECT through its published port with an
    /// accepting CONNACK, logged in with the credentials if they were set. If the caller
    /// stops waiting, the start still completes in the background and the container is
    /// then removed.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidRequest`](throwaway::ErrorKind::InvalidRequest): credentials
    ///   that cannot work (an empty password, a `:` in the user name, …).
    /// - Whatever [`ContainerRequest::start`] returns: a malformed image reference, no
    ///   engine, an image that cannot be pulled, a broker that exits (the error quotes its
    ///   last log lines), or one that is not ready within the startup timeout
    ///   ([`ErrorKind::WaitTimeout`](throwaway::ErrorKind::WaitTimeout)).
    /// - [`ErrorKind::Service`](throwaway::ErrorKind::Service), at once rather than at the
    ///   timeout: the broker refused the module's login (CONNACK 4 or 5), for instance
    ///   because an edited configuration requires other credentials.
    pub async fn start(self) -> Result<MosquittoContainer> {
        kit::start(self).await
    }
}

impl Default for Mosquitto {
    /// A broker from [`DEFAULT_IMAGE`] (`eclipse-mosquitto:2`).
    fn default() -> Self {
        Mosquitto::new(DEFAULT_IMAGE)
    }
}

impl Module for Mosquitto {
    type Started = MosquittoContainer;

    fn request(&self) -> Result<ContainerRequest> {
        if let Some(credentials) = &self.credentials {
            credentials.check(&self.image)?;
        }
        let mut request = ContainerRequest::new(&self.image)
            .exposed_port(PORT)
            .copy_bytes(
                config::config_file(self.credentials.as_ref(), self.websockets),
                CONFIG_PATH,
            )
            .wait_for(readiness(self.credentials.clone())?);
        if self.websockets {
            request = request.exposed_port(WEBSOCKETS_PORT);
        }
        // Without credentials the image's own command runs the broker on the file above.
        if let Some(credentials) = &self.credentials {
            request = request
                .copy_bytes(config::password_input(credentials), config::PASSWORD_INPUT)
                .cmd(config::command(credentials));
        }
        Ok(self.edits.apply(request))
    }

    async fn ready(self, container: Container) -> Result<MosquittoContainer> {
        let endpoint = Endpoint {
            host: container.host().to_string(),
            port: container.host_port(PORT)?,
            credentials: self.credentials,
        };
        Ok(MosquittoContainer::new(
            container,
            endpoint,
            self.websockets,
        ))
    }
}

/// The running line, then a CONNECT answered with an accepting CONNACK.
fn readiness(credentials: Option<Credentials>) -> Result<Wait> {
    Ok(Wait::log_regex(RUNNING_LINE)?.and(probe::accepts_connect(credentials)))
}

impl fmt::Debug for Mosquitto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mosquitto")
            .field("image", &self.image)
            .field("credentials", &self.credentials)
            .field("websockets", &self.websockets)
            .field("edits", &self.edits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use throwaway::ErrorKind;

    #[test]
    fn the_default_broker_keeps_the_images_command_and_waits_for_a_connack() {
        let request = Mosquitto::default().request().unwrap();
        assert_eq!(request.image(), "eclipse-mosquitto:2");
        let debug = format!("{request:?}");
        assert!(debug.contains("cmd: None"), "{debug}");
        assert!(debug.contains("number: 1883, protocol: Tcp }]"), "{debug}");
        assert!(debug.contains(probe::WHAT), "{debug}");
        assert_eq!(
            readiness(None).unwrap().to_string(),
            format!(
                "all of (log matching /{RUNNING_LINE}/ on stdout or stderr, {})",
                probe::WHAT
            )
        );
    }

    #[test]
    fn credentials_run_the_wrapper_command_and_stay_out_of_debug() {
        let broker = Mosquitto::new("eclipse-mosquitto:2").credentials("app", "hunter2:x");
        let request = broker.request().unwrap();
        let debug = format!("{request:?}");
        assert!(debug.contains("mosquitto_passwd -c"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
        let debug = format!("{broker:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains(r#"password: "***""#), "{debug}");
    }

    #[test]
    fn websockets_expose_the_second_port() {
        let debug = format!("{:?}", Mosquitto::default().websockets().request().unwrap());
        assert!(
            debug.contains("number: 1883, protocol: Tcp }, ContainerPort { number: 9001"),
            "{debug}"
        );
    }

    #[test]
    fn edits_come_last() {
        let request = Mosquitto::default()
            .with_request(|r| r.cmd(["mosquitto", "-v"]))
            .request()
            .unwrap();
        let debug = format!("{request:?}");
        assert!(
            debug.contains(r#"cmd: Some(["mosquitto", "-v"])"#),
            "{debug}"
        );
    }

    #[tokio::test]
    async fn credentials_that_cannot_work_fail_before_anything_starts() {
        let err = Mosquitto::default()
            .credentials("a:b", "pw")
            .start()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert!(err.message().contains("contains ':'"), "{err}");
    }
}

//! RabbitMQ: a ready broker on a random local port, its `amqp://` URL, the management API,
//! and a fresh vhost with a user of its own per test.
//!
//! ```
//! use throwaway::rabbitmq::RabbitMq;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! let rabbit = RabbitMq::new("rabbitmq:3").user("app").password("s3cr:t").start().await?;
//! let url = rabbit.connection_url(); // amqp://app:s3cr%3At@127.0.0.1:49153/%2F
//! # assert!(url.starts_with("amqp://app:s3cr%3At@127.0.0.1:"));
//! # Ok(()) }
//! ```
//!
//! # Isolation: a vhost per test
//!
//! A RabbitMQ vhost is a broker of its own: its exchanges, queues and bindings are seen by
//! no other vhost, and a user may only open the vhosts it has permissions on.
//! [`RabbitMqContainer::fresh_vhost`] (the module's [`Isolation`](crate::kit::Isolation))
//! creates one per test, with a user of its own that may do anything there and nothing
//! elsewhere, in a few milliseconds; both are deleted in the background when the
//! [`TestVhost`] is dropped.
//!
//! That needs the management plugin's HTTP API: AMQP itself cannot create vhosts, and
//! `rabbitmqctl` in an exec boots an Erlang VM per call, which takes seconds. The plain
//! `rabbitmq:3` image ships the plugin but does not enable it; its documentation says to
//! put an `enabled_plugins` file at `/etc/rabbitmq/enabled_plugins`, so the module copies
//! one there (`[rabbitmq_management,rabbitmq_prometheus].`, keeping the Prometheus plugin
//! the image enables itself) before the start. With `rabbitmq:3-management` the file
//! changes nothing. [`RabbitMq::without_management`] leaves the image's plugins alone,
//! for a faster start where no test needs its own vhost.
//!
//! # The image contract it relies on
//!
//! The official `rabbitmq` images: `RABBITMQ_DEFAULT_USER`, `RABBITMQ_DEFAULT_PASS` and
//! `RABBITMQ_DEFAULT_VHOST` make the default user (an administrator) and vhost on the
//! first start; the image's `conf.d/10-defaults.conf` lets that user log in from outside
//! the container (`loopback_users.guest = false`) and logs to the console; AMQP listens on
//! 5672 and the management API on 15672. The password goes in
//! `/etc/rabbitmq/advanced.config` (`default_pass`, as bytes), not in
//! `RABBITMQ_DEFAULT_PASS`: the environment is in the create body and in every inspection
//! of the container, which `docker inspect` and the engine client's debug log show. A
//! `RABBITMQ_DEFAULT_PASS` set through [`RabbitMq::with_request`] still wins over it.
//!
//! Readiness is a real AMQP 0-9-1 login through the published port (protocol header,
//! Start → Start-Ok with PLAIN, Tune → Tune-Ok, Open → Open-Ok on the vhost), then, with
//! the management plugin, an answer from its API. A broker that refuses the login fails
//! the start at once with [`ErrorKind::Service`].
//!
//! # What the module adds to the request
//!
//! [`RabbitMq::with_request`] runs after it and can change any of it (more environment,
//! a `conf.d` file copied in for server settings).
//!
//! | what | value | when |
//! |---|---|---|
//! | exposed port | 5672 ([`PORT`]), on a random host port | always |
//! | `RABBITMQ_DEFAULT_USER`, `RABBITMQ_DEFAULT_VHOST` | [`user`](RabbitMq::user), [`vhost`](RabbitMq::vhost) (`guest`, `/` by default) | always |
//! | file `/etc/rabbitmq/advanced.config` with `default_pass` | [`password`](RabbitMq::password) (`guest` by default; in a file, not the environment, so it never reaches a log) | always |
//! | exposed port | 15672 ([`MANAGEMENT_PORT`]), on a random host port | unless [`without_management`](RabbitMq::without_management) |
//! | file `/etc/rabbitmq/enabled_plugins` | `[rabbitmq_management,rabbitmq_prometheus].` | unless without management |
//! | vhosts and users `throwaway-…` | made by [`fresh_vhost`](RabbitMqContainer::fresh_vhost), deleted when dropped | when asked for |
//!
//! The broker's settings live in its configuration files, not on its command line: copy a
//! file into `/etc/rabbitmq/conf.d/` with
//! `.with_request(|r| r.copy_bytes("heartbeat = 30\n", "/etc/rabbitmq/conf.d/90-test.conf"))`.

mod amqp;
mod container;
mod management;

use std::fmt;
use std::time::Duration;

pub use container::{RabbitMqContainer, TestVhost};

use self::management::Api;
use crate::container::{Container, ContainerRequest};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{self, Endpoints, Module, ProbeFailure, RequestEdits, Secret};
use crate::modules::wire;
use crate::wait::Wait;

/// The image [`RabbitMq::default`] starts.
pub const DEFAULT_IMAGE: &str = "rabbitmq:3";

/// The AMQP port inside the container.
pub const PORT: u16 = 5672;

/// The management plugin's HTTP port inside the container.
pub const MANAGEMENT_PORT: u16 = 15672;

/// Where the module's plugin list goes, as the image's documentation says.
pub const ENABLED_PLUGINS_PATH: &str = "/etc/rabbitmq/enabled_plugins";

/// The plugin list the module copies in: management for the API, and the Prometheus plugin
/// that the image enables by itself.
const ENABLED_PLUGINS: &str = "[rabbitmq_management,rabbitmq_prometheus].\n";

/// Where the default user's password goes: the broker's Erlang-term configuration file.
const ADVANCED_CONFIG_PATH: &str = "/etc/rabbitmq/advanced.config";

/// `advanced.config` setting the default user's password, written as its bytes
/// (`<<104,105>>`): no quoting to get wrong, and UTF-8 arrives as UTF-8.
fn advanced_config(password: &Secret) -> String {
    let bytes: Vec<String> = password.expose().bytes().map(|b| b.to_string()).collect();
    format!(
        "[{{rabbit, [{{default_pass, <<{}>>}}]}}].\n",
        bytes.join(",")
    )
}

/// How long one readiness attempt may take: twice the other modules' limit, since the
/// login takes several round trips, and an Erlang node that has just opened its listener
/// can be slow to answer the first of them.
const ATTEMPT_LIMIT: Duration = wire::ATTEMPT_LIMIT.saturating_mul(2);

/// What the probe is called in messages.
const PROBE: &str = "RabbitMQ accepting an AMQP login (and its management API answering)";

/// A RabbitMQ broker to start, with Testcontainers' defaults: user `guest`, password
/// `guest`, vhost `/`.
///
/// ```no_run
/// use throwaway::rabbitmq::RabbitMq;
/// # async fn demo() -> throwaway::Result<()> {
/// let rabbit = RabbitMq::new("rabbitmq:3-management")
///     .user("app")
///     .password("p@ss")
///     .vhost("shop")
///     .start()
///     .await?;
/// let own = rabbit.fresh_vhost().await?; // a vhost and user of this test's own
/// # let _ = own; Ok(()) }
/// ```
///
/// A builder is a value: clone it to start several brokers alike. `Debug` shows the
/// password as `***`.
#[derive(Clone)]
pub struct RabbitMq {
    image: String,
    user: String,
    password: Secret,
    vhost: String,
    management: bool,
    edits: RequestEdits,
}

impl RabbitMq {
    /// A broker from `image`, such as `"rabbitmq:3"`, `"rabbitmq:3-management"` or a
    /// mirror's copy of one.
    pub fn new(image: impl Into<String>) -> Self {
        RabbitMq {
            image: image.into(),
            user: "guest".to_string(),
            password: Secret::new("guest"),
            vhost: "/".to_string(),
            management: true,
            edits: RequestEdits::new(),
        }
    }

    /// The default user's name (`RABBITMQ_DEFAULT_USER`); `guest` unless set.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// The default user's password (`default_pass`, in `advanced.config`); `guest` unless
    /// set.
    ///
    /// Keep it ASCII: any ASCII character works, URL escaping included; non-ASCII ones
    /// are not tested (through `RABBITMQ_DEFAULT_PASS`, one was refused at login with
    /// RabbitMQ 3.10 on Erlang 25).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Secret::new(password.into());
        self
    }

    /// The default vhost (`RABBITMQ_DEFAULT_VHOST`), which
    /// [`RabbitMqContainer::connection_url`] names; `/` unless set.
    pub fn vhost(mut self, vhost: impl Into<String>) -> Self {
        self.vhost = vhost.into();
        self
    }

    /// Leaves the image's plugins as they are: no management API on `rabbitmq:3` (a
    /// faster start), so no [`fresh_vhost`](RabbitMqContainer::fresh_vhost).
    pub fn without_management(mut self) -> Self {
        self.management = false;
        self
    }

    /// Edits the container request the module built, for what the module does not cover
    /// (a network, a memory limit, a startup timeout, more `RABBITMQ_*` settings). `edit`
    /// runs on every start, after the module's settings; replacing the exposed ports or the
    /// readiness check breaks what the module relies on.
    pub fn with_request(
        mut self,
        edit: impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static,
    ) -> Self {
        self.edits.push(edit);
        self
    }

    /// Starts the broker and waits until the default user can log in over AMQP (and the
    /// management API answers). If the caller stops waiting, the start still completes in
    /// the background and the container is then removed.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidRequest`]: an empty user or password, or a vhost name longer
    ///   than AMQP's 255 bytes.
    /// - Whatever [`ContainerRequest::start`] returns: no engine, an image that cannot be
    ///   pulled, a broker that exits (the error quotes its last lines), or one not ready
    ///   within the startup timeout ([`ErrorKind::WaitTimeout`]).
    /// - [`ErrorKind::Service`]: the broker refused the login (a setting of the user's
    ///   changed the default user).
    pub async fn start(self) -> Result<RabbitMqContainer> {
        kit::start(self).await
    }

    /// The container request: the official image's contract, plus the user's edits.
    fn build_request(&self) -> ContainerRequest {
        let mut request = ContainerRequest::new(&self.image)
            .exposed_port(PORT)
            .env("RABBITMQ_DEFAULT_USER", &self.user)
            .env("RABBITMQ_DEFAULT_VHOST", &self.vhost)
            .wait_for(accepts_login(self.clone()));
        if !self.password.is_empty() {
            request = request.copy_bytes(advanced_config(&self.password), ADVANCED_CONFIG_PATH);
        }
        if self.management {
            request = request
                .exposed_port(MANAGEMENT_PORT)
                .copy_bytes(ENABLED_PLUGINS, ENABLED_PLUGINS_PATH);
        }
        self.edits.apply(request)
    }

    fn api(&self, endpoints: &Endpoints) -> Option<Api> {
        let port = endpoints.host_port(MANAGEMENT_PORT).ok()?;
        Some(Api {
            host: endpoints.host().to_string(),
            port,
            user: self.user.clone(),
            password: self.password.clone(),
            who: endpoints.container().to_string(),
        })
    }
}

impl Default for RabbitMq {
    /// `RabbitMq::new(DEFAULT_IMAGE)`: [`DEFAULT_IMAGE`] is `rabbitmq:3`.
    fn default() -> Self {
        RabbitMq::new(DEFAULT_IMAGE)
    }
}

impl Module for RabbitMq {
    type Started = RabbitMqContainer;

    fn request(&self) -> Result<ContainerRequest> {
        let refuse = |what: String| Err(Error::new(ErrorKind::InvalidRequest, what));
        if self.user.is_empty() || self.password.is_empty() {
            return refuse(format!(
                "an empty user or password for {} cannot log in: give .user(…) and \
                 .password(…) a value, or leave them out for guest/guest",
                self.image
            ));
        }
        if self.vhost.is_empty() || self.vhost.len() > 255 {
            return refuse(format!(
                "the vhost name for {} must have 1 to 255 bytes (AMQP's short strings); \
                 it has {}",
                self.image,
                self.vhost.len()
            ));
        }
        Ok(self.build_request())
    }

    async fn ready(self, container: Container) -> Result<RabbitMqContainer> {
        Ok(RabbitMqContainer::new(
            container,
            self.user,
            self.password,
            self.vhost,
            self.management,
        ))
    }
}

impl fmt::Debug for RabbitMq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RabbitMq")
            .field("image", &self.image)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("vhost", &self.vhost)
            .field("management", &self.management)
            .field("edits", &self.edits)
            .finish()
    }
}

/// Ready means the default user gets Open-Ok on the vhost through the published port, and,
/// with the management plugin, that its API answers: the plugin's listener and AMQP's are
/// started apart, in an order that is RabbitMQ's to change.
fn accepts_login(broker: RabbitMq) -> Wait {
    Wait::probe(PROBE, move |endpoints: Endpoints| {
        let broker = broker.clone();
        async move { attempt(&broker, &endpoints).await }
    })
}

async fn attempt(broker: &RabbitMq, endpoints: &Endpoints) -> Result<(), ProbeFailure> {
    let port = endpoints.host_port(PORT).map_err(ProbeFailure::fatal)?;
    let at = wire::socket_address(endpoints.host(), port);
    let host = endpoints.host().to_string();
    let login = wire::attempt(ATTEMPT_LIMIT, &at, async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        amqp::login(
            &mut stream,
            &broker.user,
            broker.password.expose(),
            &broker.vhost,
        )
        .await
    })
    .await?;
    match login {
        amqp::Login::Open => {}
        amqp::Login::Closed { code: 403, text } => {
            return Err(ProbeFailure::fatal(Error::new(
                ErrorKind::Service,
                format!(
                    "{} refused the module's AMQP login as user {:?}: 403 {text}. Set the \
                     user and password with RabbitMq::user(…) and ::password(…) rather \
                     than in a configuration of your own, so that the readiness check and \
                     connection_url() use them",
                    endpoints.container(),
                    broker.user
                ),
            )))
        }
        amqp::Login::Closed { code, text } => {
            return Err(ProbeFailure::not_yet(format!(
                "{at} closed the connection: {code} {text}"
            )))
        }
    }
    let Some(api) = broker.management.then(|| broker.api(endpoints)).flatten() else {
        return Ok(());
    };
    let path = Api::path(&["vhosts", &broker.vhost]);
    match api.call(hyper::Method::GET, &path, None).await {
        Ok((200, _)) => Ok(()),
        Ok((status, _)) => Err(ProbeFailure::not_yet(format!(
            "the management API answered {status}"
        ))),
        Err(error) => Err(ProbeFailure::not_yet(format!(
            "the management API on port {}: {error}",
            api.port
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ContainerPort;

    #[test]
    fn the_request_sets_the_default_user_and_enables_management() {
        let request = RabbitMq::default()
            .user("app")
            .password("hunter2")
            .vhost("shop")
            .build_request();
        assert_eq!(request.image(), "rabbitmq:3");
        let env = request.env_vars();
        assert_eq!(env["RABBITMQ_DEFAULT_USER"], "app");
        assert!(!env.contains_key("RABBITMQ_DEFAULT_PASS"), "{env:?}");
        let config = request.copied_bytes(ADVANCED_CONFIG_PATH).unwrap();
        assert_eq!(
            std::str::from_utf8(config).unwrap(),
            "[{rabbit, [{default_pass, <<104,117,110,116,101,114,50>>}]}].\n"
        );
        assert_eq!(env["RABBITMQ_DEFAULT_VHOST"], "shop");
        assert_eq!(
            request.exposed_ports(),
            [ContainerPort::tcp(5672), ContainerPort::tcp(15672)]
        );
        assert_eq!(
            request.copied_paths().collect::<Vec<_>>(),
            [ADVANCED_CONFIG_PATH, ENABLED_PLUGINS_PATH]
        );
        assert!(request.command().is_none(), "the image's own command runs");
        assert_eq!(request.readiness().to_string(), PROBE);
        let debug = format!("{request:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn the_plugin_list_is_an_erlang_list_ending_in_a_period() {
        assert_eq!(
            ENABLED_PLUGINS.trim(),
            "[rabbitmq_management,rabbitmq_prometheus]."
        );
    }

    #[test]
    fn without_management_the_images_plugins_stay() {
        let request = RabbitMq::default().without_management().build_request();
        assert_eq!(request.exposed_ports(), [ContainerPort::tcp(5672)]);
        assert_eq!(
            request.copied_paths().collect::<Vec<_>>(),
            [ADVANCED_CONFIG_PATH],
            "only the password"
        );
    }

    #[test]
    fn the_defaults_are_guest_on_the_root_vhost_and_debug_hides_the_password() {
        let env = RabbitMq::default().build_request().env_vars().clone();
        assert_eq!(env["RABBITMQ_DEFAULT_USER"], "guest");
        assert_eq!(env["RABBITMQ_DEFAULT_VHOST"], "/");
        let debug = format!("{:?}", RabbitMq::default().password("hunter2"));
        assert!(
            !debug.contains("hunter2") && debug.contains("\"***\""),
            "{debug}"
        );
    }

    #[tokio::test]
    async fn settings_that_cannot_work_are_refused_before_anything_starts() {
        for broker in [
            RabbitMq::default().password(""),
            RabbitMq::default().user(""),
            RabbitMq::default().vhost("v".repeat(256)),
        ] {
            let err = broker.start().await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
        }
    }
}

//! A started RabbitMQ broker: its URLs, and a fresh vhost with a user of its own per test.

use std::fmt;

use hyper::Method;
use serde_json::json;

use super::management::Api;
use super::{MANAGEMENT_PORT, PORT};
use crate::container::Container;
use crate::engine::runtime::{on_engine, spawn_tracked, Work};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{self, Isolation, IsolationUnit, Secret, ServiceUrl};
use crate::modules::wire;
use crate::testing::{labelled_at, Aftercare, AftercareFuture, Cleanup, Kept, KeptByTest};

/// The first part of every fresh vhost's (and its user's) name.
const VHOST_LEAD: &str = "throwaway-";

/// The lead of the user tag that names the session that kept a vhost.
const SESSION_TAG: &str = "throwaway-session-";

/// A running RabbitMQ broker, removed when dropped (as its [`Container`] is).
///
/// Made by [`RabbitMq::start`](super::RabbitMq::start). Ports are read from the container
/// each time, so they are right after [`Container::stop`] and [`Container::start`]. `Debug`
/// shows the connection URL with the password as `***`.
pub struct RabbitMqContainer {
    container: Container,
    user: String,
    password: Secret,
    vhost: String,
    management: bool,
}

impl RabbitMqContainer {
    pub(super) fn new(
        container: Container,
        user: String,
        password: Secret,
        vhost: String,
        management: bool,
    ) -> Self {
        RabbitMqContainer {
            container,
            user,
            password,
            vhost,
            management,
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

    /// The host port that AMQP's port 5672 is published on now (0 while stopped).
    pub fn host_port(&self) -> u16 {
        self.container.host_port(PORT).unwrap_or(0)
    }

    /// `amqp://guest:guest@127.0.0.1:49153/%2F`: the default user on the default vhost,
    /// user, password and vhost percent-escaped (the vhost `/` is `%2F`).
    pub fn connection_url(&self) -> String {
        amqp_url(
            self.host(),
            self.host_port(),
            &self.user,
            &self.password,
            &self.vhost,
        )
        .to_string()
    }

    /// The default user's name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The default vhost.
    pub fn vhost(&self) -> &str {
        &self.vhost
    }

    /// The host port of the management plugin's HTTP API, if the broker runs it.
    pub fn management_port(&self) -> Option<u16> {
        if !self.management {
            return None;
        }
        self.container.host_port(MANAGEMENT_PORT).ok()
    }

    /// `http://127.0.0.1:49154`: the management UI and API (`/api/overview`, …), if the
    /// broker runs the plugin. They take the default user's login (HTTP basic auth).
    pub fn management_url(&self) -> Option<String> {
        let port = self.management_port()?;
        Some(format!(
            "http://{}",
            wire::socket_address(self.host(), port)
        ))
    }

    /// A vhost that no other caller got, with a user of its own that may configure, write
    /// and read everything there and has no access anywhere else (its tag `management`
    /// lets it use the HTTP API, where it sees its own vhost only): the way to keep tests
    /// apart that share one broker. Three calls to the management API, a few milliseconds.
    ///
    /// Both are deleted in the background when the [`TestVhost`] is dropped (unless
    /// [`kept`](TestVhost::keep)), and go with the container anyway.
    ///
    /// # Errors
    /// - [`ErrorKind::Service`] if the broker runs no management API
    ///   ([`RabbitMq::without_management`](super::RabbitMq::without_management)), or the
    ///   API refuses a call (the message quotes its answer).
    /// - [`ErrorKind::EngineUnavailable`] if the engine that names the test session cannot
    ///   be reached.
    pub async fn fresh_vhost(&self) -> Result<TestVhost> {
        let who = self.container.describe();
        let Some(api) = self.api() else {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "{who} runs no management API, which fresh vhosts are made with: leave \
                     out .without_management()"
                ),
            ));
        };
        let session = kit::session_id().await?;
        let name = wire::unique_name(VHOST_LEAD, &session, fastrand::u64(..));
        let password = Secret::new(format!(
            "{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        ));
        let (vhost, user) = (name.clone(), name.clone());
        let made = {
            let (api, password) = (api.clone(), password.clone());
            on_engine(async move {
                api.expect_success(
                    Method::PUT,
                    &Api::path(&["vhosts", &vhost]),
                    Some(json!({})),
                    &format!("creating vhost {vhost:?}"),
                )
                .await?;
                api.expect_success(
                    Method::PUT,
                    &Api::path(&["users", &user]),
                    // `management`: the user may also use the HTTP API, where it sees
                    // its own vhost only (handy for checking queues in a test).
                    Some(json!({"password": password.expose(), "tags": "management"})),
                    &format!("creating user {user:?}"),
                )
                .await?;
                api.expect_success(
                    Method::PUT,
                    &Api::path(&["permissions", &vhost, &user]),
                    Some(json!({"configure": ".*", "write": ".*", "read": ".*"})),
                    &format!("giving user {user:?} vhost {vhost:?}"),
                )
                .await
            })
            .await
        };
        let unit = TestVhost {
            url: amqp_url(self.host(), self.host_port(), &name, &password, &name),
            name,
            password,
            api,
            container_id: self.container.id().to_string(),
            cleanup: Cleanup::OnDrop,
        };
        // On failure, the unit's drop deletes what was made.
        made.map(|()| unit)
    }

    /// Removes the container now and reports failure, as [`Container::remove`] does.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`] if the engine cannot remove it.
    pub async fn remove(self) -> Result<()> {
        self.container.remove().await
    }

    fn api(&self) -> Option<Api> {
        Some(Api {
            host: self.host().to_string(),
            port: self.management_port()?,
            user: self.user.clone(),
            password: self.password.clone(),
            who: self.container.describe(),
        })
    }
}

/// `amqp://user:password@host:port/vhost`, escaped.
fn amqp_url(host: &str, port: u16, user: &str, password: &Secret, vhost: &str) -> ServiceUrl {
    ServiceUrl::new("amqp", host, port)
        .user(user)
        .password(password)
        .path(vhost)
}

impl AsRef<Container> for RabbitMqContainer {
    fn as_ref(&self) -> &Container {
        &self.container
    }
}

impl fmt::Debug for RabbitMqContainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = amqp_url(
            self.host(),
            self.host_port(),
            &self.user,
            &self.password,
            &self.vhost,
        );
        f.debug_struct("RabbitMqContainer")
            .field("url", &url)
            .field("management", &self.management_url())
            .field("container", &self.container)
            .finish()
    }
}

impl Isolation for RabbitMqContainer {
    type Unit = TestVhost;

    fn fresh_unit(&self) -> impl std::future::Future<Output = Result<TestVhost>> + Send {
        self.fresh_vhost()
    }

    /// Deletes the vhosts (and their users) that other sessions kept before `older_than`.
    fn sweep_kept(
        &self,
        older_than: std::time::SystemTime,
    ) -> impl std::future::Future<Output = Result<()>> + Send {
        let api = self.api();
        on_engine(async move {
            // Without the management API no vhost was handed out, so none was kept.
            let Some(api) = api else { return Ok(()) };
            let ours = session_tag(&kit::session_id().await?);
            let (status, body) = api
                .call(Method::GET, "/api/users", None)
                .await
                .map_err(|error| sweep_failed(&api, error))?;
            if !(200..300).contains(&status) {
                return Err(sweep_failed(&api, format!("HTTP {status}: {body}")));
            }
            let users: Vec<serde_json::Value> = serde_json::from_str(&body)
                .map_err(|error| sweep_failed(&api, error.to_string()))?;
            for user in &users {
                let Some(name) = user["name"].as_str() else {
                    continue;
                };
                let tags = tags_of(&user["tags"]);
                let stale = tags
                    .iter()
                    .filter_map(|tag| labelled_at(tag))
                    .any(|at| at < older_than);
                if name.starts_with(VHOST_LEAD) && stale && !tags.contains(&ours) {
                    tracing::debug!(%name, "deleting a vhost an earlier run kept");
                    delete_vhost_and_user(&api, name).await?;
                }
            }
            Ok(())
        })
    }
}

/// A user's tags, as RabbitMQ 3.9 and later give them (a list) or earlier ones did (one
/// string, comma-separated).
fn tags_of(tags: &serde_json::Value) -> Vec<String> {
    match tags {
        serde_json::Value::Array(tags) => tags
            .iter()
            .filter_map(|tag| tag.as_str().map(str::to_string))
            .collect(),
        serde_json::Value::String(tags) => tags
            .split(',')
            .filter(|tag| !tag.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The tag that names `session` on a kept vhost's user: its letters, digits, `-` and `_`
/// (a comma would split the tag).
fn session_tag(session: &str) -> String {
    let session: String = session
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("{SESSION_TAG}{session}")
}

fn sweep_failed(api: &Api, detail: String) -> Error {
    Error::new(
        ErrorKind::Service,
        format!(
            "listing the vhosts earlier runs kept on {} through the management API (port {}): \
             {detail}",
            api.who, api.port
        ),
    )
}

/// Deletes vhost `name` and the user of the same name.
async fn delete_vhost_and_user(api: &Api, name: &str) -> Result<()> {
    for (what, path) in [
        ("vhost", Api::path(&["vhosts", name])),
        ("user", Api::path(&["users", name])),
    ] {
        match api.call(Method::DELETE, &path, None).await {
            Ok((status, _)) if (200..300).contains(&status) || status == 404 => {}
            Ok((status, body)) => {
                return Err(Error::new(
                    ErrorKind::Service,
                    format!(
                        "deleting {what} {name:?} on {} through the management API: HTTP \
                         {status}: {body}",
                        api.who
                    ),
                ))
            }
            Err(error) => {
                return Err(Error::new(
                    ErrorKind::Service,
                    format!(
                        "deleting {what} {name:?} on {} through the management API: {error}",
                        api.who
                    ),
                ))
            }
        }
    }
    Ok(())
}

/// A vhost of one test's own, with a user of its own (same name, random password) that
/// has every permission there and none elsewhere. Made by
/// [`RabbitMqContainer::fresh_vhost`]; deleted with its user in the background when
/// dropped. Its URL names the broker's host port when it was made. `Debug` shows the URL
/// with the password as `***`.
///
/// After a failed `#[throwaway::test]` it is kept under its own name (RabbitMQ cannot
/// rename a vhost), marked by a tag on its user that names the test
/// (`kept_<test>_<unix seconds>`) and one that names the session; the failure output gives
/// its URL and how to delete it, and a later run deletes it.
#[must_use = "the vhost is deleted when this value is dropped"]
pub struct TestVhost {
    name: String,
    password: Secret,
    url: ServiceUrl,
    /// How to delete it.
    api: Api,
    /// The broker's container, whose removal waits for this vhost's deletion.
    container_id: String,
    /// Who deletes it: this value's drop, nobody, or `#[throwaway::test]`.
    cleanup: Cleanup,
}

impl TestVhost {
    /// The vhost's name, such as `throwaway-4f1c2a9e-0b3d5e7f9a1c2e4d`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The user that may use it: the vhost's name.
    pub fn user(&self) -> &str {
        &self.name
    }

    /// The user's password (random), for clients that take it apart from a URL.
    pub fn password(&self) -> &str {
        self.password.expose()
    }

    /// `amqp://throwaway-…:…@127.0.0.1:49153/throwaway-…`: this vhost, as its user.
    pub fn url(&self) -> String {
        self.url.to_string()
    }

    /// Leaves the vhost and its user in place when this value is dropped (they still go
    /// with the container). In a `#[throwaway::test]`, they then stay unmarked, whether the
    /// test passes or fails.
    pub fn keep(mut self) -> Self {
        self.cleanup.keep();
        self
    }
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        if !self.cleanup.on_drop() {
            return;
        }
        delete_in_background(
            self.api.clone(),
            std::mem::take(&mut self.name),
            &self.container_id,
        );
    }
}

/// Deletes vhost `name` and its user without making the test wait: on the library's
/// runtime, as work that the container's removal, if it comes next, waits for. If the
/// container is gone already, so is the vhost, and the calls fail harmlessly.
fn delete_in_background(api: Api, name: String, container_id: &str) {
    spawn_tracked(Work::BeforeRemoval, container_id, async move {
        match delete_vhost_and_user(&api, &name).await {
            Ok(()) => tracing::debug!(%name, "deleted the test vhost and user"),
            Err(error) => tracing::debug!(%name, "the test vhost was not deleted: {error}"),
        }
    });
}

/// A fresh vhost's cleanup, taken over by `#[throwaway::test]`.
struct VhostAftercare {
    name: String,
    password: Secret,
    masked_url: String,
    api: Api,
    container_id: String,
    kept_by_test: KeptByTest,
}

impl VhostAftercare {
    /// How to delete the vhost and its user by hand.
    fn delete_with(&self) -> String {
        format!(
            "rabbitmqctl delete_vhost {name} && rabbitmqctl delete_user {name} (in the \
             container), or DELETE /api/vhosts/{name} and /api/users/{name} on the management API",
            name = self.name
        )
    }
}

impl Aftercare for VhostAftercare {
    fn remove(self: Box<Self>) {
        if !self.kept_by_test.is_kept() {
            delete_in_background(self.api, self.name, &self.container_id);
        }
    }

    fn keep(self: Box<Self>, label: &str) -> AftercareFuture<Kept> {
        let label = label.to_string();
        Box::pin(async move {
            if self.kept_by_test.is_kept() {
                return Ok(Kept::by_the_test(
                    self.masked_url.clone(),
                    self.delete_with(),
                ));
            }
            let session = session_tag(&kit::session_id().await?);
            // Updating a user keeps its permissions; the tags say who kept it, and when.
            self.api
                .expect_success(
                    Method::PUT,
                    &Api::path(&["users", &self.name]),
                    Some(json!({
                        "password": self.password.expose(),
                        "tags": format!("management,{label},{session}"),
                    })),
                    &format!("marking vhost {:?} as kept", self.name),
                )
                .await?;
            Ok(Kept::new(
                self.masked_url.clone(),
                format!(
                    "{} (its user's tag {label} names the test)",
                    self.delete_with()
                ),
            ))
        })
    }
}

impl IsolationUnit for TestVhost {
    fn url(&self) -> String {
        self.url.to_string()
    }

    fn masked_url(&self) -> String {
        self.url.masked()
    }

    fn take_aftercare(&mut self) -> Option<Box<dyn Aftercare>> {
        // None when kept by the user already: neither deleted nor marked.
        let kept_by_test = self.cleanup.hand_over()?;
        Some(Box::new(VhostAftercare {
            name: self.name.clone(),
            password: self.password.clone(),
            masked_url: self.url.masked(),
            api: self.api.clone(),
            container_id: self.container_id.clone(),
            kept_by_test,
        }))
    }
}

impl fmt::Debug for TestVhost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestVhost")
            .field("name", &self.name)
            .field("url", &self.url)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_escapes_user_password_and_vhost() {
        let url = amqp_url("127.0.0.1", 49153, "app user", &Secret::new("p@ss/w"), "/");
        assert_eq!(
            url.to_string(),
            "amqp://app%20user:p%40ss%2Fw@127.0.0.1:49153/%2F"
        );
        assert_eq!(url.masked(), "amqp://app%20user:***@127.0.0.1:49153/%2F");
        let url = amqp_url("h", 1, "u", &Secret::new("p"), "shop/eu");
        assert_eq!(url.to_string(), "amqp://u:p@h:1/shop%2Feu");
    }

    #[test]
    fn a_test_vhosts_debug_and_masked_url_hide_the_password() {
        let unit = TestVhost {
            name: "throwaway-x".into(),
            password: Secret::new("hunter2"),
            url: amqp_url(
                "h",
                1,
                "throwaway-x",
                &Secret::new("hunter2"),
                "throwaway-x",
            ),
            api: Api {
                host: "h".into(),
                port: 1,
                user: "guest".into(),
                password: Secret::new("admin-secret"),
                who: "a broker".into(),
            },
            container_id: "0123456789ab".into(),
            cleanup: Cleanup::Kept,
        };
        assert_eq!(unit.url(), "amqp://throwaway-x:hunter2@h:1/throwaway-x");
        assert_eq!(unit.masked_url(), "amqp://throwaway-x:***@h:1/throwaway-x");
        assert!(!format!("{unit:?}").contains("hunter2"));
        assert_eq!(unit.user(), unit.name());
    }

    #[test]
    fn user_tags_are_read_as_a_list_or_as_one_string() {
        assert_eq!(
            tags_of(&json!(["management", "kept_t_5"])),
            ["management", "kept_t_5"]
        );
        assert_eq!(
            tags_of(&json!("management,kept_t_5")),
            ["management", "kept_t_5"]
        );
        assert!(tags_of(&json!("")).is_empty());
    }

    #[test]
    fn a_session_tag_has_no_comma() {
        assert_eq!(session_tag("run,1 two"), "throwaway-session-run1two");
    }
}

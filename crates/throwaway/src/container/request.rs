//! The container request: everything that defines a container before it starts.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkingConfig, PortBinding,
};

#[cfg(all(test, any(feature = "mysql", feature = "rabbitmq")))]
use super::copy::Contents;
use super::copy::{CopySource, FileMode};
use super::{ContainerPort, Mount, Network};
use crate::image::PullPolicy;
use crate::wait::Wait;

/// The default time a container gets to become ready.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

type Modifier = Arc<dyn Fn(&mut ContainerCreateBody) + Send + Sync>;

/// A container to start: image, configuration and readiness check.
///
/// Built with methods that read as a sentence, then [`start`](ContainerRequest::start)ed:
///
/// ```no_run
/// use throwaway::{ContainerRequest, Wait};
/// # async fn demo() -> throwaway::Result<()> {
/// let web = ContainerRequest::new("nginx:1.27")
///     .exposed_port(80)
///     .env("NGINX_ENTRYPOINT_QUIET_LOGS", "1")
///     .wait_for(Wait::http("/").port(80))
///     .start()
///     .await?;
/// let url = format!("http://{}:{}", web.host(), web.host_port(80)?);
/// # let _ = url; Ok(()) }
/// ```
///
/// A request is a value: clone it to start several containers alike.
#[derive(Clone)]
pub struct ContainerRequest {
    pub(crate) image: String,
    pub(crate) name: Option<String>,
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) cmd: Option<Vec<String>>,
    pub(crate) entrypoint: Option<Vec<String>>,
    pub(crate) exposed_ports: Vec<ContainerPort>,
    /// The exposed ports published on a host port of the caller's choosing, not a random one.
    pub(crate) fixed_host_ports: BTreeMap<ContainerPort, u16>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) mounts: Vec<Mount>,
    pub(crate) user: Option<String>,
    pub(crate) working_dir: Option<String>,
    pub(crate) hostname: Option<String>,
    pub(crate) networks: Vec<NetworkAttachment>,
    pub(crate) memory_bytes: Option<i64>,
    pub(crate) nano_cpus: Option<i64>,
    pub(crate) shm_size: Option<i64>,
    pub(crate) privileged: bool,
    pub(crate) copies: Vec<(String, CopySource)>,
    pub(crate) wait: Wait,
    pub(crate) startup_timeout: Duration,
    pub(crate) pull_policy: PullPolicy,
    /// Aliases given before any network was joined: reported when the container starts,
    /// rather than silently dropped.
    pub(crate) stray_aliases: Vec<String>,
    pub(crate) reuse: bool,
    modifiers: Vec<Modifier>,
}

/// A user network the container joins, with the names it is known by there.
#[derive(Debug, Clone)]
pub(crate) struct NetworkAttachment {
    pub name: String,
    pub aliases: Vec<String>,
}

impl ContainerRequest {
    /// A request for a container of `image`, such as `"redis:7.0"` or
    /// `"ghcr.io/owner/app@sha256:…"`.
    ///
    /// The reference is checked when the container is started, before anything is sent to
    /// the engine.
    pub fn new(image: impl Into<String>) -> Self {
        ContainerRequest {
            image: image.into(),
            name: None,
            env: BTreeMap::new(),
            cmd: None,
            entrypoint: None,
            exposed_ports: Vec::new(),
            fixed_host_ports: BTreeMap::new(),
            labels: BTreeMap::new(),
            mounts: Vec::new(),
            user: None,
            working_dir: None,
            hostname: None,
            networks: Vec::new(),
            memory_bytes: None,
            nano_cpus: None,
            shm_size: None,
            privileged: false,
            copies: Vec::new(),
            wait: Wait::none(),
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            pull_policy: PullPolicy::default(),
            stray_aliases: Vec::new(),
            reuse: false,
            modifiers: Vec::new(),
        }
    }

    /// The image reference as given.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// The command set with [`cmd`](ContainerRequest::cmd), if any: what a module's unit
    /// tests check its image contract against.
    pub fn command(&self) -> Option<&[String]> {
        self.cmd.as_deref()
    }

    /// The environment set with [`env`](ContainerRequest::env), in key order.
    pub fn env_vars(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    /// The ports set with [`exposed_port`](ContainerRequest::exposed_port), in the order
    /// added.
    pub fn exposed_ports(&self) -> &[ContainerPort] {
        &self.exposed_ports
    }

    /// The host port that [`exposed_port_at`](ContainerRequest::exposed_port_at) fixed for
    /// `port`, if any; `None` means a random one.
    pub fn fixed_host_port(&self, port: impl Into<ContainerPort>) -> Option<u16> {
        self.fixed_host_ports.get(&port.into()).copied()
    }

    /// The readiness check set with [`wait_for`](ContainerRequest::wait_for); its
    /// `Display` says it in words.
    pub fn readiness(&self) -> &Wait {
        &self.wait
    }

    /// The container paths that files are copied to before the start, in the order added
    /// (later copies to the same path win).
    pub fn copied_paths(&self) -> impl Iterator<Item = &str> {
        self.copies.iter().map(|(path, _)| path.as_str())
    }

    /// The bytes copied to `container_path` with [`copy_bytes`](ContainerRequest::copy_bytes),
    /// for modules' unit tests.
    #[cfg(all(test, any(feature = "mysql", feature = "rabbitmq")))]
    pub(crate) fn copied_bytes(&self, container_path: &str) -> Option<&[u8]> {
        self.copies
            .iter()
            .rev()
            .find_map(|(path, source)| match source {
                CopySource {
                    contents: Contents::Bytes(data),
                    ..
                } if path == container_path => Some(data.as_slice()),
                _ => None,
            })
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Replaces the image's command (its `CMD`).
    pub fn cmd<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cmd = Some(args.into_iter().map(Into::into).collect());
        self
    }

    /// Replaces the image's entrypoint.
    pub fn entrypoint<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.entrypoint = Some(args.into_iter().map(Into::into).collect());
        self
    }

    /// Exposes a container port and publishes it on a random host port: `6379`, or
    /// `ContainerPort::udp(53)`. Read the host port with `host_port` once started.
    pub fn exposed_port(mut self, port: impl Into<ContainerPort>) -> Self {
        let port = port.into();
        if !self.exposed_ports.contains(&port) {
            self.exposed_ports.push(port);
        }
        self
    }

    /// Exposes a container port and publishes it on the fixed `host_port`, rather than on a
    /// random one: the exception, for a client that cannot be told a port (a test suite
    /// that expects `localhost:5433`, a fixture shared with a compose file).
    ///
    /// Prefer [`exposed_port`](ContainerRequest::exposed_port): a fixed port is taken by
    /// the first container or process that binds it, so two tests (or two runs of the
    /// suite) asking for the same one cannot run at once. The port is still bound to
    /// `127.0.0.1` for a local engine. Calling it for a port already exposed fixes that
    /// port's host port; [`Container::host_port`](crate::Container::host_port) returns it
    /// like any other.
    ///
    /// ```
    /// use throwaway::ContainerRequest;
    /// // PostgreSQL at 127.0.0.1:5433, where the suite's configuration expects it.
    /// let request = ContainerRequest::new("postgres:15").exposed_port_at(5432, 5433);
    /// assert_eq!(request.fixed_host_port(5432), Some(5433));
    /// ```
    ///
    /// Starting fails with [`ErrorKind::PortTaken`](crate::ErrorKind::PortTaken) if
    /// something else holds the host port; a `host_port` of 0 asks for a random one again.
    pub fn exposed_port_at(mut self, port: impl Into<ContainerPort>, host_port: u16) -> Self {
        let port = port.into();
        self = self.exposed_port(port);
        if host_port == 0 {
            self.fixed_host_ports.remove(&port);
        } else {
            self.fixed_host_ports.insert(port, host_port);
        }
        self
    }

    /// Adds a label. The `org.testcontainers` labels are always set on top.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Adds a mount: a host path, a named volume or a tmpfs (see [`Mount`]).
    pub fn mount(mut self, mount: Mount) -> Self {
        self.mounts.push(mount);
        self
    }

    /// Mounts an in-memory filesystem at `path`; shorthand for `mount(Mount::tmpfs(path))`.
    pub fn tmpfs(self, path: impl Into<String>) -> Self {
        self.mount(Mount::tmpfs(path))
    }

    /// Runs the container's process as `user` (`"1000"`, `"1000:1000"` or a name).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets the working directory of the container's process.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Sets the container's host name.
    pub fn hostname(mut self, name: impl Into<String>) -> Self {
        self.hostname = Some(name.into());
        self
    }

    /// Gives the container a fixed name. Fixed names collide when tests run in parallel;
    /// prefer network aliases to find a container by name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Joins a user network (see [`Network`]). May be called for several networks.
    pub fn network(mut self, network: &Network) -> Self {
        self.networks.push(NetworkAttachment {
            name: network.name().to_string(),
            aliases: Vec::new(),
        });
        self
    }

    /// Adds a name by which other containers on the last joined network reach this one.
    ///
    /// Call after [`network`](ContainerRequest::network); without a network it does nothing
    /// but is reported when the container starts.
    pub fn network_alias(mut self, alias: impl Into<String>) -> Self {
        match self.networks.last_mut() {
            Some(attachment) => attachment.aliases.push(alias.into()),
            None => self.stray_aliases.push(alias.into()),
        }
        self
    }

    /// Limits the container's memory.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_bytes = Some(i64::try_from(bytes).unwrap_or(i64::MAX));
        self
    }

    /// Limits the container to a share of CPUs, e.g. `0.5` or `2.0`.
    pub fn cpus(mut self, cpus: f64) -> Self {
        self.nano_cpus = Some((cpus * 1e9) as i64);
        self
    }

    /// Sets the size of `/dev/shm`.
    pub fn shm_size(mut self, bytes: u64) -> Self {
        self.shm_size = Some(i64::try_from(bytes).unwrap_or(i64::MAX));
        self
    }

    /// Runs the container privileged. Rarely needed; prefer narrower settings.
    pub fn privileged(mut self, privileged: bool) -> Self {
        self.privileged = privileged;
        self
    }

    /// Copies a host file or folder into the container, at `container_path`, before it
    /// starts (so an entrypoint can already see it).
    ///
    /// The copy belongs to root (uid 0, gid 0), with mode `0644`, or `0755` if the file is
    /// executable on the host (folders `0755`), whatever the host file's owner and mode.
    /// For another mode or owner (a key file a server reads as its own user), use
    /// [`copy_file_with`](ContainerRequest::copy_file_with).
    pub fn copy_file(
        self,
        host_path: impl Into<PathBuf>,
        container_path: impl Into<String>,
    ) -> Self {
        self.copy_file_with(host_path, container_path, FileMode::default())
    }

    /// Copies a host file or folder into the container before it starts, as
    /// [`copy_file`](ContainerRequest::copy_file) does, with the permission bits and owner
    /// of `mode` (see [`FileMode`]): `FileMode::new(0o600).owner_name("postgres")`.
    ///
    /// An owner given by name is looked up in the container's `/etc/passwd` after it is
    /// created; starting fails with [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest)
    /// if the image has no such user.
    pub fn copy_file_with(
        mut self,
        host_path: impl Into<PathBuf>,
        container_path: impl Into<String>,
        mode: FileMode,
    ) -> Self {
        self.copies
            .push((container_path.into(), CopySource::path(host_path, mode)));
        self
    }

    /// Writes `contents` to a file at `container_path` before the container starts, owned
    /// by root (uid 0, gid 0) with mode `0644`. For another mode or owner, use
    /// [`copy_bytes_with`](ContainerRequest::copy_bytes_with).
    pub fn copy_bytes(
        self,
        contents: impl Into<Vec<u8>>,
        container_path: impl Into<String>,
    ) -> Self {
        self.copy_bytes_with(contents, container_path, FileMode::default())
    }

    /// Writes `contents` to a file at `container_path` before the container starts, with
    /// the permission bits and owner of `mode` (see [`FileMode`] and
    /// [`copy_file_with`](ContainerRequest::copy_file_with)).
    pub fn copy_bytes_with(
        mut self,
        contents: impl Into<Vec<u8>>,
        container_path: impl Into<String>,
        mode: FileMode,
    ) -> Self {
        self.copies
            .push((container_path.into(), CopySource::bytes(contents, mode)));
        self
    }

    /// How to tell that the container is ready (see [`Wait`]); the default is ready as soon as
    /// it runs.
    pub fn wait_for(mut self, wait: impl Into<Wait>) -> Self {
        self.wait = wait.into();
        self
    }

    /// How long the container may take to become ready (default 60 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// When to pull the image (default: only when missing).
    pub fn pull_policy(mut self, policy: PullPolicy) -> Self {
        self.pull_policy = policy;
        self
    }

    /// Asks to reuse a container across test runs (Testcontainers' reuse), when the user has
    /// enabled reuse with `TESTCONTAINERS_REUSE_ENABLE=true` or `testcontainers.reuse.enable=true`
    /// in `~/.testcontainers.properties`; otherwise this does nothing.
    ///
    /// A reused container is found by a hash of the whole request (image, environment,
    /// command, ports, files copied in, …), so any change to the request gets a new one. It
    /// is never removed by the library, not by `Drop`, not by the reaper; a stopped one is
    /// started again. Remove them by hand when done:
    /// `docker rm -f $(docker ps -aq --filter label=org.testcontainers.reuse=true)`.
    /// A request with a fixed [`name`](ContainerRequest::name) is never reused.
    pub fn reuse(mut self, reuse: bool) -> Self {
        self.reuse = reuse;
        self
    }

    /// The escape hatch: edit the raw create-container body just before it is sent, for
    /// settings this builder does not cover. The types are bollard's
    /// ([`crate::raw`]) and follow its version.
    pub fn with_create_body(
        mut self,
        modify: impl Fn(&mut ContainerCreateBody) + Send + Sync + 'static,
    ) -> Self {
        self.modifiers.push(Arc::new(modify));
        self
    }

    /// The body of the engine's create-container call for this request.
    ///
    /// `image` is the resolved reference (registry prefix applied), `labels` the standard
    /// labels to add, `publish_on` the host address ports are published on (`None` for all
    /// addresses).
    pub(crate) fn create_body(
        &self,
        image: &str,
        standard_labels: impl IntoIterator<Item = (String, String)>,
        publish_on: Option<&str>,
    ) -> ContainerCreateBody {
        let mut labels: std::collections::HashMap<String, String> =
            self.labels.clone().into_iter().collect();
        labels.extend(standard_labels);

        let host_config = self.host_config(publish_on);
        let networking_config = self.networking_config();

        let mut body = ContainerCreateBody {
            image: Some(image.to_string()),
            env: (!self.env.is_empty())
                .then(|| self.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            cmd: self.cmd.clone(),
            entrypoint: self.entrypoint.clone(),
            exposed_ports: Some(self.exposed_ports.iter().map(ToString::to_string).collect()),
            labels: Some(labels),
            user: self.user.clone(),
            working_dir: self.working_dir.clone(),
            hostname: self.hostname.clone(),
            host_config: Some(host_config),
            networking_config,
            ..Default::default()
        };
        for modify in &self.modifiers {
            modify(&mut body);
        }
        body
    }

    /// Ports published on host ports of `publish_on` (random ones unless fixed), mounts,
    /// limits, and the first network.
    fn host_config(&self, publish_on: Option<&str>) -> HostConfig {
        let port_bindings = self
            .exposed_ports
            .iter()
            .map(|port| {
                let binding = PortBinding {
                    host_ip: publish_on.map(str::to_string),
                    // Empty: the engine picks a free port.
                    host_port: Some(
                        self.fixed_host_ports
                            .get(port)
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                    ),
                };
                (port.to_string(), Some(vec![binding]))
            })
            .collect();

        HostConfig {
            port_bindings: Some(port_bindings),
            mounts: (!self.mounts.is_empty())
                .then(|| self.mounts.iter().map(Mount::to_raw).collect()),
            memory: self.memory_bytes,
            nano_cpus: self.nano_cpus,
            shm_size: self.shm_size,
            privileged: self.privileged.then_some(true),
            network_mode: self.networks.first().map(|n| n.name.clone()),
            ..Default::default()
        }
    }

    /// The first network, with its aliases: the engine takes one at create time; the
    /// others are connected before start.
    fn networking_config(&self) -> Option<NetworkingConfig> {
        self.networks.first().map(|first| NetworkingConfig {
            endpoints_config: Some(
                [(
                    first.name.clone(),
                    EndpointSettings {
                        aliases: (!first.aliases.is_empty()).then(|| first.aliases.clone()),
                        ..Default::default()
                    },
                )]
                .into(),
            ),
        })
    }
}

/// Names of environment variables whose values `Debug` masks.
fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_uppercase();
    ["PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "PASS"]
        .iter()
        .any(|word| key.contains(word))
}

/// Command-line arguments with secrets masked: the value after a flag whose name looks
/// secret (`--requirepass x`, `--password=x`, `--auth x`), and passwords in URLs.
fn mask_args(args: &[String]) -> Vec<String> {
    let secret_flag = |arg: &str| {
        let name = arg.trim_start_matches('-');
        arg.starts_with('-')
            && !name.is_empty()
            && (looks_secret(name) || {
                let name = name.to_ascii_uppercase();
                name.contains("AUTH")
            })
    };
    let mut masked = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for arg in args {
        let shown = if hide_next {
            "***".to_string()
        } else if let Some((flag, _)) = arg.split_once('=').filter(|(f, _)| secret_flag(f)) {
            format!("{flag}=***")
        } else {
            mask_url_passwords(arg)
        };
        hide_next = !hide_next && !arg.contains('=') && secret_flag(arg);
        masked.push(shown);
    }
    masked
}

/// `value` with the password of any `scheme://user:password@host` in it masked.
fn mask_url_passwords(value: &str) -> String {
    let Some(scheme_end) = value.find("://") else {
        return value.to_string();
    };
    let rest = &value[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return value.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &value[..scheme_end + 3],
            &rest[..colon],
            &rest[at..]
        ),
        None => value.to_string(),
    }
}

impl fmt::Debug for ContainerRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: BTreeMap<&str, String> = self
            .env
            .iter()
            .map(|(k, v)| {
                let shown = if looks_secret(k) {
                    "***".to_string()
                } else {
                    mask_url_passwords(v)
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("ContainerRequest")
            .field("image", &self.image)
            .field("name", &self.name)
            .field("env", &env)
            .field("cmd", &self.cmd.as_deref().map(mask_args))
            .field("entrypoint", &self.entrypoint.as_deref().map(mask_args))
            .field("exposed_ports", &self.exposed_ports)
            .field("fixed_host_ports", &self.fixed_host_ports)
            .field("labels", &self.labels)
            .field("mounts", &self.mounts)
            .field("copied", &self.copied_paths().collect::<Vec<_>>())
            .field("networks", &self.networks)
            .field("wait", &self.wait)
            .field("startup_timeout", &self.startup_timeout)
            .field("pull_policy", &self.pull_policy)
            .field("modifiers", &self.modifiers.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(request: &ContainerRequest) -> ContainerCreateBody {
        request.create_body(
            "redis:7.0",
            [("org.testcontainers".to_string(), "true".to_string())],
            Some("127.0.0.1"),
        )
    }

    #[test]
    fn maps_the_request_to_the_create_body() {
        let request = ContainerRequest::new("redis:7.0")
            .env("MODE", "test")
            .cmd(["redis-server", "--appendonly", "yes"])
            .exposed_port(6379)
            .exposed_port(6379)
            .exposed_port(ContainerPort::udp(53))
            .label("team", "storage")
            .tmpfs("/data")
            .user("1000")
            .working_dir("/data")
            .memory_limit(256 << 20)
            .cpus(0.5);
        let body = body(&request);
        assert_eq!(body.image.as_deref(), Some("redis:7.0"));
        assert_eq!(body.env, Some(vec!["MODE=test".to_string()]));
        assert_eq!(
            body.cmd,
            Some(vec![
                "redis-server".into(),
                "--appendonly".into(),
                "yes".into()
            ])
        );
        assert_eq!(
            body.exposed_ports,
            Some(vec!["6379/tcp".to_string(), "53/udp".to_string()])
        );
        let labels = body.labels.unwrap();
        assert_eq!(labels["team"], "storage");
        assert_eq!(labels["org.testcontainers"], "true");
        assert_eq!(body.user.as_deref(), Some("1000"));
        let host = body.host_config.unwrap();
        let bindings = host.port_bindings.unwrap();
        let redis = bindings["6379/tcp"].as_ref().unwrap();
        assert_eq!(redis[0].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(redis[0].host_port.as_deref(), Some(""));
        assert_eq!(host.memory, Some(256 << 20));
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.mounts.unwrap()[0].target.as_deref(), Some("/data"));
        assert!(body.networking_config.is_none());
    }

    #[test]
    fn a_fixed_host_port_is_bound_on_the_same_address() {
        let request = ContainerRequest::new("postgres:15")
            .exposed_port(5432)
            .exposed_port_at(5432, 5433)
            .exposed_port_at(ContainerPort::udp(53), 5353)
            .exposed_port(9000);
        assert_eq!(
            request.exposed_ports(),
            [
                ContainerPort::tcp(5432),
                ContainerPort::udp(53),
                ContainerPort::tcp(9000)
            ]
        );
        let bindings = body(&request).host_config.unwrap().port_bindings.unwrap();
        let port = |key: &str| bindings[key].as_ref().unwrap()[0].clone();
        assert_eq!(port("5432/tcp").host_port.as_deref(), Some("5433"));
        assert_eq!(port("5432/tcp").host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(port("53/udp").host_port.as_deref(), Some("5353"));
        assert_eq!(port("9000/tcp").host_port.as_deref(), Some(""));
        assert!(format!("{request:?}").contains("5433"));
        // 0 gives the random port back.
        let random = request.exposed_port_at(5432, 0);
        assert_eq!(random.fixed_host_port(5432), None);
    }

    #[test]
    fn the_standard_labels_win_over_user_labels() {
        let request = ContainerRequest::new("x").label("org.testcontainers", "false");
        assert_eq!(body(&request).labels.unwrap()["org.testcontainers"], "true");
    }

    #[test]
    fn the_escape_hatch_edits_the_body_last() {
        let request = ContainerRequest::new("x")
            .env("A", "1")
            .with_create_body(|body| body.stop_signal = Some("SIGINT".into()));
        assert_eq!(body(&request).stop_signal.as_deref(), Some("SIGINT"));
    }

    #[test]
    fn debug_masks_passwords_in_urls() {
        assert_eq!(
            mask_url_passwords("postgres://app:s3cr@t@127.0.0.1:5432/db"),
            "postgres://app:***@127.0.0.1:5432/db"
        );
        assert_eq!(
            mask_url_passwords("redis://:pw@h:1/2"),
            "redis://:***@h:1/2"
        );
        assert_eq!(mask_url_passwords("http://host/a@b"), "http://host/a@b");
        assert_eq!(mask_url_passwords("plain"), "plain");
        let request = ContainerRequest::new("app").env("DATABASE_URL", "postgres://u:hunter2@db/x");
        assert!(!format!("{request:?}").contains("hunter2"));
    }

    #[test]
    fn debug_masks_secret_looking_values() {
        let request = ContainerRequest::new("postgres:15")
            .env("POSTGRES_PASSWORD", "hunter2")
            .env("POSTGRES_USER", "app");
        let debug = format!("{request:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("app"), "{debug}");
    }

    #[test]
    fn debug_masks_secrets_on_the_command_line() {
        let request = ContainerRequest::new("redis:7.0")
            .cmd(["redis-server", "--requirepass", "hunter2", "--port", "6380"])
            .entrypoint([
                "nats-server",
                "--auth=t0ken",
                "--pass",
                "pw1",
                "--user",
                "app",
            ]);
        let debug = format!("{request:?}");
        for secret in ["hunter2", "t0ken", "pw1"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        for kept in ["--requirepass", "6380", "--auth=***", "app"] {
            assert!(debug.contains(kept), "{debug}");
        }
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            mask_args(&args(&["--password", "--password", "x"])),
            args(&["--password", "***", "x"]),
            "a masked value is not a flag"
        );
        assert_eq!(mask_args(&args(&["-", "pw"])), args(&["-", "pw"]));
    }
}

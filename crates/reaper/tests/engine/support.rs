//! A scene per test: the reaper image running with the engine's socket mounted, victims and
//! bystanders labelled for it, and clean-up of everything the test created, pass or fail.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bollard::errors::Error as EngineError;
use bollard::models::{
    ContainerCreateBody, HostConfig, NetworkCreateRequest, PortBinding, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, ListNetworksOptions, ListVolumesOptions,
    LogsOptions, RemoveContainerOptions, RemoveVolumeOptions,
};
use bollard::Docker;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The tag `ci/images/build reaper` gives the reaper image.
pub const REAPER_IMAGE: &str = "testcontainers/ryuk:0.14.0";
/// The image victims and bystanders run.
pub const TOOLS_IMAGE: &str = "throwaway-test/tools:1";
/// The label the library puts on everything of a session, and the one the tests filter on.
pub const SESSION_LABEL: &str = "org.testcontainers.session-id";
/// Marks everything one test created, for the clean-up. A reaper filter names it only next to
/// a session pin, or in a line the reaper must refuse: had the reaper accepted such a line by
/// mistake, it would still remove nothing beyond this test.
pub const TEST_LABEL: &str = "org.throwaway.reaper-test";

/// The engine, or `None` (with the reason printed) when there is none and `CI` is unset.
async fn engine() -> Option<Docker> {
    let ci = std::env::var_os("CI").is_some();
    let reachable = async {
        let docker = Docker::connect_with_defaults()?.negotiate_version().await?;
        docker.ping().await?;
        Ok::<_, EngineError>(docker)
    };
    let docker = match reachable.await {
        Ok(docker) => docker,
        Err(error) if ci => panic!("CI is set, but no Docker engine answers: {error}"),
        Err(error) => {
            skipped(&format!(
                "no Docker engine answers ({error}); set CI=1 to make this a failure"
            ));
            return None;
        }
    };
    for image in [REAPER_IMAGE, TOOLS_IMAGE] {
        if let Err(error) = docker.inspect_image(image).await {
            let advice =
                format!("{image} is missing ({error}); build it with `sudo ci/images/build`");
            assert!(!ci, "CI is set, but {advice}");
            skipped(&advice);
            return None;
        }
    }
    Some(docker)
}

/// Says why a test did nothing, past the test harness's output capture (which only takes
/// `print!`/`eprint!`), so that a skip is never silent.
fn skipped(why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// Runs one engine test: `body` gets a fresh scene; whatever it created is removed
/// afterwards, also when it panics.
pub async fn scene<F, Fut>(body: F)
where
    F: FnOnce(Scene) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(docker) = engine().await else {
        return;
    };
    let scene = Scene::new(docker);
    let outcome = tokio::spawn(body(scene.clone())).await;
    scene.clean_up().await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("test task failed: {error}"),
        }
    }
}

/// Something to remove or keep.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Container,
    Network,
    Volume,
}

/// One test's view of the engine.
#[derive(Clone)]
pub struct Scene {
    pub docker: Docker,
    /// Unique per test: the value of [`TEST_LABEL`] and a prefix for session ids.
    tag: String,
}

impl Scene {
    fn new(docker: Docker) -> Self {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let tag = format!(
            "rt{}-{}-{nanos:09}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        Scene { docker, tag }
    }

    /// A session id no other test uses.
    pub fn session(&self, name: &str) -> String {
        format!("{}-{name}", self.tag)
    }

    /// A session id no other test uses, shaped like the UUIDs most clients send.
    pub fn uuid_session(&self) -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            std::process::id(),
            fresh() & 0xffff,
            (nanos >> 12) & 0xfff,
            nanos & 0xfff,
            (nanos >> 24) & 0xffff_ffff_ffff
        )
    }

    /// The value of [`TEST_LABEL`] on everything this test creates.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// This test's own label plus `labels`.
    pub fn tagged(&self, labels: &[(&str, &str)]) -> HashMap<String, String> {
        let mut all = self.labels(None);
        all.extend(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        all
    }

    /// The labels of an object owned by `session`, plus the test's own.
    pub fn labels(&self, session: Option<&str>) -> HashMap<String, String> {
        let mut labels = HashMap::from([(TEST_LABEL.to_string(), self.tag.clone())]);
        if let Some(session) = session {
            labels.insert(SESSION_LABEL.to_string(), session.to_string());
        }
        labels
    }

    /// Starts the reaper image with `env`, the engine's socket mounted and port 8080 published
    /// on a random port of 127.0.0.1, and waits for its `Started` line.
    ///
    /// On a local engine the binary this `cargo test` just built is mounted over the image's,
    /// so the tests check the current code inside the image's contract (labels, port, command);
    /// `ci/images/smoke` checks the image's own binary.
    pub async fn start_reaper(
        &self,
        env: &[(&str, &str)],
        labels: HashMap<String, String>,
    ) -> Reaper {
        let host = std::env::var("DOCKER_HOST").unwrap_or_default();
        let local_socket = match host.strip_prefix("unix://") {
            Some(path) => Some(path.to_string()),
            None if host.is_empty() => Some("/var/run/docker.sock".to_string()),
            None => None,
        };
        let mut binds = vec![format!(
            "{}:/var/run/docker.sock",
            local_socket.as_deref().unwrap_or("/var/run/docker.sock")
        )];
        if local_socket.is_some() {
            binds.push(format!(
                "{}:/usr/local/bin/throwaway-reaper:ro",
                env!("CARGO_BIN_EXE_throwaway-reaper")
            ));
        }
        let mut all_labels = self.labels(None);
        all_labels.extend(labels);
        let body = ContainerCreateBody {
            image: Some(REAPER_IMAGE.to_string()),
            env: Some(env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            labels: Some(all_labels),
            exposed_ports: Some(vec!["8080/tcp".to_string()]),
            host_config: Some(HostConfig {
                binds: Some(binds),
                port_bindings: Some(HashMap::from([(
                    "8080/tcp".to_string(),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".to_string()),
                        host_port: Some(String::new()),
                    }]),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let id = self.create_and_start(body).await;
        let inspected = self.docker.inspect_container(&id, None).await.unwrap();
        let port = inspected
            .network_settings
            .and_then(|settings| settings.ports)
            .and_then(|mut ports| ports.remove("8080/tcp"))
            .flatten()
            .and_then(|bindings| {
                bindings
                    .into_iter()
                    .find(|b| b.host_ip.as_deref() == Some("127.0.0.1"))
            })
            .and_then(|binding| binding.host_port)
            .and_then(|port| port.parse().ok())
            .expect("port 8080 of the reaper is published on 127.0.0.1");
        let reaper = Reaper { id, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.logs(&reaper.id).await.contains("msg=Started") {
            if !self.running(&reaper.id).await {
                panic!(
                    "the reaper exited before it started:\n{}",
                    self.logs(&reaper.id).await
                );
            }
            assert!(
                Instant::now() < deadline,
                "no Started line from the reaper within 20 s:\n{}",
                self.logs(&reaper.id).await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        reaper
    }

    /// A container running `sleep 300`, with `binds`, an anonymous volume at `/anonymous` when
    /// asked, and attached to `network` when given. Returns its id.
    pub async fn container(
        &self,
        session: Option<&str>,
        binds: Vec<String>,
        anonymous_volume: bool,
        network: Option<&str>,
    ) -> String {
        self.container_with(self.labels(session), binds, anonymous_volume, network)
            .await
    }

    /// A container running `sleep 300` with exactly `labels` (see [`Scene::tagged`]).
    pub async fn labelled_container(&self, labels: HashMap<String, String>) -> String {
        self.container_with(labels, vec![], false, None).await
    }

    async fn container_with(
        &self,
        labels: HashMap<String, String>,
        binds: Vec<String>,
        anonymous_volume: bool,
        network: Option<&str>,
    ) -> String {
        let body = ContainerCreateBody {
            image: Some(TOOLS_IMAGE.to_string()),
            cmd: Some(vec!["sleep".to_string(), "300".to_string()]),
            labels: Some(labels),
            volumes: anonymous_volume.then(|| vec!["/anonymous".to_string()]),
            host_config: Some(HostConfig {
                binds: Some(binds),
                network_mode: network.map(str::to_string),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.create_and_start(body).await
    }

    async fn create_and_start(&self, body: ContainerCreateBody) -> String {
        let id = self
            .docker
            .create_container(None::<CreateContainerOptions>, body)
            .await
            .unwrap()
            .id;
        self.docker.start_container(&id, None).await.unwrap();
        id
    }

    /// A container, network or volume with exactly `labels`: its id (a volume's name).
    pub async fn labelled(&self, kind: Kind, labels: HashMap<String, String>) -> String {
        match kind {
            Kind::Container => self.labelled_container(labels).await,
            Kind::Network => self.labelled_network(labels).await,
            Kind::Volume => self.labelled_volume(labels).await,
        }
    }

    /// A bridge network. Returns its id.
    pub async fn network(&self, session: Option<&str>) -> String {
        self.labelled_network(self.labels(session)).await
    }

    /// A bridge network with exactly `labels`. Returns its id.
    pub async fn labelled_network(&self, labels: HashMap<String, String>) -> String {
        self.docker
            .create_network(NetworkCreateRequest {
                name: format!("{}-net-{}", self.tag, fresh()),
                labels: Some(labels),
                ..Default::default()
            })
            .await
            .unwrap()
            .id
    }

    /// A named volume. Returns its name.
    pub async fn volume(&self, session: Option<&str>) -> String {
        self.labelled_volume(self.labels(session)).await
    }

    /// A named volume with exactly `labels`. Returns its name.
    pub async fn labelled_volume(&self, labels: HashMap<String, String>) -> String {
        self.docker
            .create_volume(VolumeCreateRequest {
                name: Some(format!("{}-vol-{}", self.tag, fresh())),
                labels: Some(labels),
                ..Default::default()
            })
            .await
            .unwrap()
            .name
    }

    /// The anonymous volume a container got for `/anonymous`.
    pub async fn anonymous_volume_of(&self, container: &str) -> String {
        self.docker
            .inspect_container(container, None)
            .await
            .unwrap()
            .mounts
            .unwrap_or_default()
            .into_iter()
            .find(|mount| mount.destination.as_deref() == Some("/anonymous"))
            .and_then(|mount| mount.name)
            .expect("an anonymous volume at /anonymous")
    }

    pub async fn exists(&self, kind: Kind, id: &str) -> bool {
        let result = match kind {
            Kind::Container => self.docker.inspect_container(id, None).await.map(drop),
            Kind::Network => self.docker.inspect_network(id, None).await.map(drop),
            Kind::Volume => self.docker.inspect_volume(id).await.map(drop),
        };
        match result {
            Ok(()) => true,
            Err(EngineError::DockerResponseServerError {
                status_code: 404, ..
            }) => false,
            Err(error) => panic!("inspecting {kind:?} {id}: {error}"),
        }
    }

    pub async fn running(&self, container: &str) -> bool {
        self.docker
            .inspect_container(container, None)
            .await
            .unwrap()
            .state
            .and_then(|state| state.running)
            .unwrap_or(false)
    }

    /// Everything the container printed so far.
    pub async fn logs(&self, container: &str) -> String {
        let mut stream = self.docker.logs(
            container,
            Some(LogsOptions {
                stdout: true,
                stderr: true,
                ..Default::default()
            }),
        );
        let mut text = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        text
    }

    /// Waits for the reaper to exit and returns its exit code.
    pub async fn exit_code(&self, reaper: &Reaper, within: Duration) -> i64 {
        let deadline = Instant::now() + within;
        loop {
            let state = self
                .docker
                .inspect_container(&reaper.id, None)
                .await
                .unwrap()
                .state
                .unwrap_or_default();
            if state.running != Some(true) {
                return state.exit_code.unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "the reaper still runs after {within:?}:\n{}",
                self.logs(&reaper.id).await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Removes everything carrying this test's label.
    async fn clean_up(&self) {
        let filters = Some(HashMap::from([(
            "label".to_string(),
            vec![format!("{TEST_LABEL}={}", self.tag)],
        )]));
        let containers = self
            .docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: filters.clone(),
                ..Default::default()
            }))
            .await
            .unwrap_or_default();
        for container in containers {
            let options = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            let _ = self
                .docker
                .remove_container(&container.id.unwrap_or_default(), Some(options))
                .await;
        }
        let networks = self
            .docker
            .list_networks(Some(ListNetworksOptions {
                filters: filters.clone(),
            }))
            .await
            .unwrap_or_default();
        for network in networks {
            let _ = self
                .docker
                .remove_network(&network.id.unwrap_or_default())
                .await;
        }
        let volumes = self
            .docker
            .list_volumes(Some(ListVolumesOptions { filters }))
            .await
            .map(|list| list.volumes.unwrap_or_default())
            .unwrap_or_default();
        for volume in volumes {
            let _ = self
                .docker
                .remove_volume(&volume.name, Some(RemoveVolumeOptions { force: true }))
                .await;
        }
    }
}

fn fresh() -> u32 {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    COUNT.fetch_add(1, Ordering::Relaxed)
}

/// A running reaper container.
pub struct Reaper {
    pub id: String,
    /// Its port 8080 on 127.0.0.1.
    pub port: u16,
}

impl Reaper {
    /// A client connection that has sent `line` and received `ACK`.
    pub async fn connect(&self, line: &str) -> TcpStream {
        let mut stream = self.client().await;
        assert_eq!(send(&mut stream, line.as_bytes()).await, "ACK\n");
        stream
    }

    /// A client connection that has sent nothing yet.
    pub async fn client(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port)).await.unwrap()
    }
}

/// Writes `bytes` and returns the one answer line, `\n` included.
pub async fn send(stream: &mut TcpStream, bytes: &[u8]) -> String {
    stream.write_all(bytes).await.unwrap();
    let mut reply = Vec::new();
    let read_line = async {
        let mut byte = [0u8; 1];
        while reply.last() != Some(&b'\n') {
            let read = stream.read(&mut byte).await.expect("reading the answer");
            assert_ne!(
                read,
                0,
                "the reaper closed the connection after {:?}",
                String::from_utf8_lossy(&reply)
            );
            reply.push(byte[0]);
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read_line)
        .await
        .expect("an answer within 5 s");
    String::from_utf8(reply).expect("a UTF-8 answer")
}

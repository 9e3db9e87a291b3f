//! The process-wide engine client: discovered, connected and version-negotiated once.

use std::time::Duration;

use bollard::Docker;
use tokio::sync::OnceCell;

use super::discovery::{discover, Discovery, Endpoint};
use super::environment::RealEnvironment;
use super::properties::Settings;
use super::runtime::on_engine;
use crate::error::{engine_detail, Error, ErrorKind, Result};

/// How long one engine request may take before bollard gives up. Pulls and log streams
/// are streamed, so this bounds the wait for an answer, not the whole transfer.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// How long the first contact with the engine may take before we call it unavailable.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// A connected engine and what we learned about it.
pub(crate) struct Engine {
    docker: Docker,
    discovery: Discovery,
    settings: Settings,
    session_id: String,
}

impl Engine {
    /// The engine of this process, connecting on first use.
    ///
    /// A failed connection is not remembered: the next call tries again.
    pub(crate) async fn get() -> Result<&'static Engine> {
        static ENGINE: OnceCell<Engine> = OnceCell::const_new();
        ENGINE
            .get_or_try_init(|| on_engine(Engine::connect()))
            .await
    }

    async fn connect() -> Result<Engine> {
        let env = RealEnvironment;
        let settings = Settings::load(&env);
        let discovery = discover(&env, &settings)?;
        let docker = client_for(&discovery)?;
        let docker = match tokio::time::timeout(PING_TIMEOUT, docker.negotiate_version()).await {
            Ok(Ok(docker)) => docker,
            Ok(Err(err)) => {
                return Err(unavailable(&discovery, &engine_detail(&err)).with_source(err))
            }
            Err(_) => {
                return Err(unavailable(
                    &discovery,
                    &format!("no answer within {} s", PING_TIMEOUT.as_secs()),
                ))
            }
        };
        tracing::debug!(
            endpoint = %discovery.endpoint,
            source = %discovery.source,
            api = %docker.client_version(),
            "connected to the Docker engine"
        );
        Ok(Engine {
            docker,
            discovery,
            settings,
            session_id: new_session_id(),
        })
    }

    /// Where the engine is reached, as a URL.
    pub(crate) fn endpoint(&self) -> String {
        self.discovery.endpoint.to_string()
    }

    /// Where the endpoint came from.
    pub(crate) fn source(&self) -> &str {
        &self.discovery.source
    }

    /// The bollard client (cheap to clone).
    pub(crate) fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The host name tests use to reach published ports.
    pub(crate) fn host(&self) -> &str {
        &self.discovery.host
    }

    /// Whether the engine runs on this machine, so that ports are published on 127.0.0.1.
    pub(crate) fn is_local(&self) -> bool {
        self.discovery.local
    }

    /// Settings from the environment and `~/.testcontainers.properties`.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The id shared by everything this process creates, for the reaper's label filter.
    pub(crate) fn session_id(&self) -> &str {
        &self.session_id
    }
}

fn client_for(discovery: &Discovery) -> Result<Docker> {
    let version = bollard::API_DEFAULT_VERSION;
    let connected = match &discovery.endpoint {
        Endpoint::Unix(path) => {
            if !path.exists() {
                return Err(unavailable(discovery, "the socket does not exist"));
            }
            Docker::connect_with_unix(&path.to_string_lossy(), REQUEST_TIMEOUT_SECS, version)
        }
        Endpoint::Tcp {
            host,
            port,
            tls: None,
        } => Docker::connect_with_http(
            &format!("tcp://{}:{port}", bracket_ipv6(host)),
            REQUEST_TIMEOUT_SECS,
            version,
        ),
        #[cfg(feature = "tls")]
        Endpoint::Tcp {
            host,
            port,
            tls: Some(tls),
        } => Docker::connect_with_ssl(
            &format!("{}:{port}", bracket_ipv6(host)),
            &tls.key,
            &tls.cert,
            &tls.ca,
            REQUEST_TIMEOUT_SECS,
            version,
        ),
        #[cfg(not(feature = "tls"))]
        Endpoint::Tcp { tls: Some(_), .. } => {
            return Err(Error::new(
                ErrorKind::EngineConfig,
                format!(
                    "the engine at {} ({}) needs TLS, but throwaway was built without its \
                     `tls` feature; enable it in Cargo.toml",
                    discovery.endpoint, discovery.source
                ),
            ))
        }
        Endpoint::NamedPipe(pipe) => {
            return Err(Error::new(
                ErrorKind::EngineConfig,
                format!(
                    "named pipe {pipe} ({}) is only available on Windows",
                    discovery.source
                ),
            ))
        }
    };
    connected.map_err(|err| unavailable(discovery, &engine_detail(&err)).with_source(err))
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn unavailable(discovery: &Discovery, why: &str) -> Error {
    let tried = if discovery.tried.is_empty() {
        String::new()
    } else {
        format!("; looked at: {}", discovery.tried.join(", "))
    };
    Error::new(
        ErrorKind::EngineUnavailable,
        format!(
            "no Docker engine answered at {} (from {}): {why}{tried}. Start Docker (or \
             Podman's Docker-compatible socket), or point DOCKER_HOST at a running engine.",
            discovery.endpoint, discovery.source
        ),
    )
}

/// A random id for this process's session: 32 hex digits.
fn new_session_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

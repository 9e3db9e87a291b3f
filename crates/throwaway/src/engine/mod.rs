//! Finding and talking to a Docker-API engine (DESIGN.md layer 1).

mod client;
pub(crate) mod discovery;
pub(crate) mod environment;
pub(crate) mod inspect;
pub(crate) mod labels;
pub(crate) mod port;
pub(crate) mod properties;
pub(crate) mod runtime;
pub(crate) mod time;

pub(crate) use client::Engine;
pub use port::{ContainerPort, Protocol};

use crate::error::{Error, Result};

/// What the engine in use says about itself, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineInfo {
    /// Where the engine is reached, e.g. `unix:///var/run/docker.sock`.
    pub endpoint: String,
    /// Where that endpoint came from, e.g. `DOCKER_HOST` or `default socket`.
    pub source: String,
    /// The host name tests use to reach published ports.
    pub host: String,
    /// The engine's version, e.g. `20.10.24`.
    pub server_version: String,
    /// The API version in use after negotiation, e.g. `1.41`.
    pub api_version: String,
    /// The engine's operating system and architecture, e.g. `linux/amd64`.
    pub platform: String,
    /// The session id on everything this process creates
    /// (label `org.testcontainers.session-id`).
    pub session_id: String,
}

/// Whether a test that needs an engine should skip: `true` (after printing why) when no
/// engine answers on a developer's machine; a panic when none answers and `CI` is set,
/// because a CI run without its engine must fail, not pass by testing nothing.
///
/// The check runs once per process; later calls return at once.
///
/// ```
/// # async fn demo() -> throwaway::Result<()> {
/// if throwaway::skip_without_engine() {
///     return Ok(()); // printed: "SKIPPED: no Docker engine is reachable (…)"
/// }
/// // … start containers
/// # Ok(()) }
/// ```
///
/// # Panics
/// When no engine answers and the environment variable `CI` is set (to anything but empty,
/// `0` or `false`).
#[track_caller]
pub fn skip_without_engine() -> bool {
    static REACHABLE: std::sync::OnceLock<std::result::Result<(), String>> =
        std::sync::OnceLock::new();
    let reachable = REACHABLE.get_or_init(|| {
        let asked =
            runtime::block_on_engine(engine_info(), Some(std::time::Duration::from_secs(30)));
        match asked {
            Some(Ok(_)) => Ok(()),
            Some(Err(err)) => Err(err.to_string()),
            None => Err("the engine did not answer within 30 s".to_string()),
        }
    });
    match reachable {
        Ok(()) => false,
        Err(why) if in_ci() => {
            panic!("CI is set but no Docker engine is reachable: {why}")
        }
        Err(why) => {
            // Straight to stderr, past the test harness's capture (which takes `eprint!`),
            // so that a skip is never silent.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: no Docker engine is reachable ({why}); set CI=1 to make this a failure"
            );
            true
        }
    }
}

/// Whether `CI` is set to something that means yes: empty, `0` and `false` do not.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| {
        let value = value.trim().to_ascii_lowercase();
        !(value.is_empty() || value == "0" || value == "false")
    })
}

/// Connects to the engine (if not yet connected) and asks it about itself.
///
/// Useful to check that an engine is reachable before a suite starts, and to log which one.
///
/// # Errors
/// [`crate::ErrorKind::EngineUnavailable`] when no engine answers, with every place that was
/// tried; [`crate::ErrorKind::EngineConfig`] when the configuration is unusable.
pub async fn engine_info() -> Result<EngineInfo> {
    runtime::on_engine(async {
        let engine = Engine::get().await?;
        let version = engine
            .docker()
            .version()
            .await
            .map_err(|e| Error::engine("asking the engine for its version", e))?;
        Ok(EngineInfo {
            endpoint: engine.endpoint(),
            source: engine.source().to_string(),
            host: engine.host().to_string(),
            server_version: version.version.unwrap_or_default(),
            api_version: engine.docker().client_version().to_string(),
            platform: format!(
                "{}/{}",
                version.os.unwrap_or_default(),
                version.arch.unwrap_or_default()
            ),
            session_id: engine.session_id().to_string(),
        })
    })
    .await
}

//! The process-wide engine client: discovered, connected and version-negotiated once.

use std::time::Duration;

use bollard::Docker;
use tokio::sync::OnceCell;

use super::discovery::{discover, Discovery, Endpoint, TlsFiles};
use super::environment::{Environment, RealEnvironment};
use super::properties::Settings;
use super::runtime::on_engine;
use crate::error::{engine_detail, Error, ErrorKind, Result};
use sha2::{Digest, Sha256};

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
    /// Whether the session spans several processes (a nextest run, a named session).
    session_spans_processes: bool,
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
                let detail = engine_detail(&err);
                return Err(match tls_of(&discovery) {
                    Some(tls) if is_tls_failure(&detail) => tls_refused(&discovery, tls, &detail),
                    _ => unavailable(&discovery, &detail),
                }
                .with_source(err));
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
            session_id: session_id(&env),
            session_spans_processes: session_key(&env).is_some(),
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

    /// The engine's socket on this machine, for the reaper to mount; `None` for TCP.
    pub(crate) fn socket_path(&self) -> Option<String> {
        match &self.discovery.endpoint {
            Endpoint::Unix(path) => Some(path.to_string_lossy().into_owned()),
            _ => None,
        }
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

    /// Whether the session spans several processes, so that shared containers are shared
    /// across them.
    pub(crate) fn session_spans_processes(&self) -> bool {
        self.session_spans_processes
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
        } => {
            check_tls_files(discovery, tls)?;
            Docker::connect_with_ssl(
                &format!("{}:{port}", bracket_ipv6(host)),
                &tls.key,
                &tls.cert,
                &tls.ca,
                REQUEST_TIMEOUT_SECS,
                version,
            )
        }
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

/// The TLS files of the endpoint, if it uses TLS.
fn tls_of(discovery: &Discovery) -> Option<&TlsFiles> {
    match &discovery.endpoint {
        Endpoint::Tcp { tls: Some(tls), .. } => Some(tls),
        _ => None,
    }
}

/// Whether a failed first request failed in the TLS handshake (the engine, or a proxy in
/// front of it, answered, but one side refused the other's certificate), by what rustls
/// said: "invalid peer certificate: UnknownIssuer", "received fatal alert: UnknownCA", …
fn is_tls_failure(detail: &str) -> bool {
    let detail = detail.to_ascii_lowercase();
    ["certificate", "fatal alert", "handshake", "tls"]
        .iter()
        .any(|word| detail.contains(word))
}

/// The engine at a TLS endpoint answered, but the handshake failed.
fn tls_refused(discovery: &Discovery, tls: &TlsFiles, why: &str) -> Error {
    let dir = tls
        .ca
        .parent()
        .map_or_else(String::new, |d| format!(" in {}", d.display()));
    Error::new(
        ErrorKind::EngineConfig,
        format!(
            "the engine at {} (from {}) answered, but the TLS handshake failed: {why}. Check \
             the files{dir}: ca.pem must be the CA that signed the engine's certificate, and \
             cert.pem with key.pem a client certificate that the engine's CA signed",
            discovery.endpoint, discovery.source
        ),
    )
}

/// Reads ca.pem, cert.pem and key.pem before connecting: the client's key is only loaded
/// during the handshake, where an unreadable one shows up as the engine asking for a
/// certificate, with no word about the file.
#[cfg(feature = "tls")]
fn check_tls_files(discovery: &Discovery, tls: &TlsFiles) -> Result<()> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let unreadable = |what: &str, path: &std::path::Path, why: String| {
        Error::new(
            ErrorKind::EngineConfig,
            format!(
                "{what} in {} cannot be read ({why}); the engine at {} (from {}) needs ca.pem \
                 (the CA that signed the engine's certificate), cert.pem (the client \
                 certificate) and key.pem (its private key), each in PEM form",
                path.display(),
                discovery.endpoint,
                discovery.source
            ),
        )
    };
    for (what, path) in [
        ("the CA certificate", &tls.ca),
        ("the client certificate", &tls.cert),
    ] {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| unreadable(what, path, e.to_string()))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| unreadable(what, path, e.to_string()))?;
        if certs.is_empty() {
            return Err(unreadable(what, path, "it holds no certificate".into()));
        }
    }
    PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| {
        let why = match e {
            rustls_pki_types::pem::Error::NoItemsFound => "it holds no private key".to_string(),
            other => other.to_string(),
        };
        unreadable("the key", &tls.key, why)
    })?;
    Ok(())
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

/// The session this process belongs to, as 32 hex digits.
///
/// A session is what one reaper guards and what cross-process sharing spans: one
/// `cargo nextest` run (`NEXTEST_RUN_ID`, the same in every test process of the run), or a
/// session the user names (`THROWAWAY_SESSION`), or else this process alone.
fn session_id(env: &dyn Environment) -> String {
    match session_key(env) {
        Some(key) => {
            let digest = Sha256::digest(key.as_bytes());
            digest[..16].iter().map(|b| format!("{b:02x}")).collect()
        }
        None => format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
    }
}

/// What names a session that spans processes, if this process is part of one.
fn session_key(env: &dyn Environment) -> Option<String> {
    env.var("THROWAWAY_SESSION")
        .filter(|v| !v.trim().is_empty())
        .map(|name| format!("named:{name}"))
        .or_else(|| {
            env.var("NEXTEST_RUN_ID")
                .filter(|v| !v.trim().is_empty())
                .map(|run| format!("nextest:{run}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::environment::FakeEnvironment;

    fn tls_discovery(dir: &std::path::Path) -> (Discovery, TlsFiles) {
        let tls = TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
            verify: true,
        };
        let discovery = Discovery {
            endpoint: Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: 2376,
                tls: Some(tls.clone()),
            },
            host: "127.0.0.1".into(),
            local: true,
            source: "DOCKER_HOST".into(),
            tried: Vec::new(),
        };
        (discovery, tls)
    }

    const A_CERT: &str =
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
    const A_KEY: &str =
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n";

    #[cfg(feature = "tls")]
    #[test]
    fn a_garbage_key_is_named_before_any_handshake() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), A_CERT).unwrap();
        std::fs::write(dir.path().join("cert.pem"), A_CERT).unwrap();
        std::fs::write(dir.path().join("key.pem"), "garbage\n").unwrap();
        let (discovery, tls) = tls_discovery(dir.path());
        let err = check_tls_files(&discovery, &tls).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::EngineConfig);
        let key = dir.path().join("key.pem");
        assert!(
            err.message().starts_with(&format!(
                "the key in {} cannot be read (it holds no private key); the engine at \
                 tcp://127.0.0.1:2376 with TLS (from DOCKER_HOST) needs",
                key.display()
            )),
            "{err}"
        );
        std::fs::write(&key, A_KEY).unwrap();
        check_tls_files(&discovery, &tls).expect("PEM files are readable");
    }

    #[cfg(feature = "tls")]
    #[test]
    fn a_missing_or_empty_certificate_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), A_CERT).unwrap();
        std::fs::write(dir.path().join("cert.pem"), "not a certificate\n").unwrap();
        std::fs::write(dir.path().join("key.pem"), A_KEY).unwrap();
        let (discovery, tls) = tls_discovery(dir.path());
        let err = check_tls_files(&discovery, &tls).unwrap_err();
        let cert = dir.path().join("cert.pem");
        assert!(
            err.message().starts_with(&format!(
                "the client certificate in {} cannot be read (it holds no certificate)",
                cert.display()
            )),
            "{err}"
        );
        std::fs::remove_file(dir.path().join("ca.pem")).unwrap();
        let err = check_tls_files(&discovery, &tls).unwrap_err();
        assert!(err.message().starts_with("the CA certificate in "), "{err}");
    }

    #[test]
    fn a_refused_certificate_gets_a_tls_headline_with_the_cause() {
        assert!(is_tls_failure(
            "client error (Connect): invalid peer certificate: UnknownIssuer"
        ));
        assert!(is_tls_failure("error: received fatal alert: UnknownCA"));
        assert!(!is_tls_failure(
            "client error (Connect): tcp connect error: Connection refused (os error 111)"
        ));
        let (discovery, tls) = tls_discovery(std::path::Path::new("/certs"));
        let err = tls_refused(&discovery, &tls, "invalid peer certificate: UnknownIssuer");
        assert_eq!(err.kind(), ErrorKind::EngineConfig);
        assert_eq!(
            err.message(),
            "the engine at tcp://127.0.0.1:2376 with TLS (from DOCKER_HOST) answered, but the \
             TLS handshake failed: invalid peer certificate: UnknownIssuer. Check the files in \
             /certs: ca.pem must be the CA that signed the engine's certificate, and cert.pem \
             with key.pem a client certificate that the engine's CA signed"
        );
        assert!(!err.message().contains("Start Docker"));
    }

    #[test]
    fn one_session_per_nextest_run_or_name_else_per_process() {
        let run = FakeEnvironment::new().var("NEXTEST_RUN_ID", "0b9d-run");
        assert_eq!(session_id(&run), session_id(&run));
        assert_eq!(session_id(&run).len(), 32);
        let named = FakeEnvironment::new()
            .var("NEXTEST_RUN_ID", "0b9d-run")
            .var("THROWAWAY_SESSION", "suite");
        assert_ne!(
            session_id(&named),
            session_id(&run),
            "a name wins over the run"
        );
        let alone = FakeEnvironment::new();
        assert_ne!(session_id(&alone), session_id(&alone));
        assert!(session_id(&alone).bytes().all(|b| b.is_ascii_hexdigit()));
    }
}

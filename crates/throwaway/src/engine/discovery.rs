//! Where is the engine? Discovery from the environment, in Testcontainers' order.
//!
//! 1. `DOCKER_HOST`.
//! 2. `docker.host` in `~/.testcontainers.properties`.
//! 3. `tc.host` in `~/.testcontainers.properties` (written by Testcontainers Desktop/Cloud).
//!    Java tries it after `docker.host` and Go before `DOCKER_HOST`; we follow Java, where an
//!    explicit `DOCKER_HOST` wins.
//! 4. The current docker context: `DOCKER_CONTEXT`, else `currentContext` in
//!    `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`). Its metadata lives in
//!    `<config dir>/contexts/meta/<sha256 of the name>/meta.json` (`Endpoints.docker.Host`), its
//!    TLS files in `<config dir>/contexts/tls/<sha256 of the name>/docker/`. The context
//!    `default` means "no context": fall through.
//! 5. The first socket that exists: `/var/run/docker.sock`; rootless Docker at
//!    `$XDG_RUNTIME_DIR/docker.sock`; Docker Desktop at `~/.docker/run/docker.sock` and
//!    `~/.docker/desktop/docker.sock`; rootless Docker at `/run/user/<uid>/docker.sock`;
//!    Podman at `$XDG_RUNTIME_DIR/podman/podman.sock`, `/run/user/<uid>/podman/podman.sock`
//!    and `/run/podman/podman.sock`.
//! 6. Nothing found: `/var/run/docker.sock` anyway, so that the connection fails with a
//!    message listing everything that was looked at.
//!
//! TLS: `DOCKER_TLS_VERIFY` set (and not `0`/`false`) or an `https://` URL means TLS with
//! `ca.pem`, `cert.pem` and `key.pem` from `DOCKER_CERT_PATH` (default: the docker config
//! directory, `$DOCKER_CONFIG` or `~/.docker`, as the docker CLI does). For an endpoint from
//! the properties file, `docker.tls.verify` and `docker.cert.path` there apply too (the
//! environment still wins). Contexts bring their own TLS directory and `SkipTLSVerify`.
//!
//! Discovery only reads configuration and checks that paths exist; it never connects.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::environment::Environment;
use super::properties::{Setting, Settings, PROPERTIES_FILE_DISPLAY};
use crate::error::{Error, ErrorKind, Result};

/// The socket a rootful Docker engine listens on, and the answer when nothing else is found.
pub(crate) const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The port of a plain-TCP engine when the URL names none.
pub(crate) const DEFAULT_TCP_PORT: u16 = 2375;

/// The port of a TLS engine when the URL names none.
pub(crate) const DEFAULT_TLS_PORT: u16 = 2376;

/// The engine to connect to, and how tests reach the ports it publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Discovery {
    /// How to connect.
    pub endpoint: Endpoint,
    /// The host name tests use to reach published ports.
    pub host: String,
    /// Whether ports should be published on 127.0.0.1 only: the engine is on this machine
    /// (a socket, a named pipe, TCP to loopback) and tests reach it through loopback.
    pub local: bool,
    /// Where the endpoint came from, for messages: `DOCKER_HOST`,
    /// `~/.testcontainers.properties (docker.host)`, `docker context 'colima'`,
    /// `default socket /var/run/docker.sock`, …
    pub source: String,
    /// Every candidate looked at, in order, with what was found; for the error when no engine
    /// answers.
    pub tried: Vec<String>,
}

/// How to connect to an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// A Unix socket.
    Unix(PathBuf),
    /// TCP, plain or with TLS. `host` has no brackets, even for IPv6.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port; 2375 plain and 2376 with TLS unless the URL names one.
        port: u16,
        /// Client certificate and CA when the engine wants TLS.
        tls: Option<TlsFiles>,
    },
    /// A Windows named pipe, as written after `npipe://` (e.g. `//./pipe/docker_engine`).
    NamedPipe(String),
}

/// The files of a TLS connection (`DOCKER_CERT_PATH` or a context's TLS directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsFiles {
    /// The CA certificate that signed the engine's certificate (`ca.pem`).
    pub ca: PathBuf,
    /// The client certificate (`cert.pem`).
    pub cert: PathBuf,
    /// The client key (`key.pem`).
    pub key: PathBuf,
    /// Whether to verify the engine's certificate (`DOCKER_TLS_VERIFY`, or a context's
    /// `SkipTLSVerify` unset).
    pub verify: bool,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Tcp { host, port, tls } => {
                if host.contains(':') {
                    write!(f, "tcp://[{host}]:{port}")?;
                } else {
                    write!(f, "tcp://{host}:{port}")?;
                }
                if tls.is_some() {
                    f.write_str(" with TLS")?;
                }
                Ok(())
            }
            Endpoint::NamedPipe(pipe) => write!(f, "npipe://{pipe}"),
        }
    }
}

/// Finds the engine as described in the module docs.
///
/// # Errors
///
/// [`ErrorKind::EngineConfig`] when a configured endpoint is unusable: an unsupported scheme
/// (`ssh://`), a malformed URL, a missing TLS file, a docker context without metadata. The
/// message names the variable, key or context that held the value.
pub(crate) fn discover(env: &dyn Environment, settings: &Settings) -> Result<Discovery> {
    let mut tried = Vec::new();
    let found = find_endpoint(env, settings, &mut tried)?;

    let tcp_host = match &found.endpoint {
        Endpoint::Tcp { host, .. } => Some(host.as_str()),
        Endpoint::Unix(_) | Endpoint::NamedPipe(_) => None,
    };
    let endpoint_local = tcp_host.is_none_or(is_loopback_host);
    let (host, local) = match (settings.host_override(), tcp_host) {
        // Binding to 127.0.0.1 only would make ports unreachable under a non-loopback name
        // (e.g. host.docker.internal from inside a container), so such an override turns
        // `local` off.
        (Some(name), _) => {
            let local = endpoint_local && is_loopback_host(&name);
            (name, local)
        }
        (None, Some(remote)) if !endpoint_local => (remote.to_string(), false),
        // 127.0.0.1 rather than `localhost`: ports are bound on 127.0.0.1 only, and
        // `localhost` may resolve to ::1 first.
        (None, _) => ("127.0.0.1".to_string(), true),
    };

    Ok(Discovery {
        endpoint: found.endpoint,
        host,
        local,
        source: found.source,
        tried,
    })
}

/// An endpoint and where it came from.
struct Found {
    endpoint: Endpoint,
    source: String,
}

fn find_endpoint(
    env: &dyn Environment,
    settings: &Settings,
    tried: &mut Vec<String>,
) -> Result<Found> {
    if let Some(value) = settings.env_var("DOCKER_HOST") {
        tried.push(format!("DOCKER_HOST ({value})"));
        let endpoint = endpoint_from_url(env, settings, value, "DOCKER_HOST", false)?;
        return Ok(Found {
            endpoint,
            source: "DOCKER_HOST".to_string(),
        });
    }
    tried.push("DOCKER_HOST (not set)".to_string());

    for key in ["docker.host", "tc.host"] {
        let origin = format!("{key} in {PROPERTIES_FILE_DISPLAY}");
        if let Some(value) = settings.property(key) {
            tried.push(format!("{origin} ({value})"));
            let endpoint = endpoint_from_url(env, settings, value, &origin, true)?;
            return Ok(Found {
                endpoint,
                source: format!("{PROPERTIES_FILE_DISPLAY} ({key})"),
            });
        }
        tried.push(format!("{origin} (not set)"));
    }

    if let Some(found) = from_docker_context(env, tried)? {
        return Ok(found);
    }

    for candidate in socket_candidates(env) {
        match candidate {
            Candidate::Socket { kind, path } => {
                if env.exists(&path) {
                    tried.push(format!("{} (found)", path.display()));
                    return Ok(Found {
                        source: format!("{kind} {}", path.display()),
                        endpoint: Endpoint::Unix(path),
                    });
                }
                tried.push(format!("{} (not found)", path.display()));
            }
            Candidate::Unknown(what) => tried.push(what),
        }
    }

    Ok(Found {
        endpoint: Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET)),
        source: format!("default socket {DEFAULT_SOCKET}"),
    })
}

/// An engine URL, before TLS is decided.
#[derive(Debug, PartialEq, Eq)]
enum HostUrl {
    Unix(PathBuf),
    Tcp {
        host: String,
        port: Option<u16>,
        https: bool,
    },
    NamedPipe(String),
}

/// Parses `value` (which came from `origin`) and adds the TLS files the environment asks for.
/// `from_properties`: `docker.tls.verify` / `docker.cert.path` apply too.
fn endpoint_from_url(
    env: &dyn Environment,
    settings: &Settings,
    value: &str,
    origin: &str,
    from_properties: bool,
) -> Result<Endpoint> {
    match parse_host_url(value, origin)? {
        HostUrl::Unix(path) => Ok(Endpoint::Unix(path)),
        HostUrl::NamedPipe(pipe) => Ok(Endpoint::NamedPipe(pipe)),
        HostUrl::Tcp { host, port, https } => {
            let setting = |env_name: &str, key: &str| {
                if from_properties {
                    settings.lookup(env_name, key)
                } else {
                    settings.env_var(env_name).map(|value| Setting {
                        value: value.to_string(),
                        origin: env_name.to_string(),
                    })
                }
            };
            let verify =
                setting("DOCKER_TLS_VERIFY", "docker.tls.verify").filter(|s| is_truthy(&s.value));
            let why = match (&verify, https) {
                (_, true) => "https://".to_string(),
                (Some(v), false) => format!("{} is '{}'", v.origin, v.value),
                (None, false) => {
                    return Ok(Endpoint::Tcp {
                        host,
                        port: port.unwrap_or(DEFAULT_TCP_PORT),
                        tls: None,
                    })
                }
            };
            let (dir, dir_note) = match setting("DOCKER_CERT_PATH", "docker.cert.path") {
                Some(s) => (
                    PathBuf::from(&s.value),
                    format!("the directory {} names", s.origin),
                ),
                None => {
                    let dir = docker_config_dir(env).ok_or_else(|| {
                        config_error(format!(
                            "{origin} asks for TLS ({why}), but DOCKER_CERT_PATH is not set and \
                             there is no home directory to find ~/.docker in; set \
                             DOCKER_CERT_PATH to the directory with ca.pem, cert.pem and key.pem"
                        ))
                    })?;
                    (
                        dir,
                        "the default, as DOCKER_CERT_PATH is not set".to_string(),
                    )
                }
            };
            let tls = tls_files(
                env,
                &dir,
                verify.is_some(),
                &format!("{origin} asks for TLS ({why})"),
                &dir_note,
            )?;
            Ok(Endpoint::Tcp {
                host,
                port: port.unwrap_or(DEFAULT_TLS_PORT),
                tls: Some(tls),
            })
        }
    }
}

/// `ca.pem`, `cert.pem` and `key.pem` in `dir`, all of which must exist. `asks` and
/// `dir_note` explain, for the error, why TLS is used and where `dir` came from.
fn tls_files(
    env: &dyn Environment,
    dir: &Path,
    verify: bool,
    asks: &str,
    dir_note: &str,
) -> Result<TlsFiles> {
    let [ca, cert, key] = ["ca.pem", "cert.pem", "key.pem"].map(|name| dir.join(name));
    for file in [&ca, &cert, &key] {
        if !env.exists(file) {
            return Err(config_error(format!(
                "{asks}, but {} does not exist; put ca.pem, cert.pem and key.pem in {} \
                 ({dir_note})",
                file.display(),
                dir.display()
            )));
        }
    }
    Ok(TlsFiles {
        ca,
        cert,
        key,
        verify,
    })
}

/// Docker's reading of `DOCKER_TLS_VERIFY`: set means yes, except the obvious "no" values.
fn is_truthy(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty() && value != "0" && !value.eq_ignore_ascii_case("false")
}

/// Parses an engine URL that came from `origin` (a variable, key or context, for messages).
fn parse_host_url(value: &str, origin: &str) -> Result<HostUrl> {
    let bad = |why: String| config_error(format!("{origin} is '{value}', which {why}"));
    let Some((scheme, rest)) = value.split_once("://") else {
        let hint = if value.starts_with('/') {
            format!("; for a socket write unix://{value}")
        } else {
            format!("; for a TCP address write tcp://{value}")
        };
        return Err(bad(format!("is not an engine URL: it has no scheme{hint}")));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "unix" => {
            if rest.is_empty() {
                Err(bad(
                    "names no socket path (write unix:///path/to/docker.sock)".into(),
                ))
            } else if !rest.starts_with('/') {
                Err(bad(format!(
                    "has a relative socket path; write an absolute one: unix:///{rest}"
                )))
            } else {
                Ok(HostUrl::Unix(PathBuf::from(rest)))
            }
        }
        "npipe" => {
            if rest.is_empty() {
                Err(bad(
                    "names no pipe (write npipe:////./pipe/docker_engine)".into()
                ))
            } else {
                Ok(HostUrl::NamedPipe(rest.to_string()))
            }
        }
        scheme @ ("tcp" | "http" | "https") => {
            let (host, port) = parse_authority(rest).map_err(bad)?;
            Ok(HostUrl::Tcp {
                host,
                port,
                https: scheme == "https",
            })
        }
        other => {
            let ssh_hint = if other == "ssh" {
                "; to reach an engine over SSH, forward its socket (ssh -NL \
                 /tmp/docker.sock:/var/run/docker.sock user@host) and set \
                 DOCKER_HOST=unix:///tmp/docker.sock"
            } else {
                ""
            };
            Err(bad(format!(
                "uses the '{other}' scheme; throwaway supports unix://, tcp://, http://, \
                 https:// and npipe://{ssh_hint}"
            )))
        }
    }
}

/// `host[:port]` with an optional trailing `/`; the error completes "… which {error}".
fn parse_authority(rest: &str) -> std::result::Result<(String, Option<u16>), String> {
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if !path.is_empty() && path != "/" {
        return Err(format!(
            "has a path ('{path}') after the address; only host and port are supported"
        ));
    }
    if authority.contains('@') {
        return Err("has a user name; only host and port are supported".into());
    }
    let bracketed = authority.starts_with('[');
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err("has a '[' without the closing ']'".into());
        };
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!(
                "has '{host}' in brackets, which is not an IPv6 address"
            ));
        }
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return Err(format!("has '{after}' after the IPv6 address")),
            },
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err(
                    "has more than one ':'; write IPv6 addresses in brackets: tcp://[::1]:2375"
                        .into(),
                );
            }
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("names no host".into());
    }
    let host_name_chars = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !bracketed && (!host_name_chars || !host.starts_with(|c: char| c.is_ascii_alphanumeric())) {
        return Err(format!(
            "has '{host}', which is not a host name or IP address"
        ));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return Err(format!(
                    "has port '{p}', which is not a number from 1 to 65535"
                ))
            }
        },
    };
    Ok((host.to_string(), port))
}

/// The docker CLI's configuration directory: `DOCKER_CONFIG`, else `~/.docker`.
pub(crate) fn docker_config_dir(env: &dyn Environment) -> Option<PathBuf> {
    match env.var("DOCKER_CONFIG").filter(|v| !v.trim().is_empty()) {
        Some(dir) => Some(PathBuf::from(dir.trim())),
        None => env.home_dir().map(|home| home.join(".docker")),
    }
}

/// The name of a context's directories: the SHA-256 of its name, in lowercase hex.
fn context_dir_name(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The endpoint of the current docker context, unless it is `default` (or none is set).
fn from_docker_context(env: &dyn Environment, tried: &mut Vec<String>) -> Result<Option<Found>> {
    let Some(config_dir) = docker_config_dir(env) else {
        tried.push("docker context (no DOCKER_CONFIG and no home directory)".to_string());
        return Ok(None);
    };
    let (name, chosen_by) = match env.var("DOCKER_CONTEXT").filter(|v| !v.trim().is_empty()) {
        Some(name) => (name.trim().to_string(), "DOCKER_CONTEXT".to_string()),
        None => {
            let config_file = config_dir.join("config.json");
            match current_context(env, &config_file)? {
                Some(name) => (name, format!("currentContext in {}", config_file.display())),
                None => {
                    tried.push("docker context (none selected)".to_string());
                    return Ok(None);
                }
            }
        }
    };
    if name == "default" {
        tried.push(format!("docker context 'default' (from {chosen_by})"));
        return Ok(None);
    }

    let dir_name = context_dir_name(&name);
    let label = format!("docker context '{name}'");
    let meta_file = config_dir
        .join("contexts")
        .join("meta")
        .join(&dir_name)
        .join("meta.json");
    let Some(text) = env.read_to_string(&meta_file) else {
        return Err(config_error(format!(
            "{label} (selected by {chosen_by}) has no metadata at {}; `docker context ls` \
             lists the contexts that exist: select one with `docker context use`, or set \
             DOCKER_HOST",
            meta_file.display()
        )));
    };
    let meta: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        config_error(format!(
            "{label}: {} is not valid JSON ({e})",
            meta_file.display()
        ))
        .with_source(e)
    })?;
    let docker = &meta["Endpoints"]["docker"];
    let Some(host) = docker["Host"].as_str().filter(|h| !h.trim().is_empty()) else {
        return Err(config_error(format!(
            "{label} has no docker endpoint (Endpoints.docker.Host in {})",
            meta_file.display()
        )));
    };
    let host = host.trim();
    tried.push(format!("{label} ({host})"));

    let endpoint = match parse_host_url(host, &label)? {
        HostUrl::Unix(path) => Endpoint::Unix(path),
        HostUrl::NamedPipe(pipe) => Endpoint::NamedPipe(pipe),
        HostUrl::Tcp { host, port, https } => {
            let tls_dir = config_dir
                .join("contexts")
                .join("tls")
                .join(&dir_name)
                .join("docker");
            let has_tls_files = ["ca.pem", "cert.pem", "key.pem"]
                .iter()
                .any(|f| env.exists(&tls_dir.join(f)));
            let tls = if https || has_tls_files {
                let verify = !docker["SkipTLSVerify"].as_bool().unwrap_or(false);
                Some(tls_files(
                    env,
                    &tls_dir,
                    verify,
                    &format!("{label} uses TLS"),
                    "the context's TLS directory",
                )?)
            } else {
                None
            };
            let default_port = if tls.is_some() {
                DEFAULT_TLS_PORT
            } else {
                DEFAULT_TCP_PORT
            };
            Endpoint::Tcp {
                host,
                port: port.unwrap_or(default_port),
                tls,
            }
        }
    };
    Ok(Some(Found {
        endpoint,
        source: label,
    }))
}

/// `currentContext` from the docker CLI's `config.json`, if the file exists and sets one.
fn current_context(env: &dyn Environment, config_file: &Path) -> Result<Option<String>> {
    let Some(text) = env.read_to_string(config_file) else {
        return Ok(None);
    };
    // The docker CLI refuses to run with a broken config.json, so do not guess past one.
    let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        config_error(format!(
            "{} is not valid JSON ({e}), so the current docker context cannot be read; fix \
             the file or set DOCKER_HOST",
            config_file.display()
        ))
        .with_source(e)
    })?;
    Ok(config["currentContext"]
        .as_str()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string))
}

/// A socket path to try, or a note on why one could not be tried.
enum Candidate {
    Socket { kind: &'static str, path: PathBuf },
    Unknown(String),
}

/// The usual socket paths, in order, without duplicates (`$XDG_RUNTIME_DIR` is usually
/// `/run/user/<uid>`).
fn socket_candidates(env: &dyn Environment) -> Vec<Candidate> {
    let xdg = env
        .var("XDG_RUNTIME_DIR")
        .filter(|v| !v.trim().is_empty())
        .map(PathBuf::from);
    let home = env.home_dir();
    let run_user = env
        .uid()
        .map(|uid| PathBuf::from(format!("/run/user/{uid}")));

    let mut candidates = vec![Candidate::Socket {
        kind: "default socket",
        path: PathBuf::from(DEFAULT_SOCKET),
    }];
    let mut add = |kind, path: Option<PathBuf>, unknown: &str| match path {
        Some(path) => candidates.push(Candidate::Socket { kind, path }),
        None => candidates.push(Candidate::Unknown(unknown.to_string())),
    };
    add(
        "rootless Docker socket",
        xdg.as_ref().map(|d| d.join("docker.sock")),
        "$XDG_RUNTIME_DIR/docker.sock (XDG_RUNTIME_DIR not set)",
    );
    add(
        "Docker Desktop socket",
        home.as_ref().map(|h| h.join(".docker/run/docker.sock")),
        "~/.docker/run/docker.sock (no home directory)",
    );
    add(
        "Docker Desktop socket",
        home.as_ref().map(|h| h.join(".docker/desktop/docker.sock")),
        "~/.docker/desktop/docker.sock (no home directory)",
    );
    add(
        "rootless Docker socket",
        run_user.as_ref().map(|d| d.join("docker.sock")),
        "/run/user/<uid>/docker.sock (uid unknown)",
    );
    add(
        "Podman socket",
        xdg.as_ref().map(|d| d.join("podman/podman.sock")),
        "$XDG_RUNTIME_DIR/podman/podman.sock (XDG_RUNTIME_DIR not set)",
    );
    add(
        "Podman socket",
        run_user.as_ref().map(|d| d.join("podman/podman.sock")),
        "/run/user/<uid>/podman/podman.sock (uid unknown)",
    );
    add(
        "Podman socket",
        Some(PathBuf::from("/run/podman/podman.sock")),
        "",
    );

    let mut seen = std::collections::HashSet::new();
    candidates.retain(|c| match c {
        Candidate::Socket { path, .. } => seen.insert(path.clone()),
        Candidate::Unknown(_) => true,
    });
    candidates
}

/// `localhost`, `127.x.x.x` or `::1` (with or without brackets).
fn is_loopback_host(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::EngineConfig, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::environment::FakeEnvironment;

    const PROPS: &str = "/home/test/.testcontainers.properties";

    fn run(env: &FakeEnvironment) -> Result<Discovery> {
        discover(env, &Settings::load(env))
    }

    fn ok(env: &FakeEnvironment) -> Discovery {
        run(env).unwrap_or_else(|e| panic!("discovery failed: {e:?}"))
    }

    fn err(env: &FakeEnvironment) -> Error {
        match run(env) {
            Ok(d) => panic!("expected an error, got {d:?}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::EngineConfig, "{e:?}");
                e
            }
        }
    }

    fn with_certs(env: FakeEnvironment, dir: &str) -> FakeEnvironment {
        env.exists(format!("{dir}/ca.pem"))
            .exists(format!("{dir}/cert.pem"))
            .exists(format!("{dir}/key.pem"))
    }

    fn tcp(host: &str, port: u16, tls: Option<TlsFiles>) -> Endpoint {
        Endpoint::Tcp {
            host: host.to_string(),
            port,
            tls,
        }
    }

    fn certs(dir: &str, verify: bool) -> TlsFiles {
        TlsFiles {
            ca: PathBuf::from(format!("{dir}/ca.pem")),
            cert: PathBuf::from(format!("{dir}/cert.pem")),
            key: PathBuf::from(format!("{dir}/key.pem")),
            verify,
        }
    }

    // ---- DOCKER_HOST ----

    #[test]
    fn docker_host_unix_socket() {
        let d = ok(&FakeEnvironment::new().var("DOCKER_HOST", "unix:///tmp/engine.sock"));
        assert_eq!(
            d.endpoint,
            Endpoint::Unix(PathBuf::from("/tmp/engine.sock"))
        );
        assert_eq!(d.source, "DOCKER_HOST");
        assert_eq!(d.host, "127.0.0.1");
        assert!(d.local);
        assert_eq!(d.tried, ["DOCKER_HOST (unix:///tmp/engine.sock)"]);
    }

    #[test]
    fn docker_host_wins_over_everything_else() {
        // Not even a broken context is looked at once DOCKER_HOST is set.
        let env = FakeEnvironment::new()
            .var("DOCKER_HOST", "tcp://10.1.2.3:2375")
            .var("DOCKER_CONTEXT", "missing")
            .file(PROPS, "docker.host=unix:///other.sock\n")
            .exists(DEFAULT_SOCKET);
        let d = ok(&env);
        assert_eq!(d.endpoint, tcp("10.1.2.3", 2375, None));
        assert_eq!(d.source, "DOCKER_HOST");
    }

    #[test]
    fn docker_host_remote_tcp() {
        let d = ok(&FakeEnvironment::new().var("DOCKER_HOST", "tcp://docker.example.com"));
        assert_eq!(d.endpoint, tcp("docker.example.com", 2375, None));
        assert_eq!(d.host, "docker.example.com");
        assert!(!d.local);
    }

    #[test]
    fn docker_host_tcp_to_loopback_is_local() {
        for url in [
            "tcp://localhost:2375",
            "tcp://127.0.0.1:2375/",
            "http://127.0.0.2:2375",
            "tcp://[::1]:2375",
        ] {
            let d = ok(&FakeEnvironment::new().var("DOCKER_HOST", url));
            assert!(d.local, "{url}");
            assert_eq!(d.host, "127.0.0.1", "{url}");
        }
    }

    #[test]
    fn docker_host_ipv6_in_brackets() {
        let d = ok(&FakeEnvironment::new().var("DOCKER_HOST", "tcp://[2001:db8::1]:2375"));
        assert_eq!(d.endpoint, tcp("2001:db8::1", 2375, None));
        assert_eq!(d.endpoint.to_string(), "tcp://[2001:db8::1]:2375");
        assert_eq!(d.host, "2001:db8::1");
        assert!(!d.local);
    }

    #[test]
    fn docker_host_named_pipe() {
        let d = ok(&FakeEnvironment::new().var("DOCKER_HOST", "npipe:////./pipe/docker_engine"));
        assert_eq!(
            d.endpoint,
            Endpoint::NamedPipe("//./pipe/docker_engine".into())
        );
        assert_eq!(d.endpoint.to_string(), "npipe:////./pipe/docker_engine");
        assert!(d.local);
    }

    #[test]
    fn docker_host_https_means_tls_without_verification_unless_asked() {
        let env = with_certs(
            FakeEnvironment::new()
                .var("DOCKER_HOST", "https://docker.example.com")
                .var("DOCKER_CERT_PATH", "/certs"),
            "/certs",
        );
        let d = ok(&env);
        assert_eq!(
            d.endpoint,
            tcp("docker.example.com", 2376, Some(certs("/certs", false)))
        );
        assert_eq!(
            d.endpoint.to_string(),
            "tcp://docker.example.com:2376 with TLS"
        );
    }

    #[test]
    fn docker_tls_verify_turns_tcp_into_verified_tls() {
        let env = with_certs(
            FakeEnvironment::new()
                .var("DOCKER_HOST", "tcp://docker.example.com")
                .var("DOCKER_TLS_VERIFY", "1")
                .var("DOCKER_CERT_PATH", "/certs"),
            "/certs",
        );
        let d = ok(&env);
        assert_eq!(
            d.endpoint,
            tcp("docker.example.com", 2376, Some(certs("/certs", true)))
        );
    }

    #[test]
    fn docker_tls_verify_zero_or_false_means_plain_tcp() {
        for off in ["0", "false", "FALSE", ""] {
            let env = FakeEnvironment::new()
                .var("DOCKER_HOST", "tcp://docker.example.com:2375")
                .var("DOCKER_TLS_VERIFY", off);
            assert_eq!(
                ok(&env).endpoint,
                tcp("docker.example.com", 2375, None),
                "{off:?}"
            );
        }
    }

    #[test]
    fn tls_certificates_default_to_the_docker_config_dir() {
        let env = with_certs(
            FakeEnvironment::new()
                .var("DOCKER_HOST", "tcp://docker.example.com:9999")
                .var("DOCKER_TLS_VERIFY", "yes"),
            "/home/test/.docker",
        );
        let d = ok(&env);
        assert_eq!(
            d.endpoint,
            tcp(
                "docker.example.com",
                9999,
                Some(certs("/home/test/.docker", true))
            )
        );

        let env = with_certs(
            FakeEnvironment::new()
                .var("DOCKER_HOST", "tcp://docker.example.com")
                .var("DOCKER_TLS_VERIFY", "1")
                .var("DOCKER_CONFIG", "/etc/docker-client"),
            "/etc/docker-client",
        );
        assert_eq!(
            ok(&env).endpoint,
            tcp(
                "docker.example.com",
                2376,
                Some(certs("/etc/docker-client", true))
            )
        );
    }

    #[test]
    fn a_missing_certificate_file_is_named_with_its_variable() {
        let env = FakeEnvironment::new()
            .var("DOCKER_HOST", "tcp://docker.example.com")
            .var("DOCKER_TLS_VERIFY", "1")
            .var("DOCKER_CERT_PATH", "/certs")
            .exists("/certs/ca.pem")
            .exists("/certs/cert.pem");
        let e = err(&env);
        let msg = e.message();
        assert!(msg.contains("/certs/key.pem does not exist"), "{msg}");
        assert!(msg.contains("DOCKER_CERT_PATH"), "{msg}");
        assert!(msg.contains("DOCKER_TLS_VERIFY is '1'"), "{msg}");
        assert!(msg.contains("DOCKER_HOST"), "{msg}");

        let e = err(&FakeEnvironment::new().var("DOCKER_HOST", "https://docker.example.com"));
        let msg = e.message();
        assert!(
            msg.contains("/home/test/.docker/ca.pem does not exist"),
            "{msg}"
        );
        assert!(msg.contains("DOCKER_CERT_PATH is not set"), "{msg}");
        assert!(msg.contains("https://"), "{msg}");
    }

    #[test]
    fn tls_is_ignored_for_unix_sockets() {
        let env = FakeEnvironment::new()
            .var("DOCKER_HOST", "unix:///var/run/docker.sock")
            .var("DOCKER_TLS_VERIFY", "1");
        assert_eq!(ok(&env).endpoint, Endpoint::Unix(DEFAULT_SOCKET.into()));
    }

    #[test]
    fn ssh_is_refused_with_what_is_supported() {
        let e = err(&FakeEnvironment::new().var("DOCKER_HOST", "ssh://me@build-box"));
        let msg = e.message();
        assert!(
            msg.starts_with("DOCKER_HOST is 'ssh://me@build-box'"),
            "{msg}"
        );
        assert!(msg.contains("'ssh' scheme"), "{msg}");
        assert!(
            msg.contains("unix://, tcp://, http://, https:// and npipe://"),
            "{msg}"
        );
        assert!(msg.contains("ssh -NL"), "{msg}");
    }

    #[test]
    fn malformed_urls_are_refused_naming_the_variable() {
        for (url, expected) in [
            ("/var/run/docker.sock", "write unix:///var/run/docker.sock"),
            (
                "docker.example.com:2375",
                "write tcp://docker.example.com:2375",
            ),
            ("unix://", "names no socket path"),
            ("unix://run/docker.sock", "relative socket path"),
            ("npipe://", "names no pipe"),
            ("tcp://", "names no host"),
            ("tcp://:2375", "names no host"),
            ("tcp://host:", "port ''"),
            ("tcp://host:99999", "port '99999'"),
            ("tcp://host:0", "port '0'"),
            ("tcp://host:abc", "port 'abc'"),
            ("tcp://::1:2375", "IPv6 addresses in brackets"),
            ("tcp://[::1:2375", "without the closing"),
            ("tcp://[nope]:2375", "not an IPv6 address"),
            ("tcp://user@host:2375", "user name"),
            ("tcp://host:2375/v1.41", "path ('/v1.41')"),
            ("tcp://ho st:2375", "not a host name"),
            ("fd://", "'fd' scheme"),
        ] {
            let e = err(&FakeEnvironment::new().var("DOCKER_HOST", url));
            let msg = e.message();
            assert!(
                msg.starts_with(&format!("DOCKER_HOST is '{url}'")),
                "{url}: {msg}"
            );
            assert!(
                msg.contains(expected),
                "{url}: expected {expected:?} in {msg}"
            );
        }
    }

    // ---- ~/.testcontainers.properties ----

    #[test]
    fn docker_host_from_the_properties_file() {
        let env = FakeEnvironment::new()
            .file(PROPS, "docker.host = tcp://10.0.0.5:2375\n")
            .exists(DEFAULT_SOCKET);
        let d = ok(&env);
        assert_eq!(d.endpoint, tcp("10.0.0.5", 2375, None));
        assert_eq!(d.source, "~/.testcontainers.properties (docker.host)");
        assert_eq!(
            d.tried,
            [
                "DOCKER_HOST (not set)",
                "docker.host in ~/.testcontainers.properties (tcp://10.0.0.5:2375)"
            ]
        );
    }

    #[test]
    fn tls_settings_from_the_properties_file_apply_to_its_docker_host() {
        let env = with_certs(
            FakeEnvironment::new().file(
                PROPS,
                "docker.host=tcp://10.0.0.5\ndocker.tls.verify=1\ndocker.cert.path=/props-certs\n",
            ),
            "/props-certs",
        );
        assert_eq!(
            ok(&env).endpoint,
            tcp("10.0.0.5", 2376, Some(certs("/props-certs", true)))
        );

        let env = FakeEnvironment::new().file(
            PROPS,
            "docker.host=tcp://10.0.0.5\ndocker.tls.verify=1\ndocker.cert.path=/props-certs\n",
        );
        let msg = err(&env).message().to_string();
        assert!(msg.contains("/props-certs/ca.pem does not exist"), "{msg}");
        assert!(
            msg.contains("docker.cert.path in ~/.testcontainers.properties"),
            "{msg}"
        );
        assert!(
            msg.contains("docker.tls.verify in ~/.testcontainers.properties is '1'"),
            "{msg}"
        );
    }

    #[test]
    fn properties_tls_settings_do_not_apply_to_docker_host_from_the_environment() {
        let env = FakeEnvironment::new()
            .var("DOCKER_HOST", "tcp://10.0.0.5:2375")
            .file(PROPS, "docker.tls.verify=1\n");
        assert_eq!(ok(&env).endpoint, tcp("10.0.0.5", 2375, None));
    }

    #[test]
    fn a_bad_url_in_the_properties_file_names_the_key() {
        let env = FakeEnvironment::new().file(PROPS, "docker.host=ssh://box\n");
        let msg = err(&env).message().to_string();
        assert!(
            msg.starts_with("docker.host in ~/.testcontainers.properties is 'ssh://box'"),
            "{msg}"
        );
    }

    #[test]
    fn tc_host_from_the_properties_file() {
        let env = FakeEnvironment::new().file(PROPS, "tc.host=tcp://127.0.0.1:61234\n");
        let d = ok(&env);
        assert_eq!(d.endpoint, tcp("127.0.0.1", 61234, None));
        assert_eq!(d.source, "~/.testcontainers.properties (tc.host)");
        assert!(d.local);
    }

    // ---- docker contexts ----

    fn context_meta(
        config_dir: &str,
        name: &str,
        host: &str,
        skip_tls_verify: bool,
    ) -> (String, String) {
        // The directory is named by the SHA-256 of the context name.
        let hash: String = Sha256::digest(name.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = format!("{config_dir}/contexts/meta/{hash}/meta.json");
        let json = serde_json::json!({
            "Name": name,
            "Metadata": {"Description": "test"},
            "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip_tls_verify}}
        });
        (path, json.to_string())
    }

    #[test]
    fn context_directories_are_named_by_sha256() {
        assert_eq!(
            context_dir_name("colima"),
            "f24fd3749c1368328e2b149bec149cb6795619f244c5b584e844961215dadd16"
        );
    }

    #[test]
    fn context_selected_by_docker_context() {
        let (meta, json) = context_meta(
            "/home/test/.docker",
            "colima",
            "unix:///home/test/.colima/default/docker.sock",
            false,
        );
        let env = FakeEnvironment::new()
            .var("DOCKER_CONTEXT", "colima")
            .file(meta, &json)
            .exists(DEFAULT_SOCKET);
        let d = ok(&env);
        assert_eq!(
            d.endpoint,
            Endpoint::Unix("/home/test/.colima/default/docker.sock".into())
        );
        assert_eq!(d.source, "docker context 'colima'");
        assert!(d.local);
        assert_eq!(
            d.tried.last().unwrap(),
            "docker context 'colima' (unix:///home/test/.colima/default/docker.sock)"
        );
    }

    #[test]
    fn context_selected_by_config_json_in_docker_config() {
        let (meta, json) = context_meta("/etc/dc", "remote", "tcp://10.9.8.7:2375", false);
        let env = FakeEnvironment::new()
            .var("DOCKER_CONFIG", "/etc/dc")
            .file(
                "/etc/dc/config.json",
                r#"{"auths": {}, "currentContext": "remote"}"#,
            )
            .file(meta, &json);
        let d = ok(&env);
        assert_eq!(d.endpoint, tcp("10.9.8.7", 2375, None));
        assert_eq!(d.source, "docker context 'remote'");
        assert_eq!(d.host, "10.9.8.7");
    }

    #[test]
    fn context_with_tls_files() {
        let (meta, json) = context_meta("/home/test/.docker", "secure", "tcp://10.9.8.7", true);
        let tls_dir = format!(
            "/home/test/.docker/contexts/tls/{}/docker",
            context_dir_name("secure")
        );
        let env = with_certs(
            FakeEnvironment::new()
                .var("DOCKER_CONTEXT", "secure")
                .file(meta, &json),
            &tls_dir,
        );
        assert_eq!(
            ok(&env).endpoint,
            tcp("10.9.8.7", 2376, Some(certs(&tls_dir, false)))
        );

        // Only part of the TLS material: name what is missing.
        let (meta, json) = context_meta("/home/test/.docker", "secure", "tcp://10.9.8.7", false);
        let env = FakeEnvironment::new()
            .var("DOCKER_CONTEXT", "secure")
            .file(meta, &json)
            .exists(format!("{tls_dir}/ca.pem"));
        let msg = err(&env).message().to_string();
        assert!(msg.contains("docker context 'secure' uses TLS"), "{msg}");
        assert!(
            msg.contains(&format!("{tls_dir}/cert.pem does not exist")),
            "{msg}"
        );
    }

    #[test]
    fn the_default_context_falls_through_to_the_sockets() {
        let env = FakeEnvironment::new()
            .file(
                "/home/test/.docker/config.json",
                r#"{"currentContext": "default"}"#,
            )
            .exists(DEFAULT_SOCKET);
        let d = ok(&env);
        assert_eq!(d.endpoint, Endpoint::Unix(DEFAULT_SOCKET.into()));
        assert_eq!(d.source, "default socket /var/run/docker.sock");
        assert!(d
            .tried
            .iter()
            .any(|t| t.starts_with("docker context 'default'")));

        let env = FakeEnvironment::new()
            .var("DOCKER_CONTEXT", "default")
            .exists(DEFAULT_SOCKET);
        assert_eq!(ok(&env).source, "default socket /var/run/docker.sock");
    }

    #[test]
    fn a_context_without_metadata_is_an_error() {
        let env = FakeEnvironment::new().var("DOCKER_CONTEXT", "gone");
        let msg = err(&env).message().to_string();
        assert!(
            msg.starts_with("docker context 'gone' (selected by DOCKER_CONTEXT)"),
            "{msg}"
        );
        assert!(msg.contains(&context_dir_name("gone")), "{msg}");
        assert!(msg.contains("docker context ls"), "{msg}");
    }

    #[test]
    fn a_context_with_an_unsupported_endpoint_names_the_context() {
        let (meta, json) = context_meta("/home/test/.docker", "far", "ssh://me@far", false);
        let env = FakeEnvironment::new()
            .var("DOCKER_CONTEXT", "far")
            .file(meta, &json);
        let msg = err(&env).message().to_string();
        assert!(
            msg.starts_with("docker context 'far' is 'ssh://me@far'"),
            "{msg}"
        );
    }

    #[test]
    fn a_broken_config_json_is_an_error() {
        let env = FakeEnvironment::new().file("/home/test/.docker/config.json", "{not json");
        let msg = err(&env).message().to_string();
        assert!(
            msg.contains("/home/test/.docker/config.json is not valid JSON"),
            "{msg}"
        );
    }

    // ---- host override ----

    #[test]
    fn host_override_wins() {
        let env = FakeEnvironment::new()
            .var("DOCKER_HOST", "tcp://10.0.0.5:2375")
            .var("TESTCONTAINERS_HOST_OVERRIDE", "docker-gateway");
        let d = ok(&env);
        assert_eq!(d.host, "docker-gateway");
        assert!(!d.local);

        let env = FakeEnvironment::new()
            .file(PROPS, "host.override=host.docker.internal\n")
            .exists(DEFAULT_SOCKET);
        let d = ok(&env);
        assert_eq!(d.host, "host.docker.internal");
        // Ports bound to 127.0.0.1 would not be reachable under that name.
        assert!(!d.local);
    }

    #[test]
    fn a_loopback_host_override_keeps_a_local_engine_local() {
        let env = FakeEnvironment::new()
            .var("TESTCONTAINERS_HOST_OVERRIDE", "localhost")
            .exists(DEFAULT_SOCKET);
        let d = ok(&env);
        assert_eq!(d.host, "localhost");
        assert!(d.local);
    }

    // ---- sockets ----

    #[test]
    fn the_default_socket_comes_first() {
        let env = FakeEnvironment::new()
            .var("XDG_RUNTIME_DIR", "/run/user/1000")
            .exists(DEFAULT_SOCKET)
            .exists("/run/user/1000/docker.sock");
        let d = ok(&env);
        assert_eq!(d.endpoint, Endpoint::Unix(DEFAULT_SOCKET.into()));
        assert_eq!(d.host, "127.0.0.1");
        assert!(d.local);
    }

    #[test]
    fn rootless_docker_via_xdg_runtime_dir() {
        let env = FakeEnvironment::new()
            .var("XDG_RUNTIME_DIR", "/run/user/1000")
            .exists("/run/user/1000/docker.sock");
        let d = ok(&env);
        assert_eq!(
            d.endpoint,
            Endpoint::Unix("/run/user/1000/docker.sock".into())
        );
        assert_eq!(
            d.source,
            "rootless Docker socket /run/user/1000/docker.sock"
        );
        assert!(d.local);
    }

    #[test]
    fn docker_desktop_sockets_in_the_home_directory() {
        let env = FakeEnvironment::new().exists("/home/test/.docker/desktop/docker.sock");
        let d = ok(&env);
        assert_eq!(
            d.endpoint,
            Endpoint::Unix("/home/test/.docker/desktop/docker.sock".into())
        );
        assert_eq!(
            d.source,
            "Docker Desktop socket /home/test/.docker/desktop/docker.sock"
        );
    }

    #[test]
    fn rootless_docker_via_uid_without_xdg_runtime_dir() {
        let env = FakeEnvironment::new()
            .uid(Some(1234))
            .exists("/run/user/1234/docker.sock");
        assert_eq!(
            ok(&env).endpoint,
            Endpoint::Unix("/run/user/1234/docker.sock".into())
        );
    }

    #[test]
    fn podman_sockets() {
        let env = FakeEnvironment::new()
            .var("XDG_RUNTIME_DIR", "/run/user/1000")
            .exists("/run/user/1000/podman/podman.sock");
        let d = ok(&env);
        assert_eq!(
            d.endpoint,
            Endpoint::Unix("/run/user/1000/podman/podman.sock".into())
        );
        assert_eq!(d.source, "Podman socket /run/user/1000/podman/podman.sock");

        let env = FakeEnvironment::new().exists("/run/podman/podman.sock");
        assert_eq!(
            ok(&env).endpoint,
            Endpoint::Unix("/run/podman/podman.sock".into())
        );
    }

    #[test]
    fn nothing_found_gives_the_default_socket_and_lists_every_candidate() {
        let env = FakeEnvironment::new().var("XDG_RUNTIME_DIR", "/run/user/1000");
        let d = ok(&env);
        assert_eq!(d.endpoint, Endpoint::Unix(DEFAULT_SOCKET.into()));
        assert_eq!(d.source, "default socket /var/run/docker.sock");
        assert_eq!(d.host, "127.0.0.1");
        assert!(d.local);
        assert_eq!(
            d.tried,
            [
                "DOCKER_HOST (not set)",
                "docker.host in ~/.testcontainers.properties (not set)",
                "tc.host in ~/.testcontainers.properties (not set)",
                "docker context (none selected)",
                "/var/run/docker.sock (not found)",
                "/run/user/1000/docker.sock (not found)",
                "/home/test/.docker/run/docker.sock (not found)",
                "/home/test/.docker/desktop/docker.sock (not found)",
                // /run/user/1000/docker.sock again is skipped: it is $XDG_RUNTIME_DIR.
                "/run/user/1000/podman/podman.sock (not found)",
                "/run/podman/podman.sock (not found)",
            ]
        );
    }

    #[test]
    fn nothing_known_still_lists_why_candidates_were_skipped() {
        let env = FakeEnvironment::new().home(None).uid(None);
        let d = ok(&env);
        assert_eq!(d.endpoint, Endpoint::Unix(DEFAULT_SOCKET.into()));
        assert!(d
            .tried
            .contains(&"$XDG_RUNTIME_DIR/docker.sock (XDG_RUNTIME_DIR not set)".to_string()));
        assert!(d
            .tried
            .contains(&"~/.docker/run/docker.sock (no home directory)".to_string()));
        assert!(d
            .tried
            .contains(&"/run/user/<uid>/docker.sock (uid unknown)".to_string()));
        assert!(d
            .tried
            .contains(&"docker context (no DOCKER_CONFIG and no home directory)".to_string()));
    }

    #[test]
    fn endpoints_display_as_urls() {
        assert_eq!(
            Endpoint::Unix(DEFAULT_SOCKET.into()).to_string(),
            "unix:///var/run/docker.sock"
        );
        assert_eq!(
            tcp("10.0.0.5", 2375, None).to_string(),
            "tcp://10.0.0.5:2375"
        );
    }
}

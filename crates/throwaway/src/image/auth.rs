//! Registry credentials from the docker CLI's configuration, for pulls.
//!
//! The same sources, in the same order, as the docker CLI: a per-registry credential helper
//! (`credHelpers`), then the default credential store (`credsStore`), then the `auths`
//! entries of `config.json` (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`).
//! A credential helper is the program `docker-credential-<name>`, asked with `get` and the
//! server address on standard input.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine as _;
use bollard::auth::DockerCredentials;
use serde::Deserialize;

use super::ImageRef;
use crate::engine::discovery::docker_config_dir;
use crate::engine::environment::Environment;

/// How long a credential helper may take to answer.
const HELPER_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The name the docker CLI files Docker Hub's credentials under.
const DOCKER_HUB: &str = "https://index.docker.io/v1/";

#[derive(Debug, Default, Deserialize)]
struct Config {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// What a credential helper answers to `get`.
#[derive(Debug, Deserialize)]
pub(crate) struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// Runs credential helpers; a seam so that tests need no real helper program.
pub(crate) trait Helpers {
    /// Asks `docker-credential-<helper>` for the credentials of `server`.
    fn get(&self, helper: &str, server: &str) -> Option<HelperAnswer>;
}

/// Runs the real `docker-credential-*` programs from `PATH`.
pub(crate) struct ProgramHelpers;

impl Helpers for ProgramHelpers {
    fn get(&self, helper: &str, server: &str) -> Option<HelperAnswer> {
        let program = format!("docker-credential-{helper}");
        let mut child = Command::new(&program)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| tracing::debug!(%program, "credential helper not usable: {e}"))
            .ok()?;
        child.stdin.take()?.write_all(server.as_bytes()).ok()?;
        // A helper may wait for a person (a locked keychain, a GPG pinentry): never let it
        // hold a start up for long.
        let deadline = std::time::Instant::now() + HELPER_LIMIT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    tracing::warn!(
                        %program,
                        "credential helper gave no answer within {} s; pulling without credentials",
                        HELPER_LIMIT.as_secs()
                    );
                    return None;
                }
            }
        };
        if !status.success() {
            // Helpers exit non-zero for "no credentials for this server": not an error.
            return None;
        }
        let mut stdout = Vec::new();
        std::io::Read::read_to_end(&mut child.stdout.take()?, &mut stdout).ok()?;
        parse_helper_answer(&stdout)
    }
}

/// A credential helper's answer to `get`, from its standard output; `None` for anything but
/// the JSON object of the credential-helper protocol.
pub(crate) fn parse_helper_answer(stdout: &[u8]) -> Option<HelperAnswer> {
    serde_json::from_slice(stdout).ok()
}

/// The server address credentials for `image` are filed under.
pub(crate) fn server_of(image: &ImageRef) -> String {
    match image.registry() {
        None | Some("docker.io" | "index.docker.io" | "registry-1.docker.io") => {
            DOCKER_HUB.to_string()
        }
        Some(registry) => registry.to_string(),
    }
}

/// `https://host/v1/` and `host` name the same server.
fn normalise(server: &str) -> &str {
    let server = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))
        .unwrap_or(server);
    server.split('/').next().unwrap_or(server)
}

/// The credentials to pull `image` with, if the docker configuration has any.
pub(crate) fn credentials_for(
    env: &dyn Environment,
    helpers: &dyn Helpers,
    image: &ImageRef,
) -> Option<DockerCredentials> {
    let path = docker_config_dir(env)?.join("config.json");
    let text = env.read_to_string(&path)?;
    let config: Config = match serde_json::from_str(&text) {
        Ok(config) => config,
        Err(err) => {
            tracing::warn!(path = %path.display(), "ignoring unreadable docker config: {err}");
            return None;
        }
    };
    let server = server_of(image);
    let wanted = normalise(&server);

    let helper = config
        .cred_helpers
        .iter()
        .find(|(registry, _)| normalise(registry) == wanted)
        .map(|(_, helper)| helper)
        .or(config.creds_store.as_ref());
    if let Some(helper) = helper {
        if let Some(answer) = helpers.get(helper, &server) {
            return Some(from_helper(answer, &server));
        }
    }

    let entry = config
        .auths
        .iter()
        .find(|(registry, _)| normalise(registry) == wanted)
        .map(|(_, entry)| entry)?;
    from_entry(entry, &server)
}

fn from_helper(answer: HelperAnswer, server: &str) -> DockerCredentials {
    // A helper answers an identity token with the user name `<token>`.
    if answer.username == "<token>" {
        DockerCredentials {
            identitytoken: Some(answer.secret),
            serveraddress: Some(server.to_string()),
            ..Default::default()
        }
    } else {
        DockerCredentials {
            username: Some(answer.username),
            password: Some(answer.secret),
            serveraddress: Some(server.to_string()),
            ..Default::default()
        }
    }
}

fn from_entry(entry: &AuthEntry, server: &str) -> Option<DockerCredentials> {
    let mut credentials = DockerCredentials {
        serveraddress: Some(server.to_string()),
        identitytoken: entry.identitytoken.clone(),
        ..Default::default()
    };
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth)
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        credentials.username = Some(user.to_string());
        credentials.password = Some(password.to_string());
    } else {
        credentials.username = entry.username.clone();
        credentials.password = entry.password.clone();
    }
    let has_any = credentials.username.is_some() || credentials.identitytoken.is_some();
    has_any.then_some(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::environment::FakeEnvironment;

    struct FakeHelpers(HashMap<(String, String), (String, String)>);

    impl Helpers for FakeHelpers {
        fn get(&self, helper: &str, server: &str) -> Option<HelperAnswer> {
            self.0
                .get(&(helper.to_string(), server.to_string()))
                .map(|(u, s)| HelperAnswer {
                    username: u.clone(),
                    secret: s.clone(),
                })
        }
    }

    fn none() -> FakeHelpers {
        FakeHelpers(HashMap::new())
    }

    fn image(reference: &str) -> ImageRef {
        reference.parse().unwrap()
    }

    fn with_config(json: &str) -> FakeEnvironment {
        FakeEnvironment::new().file("/home/test/.docker/config.json", json)
    }

    #[test]
    fn hub_images_use_the_hub_entry() {
        // "user:pass" in base64.
        let env =
            with_config(r#"{"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}}}"#);
        let creds = credentials_for(&env, &none(), &image("redis:7")).unwrap();
        assert_eq!(creds.username.as_deref(), Some("user"));
        assert_eq!(creds.password.as_deref(), Some("pass"));
        assert_eq!(creds.serveraddress.as_deref(), Some(DOCKER_HUB));
        let explicit = credentials_for(&env, &none(), &image("docker.io/library/redis:7"));
        assert!(explicit.is_some());
    }

    #[test]
    fn private_registries_match_with_or_without_scheme() {
        let env = with_config(
            r#"{"auths": {"https://ghcr.io": {"username": "u", "password": "p"},
                          "registry.example.com:5000": {"identitytoken": "tok"}}}"#,
        );
        let ghcr = credentials_for(&env, &none(), &image("ghcr.io/acme/api:1")).unwrap();
        assert_eq!(ghcr.username.as_deref(), Some("u"));
        let private =
            credentials_for(&env, &none(), &image("registry.example.com:5000/x:1")).unwrap();
        assert_eq!(private.identitytoken.as_deref(), Some("tok"));
        assert!(credentials_for(&env, &none(), &image("redis:7")).is_none());
    }

    #[test]
    fn helpers_come_before_the_file_and_per_registry_helpers_first() {
        let env = with_config(
            r#"{"credsStore": "store", "credHelpers": {"ghcr.io": "gh"},
                "auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}}}"#,
        );
        let helpers = FakeHelpers(HashMap::from([
            (
                ("gh".into(), "ghcr.io".into()),
                ("ghuser".into(), "ghsecret".into()),
            ),
            (
                ("store".into(), DOCKER_HUB.into()),
                ("<token>".into(), "idtoken".into()),
            ),
        ]));
        let gh = credentials_for(&env, &helpers, &image("ghcr.io/a/b:1")).unwrap();
        assert_eq!(gh.password.as_deref(), Some("ghsecret"));
        let hub = credentials_for(&env, &helpers, &image("redis:7")).unwrap();
        assert_eq!(hub.identitytoken.as_deref(), Some("idtoken"));
        assert!(hub.username.is_none());
        // The store knows nothing of quay.io, and neither does the file.
        assert!(credentials_for(&env, &helpers, &image("quay.io/a/b:1")).is_none());
    }

    #[test]
    fn docker_config_is_honoured_and_garbage_ignored() {
        let env = FakeEnvironment::new().var("DOCKER_CONFIG", "/etc/dc").file(
            "/etc/dc/config.json",
            r#"{"auths": {"ghcr.io": {"auth": "dXNlcjpwYXNz"}}}"#,
        );
        assert!(credentials_for(&env, &none(), &image("ghcr.io/a/b:1")).is_some());
        let garbage = with_config("{not json");
        assert!(credentials_for(&garbage, &none(), &image("redis:7")).is_none());
        let missing = FakeEnvironment::new();
        assert!(credentials_for(&missing, &none(), &image("redis:7")).is_none());
    }
}

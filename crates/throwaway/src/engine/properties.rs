//! Settings from environment variables and `~/.testcontainers.properties`.
//!
//! The names are Testcontainers' own, so a machine already set up for Testcontainers in Java,
//! Go or .NET works unchanged. An environment variable wins over the properties key; empty
//! values count as unset on both sides (so `docker.host=` does not point anywhere).
//!
//! | Environment variable                      | Properties key                | Meaning |
//! |-------------------------------------------|-------------------------------|---------|
//! | `DOCKER_HOST`                             | `docker.host`                 | engine endpoint (see `discovery`) |
//! | `DOCKER_TLS_VERIFY`                       | `docker.tls.verify`           | use TLS and verify the engine's certificate |
//! | `DOCKER_CERT_PATH`                        | `docker.cert.path`            | directory with `ca.pem`, `cert.pem`, `key.pem` |
//! | —                                         | `tc.host`                     | Testcontainers Desktop/Cloud endpoint, used like `docker.host` |
//! | `TESTCONTAINERS_HOST_OVERRIDE`            | `host.override`               | host name tests use to reach published ports |
//! | `TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE`   | `docker.socket.override`      | engine socket path to mount into the reaper |
//! | `TESTCONTAINERS_RYUK_DISABLED`            | `ryuk.disabled`               | do not start the reaper |
//! | `TESTCONTAINERS_RYUK_CONTAINER_IMAGE`     | `ryuk.container.image`        | reaper image |
//! | `TESTCONTAINERS_RYUK_CONTAINER_PRIVILEGED`| `ryuk.container.privileged`   | run the reaper privileged |
//! | `TESTCONTAINERS_RYUK_CONNECTION_TIMEOUT`  | `ryuk.connection.timeout`     | how long to wait for the reaper to accept us |
//! | `TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT`| `ryuk.reconnection.timeout`   | reaper's grace period once every connection closed |
//! | `TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX`    | `hub.image.name.prefix`       | registry (and path) prepended to Docker Hub images |
//! | `TESTCONTAINERS_REUSE_ENABLE`             | `testcontainers.reuse.enable` | allow containers to be reused across runs |
//!
//! Where the implementations disagree we follow Testcontainers for Java, which defined the
//! conventions: its environment name for a key is the key upper-cased with `.` → `_` and a
//! `TESTCONTAINERS_` prefix unless it starts with `docker.`. Testcontainers for Go also reads
//! the unprefixed `RYUK_CONNECTION_TIMEOUT` and `RYUK_RECONNECTION_TIMEOUT`; so do we, after the
//! prefixed names. `tc.host` is read from the properties file only, as both Java and Go do.
//! Durations are Go-style (`90s`, `1m30s`, `500ms`) or a plain number of seconds (Java's style).

use std::collections::HashMap;
use std::time::Duration;

use java_properties::LineContent;

pub(crate) mod go_duration;

use super::environment::Environment;
use crate::error::{Error, ErrorKind, Result};

/// The properties file's name inside the home directory.
pub(crate) const PROPERTIES_FILE_NAME: &str = ".testcontainers.properties";

/// How messages name the properties file.
pub(crate) const PROPERTIES_FILE_DISPLAY: &str = "~/.testcontainers.properties";

/// Every `(environment variable, properties key)` pair this crate reads.
///
/// [`Settings::load`] snapshots exactly these variables (plus [`LEGACY_VARIABLES`]).
pub(crate) const SUPPORTED: &[(&str, &str)] = &[
    ("DOCKER_HOST", "docker.host"),
    ("DOCKER_TLS_VERIFY", "docker.tls.verify"),
    ("DOCKER_CERT_PATH", "docker.cert.path"),
    ("TESTCONTAINERS_HOST_OVERRIDE", "host.override"),
    (
        "TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE",
        "docker.socket.override",
    ),
    ("TESTCONTAINERS_RYUK_DISABLED", "ryuk.disabled"),
    (
        "TESTCONTAINERS_RYUK_CONTAINER_IMAGE",
        "ryuk.container.image",
    ),
    (
        "TESTCONTAINERS_RYUK_CONTAINER_PRIVILEGED",
        "ryuk.container.privileged",
    ),
    (
        "TESTCONTAINERS_RYUK_CONNECTION_TIMEOUT",
        "ryuk.connection.timeout",
    ),
    (
        "TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT",
        "ryuk.reconnection.timeout",
    ),
    (
        "TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX",
        "hub.image.name.prefix",
    ),
    ("TESTCONTAINERS_REUSE_ENABLE", "testcontainers.reuse.enable"),
];

/// Environment-only names Testcontainers for Go reads besides the prefixed ones.
pub(crate) const LEGACY_VARIABLES: &[&str] =
    &["RYUK_CONNECTION_TIMEOUT", "RYUK_RECONNECTION_TIMEOUT"];

/// The key/value pairs of a Java properties file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Properties {
    entries: HashMap<String, String>,
}

impl Properties {
    /// Parses the text of a properties file by Java's rules (the `java-properties` crate):
    /// `key=value`, `key: value` and `key value`; `#` and `!` comments; a trailing `\`
    /// continuing a line; `\t`, `\uXXXX` and other escapes.
    ///
    /// Whitespace around values is trimmed, since Java keeps trailing blanks that nobody
    /// means in a host name or path. A later duplicate key wins. Lines that cannot be read (an
    /// empty key, a broken `\u` escape) are skipped rather than failing the whole file, as
    /// Testcontainers does for files it cannot load.
    pub(crate) fn parse(text: &str) -> Properties {
        let mut entries = HashMap::new();
        // UTF-8, not Java's ISO-8859-1: the file is already text here, and non-ASCII in it (a
        // path under a home directory named José) is UTF-8 on today's machines.
        let lines =
            java_properties::PropertiesIter::new_with_encoding(text.as_bytes(), encoding_rs::UTF_8);
        for line in lines {
            // The crate leaves reading on after an error unspecified in general; from memory
            // the only errors are bad escapes, reported once their line has been consumed,
            // so going on reads the next line (`skips_malformed_lines_but_keeps_the_rest`
            // holds it to that).
            let Ok(line) = line else { continue };
            if let LineContent::KVPair(key, value) = line.consume_content() {
                let key = key.trim();
                if !key.is_empty() {
                    entries.insert(key.to_string(), value.trim().to_string());
                }
            }
        }
        Properties { entries }
    }

    /// The value of `key`, if present (possibly empty).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// How many keys the file set.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A value found for a setting, and where it came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting {
    /// The value, trimmed and non-empty.
    pub value: String,
    /// Where it was found: `DOCKER_HOST` or `docker.host in ~/.testcontainers.properties`.
    pub origin: String,
}

/// The settings of this process: a snapshot of the [`SUPPORTED`] environment variables and
/// the contents of `~/.testcontainers.properties`.
///
/// Taken once (by the engine client) so that every part of the crate sees the same values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    vars: HashMap<String, String>,
    properties: Properties,
}

impl Settings {
    /// Reads the [`SUPPORTED`] variables and `~/.testcontainers.properties` (if the home
    /// directory is known and the file readable; a missing file means no properties).
    pub(crate) fn load(env: &dyn Environment) -> Settings {
        let names = SUPPORTED
            .iter()
            .map(|(name, _)| *name)
            .chain(LEGACY_VARIABLES.iter().copied());
        let vars = names
            .filter_map(|name| Some((name.to_string(), env.var(name)?)))
            .collect();
        let properties = env
            .home_dir()
            .map(|home| home.join(PROPERTIES_FILE_NAME))
            .as_deref()
            .and_then(|path| env.read_to_string(path))
            .map(|text| Properties::parse(&text))
            .unwrap_or_default();
        Settings { vars, properties }
    }

    /// An environment variable from the snapshot: trimmed, `None` if unset or empty.
    ///
    /// Only [`SUPPORTED`] and [`LEGACY_VARIABLES`] names are in the snapshot.
    pub(crate) fn env_var(&self, name: &str) -> Option<&str> {
        debug_assert!(
            is_known_variable(name),
            "{name} is not in properties::SUPPORTED; add it there so that it is snapshotted"
        );
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A key of the properties file: `None` if absent or empty.
    pub(crate) fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).filter(|v| !v.is_empty())
    }

    /// The value of a setting and its origin: the environment variable if set, else the
    /// properties key.
    pub(crate) fn lookup(&self, env_name: &str, key: &str) -> Option<Setting> {
        if let Some(value) = self.env_var(env_name) {
            return Some(Setting {
                value: value.to_string(),
                origin: env_name.to_string(),
            });
        }
        self.property(key).map(|value| Setting {
            value: value.to_string(),
            origin: format!("{key} in {PROPERTIES_FILE_DISPLAY}"),
        })
    }

    /// The value of a setting: the environment variable if set, else the properties key.
    pub(crate) fn get(&self, env_name: &str, key: &str) -> Option<String> {
        self.lookup(env_name, key).map(|s| s.value)
    }

    /// A yes/no setting: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::EngineConfig`] for any other value, naming where it was set.
    pub(crate) fn get_bool(&self, env_name: &str, key: &str) -> Result<Option<bool>> {
        let Some(setting) = self.lookup(env_name, key) else {
            return Ok(None);
        };
        match parse_bool(&setting.value) {
            Some(b) => Ok(Some(b)),
            None => Err(Error::new(
                ErrorKind::EngineConfig,
                format!(
                    "{} is '{}', which is not a yes/no value; use true or false",
                    setting.origin, setting.value
                ),
            )),
        }
    }

    /// A duration setting: Go-style (`90s`, `1m30s`, `500ms`) or a number of seconds.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::EngineConfig`] for a value that is not a duration, naming where it was set.
    pub(crate) fn get_duration(&self, env_name: &str, key: &str) -> Result<Option<Duration>> {
        let Some(setting) = self.lookup(env_name, key) else {
            return Ok(None);
        };
        match parse_duration(&setting.value) {
            Some(d) => Ok(Some(d)),
            None => Err(Error::new(
                ErrorKind::EngineConfig,
                format!(
                    "{} is '{}', which is not a duration; write e.g. 30s, 1m30s or 500ms",
                    setting.origin, setting.value
                ),
            )),
        }
    }

    /// The host name tests use to reach published ports, when the user set one
    /// (`TESTCONTAINERS_HOST_OVERRIDE` / `host.override`). Needed when the engine's ports are
    /// reachable under another name than the engine's endpoint, e.g. from inside a container.
    pub(crate) fn host_override(&self) -> Option<String> {
        self.get("TESTCONTAINERS_HOST_OVERRIDE", "host.override")
    }

    /// The engine's socket path as seen by the engine's host, to mount into the reaper
    /// (`TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE` / `docker.socket.override`). Needed when the
    /// client reaches the engine through a different path (Colima, a forwarded socket).
    pub(crate) fn docker_socket_override(&self) -> Option<String> {
        self.get(
            "TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE",
            "docker.socket.override",
        )
    }

    /// The registry (and path) to put in front of Docker Hub image names
    /// (`TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX` / `hub.image.name.prefix`), e.g.
    /// `mirror.example.com/dockerhub/`.
    pub(crate) fn hub_image_name_prefix(&self) -> Option<String> {
        self.get(
            "TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX",
            "hub.image.name.prefix",
        )
    }

    /// Whether the reaper is turned off (`TESTCONTAINERS_RYUK_DISABLED` / `ryuk.disabled`);
    /// default `false`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::EngineConfig`] if the value is not a yes/no value.
    pub(crate) fn ryuk_disabled(&self) -> Result<bool> {
        Ok(self
            .get_bool("TESTCONTAINERS_RYUK_DISABLED", "ryuk.disabled")?
            .unwrap_or(false))
    }

    /// The reaper image the user asked for (`TESTCONTAINERS_RYUK_CONTAINER_IMAGE` /
    /// `ryuk.container.image`); `None` means the crate's default.
    pub(crate) fn ryuk_image(&self) -> Option<String> {
        self.get(
            "TESTCONTAINERS_RYUK_CONTAINER_IMAGE",
            "ryuk.container.image",
        )
    }

    /// Whether to run the reaper privileged (`TESTCONTAINERS_RYUK_CONTAINER_PRIVILEGED` /
    /// `ryuk.container.privileged`); default `false`, as in Testcontainers for Go and .NET.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::EngineConfig`] if the value is not a yes/no value.
    pub(crate) fn ryuk_privileged(&self) -> Result<bool> {
        Ok(self
            .get_bool(
                "TESTCONTAINERS_RYUK_CONTAINER_PRIVILEGED",
                "ryuk.container.privileged",
            )?
            .unwrap_or(false))
    }

    /// How long to wait for the reaper to accept our connection
    /// (`TESTCONTAINERS_RYUK_CONNECTION_TIMEOUT`, then `RYUK_CONNECTION_TIMEOUT`, then
    /// `ryuk.connection.timeout`); `None` means the crate's default.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::EngineConfig`] if the value is not a duration.
    pub(crate) fn ryuk_connection_timeout(&self) -> Result<Option<Duration>> {
        self.duration_with_legacy(
            "TESTCONTAINERS_RYUK_CONNECTION_TIMEOUT",
            "RYUK_CONNECTION_TIMEOUT",
            "ryuk.connection.timeout",
        )
    }

    /// How long the reaper waits, once every connection has closed, before removing what
    /// it tracks (`TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT`, then `RYUK_RECONNECTION_TIMEOUT`,
    /// then `ryuk.reconnection.timeout`); `None` means the crate's default.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::EngineConfig`] if the value is not a duration.
    pub(crate) fn ryuk_reconnection_timeout(&self) -> Result<Option<Duration>> {
        self.duration_with_legacy(
            "TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT",
            "RYUK_RECONNECTION_TIMEOUT",
            "ryuk.reconnection.timeout",
        )
    }

    /// Whether containers may be reused across runs (`TESTCONTAINERS_REUSE_ENABLE` /
    /// `testcontainers.reuse.enable`); default `false`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::EngineConfig`] if the value is not a yes/no value.
    pub(crate) fn reuse_enabled(&self) -> Result<bool> {
        Ok(self
            .get_bool("TESTCONTAINERS_REUSE_ENABLE", "testcontainers.reuse.enable")?
            .unwrap_or(false))
    }

    fn duration_with_legacy(
        &self,
        env_name: &str,
        legacy_name: &str,
        key: &str,
    ) -> Result<Option<Duration>> {
        if self.env_var(env_name).is_none() && self.env_var(legacy_name).is_some() {
            return self.get_duration(legacy_name, key);
        }
        self.get_duration(env_name, key)
    }
}

fn is_known_variable(name: &str) -> bool {
    SUPPORTED.iter().any(|(n, _)| *n == name) || LEGACY_VARIABLES.contains(&name)
}

/// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A reaper timeout: a Go duration (`10s`, `1m30s`, `1.5h`, `500ms`, by the one parser the
/// reaper uses too, see [`go_duration`]) that is not negative, or a plain number of seconds
/// (Java's style; the reaper is always handed milliseconds, so it needs no such rule).
/// Plain seconds are held to Go's range too (about 292 years), so that no length is read in
/// one spelling and refused in the other.
pub(crate) fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: u64 = value.parse().ok()?;
        let longest = Duration::from_nanos(i64::MAX as u64);
        return Some(Duration::from_secs(seconds)).filter(|d| *d <= longest);
    }
    match go_duration::parse(value) {
        Ok(d) if !d.negative => Some(d.magnitude),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::environment::FakeEnvironment;

    fn props(text: &str) -> Properties {
        Properties::parse(text)
    }

    #[test]
    fn parses_the_separators_real_files_use() {
        let p = props("a=1\nb = 2\nc:3\nd : 4\ne 5\nf\t\t6\n");
        for (k, v) in [
            ("a", "1"),
            ("b", "2"),
            ("c", "3"),
            ("d", "4"),
            ("e", "5"),
            ("f", "6"),
        ] {
            assert_eq!(p.get(k), Some(v), "key {k}");
        }
    }

    #[test]
    fn values_keep_inner_separators_and_are_trimmed() {
        let p = props("docker.host = tcp://10.0.0.5:2376   \nurl=http://x/?a=b:c\n");
        assert_eq!(p.get("docker.host"), Some("tcp://10.0.0.5:2376"));
        assert_eq!(p.get("url"), Some("http://x/?a=b:c"));
    }

    #[test]
    fn skips_comments_and_blank_lines() {
        let p = props("# a comment\n   ! another = 1\n\n   \nkey=value\n#x=y\n");
        assert_eq!(p.get("key"), Some("value"));
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn handles_windows_line_endings() {
        let p = props("ryuk.disabled=true\r\ndocker.host=unix:///var/run/docker.sock\r\n");
        assert_eq!(p.get("ryuk.disabled"), Some("true"));
        assert_eq!(p.get("docker.host"), Some("unix:///var/run/docker.sock"));
    }

    #[test]
    fn joins_continued_lines() {
        let p = props("list = a, \\\n       b, \\\n       c\nnext=1\n");
        assert_eq!(p.get("list"), Some("a, b, c"));
        assert_eq!(p.get("next"), Some("1"));
    }

    #[test]
    fn an_escaped_backslash_does_not_continue_the_line() {
        let p = props("path=C:\\\\dir\\\\\nnext=1\n");
        assert_eq!(p.get("path"), Some("C:\\dir\\"));
        assert_eq!(p.get("next"), Some("1"));
    }

    #[test]
    fn resolves_escapes_in_keys_and_values() {
        let p = props("my\\ key\\=x = tab\\there \\u0041\\u00e9\n");
        assert_eq!(p.get("my key=x"), Some("tab\there Aé"));
    }

    #[test]
    fn a_key_without_value_is_empty() {
        let p = props("lonely\nother=\n");
        assert_eq!(p.get("lonely"), Some(""));
        assert_eq!(p.get("other"), Some(""));
    }

    #[test]
    fn skips_malformed_lines_but_keeps_the_rest() {
        let p = props("=no key\nbad=\\u12\nworse=\\uZZZZ\ngood=yes\n");
        assert_eq!(p.get("good"), Some("yes"));
        assert_eq!(p.get("bad"), None);
        assert_eq!(p.get("worse"), None);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn a_later_duplicate_wins() {
        assert_eq!(props("a=1\na=2\n").get("a"), Some("2"));
    }

    fn home_props(text: &str) -> FakeEnvironment {
        FakeEnvironment::new().file("/home/test/.testcontainers.properties", text)
    }

    #[test]
    fn an_environment_variable_wins_over_the_properties_key() {
        let env = home_props("ryuk.disabled=false\n").var("TESTCONTAINERS_RYUK_DISABLED", "true");
        let settings = Settings::load(&env);
        assert_eq!(
            settings
                .get("TESTCONTAINERS_RYUK_DISABLED", "ryuk.disabled")
                .as_deref(),
            Some("true")
        );
        assert!(settings.ryuk_disabled().unwrap());
    }

    #[test]
    fn the_properties_key_applies_when_the_variable_is_unset_or_empty() {
        let env = home_props("ryuk.container.image = mirror/ryuk:1\n")
            .var("TESTCONTAINERS_RYUK_CONTAINER_IMAGE", "  ");
        let settings = Settings::load(&env);
        assert_eq!(settings.ryuk_image().as_deref(), Some("mirror/ryuk:1"));
        let found = settings
            .lookup(
                "TESTCONTAINERS_RYUK_CONTAINER_IMAGE",
                "ryuk.container.image",
            )
            .unwrap();
        assert_eq!(
            found.origin,
            "ryuk.container.image in ~/.testcontainers.properties"
        );
    }

    #[test]
    fn empty_properties_count_as_unset() {
        let settings = Settings::load(&home_props("hub.image.name.prefix=\n"));
        assert_eq!(settings.hub_image_name_prefix(), None);
    }

    #[test]
    fn no_home_or_no_file_means_no_properties() {
        let settings = Settings::load(&FakeEnvironment::new().home(None));
        assert_eq!(settings.ryuk_image(), None);
        let settings = Settings::load(&FakeEnvironment::new());
        assert!(!settings.ryuk_disabled().unwrap());
        assert!(!settings.reuse_enabled().unwrap());
        assert!(!settings.ryuk_privileged().unwrap());
    }

    #[test]
    fn booleans_accept_the_usual_spellings() {
        for (text, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("yes", true),
            ("On", true),
            ("false", false),
            ("False", false),
            ("0", false),
            ("no", false),
            ("off", false),
        ] {
            let env = FakeEnvironment::new().var("TESTCONTAINERS_REUSE_ENABLE", text);
            assert_eq!(
                Settings::load(&env).reuse_enabled().unwrap(),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn a_bad_boolean_is_an_error_naming_its_origin() {
        let env = FakeEnvironment::new().var("TESTCONTAINERS_RYUK_DISABLED", "maybe");
        let err = Settings::load(&env).ryuk_disabled().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::EngineConfig);
        assert!(
            err.message()
                .contains("TESTCONTAINERS_RYUK_DISABLED is 'maybe'"),
            "{err}"
        );

        let err = Settings::load(&home_props("testcontainers.reuse.enable=sure\n"))
            .reuse_enabled()
            .unwrap_err();
        assert!(
            err.message()
                .contains("testcontainers.reuse.enable in ~/.testcontainers.properties is 'sure'"),
            "{err}"
        );
    }

    #[test]
    fn typed_accessors_read_their_testcontainers_names() {
        let env = home_props(
            "hub.image.name.prefix=mirror.example.com/\n\
             host.override=docker-host\n\
             docker.socket.override=/var/run/docker.sock\n\
             ryuk.container.privileged=true\n\
             tc.host=tcp://127.0.0.1:50000\n",
        );
        let settings = Settings::load(&env);
        assert_eq!(
            settings.hub_image_name_prefix().as_deref(),
            Some("mirror.example.com/")
        );
        assert_eq!(settings.host_override().as_deref(), Some("docker-host"));
        assert_eq!(
            settings.docker_socket_override().as_deref(),
            Some("/var/run/docker.sock")
        );
        assert!(settings.ryuk_privileged().unwrap());
        assert_eq!(settings.property("tc.host"), Some("tcp://127.0.0.1:50000"));
    }

    #[test]
    fn ryuk_timeouts_read_prefixed_legacy_and_properties_names() {
        let settings = Settings::load(&home_props("ryuk.connection.timeout=2m\n"));
        assert_eq!(
            settings.ryuk_connection_timeout().unwrap(),
            Some(Duration::from_secs(120))
        );

        let env = home_props("ryuk.connection.timeout=2m\n").var("RYUK_CONNECTION_TIMEOUT", "45s");
        let settings = Settings::load(&env);
        assert_eq!(
            settings.ryuk_connection_timeout().unwrap(),
            Some(Duration::from_secs(45))
        );

        let env = FakeEnvironment::new()
            .var("RYUK_RECONNECTION_TIMEOUT", "45s")
            .var("TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT", "30");
        let settings = Settings::load(&env);
        assert_eq!(
            settings.ryuk_reconnection_timeout().unwrap(),
            Some(Duration::from_secs(30))
        );

        let env = FakeEnvironment::new().var("RYUK_CONNECTION_TIMEOUT", "soon");
        let err = Settings::load(&env).ryuk_connection_timeout().unwrap_err();
        assert!(
            err.message().contains("RYUK_CONNECTION_TIMEOUT is 'soon'"),
            "{err}"
        );
    }

    #[test]
    fn durations_parse_go_style_and_plain_seconds() {
        assert_eq!(parse_duration("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("10 s"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("10x"), None);
        assert_eq!(parse_duration("-5s"), None);
    }

    /// The syntax the library and the reaper agree on: a Go duration is the same length to
    /// both, and what Go refuses both refuse. The library adds only plain seconds (Java's
    /// style), which the reaper never sees: it is handed milliseconds.
    #[test]
    fn the_library_and_the_reaper_read_the_same_go_durations() {
        for (text, expected) in [
            ("10s", Duration::from_secs(10)),
            ("1m30s", Duration::from_secs(90)),
            ("500ms", Duration::from_millis(500)),
            ("1.5h", Duration::from_secs(5400)),
            ("1h30m", Duration::from_secs(5400)),
            (".5s", Duration::from_millis(500)),
            ("+5m", Duration::from_secs(300)),
            ("250us", Duration::from_micros(250)),
            ("250µs", Duration::from_micros(250)),
            ("0", Duration::ZERO),
            ("-0s", Duration::ZERO),
        ] {
            assert_eq!(parse_duration(text), Some(expected), "{text:?}");
            let reaper = go_duration::parse(text).unwrap();
            assert_eq!(
                (reaper.negative, reaper.magnitude),
                (false, expected),
                "{text:?}"
            );
        }
        // Refused by both (a negative timeout is refused by the reaper's settings too).
        for text in ["1S", "1 s", "1d", "1sec", "soon", "1h-5m", "3000000h"] {
            assert_eq!(parse_duration(text), None, "{text:?}");
            assert!(go_duration::parse(text).is_err(), "{text:?}");
        }
        assert_eq!(parse_duration("-1s"), None);
    }

    /// Found by the `duration` fuzz target: plain seconds past Go's range were read, while
    /// the same length written as a Go duration was refused.
    #[test]
    fn plain_seconds_past_gos_range_are_refused_as_go_durations_are() {
        assert_eq!(parse_duration("9506695066\r\r"), None);
        assert_eq!(parse_duration("9506695066000000000ns"), None);
        assert_eq!(
            parse_duration("9223372036"),
            Some(Duration::from_secs(9_223_372_036))
        );
        assert!(parse_duration("9223372036854775807ns").is_some());
    }
}

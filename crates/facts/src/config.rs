//! Configuration, from environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// Where the service listens unless `BIND_ADDRESS` says otherwise.
pub const DEFAULT_BIND_ADDRESS: &str = "127.0.0.1:8080";

/// How long an upstream request may take unless `FACTS_UPSTREAM_TIMEOUT_MS` says otherwise.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(5);

/// What `facts-service --help` prints.
pub const HELP: &str = "\
facts-service: random facts and today's fact, counted in PostgreSQL, cached in Redis.

USAGE:
    facts-service [--help | --version]

ENDPOINTS:
    GET /facts/random    a random fact, stored and counted
    GET /facts/today     today's fact (cached in Redis until the next UTC midnight)
    GET /facts/{id}      a fact served before, with its view count (id: 32 hex digits)
    GET /health          {\"postgres\":\"up\",\"redis\":\"up\"}; 503 while PostgreSQL is down

ENVIRONMENT:
    DATABASE_URL               PostgreSQL, e.g. postgres://user:password@localhost:5432/facts
                               (migrations are applied at startup)
    REDIS_URL                  Redis, e.g. redis://localhost:6379/0
    FACTS_UPSTREAM_URL         an API in the shape of the useless-facts API, e.g.
                               https://uselessfacts.jsph.pl; unset: the facts bundled
                               with the service
    FACTS_UPSTREAM_TIMEOUT_MS  how long an upstream request may take (default 5000)
    BIND_ADDRESS               where to listen (default 127.0.0.1:8080)
    RUST_LOG                   log filter (default info)

DEV MODE:
    Without DATABASE_URL or REDIS_URL, the service starts what is missing in Docker
    (postgres:15, redis:7.0) through throwaway, logs the URLs, and removes the containers
    when it gets Ctrl-C or SIGTERM.
";

/// The service's settings.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// `DATABASE_URL`; `None` starts PostgreSQL in dev mode.
    pub database_url: Option<String>,
    /// `REDIS_URL`; `None` starts Redis in dev mode.
    pub redis_url: Option<String>,
    /// `FACTS_UPSTREAM_URL`; `None` serves the bundled catalog.
    pub upstream_url: Option<String>,
    /// `FACTS_UPSTREAM_TIMEOUT_MS`.
    pub upstream_timeout: Duration,
    /// `BIND_ADDRESS`.
    pub bind_address: SocketAddr,
}

impl Config {
    /// Reads the settings from the process's environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable whose value cannot be used.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, which returns a variable's value if it is set.
    /// Empty values count as unset.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable whose value cannot be used.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let bind_address = match get("BIND_ADDRESS") {
            None => DEFAULT_BIND_ADDRESS.parse().expect("the default parses"),
            Some(value) => value.trim().parse().map_err(|_| ConfigError {
                variable: "BIND_ADDRESS",
                value: value.clone(),
                expected: "an IP address and a port, such as 127.0.0.1:8080 or [::]:8080",
            })?,
        };
        let upstream_timeout = match get("FACTS_UPSTREAM_TIMEOUT_MS") {
            None => DEFAULT_UPSTREAM_TIMEOUT,
            Some(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis)
                .ok_or(ConfigError {
                    variable: "FACTS_UPSTREAM_TIMEOUT_MS",
                    value,
                    expected: "a whole number of milliseconds above 0",
                })?,
        };
        Ok(Config {
            database_url: get("DATABASE_URL"),
            redis_url: get("REDIS_URL"),
            upstream_url: get("FACTS_UPSTREAM_URL"),
            upstream_timeout,
            bind_address,
        })
    }
}

impl fmt::Debug for Config {
    /// Shows whether the URLs are set, not what they are: they hold passwords.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |value: &Option<String>| if value.is_some() { "set" } else { "unset" };
        f.debug_struct("Config")
            .field("database_url", &set(&self.database_url))
            .field("redis_url", &set(&self.redis_url))
            .field("upstream_url", &self.upstream_url)
            .field("upstream_timeout", &self.upstream_timeout)
            .field("bind_address", &self.bind_address)
            .finish()
    }
}

/// An environment variable whose value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    variable: &'static str,
    value: String,
    expected: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} cannot be used: expected {}",
            self.variable, self.value, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn nothing_set_means_dev_mode_on_the_default_address() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url, None);
        assert_eq!(config.redis_url, None);
        assert_eq!(config.upstream_url, None);
        assert_eq!(config.upstream_timeout, DEFAULT_UPSTREAM_TIMEOUT);
        assert_eq!(config.bind_address.to_string(), DEFAULT_BIND_ADDRESS);
    }

    #[test]
    fn every_variable_is_read_and_empty_ones_are_unset() {
        let config = config(&[
            ("DATABASE_URL", "postgres://u:p@db/facts"),
            ("REDIS_URL", ""),
            ("FACTS_UPSTREAM_URL", "https://uselessfacts.jsph.pl"),
            ("FACTS_UPSTREAM_TIMEOUT_MS", "250"),
            ("BIND_ADDRESS", "[::]:9000"),
        ])
        .unwrap();
        assert_eq!(
            config.database_url.as_deref(),
            Some("postgres://u:p@db/facts")
        );
        assert_eq!(config.redis_url, None);
        assert_eq!(
            config.upstream_url.as_deref(),
            Some("https://uselessfacts.jsph.pl")
        );
        assert_eq!(config.upstream_timeout, Duration::from_millis(250));
        assert_eq!(config.bind_address.port(), 9000);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("BIND_ADDRESS", "localhost"),
            ("FACTS_UPSTREAM_TIMEOUT_MS", "0"),
            ("FACTS_UPSTREAM_TIMEOUT_MS", "2s"),
        ] {
            let message = config(&[(name, value)]).unwrap_err().to_string();
            assert!(message.starts_with(name), "{message}");
        }
    }

    #[test]
    fn debug_hides_the_urls() {
        let config = config(&[("DATABASE_URL", "postgres://u:secret@db/facts")]).unwrap();
        assert!(!format!("{config:?}").contains("secret"));
    }

    #[test]
    fn help_names_every_variable() {
        for name in [
            "DATABASE_URL",
            "REDIS_URL",
            "FACTS_UPSTREAM_URL",
            "FACTS_UPSTREAM_TIMEOUT_MS",
            "BIND_ADDRESS",
        ] {
            assert!(HELP.contains(name), "{name}");
        }
    }
}

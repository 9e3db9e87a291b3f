//! Settings from `RYUK_*` environment variables, with Ryuk's names, defaults and formats.

use std::fmt;
use std::time::Duration;

use crate::error::Error;
use crate::go_duration::{self, SignedDuration};

/// The reaper's settings; see the crate docs for each variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub(crate) port: u16,
    pub(crate) timeouts: Timeouts,
    pub(crate) request_timeout: Duration,
    pub(crate) remove_retries: u32,
    pub(crate) retry_offset: SignedDuration,
    pub(crate) verbose: bool,
}

/// The durations that decide when the reaper prunes (the tracker's whole input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts {
    pub(crate) connection: Duration,
    pub(crate) reconnection: Duration,
    pub(crate) changes_retry_interval: Duration,
    pub(crate) shutdown: Duration,
}

impl SignedDuration {
    pub(crate) fn as_nanos(self) -> i128 {
        let nanos = self.magnitude.as_nanos() as i128;
        if self.negative {
            -nanos
        } else {
            nanos
        }
    }
}

impl fmt::Display for SignedDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        write!(f, "{:?}", self.magnitude)
    }
}

impl Default for Config {
    /// Ryuk's defaults.
    fn default() -> Self {
        Config {
            port: 8080,
            timeouts: Timeouts {
                connection: Duration::from_secs(60),
                reconnection: Duration::from_secs(10),
                changes_retry_interval: Duration::from_secs(1),
                shutdown: Duration::from_secs(600),
            },
            request_timeout: Duration::from_secs(10),
            remove_retries: 10,
            retry_offset: SignedDuration {
                negative: true,
                magnitude: Duration::from_secs(1),
            },
            verbose: false,
        }
    }
}

impl Config {
    /// Reads the `RYUK_*` variables of this process, with Ryuk's defaults for those unset or
    /// empty.
    ///
    /// # Errors
    ///
    /// When a variable is set to something Ryuk would not accept either, naming the variable,
    /// its value and the expected format.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// The same, reading variables through `lookup` (a fake environment in tests).
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let mut config = Config::default();

        if let Some(value) = get("RYUK_PORT") {
            config.port = value
                .trim()
                .parse()
                .map_err(|_| invalid("RYUK_PORT", &value, "a port number from 0 to 65535"))?;
        }
        let timeout = |name: &str, into: &mut Duration| -> Result<(), Error> {
            if let Some(value) = get(name) {
                let parsed =
                    go_duration::parse(&value).map_err(|reason| invalid(name, &value, &reason))?;
                if parsed.negative {
                    return Err(invalid(name, &value, "a duration of zero or more"));
                }
                *into = parsed.magnitude;
            }
            Ok(())
        };
        timeout("RYUK_CONNECTION_TIMEOUT", &mut config.timeouts.connection)?;
        timeout(
            "RYUK_RECONNECTION_TIMEOUT",
            &mut config.timeouts.reconnection,
        )?;
        timeout(
            "RYUK_CHANGES_RETRY_INTERVAL",
            &mut config.timeouts.changes_retry_interval,
        )?;
        timeout("RYUK_SHUTDOWN_TIMEOUT", &mut config.timeouts.shutdown)?;
        timeout("RYUK_REQUEST_TIMEOUT", &mut config.request_timeout)?;
        if let Some(value) = get("RYUK_RETRY_OFFSET") {
            config.retry_offset = go_duration::parse(&value)
                .map_err(|reason| invalid("RYUK_RETRY_OFFSET", &value, &reason))?;
        }
        if let Some(value) = get("RYUK_REMOVE_RETRIES") {
            config.remove_retries = value.trim().parse().map_err(|_| {
                invalid("RYUK_REMOVE_RETRIES", &value, "a whole number of attempts")
            })?;
        }
        if let Some(value) = get("RYUK_VERBOSE") {
            config.verbose = parse_go_bool(&value)
                .ok_or_else(|| invalid("RYUK_VERBOSE", &value, "true or false (also 1/0, t/f)"))?;
        }
        Ok(config)
    }

    /// The settings as log fields, for the `starting` line.
    pub(crate) fn describe(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "connection_timeout",
                format!("{:?}", self.timeouts.connection),
            ),
            (
                "reconnection_timeout",
                format!("{:?}", self.timeouts.reconnection),
            ),
            ("request_timeout", format!("{:?}", self.request_timeout)),
            ("shutdown_timeout", format!("{:?}", self.timeouts.shutdown)),
            ("remove_retries", self.remove_retries.to_string()),
            ("retry_offset", self.retry_offset.to_string()),
            (
                "changes_retry_interval",
                format!("{:?}", self.timeouts.changes_retry_interval),
            ),
            ("port", self.port.to_string()),
            ("verbose", self.verbose.to_string()),
        ]
    }
}

fn invalid(name: &str, value: &str, expected: &str) -> Error {
    Error::new(format!(
        "{name}={value:?} is not valid: expected {expected}"
    ))
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn defaults_are_ryuks() {
        let config = Config::from_lookup(lookup(&[])).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.port, 8080);
        assert_eq!(config.timeouts.connection, Duration::from_secs(60));
        assert_eq!(config.timeouts.reconnection, Duration::from_secs(10));
        assert_eq!(config.timeouts.shutdown, Duration::from_secs(600));
        assert_eq!(
            config.timeouts.changes_retry_interval,
            Duration::from_secs(1)
        );
        assert_eq!(config.request_timeout, Duration::from_secs(10));
        assert_eq!(config.remove_retries, 10);
        assert_eq!(config.retry_offset.as_nanos(), -1_000_000_000);
        assert!(!config.verbose);
    }

    #[test]
    fn every_variable_is_read() {
        let config = Config::from_lookup(lookup(&[
            ("RYUK_PORT", "1234"),
            ("RYUK_CONNECTION_TIMEOUT", "2s"),
            ("RYUK_RECONNECTION_TIMEOUT", "300ms"),
            ("RYUK_REQUEST_TIMEOUT", "4s"),
            ("RYUK_REMOVE_RETRIES", "5"),
            ("RYUK_RETRY_OFFSET", "-6s"),
            ("RYUK_CHANGES_RETRY_INTERVAL", "7s"),
            ("RYUK_SHUTDOWN_TIMEOUT", "8m"),
            ("RYUK_VERBOSE", "true"),
        ]))
        .unwrap();
        assert_eq!(
            config,
            Config {
                port: 1234,
                timeouts: Timeouts {
                    connection: Duration::from_secs(2),
                    reconnection: Duration::from_millis(300),
                    changes_retry_interval: Duration::from_secs(7),
                    shutdown: Duration::from_secs(480),
                },
                request_timeout: Duration::from_secs(4),
                remove_retries: 5,
                retry_offset: SignedDuration {
                    negative: true,
                    magnitude: Duration::from_secs(6)
                },
                verbose: true,
            }
        );
    }

    #[test]
    fn empty_means_unset() {
        let config = Config::from_lookup(lookup(&[
            ("RYUK_PORT", ""),
            ("RYUK_CONNECTION_TIMEOUT", ""),
            ("RYUK_VERBOSE", ""),
        ]))
        .unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (name, value, hint) in [
            ("RYUK_PORT", "80800", "port"),
            ("RYUK_CONNECTION_TIMEOUT", "60", "missing unit"),
            ("RYUK_RECONNECTION_TIMEOUT", "-1s", "zero or more"),
            ("RYUK_REMOVE_RETRIES", "many", "whole number"),
            ("RYUK_RETRY_OFFSET", "soon", "Go duration"),
            ("RYUK_VERBOSE", "yes", "true or false"),
        ] {
            let message = Config::from_lookup(lookup(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(
                message.starts_with(&format!("{name}=\"{value}\"")),
                "{message}"
            );
            assert!(message.contains(hint), "{message}");
        }
    }

    #[test]
    fn go_bools() {
        for text in ["1", "t", "T", "true", "TRUE", "True"] {
            assert_eq!(parse_go_bool(text), Some(true));
        }
        for text in ["0", "f", "F", "false", "FALSE", "False"] {
            assert_eq!(parse_go_bool(text), Some(false));
        }
        for text in ["yes", "on", "tRuE", ""] {
            assert_eq!(parse_go_bool(text), None);
        }
    }
}

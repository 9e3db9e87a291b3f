//! The server's command line: the module's fast-mode settings, the port, and the caller's
//! settings, as `postgres -c key=value …`.

use crate::error::{Error, ErrorKind, Result};

/// What the module sets when the data need not survive a crash (see `Postgres::durable`).
const FAST: [(&str, &str); 3] = [
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
];

/// The `postgres` command for a server with `port` (when not the image's 5432) and the
/// caller's `settings`, after the fast-mode settings when `fast`; `None` when there is
/// nothing to add to the image's own command.
pub(super) fn command(
    fast: bool,
    port: Option<u16>,
    settings: &[(String, String)],
) -> Option<Vec<String>> {
    let fast: &[(&str, &str)] = if fast { &FAST } else { &[] };
    let port = port.map(|port| ("port".to_string(), port.to_string()));
    let all: Vec<(String, String)> = fast
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .chain(port)
        .chain(settings.iter().cloned())
        .collect();
    if all.is_empty() {
        return None;
    }
    let mut cmd = vec!["postgres".to_string()];
    for (key, value) in all {
        cmd.push("-c".to_string());
        cmd.push(format!("{key}={value}"));
    }
    Some(cmd)
}

/// Checks the caller's settings before anything starts.
pub(super) fn validate(settings: &[(String, String)], image: &str) -> Result<()> {
    for (key, _) in settings {
        let bad = |why: &str| {
            Err(Error::new(
                ErrorKind::InvalidRequest,
                format!("the PostgreSQL setting '{key}' for {image} {why}"),
            ))
        };
        if key.is_empty() || key.contains(['=', ' ', '\t', '\n']) {
            return bad("is not a setting name: give the name alone, such as `work_mem`, and the value apart");
        }
        if key.eq_ignore_ascii_case("port") {
            return bad("would move the server without the module knowing: use Postgres::port, which sets it and connects to it");
        }
    }
    Ok(())
}

/// What a probe that reached nobody adds: the log said ready, so the likely cause is a
/// server on another port than the one the module connects to.
pub(super) fn port_hint(container_port: u16) -> String {
    format!(
        "the server said it is ready, but nothing answers on container port {container_port}: \
         does its configuration (an init script, a postgresql.conf) set another port? Tell the \
         module with Postgres::port"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn settings_come_after_the_modules_own() {
        let cmd = command(
            true,
            Some(5433),
            &pairs(&[("work_mem", "64MB"), ("fsync", "on")]),
        )
        .unwrap()
        .join(" ");
        assert_eq!(
            cmd,
            "postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c port=5433 -c work_mem=64MB -c fsync=on"
        );
    }

    #[test]
    fn nothing_to_add_keeps_the_images_command() {
        assert_eq!(command(false, None, &[]), None);
        assert_eq!(
            command(false, None, &pairs(&[("ssl", "on")]))
                .unwrap()
                .join(" "),
            "postgres -c ssl=on"
        );
    }

    #[test]
    fn bad_names_and_the_port_are_refused() {
        for key in ["", "work_mem=1", "a b", "PORT"] {
            let err = validate(&pairs(&[(key, "1")]), "postgres:15").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{key}");
            assert!(err.to_string().contains("postgres:15"), "{err}");
        }
        assert!(validate(&pairs(&[("log_statement", "all")]), "postgres:15").is_ok());
        assert!(port_hint(5432).contains("Postgres::port"));
    }
}

//! Credentials: required once set, kept exactly (every character), out of sight, and a
//! login the broker refuses fails the start at once.

use std::time::{Duration, Instant};

use throwaway::ErrorKind;
use throwaway_mosquitto::{Mosquitto, CONFIG_PATH};

use crate::require_engine;
use crate::support::connack_code;

/// A password with the characters a URL, a shell or the password file could trip over:
/// `:` ends a `user:password` line, a trailing space is what `mosquitto_passwd -U` drops.
const PASSWORD: &str = "s3cr:t@/ #%?\"'$q\\ü ";

/// Mosquitto answers a missing or wrong login with "not authorised".
const NOT_AUTHORISED: u8 = 5;

#[tokio::test]
async fn a_login_is_required_only_the_right_one_is_accepted_and_the_url_carries_it() {
    require_engine!();
    let broker = Mosquitto::default()
        .credentials("app user", PASSWORD)
        .start()
        .await
        .unwrap();
    let (host, port) = (broker.host(), broker.host_port());
    assert_eq!(broker.user(), Some("app user"));

    assert_eq!(
        connack_code(host, port, Some(("app user", PASSWORD))).await,
        0
    );
    assert_eq!(
        connack_code(host, port, None).await,
        NOT_AUTHORISED,
        "anonymous"
    );
    // Wrong ones are refused promptly (connack_code bounds the wait), not left hanging;
    // so are the cut-down passwords a lossy conversion would have stored.
    for wrong in ["wrong", "s3cr", PASSWORD.trim_end()] {
        assert_eq!(
            connack_code(host, port, Some(("app user", wrong))).await,
            NOT_AUTHORISED,
            "password {wrong:?}"
        );
    }
    assert_eq!(
        connack_code(host, port, Some(("app", PASSWORD))).await,
        NOT_AUTHORISED,
        "user"
    );

    // The URL carries the login, escaped; Debug shows it masked.
    assert_eq!(
        broker.connection_url(),
        format!(
            "mqtt://app%20user:s3cr%3At%40%2F%20%23%25%3F%22%27%24q%5C%C3%BC%20@127.0.0.1:{port}"
        )
    );
    let debug = format!("{broker:?}");
    assert!(
        debug.contains(&format!("mqtt://app%20user:***@127.0.0.1:{port}")),
        "{debug}"
    );
    assert!(!debug.contains("s3cr"), "{debug}");
}

#[tokio::test]
async fn the_password_is_on_no_command_line_and_only_hashed_on_disk() {
    require_engine!();
    let broker = Mosquitto::default()
        .credentials("app", PASSWORD)
        .start()
        .await
        .unwrap();
    let container = broker.container();
    // The broker's command line, and every file the module wrote that is left.
    let look = container
        .exec([
            "sh",
            "-c",
            "cat /proc/1/cmdline; echo; cat /mosquitto/config/mosquitto.conf /mosquitto/config/passwd; \
             ls /tmp/throwaway-mosquitto-password 2>&1",
        ])
        .await
        .unwrap();
    let seen = look.stdout_text();
    assert!(seen.contains("/usr/sbin/mosquitto"), "{seen}");
    assert!(seen.contains("app:$7$"), "a PBKDF2-SHA512 hash: {seen}");
    assert!(
        seen.contains("No such file"),
        "the plain-text input is removed: {seen}"
    );
    assert!(!seen.contains("s3cr"), "{seen}");
}

/// Starts `broker`, which must fail with a refused login: at once, not at the (default,
/// 60 s) startup timeout. Returns the error's message and `Debug` together.
async fn refused_start(broker: Mosquitto) -> String {
    let started = Instant::now();
    let err = broker.start().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not the timeout: {err}"
    );
    let message = err.message();
    assert!(
        message.contains("eclipse-mosquitto:2"),
        "names the container: {message}"
    );
    assert!(
        message.contains("return code 5 (not authorised)"),
        "{message}"
    );
    assert!(
        message.contains("Mosquitto::credentials"),
        "says what to do: {message}"
    );
    format!("{err} {err:?}")
}

#[tokio::test]
async fn a_broker_that_refuses_anonymous_clients_fails_the_start_at_once() {
    require_engine!();
    // A configuration of the user's own that wants a login the module does not know.
    let broker = Mosquitto::default()
        .with_request(|r| r.copy_bytes(b"listener 1883\n".to_vec(), CONFIG_PATH));
    let shown = refused_start(broker).await;
    assert!(shown.contains("anonymously"), "{shown}");
}

#[tokio::test]
async fn wrong_credentials_fail_the_start_at_once_and_keep_the_password_out() {
    require_engine!();
    // The broker gets another password than the module knows: the module's input file,
    // replaced by a later copy to the same path.
    let broker = Mosquitto::default()
        .credentials("app", "what-the-module-knows")
        .with_request(|r| {
            r.copy_bytes(
                b"other\nother\n".to_vec(),
                "/tmp/throwaway-mosquitto-password",
            )
        });
    let shown = refused_start(broker).await;
    assert!(shown.contains(r#"as user "app""#), "{shown}");
    assert!(!shown.contains("what-the-module-knows"), "{shown}");
}

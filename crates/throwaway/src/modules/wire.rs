//! What the hand-written readiness probes and the modules' small control connections of
//! Memcached, NATS and RabbitMQ have in common: one exchange over a fresh TCP connection
//! with a time limit of its own, host and port as a socket address, and the unique names
//! that tests get from a shared server.

use std::future::Future;
use std::time::Duration;

use crate::kit::ProbeFailure;

/// How long one readiness attempt may take, connecting included: a port that the engine's
/// forwarding accepts while nothing listens behind it must not use up the startup timeout.
pub(crate) const ATTEMPT_LIMIT: Duration = Duration::from_secs(2);

/// `host:port`, with brackets around an IPv6 host.
pub(crate) fn socket_address(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Runs `exchange` (one connection's worth of talk) within `limit`. Whatever goes wrong is
/// "not yet": a refused or reset connection, silence, a closed socket. The detail names
/// `at`, for the timeout message.
pub(crate) async fn attempt<T>(
    limit: Duration,
    at: &str,
    exchange: impl Future<Output = std::io::Result<T>>,
) -> Result<T, ProbeFailure> {
    match tokio::time::timeout(limit, exchange).await {
        Err(_) => Err(ProbeFailure::not_yet(format!(
            "no answer from {at} within {} ms",
            limit.as_millis()
        ))),
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            // The engine's port forwarding accepts connections before the service listens.
            Err(ProbeFailure::not_yet(format!(
                "{at} closed the connection before answering"
            )))
        }
        Ok(Err(error)) => Err(ProbeFailure::not_yet(format!("{error} (at {at})"))),
        Ok(Ok(value)) => Ok(value),
    }
}

/// A name that no other caller gets, in any thread or process of this test run:
/// `<lead><first 8 letters and digits of the session>-<random as 16 hex digits>`. The session
/// part tells runs apart on a server reused across them; 64 random bits tell the callers of
/// one run apart. Only letters, digits and `-`: safe in a memcached key, a NATS subject
/// token and a RabbitMQ vhost or user name alike.
pub(crate) fn unique_name(lead: &str, session: &str, random: u64) -> String {
    let session: String = session
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    format!("{lead}{session}-{random:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_bracket_ipv6_hosts() {
        assert_eq!(socket_address("127.0.0.1", 1), "127.0.0.1:1");
        assert_eq!(socket_address("::1", 2), "[::1]:2");
        assert_eq!(socket_address("[::1]", 3), "[::1]:3");
    }

    #[test]
    fn unique_names_keep_only_safe_characters() {
        assert_eq!(
            unique_name("t", "0123456789abcdef", 0xbeef),
            "t01234567-000000000000beef"
        );
        assert_eq!(
            unique_name("x-", "a+b#c/d.e f*", 1),
            "x-abcdef-0000000000000001"
        );
        assert_ne!(unique_name("t", "s", 1), unique_name("t", "s", 2));
    }

    #[tokio::test]
    async fn an_attempt_that_hangs_or_fails_is_not_yet() {
        let silent = attempt(
            Duration::from_millis(50),
            "h:1",
            std::future::pending::<std::io::Result<()>>(),
        )
        .await
        .unwrap_err();
        assert!(!silent.is_fatal());
        assert_eq!(silent.detail(), "no answer from h:1 within 50 ms");

        let closed = attempt(Duration::from_secs(1), "h:1", async {
            Err::<(), _>(std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
        })
        .await
        .unwrap_err();
        assert_eq!(
            closed.detail(),
            "h:1 closed the connection before answering"
        );

        let fine = attempt(Duration::from_secs(1), "h:1", async { Ok(7) }).await;
        assert_eq!(fine.unwrap(), 7);
    }
}

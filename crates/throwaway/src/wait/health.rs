//! Waiting for the Docker healthcheck.

use std::fmt;
use std::time::Duration;

use super::target::{Health, Target};
use super::{is_permanent, Progress, DEFAULT_POLL_INTERVAL};
use crate::error::{Error, ErrorKind, Result};

/// How much of a probe's output an error message quotes.
const OUTPUT_EXCERPT: usize = 300;

/// The state behind [`Wait::healthy`](super::Wait::healthy).
#[derive(Clone, Debug)]
pub(super) struct HealthWait {
    poll_interval: Duration,
}

impl HealthWait {
    pub(super) fn new() -> Self {
        HealthWait {
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// How often to ask the engine. The default is 100 ms.
    pub(super) fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    pub(super) async fn run(&self, target: &dyn Target, progress: &Progress) -> Result<()> {
        loop {
            match target.health().await {
                Ok(Health::Healthy) => return Ok(()),
                Ok(Health::None) => {
                    return Err(Error::new(
                        ErrorKind::InvalidRequest,
                        format!(
                            "{} has no HEALTHCHECK; add one to the image or the request, \
                             or choose another wait strategy",
                            target.describe()
                        ),
                    ))
                }
                Ok(Health::Starting) => progress.note("the healthcheck is still starting"),
                Ok(Health::Unhealthy { last_output }) => {
                    let output = last_output.trim();
                    progress.note(if output.is_empty() {
                        "the healthcheck reports unhealthy; its last probe printed nothing"
                            .to_owned()
                    } else {
                        format!(
                            "the healthcheck reports unhealthy; its last probe printed: {}",
                            excerpt(output)
                        )
                    });
                }
                Err(err) if is_permanent(&err) => return Err(err),
                Err(err) => progress.note(format!("asking for the health status failed: {err}")),
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}

/// The end of a probe's output: that is where the reason usually is.
fn excerpt(output: &str) -> String {
    let chars = output.chars().count();
    if chars <= OUTPUT_EXCERPT {
        return output.to_owned();
    }
    let skip = output
        .char_indices()
        .nth(chars - OUTPUT_EXCERPT)
        .map_or(0, |(at, _)| at);
    format!("…{}", &output[skip..])
}

impl fmt::Display for HealthWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("healthcheck reporting healthy")
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::super::fake::FakeTarget;
    use super::super::target::Health;
    use super::super::{wait_until_ready, Wait};
    use super::*;

    const LONG: Duration = Duration::from_secs(2);

    #[tokio::test]
    async fn no_healthcheck_fails_at_once() {
        let target = FakeTarget::new().health([Health::None]);
        let started = Instant::now();
        let err = wait_until_ready(&Wait::healthy(), &target, LONG)
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert_eq!(
            err.message(),
            "fake:1 (0123456789ab) has no HEALTHCHECK; add one to the image or the request, \
             or choose another wait strategy"
        );
    }

    #[tokio::test]
    async fn starting_then_healthy() {
        let target = FakeTarget::new().health([
            Health::Starting,
            Health::Unhealthy {
                last_output: "not yet".to_owned(),
            },
            Health::Starting,
            Health::Healthy,
        ]);
        let wait = Wait::healthy().poll_interval(Duration::from_millis(10));
        wait_until_ready(&wait, &target, LONG).await.unwrap();
        assert_eq!(target.health_calls(), 4);
    }

    #[tokio::test]
    async fn unhealthy_until_the_timeout_quotes_the_probe() {
        let target = FakeTarget::new().health([Health::Unhealthy {
            last_output: "pg_isready: no response\n".to_owned(),
        }]);
        let err = wait_until_ready(&Wait::healthy(), &target, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(
            err.message().contains(
                "waited 300 ms for healthcheck reporting healthy on fake:1 (0123456789ab); \
                 the healthcheck reports unhealthy; its last probe printed: pg_isready: no response"
            ),
            "{err}"
        );
    }

    #[test]
    fn long_output_keeps_its_end() {
        let output = format!("{}the reason", "x".repeat(1000));
        let short = excerpt(&output);
        assert!(short.starts_with('…') && short.ends_with("the reason"));
        assert_eq!(short.chars().count(), OUTPUT_EXCERPT + 1);
    }

    #[test]
    fn display() {
        assert_eq!(Wait::healthy().to_string(), "healthcheck reporting healthy");
    }
}

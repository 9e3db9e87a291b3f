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
                Ok(Health::NotRunByEngine { command }) => {
                    match target.exec(command.clone()).await {
                        Ok(outcome) if outcome.exit_code == Some(0) => return Ok(()),
                        Ok(outcome) => {
                            let mut output = outcome.stdout;
                            output.extend_from_slice(&outcome.stderr);
                            let output = String::from_utf8_lossy(&output);
                            let code = outcome.exit_code.map_or_else(
                                || "no exit code".to_owned(),
                                |c| format!("exit code {c}"),
                            );
                            progress.note(format!(
                                "the engine runs no healthchecks (Podman without systemd does \
                                 not), so the image's healthcheck command {} was run through \
                                 exec: unhealthy, {code}{}",
                                shown(&command),
                                if output.trim().is_empty() {
                                    String::new()
                                } else {
                                    format!(", output: {}", excerpt(output.trim()))
                                }
                            ));
                        }
                        Err(err) if is_permanent(&err) => return Err(err),
                        Err(err) => progress.note(format!(
                            "the engine runs no healthchecks, and running the healthcheck \
                             command {} through exec failed: {err}",
                            shown(&command)
                        )),
                    }
                }
                Err(err) if is_permanent(&err) => return Err(err),
                Err(err) => progress.note(format!("asking for the health status failed: {err}")),
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}

/// A command as the image's `HEALTHCHECK` would show it: `[test, -e, /tmp/healthy]`.
fn shown(command: &[String]) -> String {
    format!("[{}]", command.join(", "))
}

/// The command of a healthcheck's `Test` (`["CMD", args…]` or `["CMD-SHELL", line]`), to
/// run through exec; `None` for `["NONE"]`, an inherited `[]`, or anything else.
pub(crate) fn healthcheck_command(test: &[String]) -> Option<Vec<String>> {
    match test.split_first() {
        Some((kind, args)) if kind == "CMD" && !args.is_empty() => Some(args.to_vec()),
        Some((kind, [line])) if kind == "CMD-SHELL" => {
            Some(vec!["/bin/sh".into(), "-c".into(), line.clone()])
        }
        _ => None,
    }
}

/// Whether the engine runs no probes for a container that has run for `running_for`, with a
/// probe every `interval` (Docker's default, 30 s, when the image says none) and
/// `probes_logged` probes in its health log. Docker runs the first probe one interval after
/// the start; twice that and a second more without one means no probe is coming.
pub(crate) fn engine_runs_no_probes(
    probes_logged: usize,
    running_for: Duration,
    interval: Option<Duration>,
) -> bool {
    let interval = interval
        .filter(|i| !i.is_zero())
        .unwrap_or(Duration::from_secs(30));
    probes_logged == 0 && running_for > interval * 2 + Duration::from_secs(1)
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

    #[tokio::test]
    async fn a_healthcheck_the_engine_does_not_run_is_run_through_exec() {
        let command: Vec<String> = ["test", "-e", "/tmp/healthy"].map(String::from).to_vec();
        let target = FakeTarget::new()
            .health([Health::NotRunByEngine {
                command: command.clone(),
            }])
            .exec({
                let calls = std::sync::atomic::AtomicUsize::new(0);
                move |_| {
                    let first = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
                    crate::wait::fake::exec_exits(if first { 1 } else { 0 }, "")
                }
            });
        let wait = Wait::healthy().poll_interval(Duration::from_millis(10));
        wait_until_ready(&wait, &target, LONG).await.unwrap();
        assert_eq!(target.exec_calls(), vec![command.clone(), command]);
    }

    #[tokio::test]
    async fn a_failing_healthcheck_run_through_exec_says_so_at_the_timeout() {
        let target = FakeTarget::new()
            .health([Health::NotRunByEngine {
                command: vec!["/bin/sh".into(), "-c".into(), "pg_isready".into()],
            }])
            .exec(|_| crate::wait::fake::exec_exits(2, "no response\n"));
        let err = wait_until_ready(&Wait::healthy(), &target, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(
            err.message().contains(
                "the engine runs no healthchecks (Podman without systemd does not), so the \
                 image's healthcheck command [/bin/sh, -c, pg_isready] was run through exec: \
                 unhealthy, exit code 2, output: no response"
            ),
            "{err}"
        );
    }

    #[test]
    fn healthcheck_tests_become_commands() {
        let test = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(
            healthcheck_command(&test(&["CMD", "test", "-e", "/tmp/healthy"])),
            Some(test(&["test", "-e", "/tmp/healthy"]))
        );
        assert_eq!(
            healthcheck_command(&test(&["CMD-SHELL", "pg_isready -U postgres"])),
            Some(test(&["/bin/sh", "-c", "pg_isready -U postgres"]))
        );
        assert_eq!(healthcheck_command(&test(&["NONE"])), None);
        assert_eq!(healthcheck_command(&test(&[])), None);
        assert_eq!(healthcheck_command(&test(&["CMD"])), None);
    }

    #[test]
    fn no_probe_long_after_the_first_was_due_means_the_engine_runs_none() {
        let ms = Duration::from_millis;
        assert!(!engine_runs_no_probes(0, ms(1300), Some(ms(200))));
        assert!(engine_runs_no_probes(0, ms(1500), Some(ms(200))));
        assert!(!engine_runs_no_probes(1, ms(9000), Some(ms(200))));
        // No interval in the image: Docker's 30 s.
        assert!(!engine_runs_no_probes(0, ms(60_000), None));
        assert!(engine_runs_no_probes(0, ms(61_500), Some(Duration::ZERO)));
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

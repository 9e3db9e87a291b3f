//! Waiting for a line of output.

use std::fmt;
use std::time::Duration;

use futures_util::StreamExt;
use regex::Regex;

use super::target::{LogLine, LogSource, Target};
use super::{is_permanent, quoted, Progress, DEFAULT_POLL_INTERVAL};
use crate::error::{Error, ErrorKind, Result};

/// The state behind [`Wait::log`](super::Wait::log) and
/// [`Wait::log_regex`](super::Wait::log_regex), whose docs say how lines are matched.
#[derive(Clone, Debug)]
pub(super) struct LogWait {
    pattern: Pattern,
    times: usize,
    /// `None`: either stream.
    source: Option<LogSource>,
    poll_interval: Duration,
}

#[derive(Clone, Debug)]
enum Pattern {
    Literal(String),
    Regex(Regex),
}

impl LogWait {
    pub(super) fn literal(text: String) -> Self {
        LogWait::with(Pattern::Literal(text))
    }

    pub(super) fn regex(pattern: &str) -> Result<Self> {
        match Regex::new(pattern) {
            Ok(regex) => Ok(LogWait::with(Pattern::Regex(regex))),
            Err(err) => Err(Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "the log pattern /{pattern}/ is not a valid regular expression: {}",
                    one_line(&err.to_string())
                ),
            )
            .with_source(err)),
        }
    }

    fn with(pattern: Pattern) -> Self {
        LogWait {
            pattern,
            times: 1,
            source: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// Wait for the `n`th matching line instead of the first. `0` counts as 1.
    pub(super) fn times(mut self, n: usize) -> Self {
        self.times = n.max(1);
        self
    }

    /// Look at standard output only. (The default is either stream; the last of
    /// `stdout()` and `stderr()` called wins.)
    pub(super) fn stdout(mut self) -> Self {
        self.source = Some(LogSource::Stdout);
        self
    }

    /// Look at standard error only. (The default is either stream; the last of
    /// `stdout()` and `stderr()` called wins.)
    pub(super) fn stderr(mut self) -> Self {
        self.source = Some(LogSource::Stderr);
        self
    }

    /// How long to pause before following the logs again if the log stream breaks off while
    /// the container is still running. The default is 100 ms.
    pub(super) fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    fn matches(&self, line: &LogLine) -> bool {
        if self.source.is_some_and(|wanted| wanted != line.source) {
            return false;
        }
        let text = line.text.strip_suffix('\r').unwrap_or(&line.text);
        match &self.pattern {
            Pattern::Literal(literal) => text.contains(literal.as_str()),
            Pattern::Regex(regex) => regex.is_match(text),
        }
    }

    fn seen(&self, seen: usize) -> String {
        let lines = if self.times == 1 { "line" } else { "lines" };
        format!("saw {seen} of {} matching {lines}", self.times)
    }

    pub(super) async fn run(&self, target: &dyn Target, progress: &Progress) -> Result<()> {
        loop {
            // Counting starts from scratch each time: the stream replays output from the start.
            let mut seen = 0;
            progress.note(self.seen(seen));
            let mut lines = target.follow_logs();
            while let Some(item) = lines.next().await {
                match item {
                    Ok(line) if self.matches(&line) => {
                        seen += 1;
                        if seen >= self.times {
                            return Ok(());
                        }
                        progress.note(self.seen(seen));
                    }
                    Ok(_) => {}
                    Err(err) if is_permanent(&err) => return Err(err),
                    Err(err) => {
                        progress.note(format!(
                            "{}; reading the logs failed: {err}",
                            self.seen(seen)
                        ));
                        break;
                    }
                }
            }
            // The stream ended. Normally the container stopped, and the driver's exit watch
            // reports that with the exit code. If it is still running, the connection broke
            // off: follow again after a pause.
            drop(lines);
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}

impl fmt::Display for LogWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pattern {
            Pattern::Literal(text) => write!(f, "log {}", quoted(text))?,
            Pattern::Regex(regex) => write!(f, "log matching /{}/", regex.as_str())?,
        }
        if self.times > 1 {
            write!(f, " ×{}", self.times)?;
        }
        f.write_str(match self.source {
            None => " on stdout or stderr",
            Some(LogSource::Stdout) => " on stdout",
            Some(LogSource::Stderr) => " on stderr",
        })
    }
}

/// regex's errors span several lines, with a caret under the fault; keep the last line, which
/// says what is wrong.
fn one_line(message: &str) -> &str {
    message
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .map_or(message, str::trim)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::super::fake::FakeTarget;
    use super::super::{wait_until_ready, Wait};
    use crate::error::ErrorKind;

    const LONG: Duration = Duration::from_secs(2);

    #[tokio::test]
    async fn times_two_needs_the_second_line() {
        let target = FakeTarget::new()
            .stdout(0, "ready")
            .stdout(10, "something else")
            .stderr(300, "ready now too");
        let started = Instant::now();
        wait_until_ready(&Wait::log("ready").times(2), &target, LONG)
            .await
            .unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(280),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn one_match_of_two_times_out_saying_so() {
        let target = FakeTarget::new().stdout(0, "ready").stdout(0, "busy");
        let err = wait_until_ready(
            &Wait::log("ready").times(2),
            &target,
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(err.message().contains("saw 1 of 2 matching lines"), "{err}");
    }

    #[tokio::test]
    async fn stdout_only_ignores_stderr_and_the_other_way_round() {
        let target = || {
            FakeTarget::new()
                .stderr(0, "ready on stderr")
                .stdout(500, "ready on stdout")
        };
        let started = Instant::now();
        wait_until_ready(&Wait::log("ready").stdout(), &target(), LONG)
            .await
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(480));

        let started = Instant::now();
        wait_until_ready(&Wait::log("ready").stderr(), &target(), LONG)
            .await
            .unwrap();
        assert!(started.elapsed() < Duration::from_millis(400));
    }

    #[tokio::test]
    async fn a_literal_is_a_case_sensitive_substring_and_counts_once_per_line() {
        let target = FakeTarget::new()
            .stdout(0, "READY READY")
            .stdout(0, "x ready ready x");
        let err = wait_until_ready(
            &Wait::log("ready").times(2),
            &target,
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
        assert!(err.message().contains("saw 1 of 2"), "{err}");
    }

    #[tokio::test]
    async fn regex_matches_whole_lines_one_at_a_time() {
        let target = FakeTarget::new()
            .stdout(0, "listening on 0.0.0.0:http")
            .stdout(0, "listening on 0.0.0.0:8080\r")
            .stdout(0, "done");
        let wait = Wait::log_regex(r"^listening on .*:\d+$").unwrap();
        wait_until_ready(&wait, &target, LONG).await.unwrap();

        let target = FakeTarget::new()
            .stdout(0, "listening on")
            .stdout(0, "0.0.0.0:8080");
        let wait = Wait::log_regex(r"listening on .*:\d+").unwrap();
        let err = wait_until_ready(&wait, &target, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(
            err.message()
                .contains(r"log matching /listening on .*:\d+/"),
            "{err}"
        );
    }

    #[test]
    fn an_invalid_regex_is_an_invalid_request() {
        let err = Wait::log_regex("listening on (port").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert!(err.message().contains("/listening on (port/"), "{err}");
        assert!(!err.message().contains('\n'), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[tokio::test]
    async fn the_end_of_the_log_stream_is_reported_as_the_exit() {
        let target = FakeTarget::new()
            .stdout(0, "ready")
            .stderr(50, "panic: out of cheese")
            .exits(100, 2);
        let started = Instant::now();
        let err = wait_until_ready(&Wait::log("ready").times(2), &target, LONG)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ContainerExited);
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(err.message().contains("exited with code 2"), "{err}");
        assert!(err.message().contains("saw 1 of 2 matching lines"), "{err}");
        assert!(err.message().contains("\n  panic: out of cheese"), "{err}");
    }

    #[tokio::test]
    async fn a_match_before_the_exit_is_success() {
        let target = FakeTarget::new().stdout(0, "ready").exits(0, 0);
        // Both are ready at the first poll; success wins the tie.
        wait_until_ready(&Wait::log("ready"), &target, LONG)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_broken_log_stream_is_followed_again_and_recounted() {
        let target = FakeTarget::new()
            .stdout(0, "ready")
            .log_error_at(20)
            .stdout(200, "ready");
        // Were the first "ready" counted twice (once per follow), the wait would end before
        // the second line is written.
        let started = Instant::now();
        wait_until_ready(
            &Wait::log("ready")
                .times(2)
                .poll_interval(Duration::from_millis(20)),
            &target,
            LONG,
        )
        .await
        .unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(180),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn display() {
        assert_eq!(
            Wait::log("ready to accept connections")
                .times(2)
                .to_string(),
            "log 'ready to accept connections' ×2 on stdout or stderr"
        );
        assert_eq!(Wait::log("up").stdout().to_string(), "log 'up' on stdout");
        assert_eq!(
            Wait::log_regex(r"port \d+").unwrap().stderr().to_string(),
            r"log matching /port \d+/ on stderr"
        );
        let long = "x".repeat(100);
        assert_eq!(
            Wait::log(long).to_string(),
            format!("log '{}…' on stdout or stderr", "x".repeat(80))
        );
    }
}

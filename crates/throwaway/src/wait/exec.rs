//! Waiting for a command to succeed in the container.

use std::fmt;
use std::time::Duration;

use super::target::{ExecOutcome, Target};
use super::{is_permanent, Progress, DEFAULT_POLL_INTERVAL};
use crate::error::{Error, ErrorKind, Result};

/// How much of a command's output an error message quotes.
const OUTPUT_EXCERPT: usize = 300;

/// The state behind [`Wait::exec`](super::Wait::exec).
#[derive(Clone, Debug)]
pub(super) struct ExecWait {
    cmd: Vec<String>,
    exit_code: i64,
    poll_interval: Duration,
}

impl ExecWait {
    pub(super) fn new(cmd: Vec<String>) -> Self {
        ExecWait {
            cmd,
            exit_code: 0,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// The exit code that means ready. The default is 0.
    pub(super) fn exit_code(mut self, code: i64) -> Self {
        self.exit_code = code;
        self
    }

    /// How long to pause between runs. The default is 100 ms.
    pub(super) fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    pub(super) async fn run(&self, target: &dyn Target, progress: &Progress) -> Result<()> {
        if self.cmd.first().is_none_or(|program| program.is_empty()) {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                "Wait::exec was given an empty command: name a program to run in the container",
            ));
        }
        loop {
            match target.exec(self.cmd.clone()).await {
                Ok(outcome) if outcome.exit_code == Some(self.exit_code) => return Ok(()),
                Ok(outcome) => progress.note(last_run(&outcome)),
                Err(err) if is_permanent(&err) => return Err(err),
                Err(err) => progress.note(format!("the last run could not start: {err}")),
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}

/// "the last run exited with code 2: `<output>`".
fn last_run(outcome: &ExecOutcome) -> String {
    let mut note = match outcome.exit_code {
        Some(code) => format!("the last run exited with code {code}"),
        None => "the last run ended without an exit code".to_owned(),
    };
    if matches!(outcome.exit_code, Some(126 | 127)) {
        note.push_str(" (the command may not exist in the image)");
    }
    let mut output = String::from_utf8_lossy(&outcome.stdout).trim().to_owned();
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    if !stderr.trim().is_empty() {
        if !output.is_empty() {
            output.push('\n');
        }
        output.push_str(stderr.trim());
    }
    if !output.is_empty() {
        let chars = output.chars().count();
        let start = output
            .char_indices()
            .nth(chars.saturating_sub(OUTPUT_EXCERPT))
            .map_or(0, |(at, _)| at);
        note.push_str(": ");
        if start > 0 {
            note.push('…');
        }
        note.push_str(&output[start..].replace('\n', " / "));
    }
    note
}

impl fmt::Display for ExecWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("command '")?;
        for (i, arg) in self.cmd.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if arg.is_empty() || arg.contains(char::is_whitespace) {
                write!(f, "\"{arg}\"")?;
            } else {
                f.write_str(arg)?;
            }
        }
        write!(f, "' exiting {}", self.exit_code)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::super::fake::{exec_exits, FakeTarget};
    use super::super::{wait_until_ready, Wait};
    use super::*;

    const LONG: Duration = Duration::from_secs(2);

    /// An exec that answers with the next of `codes` (`None`: cannot start), the last forever.
    fn scripted(codes: &'static [Option<i64>]) -> FakeTarget {
        let runs = Arc::new(AtomicUsize::new(0));
        FakeTarget::new().exec(move |_| {
            let run = runs.fetch_add(1, Ordering::SeqCst);
            match codes[run.min(codes.len() - 1)] {
                Some(code) => exec_exits(code, "accepting connections? no"),
                None => Err(Error::new(ErrorKind::Exec, "container is restarting")),
            }
        })
    }

    #[tokio::test]
    async fn retries_until_exit_code_zero() {
        let target = scripted(&[None, Some(2), Some(1), Some(0)]);
        let wait = Wait::exec(["pg_isready", "-q"]).poll_interval(Duration::from_millis(10));
        wait_until_ready(&wait, &target, LONG).await.unwrap();
        assert_eq!(target.exec_calls().len(), 4);
        assert_eq!(target.exec_calls()[0], ["pg_isready", "-q"]);
    }

    #[tokio::test]
    async fn another_exit_code_can_mean_ready() {
        let target = scripted(&[Some(0), Some(3)]);
        let wait = Wait::exec(["probe"])
            .exit_code(3)
            .poll_interval(Duration::from_millis(10));
        wait_until_ready(&wait, &target, LONG).await.unwrap();
        assert_eq!(target.exec_calls().len(), 2);
    }

    #[tokio::test]
    async fn the_timeout_quotes_the_last_run() {
        let target = scripted(&[Some(2)]);
        let err = wait_until_ready(
            &Wait::exec(["pg_isready"]),
            &target,
            Duration::from_millis(250),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(
            err.message().contains(
                "command 'pg_isready' exiting 0 on fake:1 (0123456789ab); \
                 the last run exited with code 2: accepting connections? no"
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_empty_command_is_an_invalid_request() {
        let empty: [&str; 0] = [];
        let err = wait_until_ready(&Wait::exec(empty), &FakeTarget::new(), LONG)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn last_run_quotes_both_streams_and_hints_at_a_missing_command() {
        let outcome = ExecOutcome {
            exit_code: Some(127),
            stdout: b"".to_vec(),
            stderr: b"exec: \"pg_isready\": executable file not found in $PATH\n".to_vec(),
        };
        assert_eq!(
            last_run(&outcome),
            "the last run exited with code 127 (the command may not exist in the image): \
             exec: \"pg_isready\": executable file not found in $PATH"
        );
    }

    #[test]
    fn display() {
        assert_eq!(
            Wait::exec(["pg_isready", "-q"]).to_string(),
            "command 'pg_isready -q' exiting 0"
        );
        assert_eq!(
            Wait::exec(["sh", "-c", "test -f /ready"])
                .exit_code(1)
                .to_string(),
            "command 'sh -c \"test -f /ready\"' exiting 1"
        );
    }
}

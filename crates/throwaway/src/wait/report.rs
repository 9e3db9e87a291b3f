//! What a failed start says about the container: how it ended and its last lines. One place
//! writes it, for a container that exits while a strategy waits and for one whose start
//! call itself fails.

use std::time::Duration;

use super::target::{ExitInfo, Target};
use crate::error::{Error, ErrorKind};

/// How many lines of output an error message shows.
const TAIL_LINES: usize = 20;

/// How long an error message may take to fetch the last lines of output.
const TAIL_TIMEOUT: Duration = Duration::from_secs(2);

/// The error for a container that stopped `during` something ("while waiting for …",
/// "while starting: …"), with what the engine said, `progress` (what the wait saw last), a
/// hint and the last lines of output.
pub(crate) async fn exited(
    target: &dyn Target,
    exit: &ExitInfo,
    during: &str,
    progress: Option<String>,
) -> Error {
    let how = match (exit.oom_killed, exit.code) {
        (true, Some(code)) => format!("was killed for running out of memory (exit code {code})"),
        (true, None) => "was killed for running out of memory".to_owned(),
        (false, Some(code)) => format!("exited with code {code}"),
        (false, None) => "exited".to_owned(),
    };
    let mut message = format!("{} {how} {during}", target.describe());
    if let Some(error) = exit
        .error
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        message.push_str("; the engine reported: ");
        message.push_str(error);
    }
    if let Some(progress) = progress {
        message.push_str("; ");
        message.push_str(&progress);
    }
    message.push_str(if exit.oom_killed {
        "; raise the container's memory limit or make the service use less"
    } else {
        "; check the image's command and entrypoint, and the environment and files it expects"
    });
    message.push_str(&last_lines(target).await);
    Error::new(ErrorKind::ContainerExited, message)
}

/// The error for a container whose start call the engine refused (`detail` says why): a
/// command that cannot run, a host port taken, a mount source missing. `exit` is what the
/// container's state says, if it ran at all.
pub(crate) async fn failed_to_start(target: &dyn Target, exit: &ExitInfo, detail: &str) -> Error {
    let mut message = format!("{} could not be started: {detail}", target.describe());
    if let Some(code) = exit.code.filter(|code| *code != 0) {
        message.push_str(&format!(" (exit code {code})"));
    }
    let lowered = detail.to_ascii_lowercase();
    let command = [
        "executable file not found",
        "no such file or directory",
        "permission denied",
    ]
    .iter()
    .any(|sign| lowered.contains(sign))
        || matches!(exit.code, Some(126 | 127));
    message.push_str(if command {
        "; check the request's command and entrypoint, and that the image has them"
    } else {
        "; check the request's ports, mounts and networks"
    });
    message.push_str(&last_lines(target).await);
    Error::new(ErrorKind::ContainerExited, message)
}

/// "; last log lines:\n  …" for an error message, or a note that there were none.
pub(crate) async fn last_lines(target: &dyn Target) -> String {
    match tokio::time::timeout(TAIL_TIMEOUT, target.tail_logs(TAIL_LINES)).await {
        Ok(tail) if tail.trim().is_empty() => "; the container wrote no output".to_owned(),
        Ok(tail) => {
            let mut out = String::from("; last log lines:");
            for line in tail.lines() {
                out.push_str("\n  ");
                out.push_str(line);
            }
            out
        }
        Err(_) => "; the last log lines could not be read in time".to_owned(),
    }
}

//! Running commands inside a container.

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::Docker;
use futures_util::StreamExt;

use crate::error::{Error, ErrorKind, Result};
use crate::wait::target::ExecOutcome;

/// The outcome of a command run with [`Container::exec`](crate::Container::exec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    /// The command's exit code (`-1` if the engine did not report one).
    pub exit_code: i64,
    /// Everything the command wrote to standard output.
    pub stdout: Vec<u8>,
    /// Everything the command wrote to standard error.
    pub stderr: Vec<u8>,
}

impl ExecResult {
    /// Standard output as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Whether the command exited with code 0.
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }
}

impl From<ExecOutcome> for ExecResult {
    fn from(outcome: ExecOutcome) -> Self {
        ExecResult {
            exit_code: outcome.exit_code.unwrap_or(-1),
            stdout: outcome.stdout,
            stderr: outcome.stderr,
        }
    }
}

/// Runs `cmd` (no shell) in container `id`, named `who` in errors, and collects its output.
pub(crate) async fn run(
    docker: &Docker,
    id: &str,
    who: &str,
    cmd: Vec<String>,
) -> Result<ExecOutcome> {
    if cmd.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidRequest,
            format!("cannot run an empty command in {who}"),
        ));
    }
    let shown = cmd.join(" ");
    let exec_error = |err: bollard::errors::Error| {
        let detail = crate::error::engine_detail(&err);
        Error::new(
            ErrorKind::Exec,
            format!("could not run '{shown}' in {who}: {detail}"),
        )
        .with_source(err)
    };
    let created = docker
        .create_exec(
            id,
            CreateExecOptions {
                cmd: Some(cmd.clone()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .map_err(exec_error)?;
    let mut outcome = ExecOutcome {
        exit_code: None,
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    match docker
        .start_exec(&created.id, None)
        .await
        .map_err(exec_error)?
    {
        StartExecResults::Attached { mut output, .. } => {
            while let Some(chunk) = output.next().await {
                match chunk.map_err(exec_error)? {
                    bollard::container::LogOutput::StdOut { message }
                    | bollard::container::LogOutput::Console { message } => {
                        outcome.stdout.extend_from_slice(&message)
                    }
                    bollard::container::LogOutput::StdErr { message } => {
                        outcome.stderr.extend_from_slice(&message)
                    }
                    bollard::container::LogOutput::StdIn { .. } => {}
                }
            }
        }
        StartExecResults::Detached => {}
    }
    let inspected = docker.inspect_exec(&created.id).await.map_err(exec_error)?;
    outcome.exit_code = inspected.exit_code;
    Ok(outcome)
}

//! Shared helpers: the engine check, images, raw engine access and child processes.

use std::process::{Command, Output};

/// The general-purpose test image built by `ci/images/build`.
pub const TOOLS: &str = "throwaway-test/tools:1";
/// The same image with a HEALTHCHECK.
pub const TOOLS_HEALTHY: &str = "throwaway-test/tools:healthy";
/// The Redis image the tests use.
pub const REDIS: &str = "redis:7.0";

/// Whether an engine answers; with `CI` set, a missing engine is a failure, not a skip
/// (the library's own rule: [`throwaway::skip_without_engine`]).
pub fn engine_available() -> bool {
    !throwaway::skip_without_engine()
}

/// Returns early from a test (printing why) when no engine is reachable outside CI.
#[macro_export]
macro_rules! require_engine {
    () => {
        if !$crate::support::engine_available() {
            return;
        }
    };
}

/// A raw engine client, to check what the library did independently of it.
pub fn raw() -> bollard::Docker {
    bollard::Docker::connect_with_local_defaults().expect("raw engine client")
}

/// Whether the engine said that what was asked about does not exist: Docker answers 404;
/// Podman answers 500 for a container that is being removed at that moment ("… does not
/// exist in database: no such container").
fn is_missing(err: &bollard::errors::Error) -> bool {
    match err {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => *status_code == 404 || message.contains("no such "),
        _ => false,
    }
}

/// Whether the engine still knows the container `id`.
pub async fn container_exists(id: &str) -> bool {
    match raw().inspect_container(id, None).await {
        Ok(_) => true,
        // Podman can report a state that bollard's types do not know ("stopped", between the
        // end of the container's process and its cleanup): the engine answered with the
        // container, so it is there.
        Err(bollard::errors::Error::JsonDataError { ref message, .. })
            if message.contains("unknown variant") =>
        {
            true
        }
        Err(e) if is_missing(&e) => false,
        Err(e) => panic!("inspecting {id}: {e}"),
    }
}

/// Waits until the engine no longer knows container `id`, polling; panics after `within`.
/// `Drop` removes in the background, so a test that drops a handle polls for the result.
pub async fn container_gone_within(id: &str, within: std::time::Duration) {
    let deadline = std::time::Instant::now() + within;
    while container_exists(id).await {
        assert!(
            std::time::Instant::now() < deadline,
            "container {id} still exists {within:?} after its handle was dropped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Waits until the engine no longer knows volume `name`, polling; panics after `within`.
pub async fn volume_gone_within(name: &str, within: std::time::Duration) {
    let deadline = std::time::Instant::now() + within;
    while volume_exists(name).await {
        assert!(
            std::time::Instant::now() < deadline,
            "volume {name} still exists {within:?} after its container's handle was dropped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Whether the engine still knows the volume `name`.
pub async fn volume_exists(name: &str) -> bool {
    match raw().inspect_volume(name).await {
        Ok(_) => true,
        Err(e) if is_missing(&e) => false,
        Err(e) => panic!("inspecting volume {name}: {e}"),
    }
}

/// The command that runs the ignored test `name` of this binary alone, with extra
/// environment. The child sees `THROWAWAY_CHILD=1`; an empty value removes a variable.
fn child_command(name: &str, env: &[(&str, &str)]) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("THROWAWAY_CHILD", "1");
    for (key, value) in env {
        if value.is_empty() {
            command.env_remove(key);
        } else {
            command.env(key, value);
        }
    }
    command
}

/// Runs the ignored test `name` of this binary in a child process (see [`child_command`])
/// and returns its output once it has passed.
pub fn run_child(name: &str, env: &[(&str, &str)]) -> Output {
    let mut command = child_command(name, env);
    let output = command.output().expect("running the child test process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("1 passed"),
        "child test {name} did not pass:\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A child test process started by [`spawn_child`], with its output read line by line.
pub struct RunningChild {
    child: std::process::Child,
    output: std::io::BufReader<std::process::ChildStdout>,
    /// Where the child's standard error goes.
    stderr: std::fs::File,
}

impl RunningChild {
    /// Reads the child's output until a line contains `marker`; returns what follows it.
    pub fn line_with(&mut self, marker: &str) -> String {
        use std::io::BufRead;
        let mut line = String::new();
        loop {
            line.clear();
            let read = self
                .output
                .read_line(&mut line)
                .expect("reading the child's output");
            assert!(read > 0, "the child ended before printing {marker:?}");
            if let Some(rest) = line.split(marker).nth(1) {
                return rest.trim().to_string();
            }
        }
    }

    /// Sends `signal` (a `kill` name such as `KILL` or `INT`) and waits for the child to end.
    pub fn signal(&mut self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success());
        self.child.wait().expect("waiting for the child");
    }

    /// Waits for the child to end on its own.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().expect("waiting for the child")
    }

    /// Waits for the child to end and returns its status and the output not read yet.
    pub fn wait_with_output(mut self) -> std::io::Result<std::process::Output> {
        use std::io::{Read, Seek};
        let mut stdout = Vec::new();
        self.output.read_to_end(&mut stdout)?;
        let status = self.child.wait()?;
        let mut stderr = Vec::new();
        self.stderr.seek(std::io::SeekFrom::Start(0))?;
        self.stderr.read_to_end(&mut stderr)?;
        Ok(std::process::Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// Starts the ignored test `name` of this binary in a child process and returns at once.
pub fn spawn_child(name: &str, env: &[(&str, &str)]) -> RunningChild {
    let mut command = child_command(name, env);
    // Standard error (where a failing child's panic goes) to a file, for the parent's
    // message: a pipe nobody reads while the child runs could fill up and stall it.
    let stderr = tempfile::tempfile().expect("a file for the child's standard error");
    command
        .stdout(std::process::Stdio::piped())
        .stderr(stderr.try_clone().expect("the child's standard error"));
    let mut child = command.spawn().expect("starting the child test process");
    let output = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    RunningChild {
        child,
        output,
        stderr,
    }
}

/// Panics unless this process was started by [`run_child`]: child tests check things that
/// only make sense in a process with a specially prepared environment.
pub fn assert_child() {
    assert!(
        std::env::var_os("THROWAWAY_CHILD").is_some(),
        "this test runs in a child process started by its parent test; run the parent"
    );
}

/// A plain HTTP/1.0 GET over a TCP connection: the status code and the body.
pub async fn http_get(host: &str, port: u16, path: &str) -> (u16, String) {
    try_http_get(host, port, path)
        .await
        .unwrap_or_else(|e| panic!("GET {path} from {host}:{port}: {e}"))
}

/// [`http_get`], with failures returned: for probes that try until the server answers.
pub async fn try_http_get(host: &str, port: u16, path: &str) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect((host, port)).await?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            let what = format!("not an HTTP response: {response:?}");
            std::io::Error::new(std::io::ErrorKind::InvalidData, what)
        })?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Runs a future to completion from a plain test.
pub fn block<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fut)
}

/// The containers that `options` select. Podman lists a container whose process has ended
/// and that it has not cleaned up yet with a state bollard's types do not know ("stopped"),
/// and one such container fails the whole listing: it is asked for again, since that state
/// lasts only until Podman's cleanup (or the removal under way) is done.
pub async fn list_containers(
    options: bollard::query_parameters::ListContainersOptions,
) -> Vec<bollard::models::ContainerSummary> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match raw().list_containers(Some(options.clone())).await {
            Ok(listed) => return listed,
            Err(bollard::errors::Error::JsonDataError { ref message, .. })
                if message.contains("unknown variant") && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("listing containers: {e}"),
        }
    }
}

/// Containers carrying `label=value`, running or not.
pub async fn containers_labelled(label: &str, value: &str) -> usize {
    use bollard::query_parameters::ListContainersOptionsBuilder;
    let filters =
        std::collections::HashMap::from([("label".to_string(), vec![format!("{label}={value}")])]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    list_containers(options).await.len()
}

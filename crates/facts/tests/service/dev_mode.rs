//! Dev mode: the binary, run with no URLs, starts PostgreSQL and Redis through throwaway,
//! serves, and removes both containers when it gets SIGINT or SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::require_engine;

/// The service's process, killed if the test ends before it does (its containers are then
/// the reaper's).
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Everything it logged so far, for failure messages.
    log: Vec<String>,
}

impl Running {
    fn start() -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_facts-service"))
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("FACTS_UPSTREAM_URL")
            .env("BIND_ADDRESS", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting facts-service");
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            log: Vec::new(),
        }
    }

    /// Reads the log until a line contains `marker`, and returns that line.
    fn wait_for(&mut self, marker: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(marker) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no {marker:?} from facts-service within {within:?}; it logged:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to end, at most `within`.
    fn wait(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The rest of the log, for messages.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
                    self.log.push(line);
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "facts-service did not stop within {within:?}; it logged:\n{}",
                self.log.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The container id in a line like `dev mode: Redis at redis://… (container 0123456789ab)`.
fn container_id(line: &str) -> String {
    let (_, rest) = line
        .split_once("(container ")
        .unwrap_or_else(|| panic!("no container id in {line:?}"));
    rest.split(')').next().unwrap().to_string()
}

/// Whether the engine still knows container `id`, asked without the library.
async fn container_exists(id: &str) -> bool {
    let docker = bollard::Docker::connect_with_local_defaults().expect("an engine client");
    match docker.inspect_container(id, None).await {
        Ok(_) => true,
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => false,
        Err(e) => panic!("inspecting {id}: {e}"),
    }
}

/// `GET path` on `address`: the status and the body.
async fn get(address: &str, path: &str) -> (u16, serde_json::Value) {
    use http_body_util::{BodyExt, Empty};
    use hyper::body::Bytes;
    let client: hyper_util::client::legacy::Client<_, Empty<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let uri = format!("http://{address}{path}").parse().unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), client.get(uri))
        .await
        .expect("an answer within 10 s")
        .expect("an answer");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

fn starts_serves_and_removes_its_containers_on(signal: &str) {
    let mut service = Running::start();
    let postgres =
        container_id(&service.wait_for("dev mode: PostgreSQL at", Duration::from_secs(120)));
    let redis = container_id(&service.wait_for("dev mode: Redis at", Duration::from_secs(30)));
    let listening = service.wait_for("listening on http://", Duration::from_secs(60));
    let address = listening
        .split("listening on http://")
        .nth(1)
        .unwrap()
        .trim()
        .to_string();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (status, health) = get(&address, "/health").await;
        assert_eq!(status, 200, "{health}");
        assert_eq!(health, serde_json::json!({"postgres": "up", "redis": "up"}));
        let (status, today) = get(&address, "/facts/today").await;
        assert_eq!(status, 200, "{today}");
        assert!(container_exists(&postgres).await);
        assert!(container_exists(&redis).await);
    });

    service.signal(signal);
    let status = service.wait(Duration::from_secs(60));
    assert!(
        status.success(),
        "facts-service ended with {status} after {signal}; it logged:\n{}",
        service.log.join("\n")
    );
    runtime.block_on(async {
        for (what, id) in [("PostgreSQL", &postgres), ("Redis", &redis)] {
            assert!(
                !container_exists(id).await,
                "{what}'s container {id} is still there after {signal}; the service logged:\n{}",
                service.log.join("\n")
            );
        }
    });
}

#[test]
fn dev_mode_removes_its_containers_on_sigint() {
    require_engine!();
    starts_serves_and_removes_its_containers_on("INT");
}

#[test]
fn dev_mode_removes_its_containers_on_sigterm() {
    require_engine!();
    starts_serves_and_removes_its_containers_on("TERM");
}

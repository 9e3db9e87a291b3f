//! The floor: what the engine itself costs. Create and start over the raw API, probe the
//! service until it answers, remove. No library, no log reading, no extra checks.
//!
//! The floor runs the images as they come (their default command, data on the image's
//! anonymous volume), with the port published on 127.0.0.1.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::RemoveContainerOptions;
use throwaway::postgres::tokio_postgres;

use crate::cleanup::{docker, RUN_LABEL};
use crate::Result;

/// How often the floor probes: often enough that it adds next to nothing.
const PROBE_EVERY: Duration = Duration::from_millis(10);

/// How long a floor container may take to answer before the run fails.
const PROBE_FOR: Duration = Duration::from_secs(60);

/// A container started over the raw API.
pub struct FloorContainer {
    id: String,
    port: u16,
}

impl FloorContainer {
    /// Creates and starts `image` with `env`, publishing `container_port` on a random port
    /// of 127.0.0.1, labelled with the bench run.
    ///
    /// # Errors
    /// Whatever the engine answers; a container created but not started is removed.
    pub async fn start(image: &str, env: &[&str], container_port: u16, run: &str) -> Result<Self> {
        let docker = docker().await?;
        let key = format!("{container_port}/tcp");
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            env: Some(env.iter().map(|e| e.to_string()).collect()),
            exposed_ports: Some(vec![key.clone()]),
            labels: Some(HashMap::from([(RUN_LABEL.to_string(), run.to_string())])),
            host_config: Some(HostConfig {
                port_bindings: Some(HashMap::from([(
                    key.clone(),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".to_string()),
                        host_port: None,
                    }]),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let id = docker.create_container(None, body).await?.id;
        let started = FloorContainer { id, port: 0 };
        docker.start_container(&started.id, None).await?;
        let inspected = docker.inspect_container(&started.id, None).await?;
        let port = inspected
            .network_settings
            .and_then(|n| n.ports)
            .and_then(|mut ports| ports.remove(&key).flatten())
            .and_then(|bindings| bindings.into_iter().find_map(|b| b.host_port))
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("floor container {} published no port {key}", started.id))?;
        Ok(FloorContainer { port, ..started })
    }

    /// The host port the service is published on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Removes the container with its anonymous volumes, and waits for the engine to
    /// confirm.
    ///
    /// # Errors
    /// Whatever the engine answers.
    pub async fn remove(self) -> Result<()> {
        let options = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        docker()
            .await?
            .remove_container(&self.id, Some(options))
            .await?;
        Ok(())
    }
}

/// A Redis server of the floor, started and answering `PING`.
///
/// # Errors
/// When the container cannot start, or does not answer within a minute.
pub async fn redis(run: &str) -> Result<(FloorContainer, redis::aio::MultiplexedConnection)> {
    let container = FloorContainer::start(crate::REDIS_IMAGE, &[], 6379, run).await?;
    match redis_answers(container.port()).await {
        Ok(connection) => Ok((container, connection)),
        Err(err) => {
            let _ = container.remove().await;
            Err(err)
        }
    }
}

/// Connects to Redis on `port` of 127.0.0.1 until it answers `PING`.
async fn redis_answers(port: u16) -> Result<redis::aio::MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
    let deadline = Instant::now() + PROBE_FOR;
    loop {
        let attempt = async {
            let mut connection = client.get_multiplexed_async_connection().await?;
            let _: String = redis::cmd("PING").query_async(&mut connection).await?;
            Ok::<_, redis::RedisError>(connection)
        };
        match attempt.await {
            Ok(connection) => return Ok(connection),
            Err(err) if Instant::now() >= deadline => {
                return Err(format!("floor Redis on port {port} did not answer: {err}").into())
            }
            Err(_) => tokio::time::sleep(PROBE_EVERY).await,
        }
    }
}

/// The password of the floor's PostgreSQL (the image needs one).
pub const POSTGRES_PASSWORD: &str = "postgres";

/// A PostgreSQL server of the floor, started and answering `SELECT 1`.
///
/// The image's temporary init server listens on its socket only, so the first answer over
/// TCP comes from the real server.
///
/// # Errors
/// When the container cannot start, or does not answer within a minute.
pub async fn postgres(run: &str) -> Result<(FloorContainer, tokio_postgres::Client)> {
    let env = ["POSTGRES_PASSWORD=postgres"];
    let container = FloorContainer::start(crate::POSTGRES_IMAGE, &env, 5432, run).await?;
    let url = format!(
        "postgres://postgres:{POSTGRES_PASSWORD}@127.0.0.1:{}/postgres",
        container.port()
    );
    let deadline = Instant::now() + PROBE_FOR;
    loop {
        match crate::migrate::connect(&url).await {
            Ok(client) => match client.simple_query("SELECT 1").await {
                Ok(_) => return Ok((container, client)),
                Err(err) if Instant::now() >= deadline => {
                    let _ = container.remove().await;
                    return Err(format!("floor PostgreSQL did not answer: {err}").into());
                }
                Err(_) => {}
            },
            Err(err) if Instant::now() >= deadline => {
                let _ = container.remove().await;
                return Err(format!("floor PostgreSQL did not answer: {err}").into());
            }
            Err(_) => {}
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
}

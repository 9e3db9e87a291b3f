//! The label on everything the bench starts, and removing by it whatever a failed or
//! interrupted workload left behind.
//!
//! The `testcontainers` crate has no reaper: its containers go only when dropped. So every
//! container of a run, whichever library made it, carries [`RUN_LABEL`] with the run's id,
//! and [`sweep`] removes them by id after each workload, whatever happened.

use std::collections::HashMap;

use bollard::query_parameters::{ListContainersOptions, RemoveContainerOptions};
use bollard::Docker;
use tokio::sync::OnceCell;

use crate::Result;

/// The label key; its value is the run's id.
pub const RUN_LABEL: &str = "throwaway-bench.run";

/// The environment variable that hands the run's id to the nextest suites.
pub const RUN_ENV: &str = "THROWAWAY_BENCH_RUN";

/// A new id for this run of the bench.
pub fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}-{}", nanos, std::process::id())
}

/// The run id the nextest suites label their containers with: the bench's, or `manual`
/// when a suite is run by hand.
pub fn run_id_from_env() -> String {
    std::env::var(RUN_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "manual".to_string())
}

/// The bench's own engine client, with the API version negotiated (engines from 20.10 on
/// refuse a client that asks for a newer one).
pub async fn docker() -> Result<&'static Docker> {
    static DOCKER: OnceCell<Docker> = OnceCell::const_new();
    DOCKER
        .get_or_try_init(|| async {
            let docker = Docker::connect_with_defaults()?;
            Ok(docker.negotiate_version().await?)
        })
        .await
}

/// The filter that selects this run's containers.
pub fn run_filter(run: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![format!("{RUN_LABEL}={run}")])])
}

/// Removes, by id, every container labelled with this run (stopped ones too, with their
/// anonymous volumes). Returns how many there were.
///
/// # Errors
/// When the engine cannot list them; a container already gone is not an error.
pub async fn sweep(run: &str) -> Result<usize> {
    let docker = docker().await?;
    let found = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(run_filter(run)),
            ..Default::default()
        }))
        .await?;
    let mut removed = 0;
    for container in found {
        let Some(id) = container.id else { continue };
        let options = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        match docker.remove_container(&id, Some(options)).await {
            Ok(()) => removed += 1,
            // Removed meanwhile (a reaper, a drop finishing late): what we wanted.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404 | 409,
                ..
            }) => {}
            Err(err) => eprintln!("bench: could not remove container {id}: {err}"),
        }
    }
    Ok(removed)
}

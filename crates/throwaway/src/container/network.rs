//! User networks: containers on one network reach each other by alias.

use std::fmt;
use std::time::Duration;

use bollard::models::NetworkCreateRequest;
use bollard::Docker;

use crate::engine::runtime::{finished_within, on_engine, pending, Work};
use crate::engine::{labels, Engine};
use crate::error::{engine_status, is_not_found, Error, Result};

/// A user-defined bridge network, removed when dropped.
///
/// ```no_run
/// use throwaway::{ContainerRequest, Network};
/// # async fn demo() -> throwaway::Result<()> {
/// let network = Network::new().await?;
/// let db = ContainerRequest::new("redis:7.0")
///     .network(&network)
///     .network_alias("cache")
///     .start()
///     .await?;
/// // Another container on `network` reaches it as `cache:6379`.
/// # drop(db); Ok(()) }
/// ```
///
/// Dropping returns at once: the removal goes on in the background, after the removals of
/// the containers dropped before it (a network cannot go while containers are attached), and
/// a failure is logged. [`remove`](Network::remove) waits and reports the error.
///
/// Drop (or remove) the containers before the network: declare the network first, so that it
/// is dropped last.
pub struct Network {
    name: String,
    id: String,
    docker: Docker,
    removed: bool,
}

impl Network {
    /// Creates a network with a unique name.
    ///
    /// # Errors
    /// [`crate::ErrorKind::EngineUnavailable`] or [`crate::ErrorKind::Engine`].
    pub async fn new() -> Result<Network> {
        let name = format!("throwaway-{:012x}", fastrand::u64(..) >> 16);
        Network::named(name).await
    }

    /// Creates a network named `name`.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`] if the engine refuses, e.g. the name is taken.
    pub async fn named(name: impl Into<String>) -> Result<Network> {
        let name = name.into();
        on_engine(async move {
            let engine = Engine::get().await?;
            super::reaper::guard(engine).await?;
            let request = NetworkCreateRequest {
                name: name.clone(),
                driver: Some("bridge".to_string()),
                labels: Some(
                    labels::standard(engine.session_id())
                        .into_iter()
                        .chain(labels::of_this_process(engine))
                        .collect(),
                ),
                ..Default::default()
            };
            let created = engine
                .docker()
                .create_network(request)
                .await
                .map_err(|e| Error::engine(format!("creating network {name}"), e))?;
            Ok(Network {
                name,
                id: created.id,
                docker: engine.docker().clone(),
                removed: false,
            })
        })
        .await
    }

    /// The network's name, which containers join it by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The engine's id of the network.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Removes the network now and reports failure. Containers dropped before it are
    /// waited for: their removals go on in the background.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Engine`], e.g. while containers are still attached.
    pub async fn remove(mut self) -> Result<()> {
        self.removed = true;
        let (docker, id, name) = (self.docker.clone(), self.id.clone(), self.name.clone());
        on_engine(async move { remove_after_containers(&docker, &id, &name).await }).await
    }
}

/// How long a network's removal waits for the container removals pending when it began.
const CONTAINERS_LIMIT: Duration = Duration::from_secs(30);

/// Removes the network once the container removals pending now have ended: any of them may
/// be of a container attached to it. Which ones are is not known (a container may have
/// joined it through another handle), and waiting for the others costs nothing a test sees.
async fn remove_after_containers(docker: &Docker, id: &str, name: &str) -> Result<()> {
    let containers = pending(Work::RemoveContainer, None);
    if !finished_within(containers, CONTAINERS_LIMIT).await {
        tracing::debug!(network = %name, "container removals still pending; removing it anyway");
    }
    remove(docker, id, name).await
}

async fn remove(docker: &Docker, id: &str, name: &str) -> Result<()> {
    // Containers removed a moment ago may still be detaching: retry briefly on a conflict.
    let mut attempt = 0;
    loop {
        match docker.remove_network(id).await {
            Ok(()) => return Ok(()),
            Err(err) if is_not_found(&err) => return Ok(()),
            Err(err) if engine_status(&err) == Some(403) || engine_status(&err) == Some(409) => {
                attempt += 1;
                if attempt >= 10 {
                    return Err(Error::engine(
                        format!("removing network {name} (remove its containers first)"),
                        err,
                    ));
                }
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(err) => return Err(Error::engine(format!("removing network {name}"), err)),
        }
    }
}

impl Drop for Network {
    /// Hands the removal to the library's runtime and returns at once; see [`Network`].
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let (docker, id, name) = (self.docker.clone(), self.id.clone(), self.name.clone());
        super::teardown::hand_off(Work::RemoveNetwork, id.clone(), async move {
            match remove_after_containers(&docker, &id, &name).await {
                Ok(()) => tracing::debug!(network = %name, "removed"),
                Err(err) => tracing::warn!(network = %name, "{err}"),
            }
        });
    }
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("name", &self.name)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

//! Creating, starting and waiting for a container, from a request whose image is resolved:
//! the path every container takes, the reaper's own included.

use std::collections::HashMap;
use std::time::Instant;

use bollard::models::NetworkConnectRequest;
use bollard::models::{ContainerCreateBody, ContainerCreateResponse, EndpointSettings};
use bollard::query_parameters::CreateContainerOptionsBuilder;

use super::attach::{attach, Attached};
use super::identity::{self, Identity};
use super::request::ContainerRequest;
use super::{copy, Container};
use crate::engine::{labels, Engine};
use crate::error::{engine_detail, is_name_conflict, Error, Result};
use crate::wait::report;
use crate::wait::target::Target;
use crate::wait::wait_until_ready;

/// Whose container this is, which decides its labels and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    /// A container of the session: labelled with its id, so that the session's reaper
    /// removes it, and shared or reused if the request and the session say so.
    Session,
    /// The session's reaper, under this fixed name: no session label, or it would remove
    /// itself half-way through its work.
    Reaper(String),
}

/// How many times a shared container that vanished between "the name is taken" and "here
/// it is" is created afresh.
const VANISHED_RETRIES: u32 = 5;

/// How many times a container whose start found one of its host ports taken is made again.
const PORT_COLLISION_RETRIES: u32 = 3;

/// Whether a start failed because a host port was taken when the engine bound it. Podman
/// picks the host ports of `-p 127.0.0.1::6379` when the container is created and binds them
/// at start, so two containers created at once can be given the same port.
fn is_port_collision(err: &bollard::errors::Error) -> bool {
    engine_detail(err).contains("address already in use")
}

/// Creates the container of `request` from the resolved image `reference`, copies its files
/// in, starts it and waits until it is ready. A shared or reused container that exists
/// already is attached to instead.
pub(crate) async fn launch(
    engine: &'static Engine,
    request: &ContainerRequest,
    reference: String,
    role: Role,
) -> Result<Container> {
    let began = Instant::now();
    let mut body = request.create_body(&reference, labels_for(engine, &role), publish_on(engine));
    let archives = request
        .copies
        .iter()
        .map(|(path, source)| copy::archive(path, source, None))
        .collect::<Result<Vec<_>>>()?;
    let identity = match role {
        Role::Session => identity::decide(
            engine,
            request.reuse,
            request.name.as_deref(),
            &mut body,
            &archives,
        )?,
        Role::Reaper(name) => Identity::Own(Some(name)),
    };
    // Decided after the identity: who made a container is not part of what it is (the
    // hash that shared and reused containers are found by).
    if let Some(labels) = body.labels.as_mut() {
        if labels.contains_key(labels::SESSION_ID) {
            labels.extend(labels::of_this_process(engine));
        }
    }
    let mut collisions = 0;
    let container = loop {
        let created = match create(engine, request, &body, &identity, &reference).await? {
            Created::New(created) => created,
            Created::Existing(container) => return Ok(container),
        };
        // From here on the container exists: if starting it fails, it is removed before the
        // error is returned (a caller may retry at once, under the same name); a start
        // abandoned by its caller drops it, which removes it in the background.
        let container = Container::for_request(engine, request, created.id.clone(), &reference);
        let started = async {
            connect_networks(engine, request, &container).await?;
            let who = container.describe();
            let sources: Vec<_> = request.copies.iter().map(|(_, source)| source).collect();
            let owners =
                copy::lookup_owners(engine.docker(), container.id(), &who, &sources).await?;
            for (((path, source), archive), owner) in request
                .copies
                .iter()
                .zip(archives.iter().cloned())
                .zip(owners)
            {
                // A named owner is known now that the container exists: the archive made for
                // the request's hash carried only the name.
                let archive = match owner {
                    Some(ids) => copy::archive(path, source, Some(ids))?,
                    None => archive,
                };
                copy::upload_archive(engine.docker(), container.id(), &who, path, archive).await?;
            }
            match engine.docker().start_container(container.id(), None).await {
                Ok(()) => {}
                // When every host port is the engine's pick, another container made at the
                // same moment may have been given the same one: a new container gets new
                // picks. A port the caller fixed is theirs to free (PortTaken).
                Err(err)
                    if is_port_collision(&err)
                        && request.fixed_host_ports.is_empty()
                        && collisions < PORT_COLLISION_RETRIES =>
                {
                    return Ok(Some(err));
                }
                Err(err) => return Err(failed_start(&container, request, err).await),
            }
            container.inner().read_ports().await?;
            tracing::debug!(container = %container.describe(), elapsed = ?began.elapsed(), "started; waiting until ready");
            wait_until_ready(&request.wait, &**container.inner(), request.startup_timeout).await?;
            Ok(None)
        };
        match started.await {
            Ok(None) => break container,
            Ok(Some(collision)) => {
                collisions += 1;
                tracing::info!(
                    container = %container.describe(),
                    "a host port the engine picked was taken when it started; making the \
                     container again with new ports ({})",
                    engine_detail(&collision)
                );
                container.remove().await?;
            }
            Err(err) => {
                if let Err(removal) = container.remove().await {
                    tracing::warn!("{removal}");
                }
                return Err(err);
            }
        }
    };
    tracing::info!(
        container = %container.describe(),
        elapsed = ?began.elapsed(),
        ports = ?container.ports(),
        "ready"
    );
    Ok(if identity.is_kept() {
        container.kept()
    } else {
        container
    })
}

/// The standard labels for a container of `role`.
fn labels_for(engine: &Engine, role: &Role) -> HashMap<String, String> {
    let mut labels = labels::standard(engine.session_id());
    if let Role::Reaper(_) = role {
        labels.remove(labels::SESSION_ID);
    }
    labels
}

/// Where ports are published: on loopback for a local engine, so that a test database with
/// a default password is not reachable from the network; on every address of a remote one.
fn publish_on(engine: &Engine) -> Option<&'static str> {
    engine.is_local().then_some("127.0.0.1")
}

/// What the create call gave.
enum Created {
    /// A new container, not started yet.
    New(ContainerCreateResponse),
    /// The shared or reused container that another process (or an earlier run) made,
    /// running and ready.
    Existing(Container),
}

/// Creates the container; for a shared or reused one whose name is taken, attaches to the
/// existing one instead.
async fn create(
    engine: &'static Engine,
    request: &ContainerRequest,
    body: &ContainerCreateBody,
    identity: &Identity,
    reference: &str,
) -> Result<Created> {
    let options = identity
        .name()
        .map(|name| CreateContainerOptionsBuilder::new().name(name).build());
    let mut vanished = 0;
    loop {
        let err = match engine
            .docker()
            .create_container(options.clone(), body.clone())
            .await
        {
            Ok(created) => {
                for warning in &created.warnings {
                    tracing::warn!(image = %reference, "{warning}");
                }
                return Ok(Created::New(created));
            }
            Err(err) => err,
        };
        let name = match identity.name() {
            Some(name) if identity.is_kept() && is_name_conflict(&err) => name,
            _ => {
                return Err(Error::engine(
                    format!("creating a container from {reference}"),
                    err,
                ))
            }
        };
        match attach(engine, request, name, reference).await? {
            Attached::Ready(container) => return Ok(Created::Existing(container)),
            // Its creator failed and removed it (or it was left half-made and we removed
            // it): create it after all.
            Attached::Vanished if vanished < VANISHED_RETRIES => vanished += 1,
            Attached::Vanished => {
                return Err(Error::engine(
                    format!(
                        "creating the shared container {name} from {reference}: it vanished \
                         {VANISHED_RETRIES} times between taking its name and showing up"
                    ),
                    err,
                ))
            }
        }
    }
}

/// Joins the networks after the first, which the create call already joined.
async fn connect_networks(
    engine: &Engine,
    request: &ContainerRequest,
    container: &Container,
) -> Result<()> {
    for extra in request.networks.iter().skip(1) {
        let connect = NetworkConnectRequest {
            container: container.id().to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: (!extra.aliases.is_empty()).then(|| extra.aliases.clone()),
                ..Default::default()
            }),
        };
        engine
            .docker()
            .connect_network(&extra.name, connect)
            .await
            .map_err(|e| {
                let who = container.describe();
                Error::engine(format!("connecting {who} to network {}", extra.name), e)
            })?;
    }
    Ok(())
}

/// The start call itself failed: usually the command cannot be run (not found, not
/// executable), or a fixed host port is taken. Say so like an exit during startup, with the
/// exit code and output.
async fn failed_start(
    container: &Container,
    request: &ContainerRequest,
    err: bollard::errors::Error,
) -> Error {
    let target: &dyn Target = &**container.inner();
    let exit = tokio::time::timeout(std::time::Duration::from_secs(2), target.exited())
        .await
        .unwrap_or_default();
    report::failed_to_start(
        target,
        &exit,
        &engine_detail(&err),
        &request.fixed_host_ports,
    )
    .await
    .with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status_code: u16, message: &str) -> bollard::errors::Error {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message: message.to_string(),
        }
    }

    #[test]
    fn a_taken_host_port_at_start_is_a_collision_and_other_failures_are_not() {
        // Podman 4.3's words, when a port it picked at create was bound by then.
        assert!(is_port_collision(&answered(
            500,
            "cannot listen on the TCP port: listen tcp4 127.0.0.1:40111: bind: address \
             already in use"
        )));
        assert!(is_port_collision(&answered(
            500,
            "driver failed programming external connectivity on endpoint x: Error starting \
             userland proxy: listen tcp4 127.0.0.1:40111: bind: address already in use"
        )));
        assert!(!is_port_collision(&answered(
            400,
            "exec: \"nosuch\": executable file not found in $PATH"
        )));
        assert!(!is_port_collision(&answered(404, "no such container")));
    }
}

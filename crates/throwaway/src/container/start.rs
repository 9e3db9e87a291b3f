//! Starting a container: validate, resolve the image, create, start, wait.

use std::time::Instant;

use bollard::models::{EndpointSettings, NetworkConnectRequest};
use bollard::query_parameters::CreateContainerOptionsBuilder;

use super::request::ContainerRequest;
use super::started::{upload, Container};
use crate::engine::{labels, runtime::on_engine, Engine};
use crate::error::{engine_detail, Error, ErrorKind, Result};
use crate::image::{ensure_image, pullable, ImageRef};
use crate::wait::wait_until_ready;

impl ContainerRequest {
    /// Starts the container and waits until it is ready.
    ///
    /// The image reference is validated before anything is sent to the engine; the image is
    /// pulled if the pull policy says so; ports are published on `127.0.0.1` for a local
    /// engine. If anything fails after the container was created, it is removed before the
    /// error is returned. If the caller stops waiting (the future is dropped), the start still
    /// completes in the background and the container is then removed.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidImageReference`]: the image reference is malformed.
    /// - [`ErrorKind::EngineUnavailable`]: no engine answered.
    /// - [`ErrorKind::ImageUnavailable`]: the image is absent and could not be pulled.
    /// - [`ErrorKind::ContainerExited`]: the container stopped before it was ready.
    /// - [`ErrorKind::WaitTimeout`]: it was not ready within the startup timeout.
    /// - [`ErrorKind::Engine`]: the engine refused a call (e.g. a name already in use).
    pub async fn start(self) -> Result<Container> {
        let image = ImageRef::parse(&self.image)?;
        self.validate()?;
        on_engine(start(self, image)).await
    }

    fn validate(&self) -> Result<()> {
        if self.networks.iter().any(|n| n.name.is_empty()) {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "the request for {} sets a network alias without a network: call \
                     .network(&network) before .network_alias(…)",
                    self.image
                ),
            ));
        }
        if self.startup_timeout.is_zero() {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "the startup timeout of {} must be more than zero",
                    self.image
                ),
            ));
        }
        Ok(())
    }
}

async fn start(request: ContainerRequest, image: ImageRef) -> Result<Container> {
    let began = Instant::now();
    let engine = Engine::get().await?;
    let image = match engine.settings().hub_image_name_prefix() {
        Some(prefix) => image.with_registry_prefix(&prefix)?,
        None => image,
    };
    ensure_image(engine, &image, request.pull_policy).await?;
    let reference = pullable(&image);

    let publish_on = engine.is_local().then_some("127.0.0.1");
    let body = request.create_body(
        &reference,
        labels::standard(engine.session_id()),
        publish_on,
    );
    let options = request
        .name
        .as_deref()
        .map(|name| CreateContainerOptionsBuilder::new().name(name).build());
    let docker = engine.docker();
    let created = docker
        .create_container(options, body)
        .await
        .map_err(|e| Error::engine(format!("creating a container from {reference}"), e))?;
    for warning in &created.warnings {
        tracing::warn!(image = %reference, "{warning}");
    }
    // From here on the container exists: any early return drops it, which removes it.
    let container = Container::new(
        created.id.clone(),
        reference.clone(),
        engine.host().to_string(),
        request.exposed_ports.clone(),
        request.wait.clone(),
        request.startup_timeout,
        docker.clone(),
    );
    let who = container.describe();

    for extra in request.networks.iter().skip(1) {
        let connect = NetworkConnectRequest {
            container: created.id.clone(),
            endpoint_config: Some(EndpointSettings {
                aliases: (!extra.aliases.is_empty()).then(|| extra.aliases.clone()),
                ..Default::default()
            }),
        };
        docker
            .connect_network(&extra.name, connect)
            .await
            .map_err(|e| Error::engine(format!("connecting {who} to network {}", extra.name), e))?;
    }
    for (path, source) in &request.copies {
        upload(docker, &created.id, &who, path, source).await?;
    }

    if let Err(err) = docker.start_container(&created.id, None).await {
        return Err(failed_start(&container, &who, err).await);
    }
    container.inner().read_ports().await?;
    tracing::debug!(container = %who, elapsed = ?began.elapsed(), "started; waiting until ready");

    wait_until_ready(&request.wait, &**container.inner(), request.startup_timeout).await?;
    tracing::info!(
        container = %who,
        elapsed = ?began.elapsed(),
        ports = ?container.ports(),
        "ready"
    );
    Ok(container)
}

/// The start call itself failed: usually the command cannot be run (not found, not
/// executable). Say so like an exit during startup, with the exit code and output.
async fn failed_start(container: &Container, who: &str, err: bollard::errors::Error) -> Error {
    use crate::wait::target::Target;
    let detail = engine_detail(&err);
    let target = &**container.inner();
    let code = tokio::time::timeout(std::time::Duration::from_secs(2), target.exited())
        .await
        .ok()
        .and_then(|info| info.code);
    let last = target.tail_logs(20).await;
    let code = code.map_or_else(String::new, |c| format!(" (exit code {c})"));
    let last = if last.trim().is_empty() {
        "no output".to_string()
    } else {
        format!("last log lines:\n{}", indent(&last))
    };
    Error::new(
        ErrorKind::ContainerExited,
        format!(
            "{who} could not start{code}: {detail}. Check the request's command and \
             entrypoint; {last}"
        ),
    )
    .with_source(err)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

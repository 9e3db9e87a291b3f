//! Starting a container: validate, resolve the image, create, start, wait.

use std::time::Instant;

use bollard::models::{EndpointSettings, NetworkConnectRequest};
use bollard::query_parameters::CreateContainerOptionsBuilder;

use super::request::ContainerRequest;
use super::started::{upload_archive, Container};
use super::{copy, identity};
use crate::engine::{labels, runtime::on_engine, Engine};
use crate::error::{engine_detail, engine_status, Error, ErrorKind, Result};
use crate::image::{ensure_image, pullable, ImageRef, PullPolicy};
use crate::lifecycle::reaper;
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

    /// Starts without a reaper guarding the container: for the reaper's own container.
    pub(crate) async fn start_unguarded(self) -> Result<Container> {
        let image = ImageRef::parse(&self.image)?;
        self.validate()?;
        let engine = Engine::get().await?;
        let reference = resolve_image(engine, image, self.pull_policy).await?;
        create_and_start(engine, self, reference).await
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
    let engine = Engine::get().await?;
    // The session's reaper must be listening before anything of the session exists, or a
    // process killed in between would leave it behind. Its start (once per session) runs
    // alongside the image check or pull, which comes first anyway.
    let (reference, guard) = tokio::join!(
        resolve_image(engine, image, request.pull_policy),
        reaper::guard(engine)
    );
    let reference = reference?;
    guard?;
    create_and_start(engine, request, reference).await
}

/// The image reference to create from, with the registry prefix applied and the image
/// present on the engine.
async fn resolve_image(engine: &Engine, image: ImageRef, policy: PullPolicy) -> Result<String> {
    let image = match engine.settings().hub_image_name_prefix() {
        Some(prefix) => image.with_registry_prefix(&prefix)?,
        None => image,
    };
    ensure_image(engine, &image, policy).await?;
    Ok(pullable(&image))
}

/// Creates, starts and waits for the container of `request`, from the resolved image
/// `reference`.
async fn create_and_start(
    engine: &'static Engine,
    request: ContainerRequest,
    reference: String,
) -> Result<Container> {
    let began = Instant::now();

    let publish_on = engine.is_local().then_some("127.0.0.1");
    let mut labels = labels::standard(engine.session_id());
    if request.is_reaper {
        labels.remove(labels::SESSION_ID);
    }
    let mut body = request.create_body(&reference, labels, publish_on);
    let archives = request
        .copies
        .iter()
        .map(|(path, source)| copy::archive(path, source))
        .collect::<Result<Vec<_>>>()?;
    let identity = identity::decide(
        engine,
        request.reuse,
        request.is_reaper,
        request.name.as_deref(),
        &mut body,
        &archives,
    )?;
    let options = identity
        .name()
        .map(|name| CreateContainerOptionsBuilder::new().name(name).build());
    let docker = engine.docker();
    let mut attempts = 0;
    let created = loop {
        match docker.create_container(options.clone(), body.clone()).await {
            Ok(created) => break created,
            // Another process (or an earlier run) made it: use that one.
            Err(err) if engine_status(&err) == Some(409) && identity.is_kept() => {
                let name = identity.name().unwrap_or_default();
                match attach(engine, &request, name, &reference).await {
                    // It vanished (its creator failed and removed it): create it after all.
                    Err(err) if err.engine_status() == Some(404) && attempts < 5 => {
                        attempts += 1;
                    }
                    attached => return attached,
                }
            }
            Err(err) => {
                return Err(Error::engine(
                    format!("creating a container from {reference}"),
                    err,
                ))
            }
        }
    };
    for warning in &created.warnings {
        tracing::warn!(image = %reference, "{warning}");
    }
    // From here on the container exists: any early return drops it, which removes it.
    let container = handle(engine, &request, created.id.clone(), &reference);
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
    for ((path, _), archive) in request.copies.iter().zip(archives) {
        upload_archive(docker, &created.id, &who, path, archive).await?;
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
    Ok(if identity.is_kept() {
        container.kept()
    } else {
        container
    })
}

/// A handle on container `id` made from `request`.
fn handle(engine: &Engine, request: &ContainerRequest, id: String, reference: &str) -> Container {
    Container::new(
        id,
        reference.to_string(),
        engine.host().to_string(),
        request.exposed_ports.clone(),
        request.wait.clone(),
        request.startup_timeout,
        engine.docker().clone(),
    )
}

/// Uses the existing container `name` (shared by the session's processes, or reused from an
/// earlier run): waits until it runs, starting it if it was stopped, then until it is ready.
/// The handle never removes it.
async fn attach(
    engine: &Engine,
    request: &ContainerRequest,
    name: &str,
    reference: &str,
) -> Result<Container> {
    let docker = engine.docker();
    let deadline = Instant::now() + request.startup_timeout;
    let vanish_deadline = Instant::now() + std::time::Duration::from_secs(3);
    // A container still only created this long after we first saw it was left half-made
    // by a process stopped between create and start: its creator copies files in within
    // moments.
    let stale_after = Instant::now() + std::time::Duration::from_secs(10);
    let mut restarted = false;
    let id = loop {
        let inspected = match docker.inspect_container(name, None).await {
            Ok(inspected) => inspected,
            // The engine reserves the name before the container can be inspected: while its
            // creator's call is still under way, the name conflicts but nothing is found.
            Err(err) if engine_status(&err) == Some(404) && Instant::now() < vanish_deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
            Err(err) => {
                return Err(Error::engine(
                    format!("inspecting the existing container {name}"),
                    err,
                ))
            }
        };
        let id = inspected.id.unwrap_or_else(|| name.to_string());
        let state = inspected.state.unwrap_or_default();
        use bollard::models::ContainerStateStatusEnum as Status;
        match state.status {
            Some(Status::RUNNING) => break id,
            // A stopped one (a reused container after a reboot, say) is started again.
            Some(Status::EXITED) => {
                restarted = true;
                match docker.start_container(&id, None).await {
                    Ok(()) => {}
                    Err(err) if engine_status(&err) == Some(304) => {}
                    Err(err) => {
                        return Err(Error::engine(
                            format!("starting the existing container {name}"),
                            err,
                        ))
                    }
                }
            }
            Some(Status::CREATED | Status::DEAD) if Instant::now() >= stale_after => {
                super::started::remove(docker, &id, name).await?;
                // As if it had never been there: the caller creates it afresh.
                return Err(Error::new(
                    ErrorKind::Engine,
                    format!("the existing container {name} was left half-made; removed it"),
                )
                .with_status(404));
            }
            // Just created by another process, which is still copying files in: give it time.
            _ => {}
        }
        if Instant::now() >= deadline {
            return Err(Error::new(
                ErrorKind::WaitTimeout,
                format!(
                    "the existing container {name} ({reference}) did not start running within {} s",
                    request.startup_timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let container = handle(engine, request, id, reference).kept();
    let started_at = container.inner().read_ports().await?;
    if restarted {
        // Judge readiness on this run's output, not the previous run's.
        container.inner().begin_run(started_at);
    }
    wait_until_ready(&request.wait, &**container.inner(), request.startup_timeout).await?;
    tracing::info!(container = %container.describe(), "attached to an existing container");
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

//! Starting a request: check it, resolve the image, make sure the session's reaper guards
//! it, then launch; and the [`Start`] trait that everything startable shares.

use std::future::Future;

use super::launch::{launch, Role};
use super::request::ContainerRequest;
use super::{reaper, Container};
use crate::engine::{runtime::on_engine, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{resolve, ImageRef};

/// Something that starts into a running, ready service: a [`ContainerRequest`], or a
/// module's builder (such as `Redis` or `Postgres`, or any [`kit::Module`](crate::kit::Module)).
///
/// [`Shared`](crate::Shared) uses it to start its value on first use.
pub trait Start: Send + 'static {
    /// What starting gives: a [`Container`] or a module's started service.
    type Started: AsRef<Container> + Send + Sync + 'static;

    /// Starts the service and waits until it is ready.
    fn start(self) -> impl Future<Output = Result<Self::Started>> + Send;
}

impl Start for ContainerRequest {
    type Started = Container;

    fn start(self) -> impl Future<Output = Result<Container>> + Send {
        ContainerRequest::start(self)
    }
}

impl AsRef<Container> for Container {
    fn as_ref(&self) -> &Container {
        self
    }
}

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
    /// - [`ErrorKind::PortTaken`]: a host port fixed with
    ///   [`exposed_port_at`](ContainerRequest::exposed_port_at) is held by something else.
    /// - [`ErrorKind::Engine`]: the engine refused a call (e.g. a name already in use).
    pub async fn start(self) -> Result<Container> {
        let image = ImageRef::parse(&self.image)?;
        self.validate()?;
        on_engine(start(self, image)).await
    }

    /// Checks what can be checked before the engine is asked anything.
    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(alias) = self.stray_aliases.first() {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "the request for {} sets the network alias '{alias}' without a network: \
                     call .network(&network) before .network_alias(…)",
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
        resolve(engine, image, request.pull_policy),
        reaper::guard(engine)
    );
    let reference = reference?;
    guard?;
    launch(engine, &request, reference, Role::Session).await
}

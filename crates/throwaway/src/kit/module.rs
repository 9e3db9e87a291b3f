//! The shape of a service module, and the one start path that every module takes.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::container::{Container, ContainerRequest, Start};
use crate::engine::runtime::on_engine;
use crate::error::{Error, Result};

/// A service module: what a container of the service needs (the image contract), and what
/// a started one offers (a typed handle with `connection_url()`, clients, isolation).
///
/// Implement it on the module's builder (`Redis`, `Postgres`, …); the kit then gives it
/// [`Start`] (so [`Shared`](crate::Shared) can hold it), a blocking start, and the same
/// start path as every other module: [`start`] builds the request, starts the container,
/// waits for its readiness check under one deadline, then hands the ready container to
/// [`ready`](Module::ready). Readiness belongs in the request ([`Wait::probe`] for a
/// check of the module's own, such as a login): `ready` runs once the service answers,
/// for one-time preparation and to build the handle. See the [kit's docs](crate::kit)
/// for a whole module.
///
/// [`Wait::probe`]: crate::Wait::probe
pub trait Module: Sized + Send + 'static {
    /// The started service: holds the [`Container`], and gives URLs and clients.
    type Started: AsRef<Container> + Send + Sync + 'static;

    /// The container request: image, ports, environment, command, files, readiness, with
    /// the user's [`RequestEdits`] applied last.
    ///
    /// # Errors
    /// Settings that cannot work (an empty password, a file that cannot be read), before
    /// anything reaches the engine; say what to change.
    fn request(&self) -> Result<ContainerRequest>;

    /// Turns the ready container into the started service: one-time preparation
    /// (migrations, a template) and the handle. If it fails, the container is removed.
    ///
    /// # Errors
    /// The service refused what the module asked of it.
    fn ready(self, container: Container) -> impl Future<Output = Result<Self::Started>> + Send;

    /// Adjusts the request with what only the engine can tell, just before the container is
    /// created: PostgreSQL swaps in a snapshot of its initialised data here. Runs on the
    /// library's runtime, after [`request`](Module::request) and before the start; the
    /// default returns the request unchanged.
    ///
    /// # Errors
    /// Whatever should fail the start; a module that can fall back should do so instead.
    fn prepare(
        &mut self,
        request: ContainerRequest,
    ) -> impl Future<Output = Result<ContainerRequest>> + Send {
        std::future::ready(Ok(request))
    }

    /// Rewrites an error of the container's start with what the module knows: "the init
    /// script `002-seed.sql` failed" reads better than an exit code. The default returns
    /// it unchanged.
    fn explain(&self, error: Error) -> Error {
        error
    }
}

/// Starts `module`: its request (and [`Module::prepare`]), the container, the readiness
/// check, then [`Module::ready`].
///
/// Runs on the library's runtime, so it works from any executor; if the caller stops
/// waiting, the start completes in the background and the container is then removed.
///
/// # Errors
/// Whatever [`Module::request`], [`Module::prepare`], [`ContainerRequest::start`] (rewritten by
/// [`Module::explain`]) or [`Module::ready`] return.
pub async fn start<M: Module>(mut module: M) -> Result<M::Started> {
    let request = module.request()?;
    // Boxed: a container start is a large future, and nesting it unboxed, here and again
    // in `Shared`, can overflow a test thread's stack in a debug build.
    on_engine(Box::pin(async move {
        let request = module.prepare(request).await?;
        let container = match request.start().await {
            Ok(container) => container,
            Err(error) => return Err(module.explain(error)),
        };
        module.ready(container).await
    }))
    .await
}

impl<M: Module> Start for M {
    type Started = M::Started;

    fn start(self) -> impl Future<Output = Result<M::Started>> + Send {
        start(self)
    }
}

type Edit = Arc<dyn Fn(ContainerRequest) -> ContainerRequest + Send + Sync>;

/// The user's edits of a module's container request: what backs a module's
/// `with_request(|request| …)`, the escape hatch for what the module does not cover
/// (a network, a memory limit, more environment).
///
/// Apply them last in [`Module::request`], so they can also override the module's own
/// settings. `Debug` shows how many there are.
#[derive(Clone, Default)]
pub struct RequestEdits(Vec<Edit>);

impl RequestEdits {
    /// No edits.
    pub fn new() -> Self {
        RequestEdits(Vec::new())
    }

    /// Adds an edit; edits run in the order added.
    pub fn push(
        &mut self,
        edit: impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static,
    ) {
        self.0.push(Arc::new(edit));
    }

    /// `request` with every edit applied.
    pub fn apply(&self, request: ContainerRequest) -> ContainerRequest {
        self.0.iter().fold(request, |request, edit| edit(request))
    }

    /// How many edits there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for RequestEdits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} edit(s)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_run_in_order_and_last() {
        let mut edits = RequestEdits::new();
        edits.push(|r| r.env("A", "1"));
        edits.push(|r| r.env("A", "2").env("B", "3"));
        let request = edits.apply(ContainerRequest::new("x").env("A", "0"));
        assert_eq!(request.env["A"], "2");
        assert_eq!(request.env["B"], "3");
        assert_eq!(format!("{edits:?}"), "2 edit(s)");
        assert_eq!(edits.len(), 2);
        assert!(RequestEdits::default().is_empty());
    }
}

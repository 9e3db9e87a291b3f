//! Per-test isolation: a part of a shared service that one test has to itself.

use std::future::Future;

use crate::engine::Engine;
use crate::error::Result;

/// A started service that hands out isolation units: a PostgreSQL database cloned from the
/// migrated template, a Redis logical database, a topic prefix, a vhost.
///
/// A shared container ([`Shared`](crate::Shared)) serves a whole test run; each test asks
/// it for a unit of its own, which must cost milliseconds and never collide with another
/// test's, in any thread or process of the run.
pub trait Isolation {
    /// What one test gets.
    type Unit: IsolationUnit;

    /// A new unit that no other caller got.
    ///
    /// # Errors
    /// The service cannot be reached, or has no unit left (the message says how to get more).
    fn fresh_unit(&self) -> impl Future<Output = Result<Self::Unit>> + Send;
}

/// One test's part of a shared service.
pub trait IsolationUnit: Send + Sync + 'static {
    /// The URL that reaches this unit alone, for any client: secrets included.
    fn url(&self) -> String;

    /// [`url`](IsolationUnit::url) with the secrets shown as `***`, for messages.
    fn masked_url(&self) -> String;
}

/// The id of this test session (one per process, or one per `cargo nextest` run, or as
/// named by `THROWAWAY_SESSION`): what a module keys per-session bookkeeping on, such as
/// which units this run has taken from a server that outlives it.
///
/// # Errors
/// [`ErrorKind::EngineUnavailable`](crate::ErrorKind::EngineUnavailable) when no engine
/// answers (the session belongs to the engine connection).
pub async fn session_id() -> Result<String> {
    Ok(Engine::get().await?.session_id().to_string())
}

//! Per-test isolation: a part of a shared service that one test has to itself.

use std::future::Future;
use std::time::SystemTime;

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

    /// Removes the units that other test runs kept (see
    /// [`IsolationUnit::take_aftercare`]) and that are older than `older_than`, the start
    /// of this process's first `#[throwaway::test]`. `#[throwaway::test]` calls it once per
    /// server and process, before the first unit. Units kept by this session (see
    /// [`session_id`]: every process of a `cargo nextest` run, or one process under
    /// `cargo test`) must stay; those of other sessions go.
    ///
    /// The default does nothing: a module whose units are never kept has nothing to sweep.
    ///
    /// # Errors
    /// The server cannot be reached or refuses to remove a unit.
    fn sweep_kept(&self, older_than: SystemTime) -> impl Future<Output = Result<()>> + Send {
        let _ = older_than;
        async { Ok(()) }
    }
}

/// One test's part of a shared service.
pub trait IsolationUnit: Send + Sync + 'static {
    /// The URL that reaches this unit alone, for any client: secrets included.
    fn url(&self) -> String;

    /// [`url`](IsolationUnit::url) with the secrets shown as `***`, for messages.
    fn masked_url(&self) -> String;

    /// Hands this unit's cleanup over to the caller, for `#[throwaway::test]`: after it,
    /// dropping the value leaves the unit in place, and the returned
    /// [`Aftercare`](crate::testing::Aftercare) removes it (the test passed) or keeps it
    /// under a name that says which test failed. Called at most once, before the test
    /// gets the unit.
    ///
    /// The default, `None`, says the unit cannot be kept: it is cleaned up as its drop
    /// always does, also after a failed test.
    fn take_aftercare(&mut self) -> Option<Box<dyn crate::testing::Aftercare>> {
        None
    }
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

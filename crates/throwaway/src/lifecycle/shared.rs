//! One container for every test of a process: the session-scoped fixture of pytest, as a
//! `static`.

use std::fmt;

use tokio::sync::OnceCell;

use super::exit;
use crate::container::{in_shared_scope, Start};
use crate::engine::runtime::on_engine;
use crate::error::Result;

/// A container started once, on first use, and shared by every test of the process.
///
/// ```no_run
/// use throwaway::{ContainerRequest, Shared, Wait};
///
/// static REDIS: Shared<ContainerRequest> = Shared::new(|| {
///     ContainerRequest::new("redis:7.0")
///         .exposed_port(6379)
///         .wait_for(Wait::log("Ready to accept connections"))
/// });
///
/// #[tokio::test]
/// async fn first() -> throwaway::Result<()> {
///     let redis = REDIS.get().await?; // starts it, or waits for the test that does
///     let port = redis.host_port(6379)?;
///     # let _ = port;
///     Ok(())
/// }
/// ```
///
/// - Tests that ask at the same moment share one start; a failed start is not remembered,
///   so the next test tries again.
/// - Works from async tests (`get`) and plain ones (`get_blocking`), whatever runtime each
///   test uses: the container is driven by the library's own runtime.
/// - Statics are never dropped, so the container is removed when the process exits
///   normally (an exit hook), or by the reaper when it is killed.
/// - Across processes: under `cargo nextest run` each test is its own process, and all the
///   processes of the run (`NEXTEST_RUN_ID`, or a session named with `THROWAWAY_SESSION`)
///   share one container. The first process creates it under a name derived from the
///   request; the others find it by that name. The reaper removes it once the last process
///   of the run has ended. With the reaper disabled, each process has its own.
pub struct Shared<R: Start> {
    make: fn() -> R,
    cell: OnceCell<R::Started>,
}

impl<R: Start> Shared<R> {
    /// A shared container that `make` describes; nothing starts until the first `get`.
    pub const fn new(make: fn() -> R) -> Self {
        Shared {
            make,
            cell: OnceCell::const_new(),
        }
    }

    /// The started service, starting it on first use.
    ///
    /// # Errors
    /// Whatever starting returned; the next call tries again.
    pub async fn get(&'static self) -> Result<&'static R::Started> {
        self.cell
            .get_or_try_init(|| {
                let make = self.make;
                on_engine(async move {
                    let started = in_shared_scope(make().start()).await?;
                    // A container shared with other processes is theirs too: the reaper
                    // removes it once the whole session has ended.
                    if !started.as_ref().is_kept() {
                        exit::remove_at_exit(started.as_ref());
                    }
                    Ok(started)
                })
            })
            .await
    }

    /// The started service if a test already started it.
    pub fn get_if_started(&self) -> Option<&R::Started> {
        self.cell.get()
    }

    /// The started service, from a plain (non-async) test.
    ///
    /// What it gives is the async service; from a plain test, use its container through
    /// [`blocking::Container::of`](crate::blocking::Container::of) and any of its async
    /// calls through [`blocking::run`](crate::blocking::run).
    ///
    /// # Errors
    /// As [`get`](Shared::get).
    ///
    /// # Panics
    /// When called from async code: use `get().await` there.
    #[cfg(feature = "blocking")]
    pub fn get_blocking(&'static self) -> Result<&'static R::Started> {
        crate::engine::runtime::block_on(self.get())
    }
}

impl<R: Start> fmt::Debug for Shared<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.cell.get() {
            Some(started) => format!("started: {:?}", started.as_ref()),
            None => "not started".to_string(),
        };
        f.debug_struct("Shared").field("state", &state).finish()
    }
}

//! The library's own background runtime.
//!
//! Every engine call runs here, whatever runtime (or none) the caller uses. That buys three
//! things: connections never belong to a test's runtime that has already shut down; `Drop` can
//! remove a container from any context, even a single-threaded runtime, without deadlock; and a
//! `start()` whose caller gives up half-way still finishes on this runtime, so the container it
//! created is owned, then dropped and removed, instead of leaked.

use std::cell::Cell;
use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

thread_local! {
    static ON_ENGINE_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// The runtime, created on first use and never shut down.
pub(crate) fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("throwaway-engine")
            .on_thread_start(|| ON_ENGINE_THREAD.with(|f| f.set(true)))
            .enable_all()
            .build()
            .expect("throwaway could not start its background tokio runtime")
    })
}

/// Whether the current thread is one of the runtime's workers.
pub(crate) fn on_engine_thread() -> bool {
    ON_ENGINE_THREAD.with(|f| f.get())
}

/// Runs `fut` on the background runtime and waits for it from any executor.
///
/// If the caller stops waiting, `fut` still runs to completion and its output is dropped,
/// which is what makes a cancelled start clean up after itself.
pub(crate) async fn on_engine<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Boxed: engine work nests (a shared start runs a module's start runs a container's
    // start), and unboxed futures would grow with every level until a test thread's stack
    // overflows in a debug build.
    let fut = Box::pin(fut);
    if on_engine_thread() {
        return fut.await;
    }
    match runtime().spawn(fut).await {
        Ok(value) => value,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        // The runtime is never shut down, so a task cannot be cancelled from outside.
        Err(err) => panic!("throwaway's engine task was cancelled: {err}"),
    }
}

/// Runs `fut` to completion on the library's runtime, blocking this thread: the bridge from
/// plain `#[test]` functions to the async API.
///
/// # Panics
/// When called from inside an async runtime, where blocking would stall it: use the async
/// API there.
#[cfg(feature = "blocking")]
#[track_caller]
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    if tokio::runtime::Handle::try_current().is_ok() {
        panic!(
            "throwaway::blocking was called from async code; await the async API instead \
             (e.g. `request.start().await` rather than `request.start_blocking()`)"
        );
    }
    runtime().block_on(fut)
}

/// Runs `fut` on the background runtime and blocks the current thread until it is done or
/// `limit` has passed; `None` on timeout (the work goes on in the background).
///
/// Safe from any thread, async or not: on a multi-threaded runtime's worker it steps out of
/// the async context first so that the worker's other tasks keep running; a current-thread
/// runtime simply waits, which cannot deadlock because the work runs elsewhere.
pub(crate) fn block_on_engine<F>(fut: F, limit: Option<std::time::Duration>) -> Option<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    let wait = || match limit {
        Some(limit) => rx.recv_timeout(limit).ok(),
        None => rx.recv().ok(),
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        _ => wait(),
    }
}

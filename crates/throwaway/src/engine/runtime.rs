//! The library's own background runtime.
//!
//! Every engine call runs here, whatever runtime (or none) the caller uses. That buys three
//! things: connections never belong to a test's runtime that has already shut down; `Drop` can
//! remove a container from any context, even a single-threaded runtime, without deadlock; and a
//! `start()` whose caller gives up half-way still finishes on this runtime, so the container it
//! created is owned, then dropped and removed, instead of leaked.
//!
//! It also runs the removals that `Drop` hands off (see [`spawn_tracked`]): a test never waits
//! for the engine to delete a container, and the work still pending is known, so that a
//! network's removal can wait for its containers', a container's for the per-test databases
//! being dropped on its server, and the exit hook for everything.

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use futures_util::future::{BoxFuture, Shared};
use futures_util::FutureExt;

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

/// What a piece of background work does, so that other work can wait for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    /// Removing the container whose id is the work's target.
    RemoveContainer,
    /// Removing the network whose id is the work's target.
    RemoveNetwork,
    /// Work on the service inside the container whose id is the work's target (dropping a
    /// per-test database, say), which that container's removal waits for: otherwise it
    /// would talk to a server being killed, or, worse, to another test's server that the
    /// engine has just published on the same host port.
    BeforeRemoval,
}

/// Resolves when one piece of tracked work has ended, however it ended.
pub(crate) type Done = Shared<BoxFuture<'static, ()>>;

/// One piece of tracked work still going on.
struct Pending {
    key: u64,
    work: Work,
    target: String,
    done: Done,
}

/// Tracked work not finished yet, in the order it was handed off.
static PENDING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());

fn pending_list() -> std::sync::MutexGuard<'static, Vec<Pending>> {
    PENDING.lock().unwrap_or_else(|p| p.into_inner())
}

/// Takes a finished piece of work off the list, also when it panicked.
struct Untrack(u64);

impl Drop for Untrack {
    fn drop(&mut self) {
        pending_list().retain(|p| p.key != self.0);
    }
}

/// Runs `fut` on the library's runtime without waiting for it, and keeps it on the list of
/// pending work until it ends, as `work` on `target` (an engine id). Returns at once: this
/// is what `Drop` calls.
pub(crate) fn spawn_tracked<F>(work: Work, target: impl Into<String>, fut: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let key = NEXT.fetch_add(1, Ordering::Relaxed);
    let (finished, on_finish) = tokio::sync::oneshot::channel::<()>();
    // The sender is dropped when the task ends (or panics, or the runtime goes), which is
    // all the receiver waits for.
    let done: Done = on_finish.map(|_| ()).boxed().shared();
    pending_list().push(Pending {
        key,
        work,
        target: target.into(),
        done,
    });
    runtime().spawn(async move {
        let _untrack = Untrack(key);
        let _finished = finished;
        fut.await;
    });
}

/// The tracked work of kind `work` still pending, on `target` only if one is given.
pub(crate) fn pending(work: Work, target: Option<&str>) -> Vec<Done> {
    pending_list()
        .iter()
        .filter(|p| p.work == work && target.is_none_or(|t| p.target == t))
        .map(|p| p.done.clone())
        .collect()
}

/// The targets of the tracked work of kind `work` still pending, oldest first.
pub(crate) fn pending_targets(work: Work) -> Vec<String> {
    pending_list()
        .iter()
        .filter(|p| p.work == work)
        .map(|p| p.target.clone())
        .collect()
}

/// Waits until every piece of `work` has ended, or `limit` has passed; whether all ended.
pub(crate) async fn finished_within(work: Vec<Done>, limit: Duration) -> bool {
    if work.is_empty() {
        return true;
    }
    tokio::time::timeout(limit, futures_util::future::join_all(work))
        .await
        .is_ok()
}

/// When an exit step runs: every [`ExitStage::Release`] step before any
/// [`ExitStage::Flush`] step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ExitStage {
    /// Let go of what the process kept to the end (shared containers in statics): hand it
    /// to background work, as a drop would.
    Release,
    /// Finish, or hand over, the background work still pending.
    Flush,
}

/// One step of the exit hook, and when it runs.
type ExitStep = (ExitStage, fn());

static EXIT_STEPS: Mutex<Vec<ExitStep>> = Mutex::new(Vec::new());

/// Runs `step` when the process exits normally (`main` returns, or `std::process::exit`),
/// once, in `stage`; a step registered twice runs once. Not when the process is killed: the
/// reaper covers that.
///
/// The hook is the C library's `atexit`: values in `static`s are never dropped, and the
/// test harness ends the process without dropping anything else either. It lives here,
/// in the lowest layer, so that each layer above registers its own step without knowing
/// the others.
pub(crate) fn at_exit(stage: ExitStage, step: fn()) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(install_exit_hook);
    let mut steps = EXIT_STEPS.lock().unwrap_or_else(|p| p.into_inner());
    if !steps.iter().any(|&(_, s)| s as usize == step as usize) {
        steps.push((stage, step));
    }
}

#[allow(unsafe_code)]
fn install_exit_hook() {
    extern "C" fn run_exit_steps() {
        // Unwinding out of an `extern "C"` function aborts: keep any panic in here.
        let _ = std::panic::catch_unwind(|| {
            // A step may register another (releasing shared containers hands their removals
            // to the background, whose flush step is registered on first use): run what was
            // registered meanwhile too, until nothing new comes (bounded).
            for _ in 0..4 {
                let mut steps =
                    std::mem::take(&mut *EXIT_STEPS.lock().unwrap_or_else(|p| p.into_inner()));
                if steps.is_empty() {
                    break;
                }
                steps.sort_by_key(|&(stage, _)| stage);
                for (_, step) in steps {
                    let _ = std::panic::catch_unwind(step);
                }
            }
        });
    }
    // SAFETY: `atexit` only stores the function pointer; `run_exit_steps` is a plain function
    // that lives for the whole program and never unwinds.
    let status = unsafe { libc::atexit(run_exit_steps) };
    if status != 0 {
        tracing::warn!(
            "could not register the exit hook: shared containers and removals still pending \
             at exit are left to the reaper"
        );
    }
}

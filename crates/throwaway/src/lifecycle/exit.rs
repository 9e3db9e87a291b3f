//! Removing containers when the process exits normally.
//!
//! Values in `static`s are never dropped, so a shared container needs a hook that runs at
//! exit: the C library's `atexit`. It runs when `main` returns or `std::process::exit` is
//! called (both are how a test binary ends), not when the process is killed by a signal.

use std::sync::{Mutex, Once};
use std::time::Duration;

use bollard::Docker;

use crate::container::Container;
use crate::engine::runtime::block_on_engine;

/// How long the exit hook waits for removals before letting the process end.
const EXIT_REMOVAL_LIMIT: Duration = Duration::from_secs(30);

struct Pending {
    docker: Docker,
    id: String,
    who: String,
}

static PENDING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());

/// Removes `container` when the process exits.
pub(crate) fn remove_at_exit(container: &Container) {
    static HOOK: Once = Once::new();
    HOOK.call_once(install_hook);
    let pending = Pending {
        docker: container.docker().clone(),
        id: container.id().to_string(),
        who: container.describe(),
    };
    PENDING
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(pending);
}

#[allow(unsafe_code)]
fn install_hook() {
    extern "C" fn at_exit() {
        // Unwinding out of an `extern "C"` function aborts: keep any panic in here.
        let _ = std::panic::catch_unwind(remove_pending);
    }
    // SAFETY: `atexit` only stores the function pointer; `at_exit` is a plain function that
    // lives for the whole program and never unwinds.
    let status = unsafe { libc::atexit(at_exit) };
    if status != 0 {
        tracing::warn!(
            "could not register the exit hook: shared containers will outlive the process"
        );
    }
}

fn remove_pending() {
    let pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|p| p.into_inner()));
    if pending.is_empty() {
        return;
    }
    let removals = futures_util::future::join_all(pending.into_iter().map(|p| async move {
        let result = crate::container::remove_by_id(&p.docker, &p.id, &p.who).await;
        (p.who, result)
    }));
    match block_on_engine(removals, Some(EXIT_REMOVAL_LIMIT)) {
        Some(results) => {
            for (who, result) in results {
                if let Err(err) = result {
                    eprintln!("throwaway: could not remove shared container {who}: {err}");
                }
            }
        }
        None => eprintln!(
            "throwaway: shared containers were still being removed after {} s; giving up",
            EXIT_REMOVAL_LIMIT.as_secs()
        ),
    }
}

//! Removing shared containers when the process exits normally.
//!
//! Values in `static`s are never dropped, so a shared container needs a step in the exit
//! hook (the C library's `atexit`, registered by the engine runtime): it runs when `main`
//! returns or `std::process::exit` is called (both are how a test binary ends), not when the
//! process is killed by a signal. The step lets go of the shared containers as a drop would;
//! the container layer's step, which runs after it, then hands every removal still pending to
//! the reaper in one go, or waits for them (bounded).

use std::sync::Mutex;

use bollard::Docker;

use crate::container::Container;
use crate::container::{remove_by_id, teardown};
use crate::engine::runtime::{at_exit, ExitStage, Work};

struct Pending {
    docker: Docker,
    id: String,
    who: String,
}

static PENDING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());

/// Removes `container` when the process exits.
pub(crate) fn remove_at_exit(container: &Container) {
    at_exit(ExitStage::Release, release_shared);
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

/// The exit step: starts the removal of every shared container in the background, where the
/// flush step that follows finds it.
fn release_shared() {
    let pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|p| p.into_inner()));
    for p in pending {
        teardown::hand_off(Work::RemoveContainer, p.id.clone(), async move {
            if let Err(err) = remove_by_id(&p.docker, &p.id, &p.who).await {
                eprintln!(
                    "throwaway: could not remove shared container {}: {err}",
                    p.who
                );
            }
        });
    }
}

//! Teardown that never makes a test wait: `Drop` hands removals to the library's runtime,
//! and at normal exit what is still pending is handed to the session's reaper or finished.
//!
//! Why hand over rather than wait at exit: under `cargo nextest` every test is a process of
//! its own, and its container is dropped at the very end of the test, so a hook that waited
//! for the engine would only move the 140–170 ms a removal takes from the test to the
//! process's exit, which nextest counts just the same. The reaper is already there for the
//! whole session, has the engine's socket, and removes in its own time; telling it costs one
//! local round trip. Two other ways were weighed: exiting right after sending the DELETE
//! requests works on Docker (a `DELETE /containers/{id}?force=true` goes on after its client
//! disconnects; tried on 20.10), but nothing tells the client that a request has reached the
//! engine, and other engines need not behave the same; a detached helper process per test
//! would cost more than the removal it saves. Without a reaper that takes over (disabled,
//! or the official Ryuk, which answers `ACK` instead of `REMOVING`), the hook waits, bounded.

use std::sync::Once;
use std::time::Duration;

use super::reaper::{self, HandOver};
use crate::engine::runtime::{
    at_exit, block_on_engine, finished_within, pending, pending_targets, spawn_tracked, ExitStage,
    Work,
};

/// How long the exit hook waits for pending removals when it has to wait for them itself.
const EXIT_REMOVAL_LIMIT: Duration = Duration::from_secs(30);

/// Runs `removal` of `target` in the background, known to the exit hook until it ends.
pub(crate) fn hand_off<F>(work: Work, target: String, removal: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    static FLUSH: Once = Once::new();
    FLUSH.call_once(|| at_exit(ExitStage::Flush, flush_at_exit));
    spawn_tracked(work, target, removal);
}

/// The exit step: hands what is still being removed to the reaper, or waits for it.
fn flush_at_exit() {
    let mut ids = pending_targets(Work::RemoveContainer);
    ids.extend(pending_targets(Work::RemoveNetwork));
    if ids.is_empty() {
        return;
    }
    let finish = async move {
        match reaper::hand_over(&ids).await {
            HandOver::Taken => {
                tracing::debug!(count = ids.len(), "removals handed to the reaper at exit");
                return true;
            }
            HandOver::Refused(why) => {
                tracing::debug!("removals not handed to the reaper ({why}); waiting for them")
            }
        }
        // Networks wait for the containers' removals themselves.
        let mut work = pending(Work::RemoveContainer, None);
        work.extend(pending(Work::RemoveNetwork, None));
        finished_within(work, EXIT_REMOVAL_LIMIT).await
    };
    match block_on_engine(finish, Some(EXIT_REMOVAL_LIMIT + Duration::from_secs(5))) {
        Some(true) => {}
        _ => eprintln!(
            "throwaway: containers or networks were still being removed after {} s at exit; \
             giving up (the reaper, if enabled, removes them)",
            EXIT_REMOVAL_LIMIT.as_secs()
        ),
    }
}

//! Attaching to a shared or reused container that already exists under the request's name:
//! another process of the session made it, or an earlier run. The decisions are a plain
//! function of what the engine shows and how long we have looked, so they are specified
//! without an engine.

use std::time::{Duration, Instant};

use bollard::models::ContainerStateStatusEnum as Status;

use super::inner::remove;
use super::logs::{self, Offsets};
use super::request::ContainerRequest;
use super::Container;
use crate::engine::Engine;
use crate::error::{engine_status, is_not_found, Error, ErrorKind, Result};
use crate::wait::wait_until_ready;

/// How long a name may be taken while nothing can be inspected under it: the engine
/// reserves the name before the container exists, while its creator's call is under way.
const VANISH_AFTER: Duration = Duration::from_secs(3);

/// How long a container may stay only created before it counts as left half-made by a
/// process stopped between create and start: its creator copies files in within moments.
const STALE_AFTER: Duration = Duration::from_secs(10);

/// How often to look again.
const POLL: Duration = Duration::from_millis(100);

/// What attaching found.
pub(super) enum Attached {
    /// The existing container, running and ready; the handle never removes it.
    Ready(Container),
    /// There is no container under the name (any more): create it afresh.
    Vanished,
}

/// What the engine shows under the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seen {
    /// Nothing can be inspected under the name.
    Nothing,
    /// A container in this state.
    Container { id: String, status: Option<Status> },
}

/// How long we have been looking, against the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Elapsed {
    pub vanish_passed: bool,
    pub stale_passed: bool,
    pub deadline_passed: bool,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// It runs: use it.
    Use(String),
    /// It stopped (a reused container after a reboot, say): start it, then look again.
    Start(String),
    /// It was left half-made: remove it and create it afresh.
    RemoveStale(String),
    /// Nothing there after all: create it afresh.
    Vanished,
    /// Look again in a moment.
    Wait,
    /// It never became usable in time.
    GiveUp,
}

/// The next step, from what the engine shows and how long we have looked.
pub(super) fn decide(seen: &Seen, elapsed: Elapsed) -> Step {
    match seen {
        // Not there after all: create it afresh rather than give up, however short the
        // startup timeout.
        Seen::Nothing if elapsed.vanish_passed || elapsed.deadline_passed => Step::Vanished,
        Seen::Container {
            id,
            status: Some(Status::RUNNING),
        } => Step::Use(id.clone()),
        // A service that exits again at once would be started forever: the deadline stops it.
        Seen::Container {
            id,
            status: Some(Status::EXITED),
        } if !elapsed.deadline_passed => Step::Start(id.clone()),
        Seen::Container {
            id,
            status: Some(Status::CREATED | Status::DEAD),
        } if elapsed.stale_passed => Step::RemoveStale(id.clone()),
        _ if elapsed.deadline_passed => Step::GiveUp,
        // Just created by another process, which is still copying files in; restarting;
        // being removed; or the name is reserved but not inspectable yet: give it time.
        _ => Step::Wait,
    }
}

/// Uses the existing container `name`: waits until it runs, starting it if it stopped,
/// then until it is ready by the request's strategy.
pub(super) async fn attach(
    engine: &'static Engine,
    request: &ContainerRequest,
    name: &str,
    reference: &str,
) -> Result<Attached> {
    let began = Instant::now();
    // Set once we started the stopped container: with its output before that start, when
    // known.
    let mut restarted: Option<Option<Offsets>> = None;
    let id = loop {
        let elapsed = Elapsed {
            vanish_passed: began.elapsed() >= VANISH_AFTER,
            stale_passed: began.elapsed() >= STALE_AFTER,
            deadline_passed: began.elapsed() >= request.startup_timeout,
        };
        match decide(&look(engine, name).await?, elapsed) {
            Step::Use(id) => break id,
            Step::Start(id) => {
                let before = logs::offsets(engine.docker(), &id).await.ok();
                let we_started = start_existing(engine, &id, name).await?;
                // Started by someone else a moment ago: its output so far may hold the new
                // run's first lines already.
                restarted = Some(before.filter(|_| we_started));
                tokio::time::sleep(POLL).await;
            }
            Step::RemoveStale(id) => {
                tracing::info!(container = %name, "removing a shared container left half-made");
                remove(engine.docker(), &id, name).await?;
                return Ok(Attached::Vanished);
            }
            Step::Vanished => return Ok(Attached::Vanished),
            Step::GiveUp => {
                return Err(Error::new(
                    ErrorKind::WaitTimeout,
                    format!(
                        "the existing container {name} ({reference}) did not keep running \
                         within {} s (it stopped again after each start, or never left its \
                         state); look at `docker logs {name}`, and remove it \
                         (docker rm -f {name}) to get a new one",
                        request.startup_timeout.as_secs()
                    ),
                ))
            }
            Step::Wait => tokio::time::sleep(POLL).await,
        }
    };
    let container = Container::for_request(engine, request, id, reference).kept();
    if let Some(before) = restarted {
        // Judged on this run's output, not the previous run's; and modules prepare anew.
        container.inner().after_restart(before).await?;
    } else {
        container.inner().read_ports().await?;
        wait_until_ready(&request.wait, &**container.inner(), request.startup_timeout).await?;
    }
    tracing::info!(container = %container.describe(), "attached to an existing container");
    Ok(Attached::Ready(container))
}

/// What the engine shows under `name`.
async fn look(engine: &Engine, name: &str) -> Result<Seen> {
    match crate::engine::inspect::inspect_container(engine.docker(), name).await {
        Ok(inspected) => Ok(Seen::Container {
            id: inspected.id.unwrap_or_else(|| name.to_string()),
            status: inspected.state.and_then(|s| s.status),
        }),
        Err(err) if is_not_found(&err) => Ok(Seen::Nothing),
        Err(err) => Err(Error::engine(
            format!("inspecting the existing container {name}"),
            err,
        )),
    }
}

/// Starts the stopped container `id`; one that runs already (another process started it a
/// moment ago) is fine. Whether this call started it.
async fn start_existing(engine: &Engine, id: &str, name: &str) -> Result<bool> {
    match engine.docker().start_container(id, None).await {
        Ok(()) => Ok(true),
        Err(err) if engine_status(&err) == Some(304) => Ok(false),
        Err(err) => Err(Error::engine(
            format!("starting the existing container {name}"),
            err,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EARLY: Elapsed = Elapsed {
        vanish_passed: false,
        stale_passed: false,
        deadline_passed: false,
    };

    fn seen(status: Status) -> Seen {
        Seen::Container {
            id: "abc".into(),
            status: Some(status),
        }
    }

    #[test]
    fn a_running_container_is_used() {
        assert_eq!(
            decide(&seen(Status::RUNNING), EARLY),
            Step::Use("abc".into())
        );
    }

    #[test]
    fn a_stopped_container_is_started_again() {
        assert_eq!(
            decide(&seen(Status::EXITED), EARLY),
            Step::Start("abc".into())
        );
    }

    #[test]
    fn a_name_without_a_container_is_waited_for_then_created_afresh() {
        assert_eq!(decide(&Seen::Nothing, EARLY), Step::Wait);
        let later = Elapsed {
            vanish_passed: true,
            ..EARLY
        };
        assert_eq!(decide(&Seen::Nothing, later), Step::Vanished);
    }

    #[test]
    fn a_container_only_created_gets_time_then_counts_as_half_made() {
        assert_eq!(decide(&seen(Status::CREATED), EARLY), Step::Wait);
        let later = Elapsed {
            vanish_passed: true,
            stale_passed: true,
            deadline_passed: false,
        };
        assert_eq!(
            decide(&seen(Status::CREATED), later),
            Step::RemoveStale("abc".into())
        );
        assert_eq!(
            decide(&seen(Status::DEAD), later),
            Step::RemoveStale("abc".into())
        );
    }

    #[test]
    fn a_container_that_keeps_exiting_is_given_up_at_the_deadline() {
        let late = Elapsed {
            vanish_passed: true,
            stale_passed: true,
            deadline_passed: true,
        };
        assert_eq!(decide(&seen(Status::EXITED), late), Step::GiveUp);
    }

    #[test]
    fn a_name_without_a_container_is_created_afresh_even_after_a_short_deadline() {
        let short = Elapsed {
            vanish_passed: false,
            stale_passed: false,
            deadline_passed: true,
        };
        assert_eq!(decide(&Seen::Nothing, short), Step::Vanished);
    }

    #[test]
    fn a_container_that_never_settles_is_given_up_at_the_deadline() {
        let late = Elapsed {
            vanish_passed: true,
            stale_passed: false,
            deadline_passed: true,
        };
        assert_eq!(decide(&seen(Status::RESTARTING), EARLY), Step::Wait);
        assert_eq!(decide(&seen(Status::RESTARTING), late), Step::GiveUp);
        assert_eq!(decide(&seen(Status::REMOVING), late), Step::GiveUp);
        let unknown = Seen::Container {
            id: "abc".into(),
            status: None,
        };
        assert_eq!(decide(&unknown, late), Step::GiveUp);
    }

    #[test]
    fn a_running_container_wins_over_every_limit() {
        let all_passed = Elapsed {
            vanish_passed: true,
            stale_passed: true,
            deadline_passed: true,
        };
        assert_eq!(
            decide(&seen(Status::RUNNING), all_passed),
            Step::Use("abc".into())
        );
    }
}

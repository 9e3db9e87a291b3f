//! Finding what the filters match and removing it: containers, then networks, volumes and
//! images, each kind retried so that what is still in use by the previous kind goes on a
//! later attempt.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bollard::errors::Error as EngineError;
use bollard::query_parameters::{
    ListContainersOptions, ListImagesOptions, ListNetworksOptions, ListVolumesOptions,
    RemoveContainerOptions, RemoveImageOptions, RemoveVolumeOptions,
};
use bollard::Docker;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::clock::{self, UnixNanos};
use crate::log;
use crate::protocol::FilterSet;

/// The label of Ryuk's image, and so of every reaper container: never removed, or the reaper
/// could remove itself (or another session's reaper) halfway through.
pub(crate) const REAPER_LABEL: &str = "org.testcontainers.ryuk";

/// What the library puts on a container it keeps across runs (`reuse(true)`): it belongs to
/// no session, and another run may be using it right now.
pub(crate) const REUSE_LABEL: &str = "org.testcontainers.reuse";

/// Reserved for the snapshots of initialised data (DESIGN.md, "Performance model"): their
/// whole point is to outlive the session that made them.
pub(crate) const SNAPSHOT_LABEL: &str = "org.throwaway.snapshot";

/// Why a matching object is left alone whatever the filter says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protection {
    Reaper,
    Reused,
    Snapshot,
}

impl Protection {
    /// The protection an object's labels give it. A label counts whatever its value: the
    /// writers put `true`, and a typo there must not make an object removable.
    pub(crate) fn of<'a>(mut labels: impl Iterator<Item = &'a String>) -> Option<Protection> {
        labels.find_map(|key| match key.as_str() {
            REAPER_LABEL => Some(Protection::Reaper),
            REUSE_LABEL => Some(Protection::Reused),
            SNAPSHOT_LABEL => Some(Protection::Snapshot),
            _ => None,
        })
    }
}

impl fmt::Display for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protection::Reaper => REAPER_LABEL,
            Protection::Reused => REUSE_LABEL,
            Protection::Snapshot => SNAPSHOT_LABEL,
        })
    }
}

/// Removals of one kind in flight at once.
const PARALLEL_REMOVALS: usize = 8;

/// Pause between two attempts at the objects of one kind, as Ryuk does.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// The kinds of object, in the order they are removed: containers hold networks and volumes,
/// and images are only free once their containers are gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Container,
    Network,
    Volume,
    Image,
}

impl Kind {
    pub(crate) const ALL: [Kind; 4] = [Kind::Container, Kind::Network, Kind::Volume, Kind::Image];
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Container => "container",
            Kind::Network => "network",
            Kind::Volume => "volume",
            Kind::Image => "image",
        })
    }
}

/// An object a filter matched, as listed by the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Id (container, network, image) or name (volume).
    pub(crate) id: String,
    /// When it was created; `None` if the engine did not say.
    pub(crate) created: Option<UnixNanos>,
    /// Set when its labels say it must stay, whatever matched it.
    pub(crate) protected: Option<Protection>,
}

/// What the filters matched and is old enough to remove.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) objects: BTreeMap<Kind, BTreeSet<String>>,
    /// Matching objects created after the cutoff: perhaps from a session still starting.
    pub(crate) recent: usize,
    /// Listings that failed, and objects whose age could not be told.
    pub(crate) errors: usize,
    /// Matching objects left alone because they are reapers, reused or snapshots.
    pub(crate) kept: BTreeSet<(Kind, String)>,
}

impl Found {
    /// Sorts one listing: protected objects are set aside, recent ones counted, the rest
    /// kept for removal.
    pub(crate) fn add(&mut self, kind: Kind, candidates: Vec<Candidate>, cutoff: UnixNanos) {
        for candidate in candidates {
            if let Some(protection) = candidate.protected {
                if self.kept.insert((kind, candidate.id.clone())) {
                    log::info(
                        "leaving a protected resource",
                        &[
                            ("resource", &kind),
                            ("id", &candidate.id),
                            ("label", &protection),
                        ],
                    );
                }
                continue;
            }
            match candidate.created {
                Some(created) if created > cutoff => {
                    log::info(
                        "created after the prune check began",
                        &[
                            ("resource", &kind),
                            ("id", &candidate.id),
                            ("created", &clock::format_utc_millis(created)),
                        ],
                    );
                    self.recent += 1;
                }
                Some(_) => {
                    self.objects.entry(kind).or_default().insert(candidate.id);
                }
                None => {
                    // Ryuk too leaves alone what it cannot date: it might be brand new.
                    log::error(
                        "unknown creation time, leaving it",
                        &[("resource", &kind), ("id", &candidate.id)],
                    );
                    self.errors += 1;
                }
            }
        }
    }

    fn count(&self, kind: Kind) -> usize {
        self.objects.get(&kind).map_or(0, BTreeSet::len)
    }
}

/// What a prune did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Containers removed (with their anonymous volumes).
    pub containers: usize,
    /// Networks removed.
    pub networks: usize,
    /// Volumes removed (not counting anonymous volumes of removed containers).
    pub volumes: usize,
    /// Images removed.
    pub images: usize,
    /// Matching objects still there after every attempt, or too recent to remove when the
    /// shutdown deadline passed.
    pub left: usize,
    /// Engine requests that failed while listing.
    pub errors: usize,
    /// Matching objects left on purpose: reapers, reused containers and snapshots (labelled
    /// `org.testcontainers.ryuk`, `org.testcontainers.reuse` or `org.throwaway.snapshot`).
    pub kept: usize,
}

impl Report {
    /// Whether everything that matched was removed and every listing succeeded.
    pub fn is_clean(&self) -> bool {
        self.left == 0 && self.errors == 0
    }
}

/// Lists what each filter set matches, for every kind. Objects created after `cutoff` are
/// counted in [`Found::recent`] instead of being returned.
pub(crate) async fn find(
    docker: &Docker,
    filter_sets: &[FilterSet],
    cutoff: UnixNanos,
    request_timeout: Duration,
) -> Found {
    let mut found = Found::default();
    for filters in filter_sets {
        for kind in Kind::ALL {
            match bounded(request_timeout, list(docker, kind, filters)).await {
                Ok(candidates) => {
                    log::debug(
                        "listed",
                        &[
                            ("resource", &kind),
                            ("filter", filters),
                            ("matches", &candidates.len()),
                        ],
                    );
                    found.add(kind, candidates, cutoff);
                }
                Err(error) => {
                    log::error(
                        "listing failed",
                        &[("resource", &kind), ("filter", filters), ("error", &error)],
                    );
                    found.errors += 1;
                }
            }
        }
    }
    found
}

async fn list(
    docker: &Docker,
    kind: Kind,
    filters: &FilterSet,
) -> Result<Vec<Candidate>, EngineError> {
    let filters = Some(filters.to_engine());
    Ok(match kind {
        Kind::Container => docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters,
                ..Default::default()
            }))
            .await?
            .into_iter()
            .map(|container| Candidate {
                protected: Protection::of(container.labels.iter().flat_map(|l| l.keys())),
                created: container.created.map(clock::from_seconds),
                id: container.id.unwrap_or_default(),
            })
            .collect::<Vec<_>>(),
        Kind::Network => docker
            .list_networks(Some(ListNetworksOptions { filters }))
            .await?
            .into_iter()
            .map(|network| Candidate {
                created: created_field(serde_json::to_value(&network), "Created"),
                protected: Protection::of(network.labels.iter().flat_map(|l| l.keys())),
                id: network.id.unwrap_or_default(),
            })
            .collect::<Vec<_>>(),
        Kind::Volume => docker
            .list_volumes(Some(ListVolumesOptions { filters }))
            .await?
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|volume| Candidate {
                created: created_field(serde_json::to_value(&volume), "CreatedAt"),
                protected: Protection::of(volume.labels.keys()),
                id: volume.name,
            })
            .collect::<Vec<_>>(),
        Kind::Image => docker
            .list_images(Some(ListImagesOptions {
                filters,
                ..Default::default()
            }))
            .await?
            .into_iter()
            .map(|image| Candidate {
                created: Some(clock::from_seconds(image.created)),
                protected: Protection::of(image.labels.keys()),
                id: image.id,
            })
            .collect::<Vec<_>>(),
    }
    .into_iter()
    .filter(|candidate| !candidate.id.is_empty())
    .collect())
}

/// The creation time of a network or volume. Read back through its JSON form because the
/// field's Rust type depends on which date feature bollard is compiled with (a plain string,
/// `time` or `chrono`), and features are shared by the whole workspace; the JSON form is the
/// engine's RFC 3339 text in every case.
fn created_field(
    json: Result<serde_json::Value, serde_json::Error>,
    field: &str,
) -> Option<UnixNanos> {
    clock::parse_rfc3339(json.ok()?.get(field)?.as_str()?)
}

/// Removes what was found, kind by kind, and logs the totals.
pub(crate) async fn remove(
    docker: &Docker,
    found: Found,
    remove_retries: u32,
    request_timeout: Duration,
) -> Report {
    let mut report = Report {
        errors: found.errors,
        kept: found.kept.len(),
        ..Report::default()
    };
    if found.recent > 0 {
        log::warn(
            "leaving recently created objects",
            &[("count", &found.recent)],
        );
        report.left += found.recent;
    }
    let mut found = found;
    for kind in Kind::ALL {
        log::debug(
            "removing",
            &[("resource", &kind), ("count", &found.count(kind))],
        );
        let ids = found.objects.remove(&kind).unwrap_or_default();
        let (removed, left) = remove_kind(docker, kind, ids, remove_retries, request_timeout).await;
        report.left += left;
        *match kind {
            Kind::Container => &mut report.containers,
            Kind::Network => &mut report.networks,
            Kind::Volume => &mut report.volumes,
            Kind::Image => &mut report.images,
        } = removed;
    }
    log::info(
        "removed",
        &[
            ("containers", &report.containers),
            ("networks", &report.networks),
            ("volumes", &report.volumes),
            ("images", &report.images),
            ("left", &report.left),
            ("kept", &report.kept),
        ],
    );
    report
}

/// How one removal went.
enum Outcome {
    Removed,
    AlreadyGone,
    Failed(String),
}

/// Removes every object of one kind, retrying those that fail. Returns (removed, left).
async fn remove_kind(
    docker: &Docker,
    kind: Kind,
    mut todo: BTreeSet<String>,
    remove_retries: u32,
    request_timeout: Duration,
) -> (usize, usize) {
    let attempts = remove_retries.max(1);
    let mut removed = 0;
    for attempt in 1..=attempts {
        if todo.is_empty() {
            break;
        }
        let permits = Arc::new(Semaphore::new(PARALLEL_REMOVALS));
        let mut removals = JoinSet::new();
        for id in &todo {
            let (docker, id, permits) = (docker.clone(), id.clone(), permits.clone());
            removals.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let outcome = match bounded(request_timeout, remove_one(&docker, kind, &id)).await {
                    Ok(()) => Outcome::Removed,
                    Err(RequestError::Engine(EngineError::DockerResponseServerError {
                        status_code: 404,
                        ..
                    })) => Outcome::AlreadyGone,
                    Err(error) => Outcome::Failed(error.to_string()),
                };
                (id, outcome)
            });
        }
        while let Some(joined) = removals.join_next().await {
            let Ok((id, outcome)) = joined else {
                continue;
            };
            match outcome {
                Outcome::Removed => {
                    log::info("resource removed", &[("resource", &kind), ("id", &id)]);
                    removed += 1;
                    todo.remove(&id);
                }
                Outcome::AlreadyGone => {
                    log::debug("already gone", &[("resource", &kind), ("id", &id)]);
                    todo.remove(&id);
                }
                Outcome::Failed(error) => {
                    let fields: [log::Field<'_>; 4] = [
                        ("resource", &kind),
                        ("id", &id),
                        ("attempt", &attempt),
                        ("error", &error),
                    ];
                    if attempt < attempts {
                        log::warn("remove failed, will retry", &fields);
                    } else {
                        log::error("remove failed, giving up", &fields);
                    }
                }
            }
        }
        if !todo.is_empty() && attempt < attempts {
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
    (removed, todo.len())
}

async fn remove_one(docker: &Docker, kind: Kind, id: &str) -> Result<(), EngineError> {
    match kind {
        Kind::Container => {
            docker
                .remove_container(
                    id,
                    Some(RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..Default::default()
                    }),
                )
                .await
        }
        Kind::Network => docker.remove_network(id).await,
        Kind::Volume => {
            docker
                .remove_volume(id, Some(RemoveVolumeOptions { force: true }))
                .await
        }
        Kind::Image => docker
            .remove_image(
                id,
                Some(RemoveImageOptions {
                    force: false,
                    noprune: false,
                    ..Default::default()
                }),
                None,
            )
            .await
            .map(drop),
    }
}

/// An engine request that failed or took longer than `RYUK_REQUEST_TIMEOUT`.
#[derive(Debug)]
pub(crate) enum RequestError {
    Engine(EngineError),
    TimedOut(Duration),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Engine(error) => write!(f, "{error}"),
            RequestError::TimedOut(after) => {
                write!(f, "no answer from the engine within {after:?}")
            }
        }
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RequestError::Engine(error) => Some(error),
            RequestError::TimedOut(_) => None,
        }
    }
}

/// Runs an engine request with the request timeout.
pub(crate) async fn bounded<T>(
    limit: Duration,
    request: impl Future<Output = Result<T, EngineError>>,
) -> Result<T, RequestError> {
    match tokio::time::timeout(limit, request).await {
        Ok(result) => result.map_err(RequestError::Engine),
        Err(_) => Err(RequestError::TimedOut(limit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, created: Option<UnixNanos>, protected: Option<Protection>) -> Candidate {
        Candidate {
            id: id.to_string(),
            created,
            protected,
        }
    }

    #[test]
    fn old_objects_are_kept_recent_ones_counted_protected_ones_set_aside() {
        let mut found = Found::default();
        found.add(
            Kind::Container,
            vec![
                candidate("old", Some(90), None),
                candidate("at-cutoff", Some(100), None),
                candidate("new", Some(101), None),
                candidate("reaper", Some(50), Some(Protection::Reaper)),
                candidate("reused", Some(50), Some(Protection::Reused)),
                candidate("undated", None, None),
            ],
            100,
        );
        found.add(Kind::Network, vec![candidate("net", Some(10), None)], 100);
        found.add(
            Kind::Volume,
            vec![candidate("snapshot", Some(10), Some(Protection::Snapshot))],
            100,
        );
        // The same object matched by a second filter set is removed, or kept, once.
        found.add(
            Kind::Container,
            vec![
                candidate("old", Some(90), None),
                candidate("reused", Some(50), Some(Protection::Reused)),
            ],
            100,
        );

        assert_eq!(
            found.objects[&Kind::Container],
            BTreeSet::from(["at-cutoff".to_string(), "old".to_string()])
        );
        assert_eq!(found.count(Kind::Network), 1);
        assert_eq!(found.count(Kind::Volume), 0);
        assert_eq!(found.recent, 1);
        assert_eq!(found.errors, 1);
        assert_eq!(
            found.kept,
            BTreeSet::from([
                (Kind::Container, "reaper".to_string()),
                (Kind::Container, "reused".to_string()),
                (Kind::Volume, "snapshot".to_string()),
            ])
        );
    }

    #[test]
    fn reapers_reused_objects_and_snapshots_are_protected_whatever_the_value() {
        let of = |labels: &[&str]| {
            let labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
            Protection::of(labels.iter())
        };
        assert_eq!(of(&["org.testcontainers.ryuk"]), Some(Protection::Reaper));
        assert_eq!(
            of(&["org.testcontainers.session-id", "org.testcontainers.reuse"]),
            Some(Protection::Reused)
        );
        assert_eq!(of(&["org.throwaway.snapshot"]), Some(Protection::Snapshot));
        assert_eq!(
            of(&[
                "org.testcontainers",
                "org.testcontainers.session-id",
                "org.testcontainers.reuse-hash",
                "org.throwaway.snapshots",
            ]),
            None
        );
        assert_eq!(Protection::Reused.to_string(), "org.testcontainers.reuse");
    }

    #[test]
    fn creation_times_are_read_from_the_json_form() {
        let dated = || Ok(serde_json::json!({ "CreatedAt": "1970-01-01T00:00:01Z" }));
        assert_eq!(created_field(dated(), "CreatedAt"), Some(1_000_000_000));
        assert_eq!(created_field(dated(), "Created"), None);
        let undated = Ok(serde_json::json!({ "CreatedAt": null }));
        assert_eq!(created_field(undated, "CreatedAt"), None);
    }

    #[test]
    fn removal_order_is_containers_networks_volumes_images() {
        assert_eq!(
            Kind::ALL.map(|kind| kind.to_string()),
            ["container", "network", "volume", "image"]
        );
        let mut kinds = Kind::ALL;
        kinds.sort();
        assert_eq!(
            kinds,
            Kind::ALL,
            "the map of found objects iterates in this order too"
        );
    }

    #[test]
    fn a_report_is_clean_only_without_leftovers_and_errors() {
        assert!(Report::default().is_clean());
        assert!(!Report {
            left: 1,
            ..Report::default()
        }
        .is_clean());
        assert!(!Report {
            errors: 1,
            ..Report::default()
        }
        .is_clean());
    }
}

//! The orphan sweep: removing what sessions left when their process and their reaper died
//! together (a machine or engine restart, an OOM kill of the whole process group, `docker
//! kill` of everything), which no reaper will ever remove.
//!
//! It runs once per process, in the background on the library's runtime, when the session
//! is first guarded (before its first container or network); [`sweep_orphans`] runs it on
//! demand. It costs one list call per kind of object (containers, networks, volumes),
//! filtered by label, and one for the running reapers.
//!
//! # What it removes
//!
//! Only objects labelled by a throwaway that writes [`labels::GUARD`] (so never those of
//! other Testcontainers libraries or of older throwaway versions), that carry a session id,
//! and that are not reused containers ([`labels::REUSE`]), snapshots ([`labels::SNAPSHOT`])
//! or reapers ([`labels::REAPER`]). Of those, a session's objects go when the session is
//! judged ended:
//!
//! 1. A session whose reaper container (`throwaway-reaper-<session>`) is running is alive.
//! 2. A session with an object whose creator ([`labels::OWNER`]) is a process of this
//!    machine that is still running (same pid, same start time) is alive.
//! 3. A session of one process (not a nextest run or a named session) whose objects were
//!    all made by processes of this machine, none running any more, has ended: removed at
//!    once.
//! 4. Otherwise (a session that spans processes, or one from another machine sharing the
//!    engine) it has ended only if it had a reaper ([`labels::GUARD`] `reaper`), none of
//!    its objects is younger than [`GRACE`], and still no reaper of it runs after
//!    [`RECHECK`]: a live session whose reaper was killed starts another within seconds.
//!    A session from another machine that ran without a reaper is never judged: nothing
//!    here can tell whether it still runs.
//!
//! `THROWAWAY_SWEEP_DISABLED=true` turns the automatic sweep off.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};

use crate::engine::labels::{self, Owner};
use crate::engine::runtime::on_engine;
use crate::engine::time::EngineTime;
use crate::engine::Engine;
use crate::error::{engine_status, is_not_found, Error, Result};

/// How old the youngest object of a session judged by rule 4 must be.
pub(crate) const GRACE: Duration = Duration::from_secs(60);

/// How long rule 4 waits before it looks for the session's reaper a second time.
pub(crate) const RECHECK: Duration = Duration::from_secs(15);

/// What a sweep removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Swept {
    /// The sessions judged ended.
    pub sessions: Vec<String>,
    /// Containers removed (with their anonymous volumes).
    pub containers: usize,
    /// Networks removed.
    pub networks: usize,
    /// Volumes removed.
    pub volumes: usize,
}

/// Removes now what ended sessions left on the engine (see the rules in the crate docs'
/// "Cleanup" section: a session is ended when neither its reaper nor any of its processes
/// runs), and says what it removed. The library already does this once per process in the
/// background when a session starts; call this to see or wait for it, e.g. at the start
/// of a CI job.
///
/// It takes 15 s longer when a session that spans processes, or one from another machine,
/// looks ended: that long it gives the session's reaper to come back.
///
/// # Errors
/// When the engine cannot be reached or cannot list what it holds. Objects that cannot be
/// removed are logged and skipped.
pub async fn sweep_orphans() -> Result<Swept> {
    on_engine(async {
        let engine = Engine::get().await?;
        sweep(engine).await
    })
    .await
}

/// Starts the sweep in the background, once per process, unless it is turned off.
pub(crate) fn start_once(engine: &'static Engine) {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let disabled = std::env::var("THROWAWAY_SWEEP_DISABLED")
            .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1"));
        if disabled {
            return;
        }
        crate::engine::runtime::runtime().spawn(async move {
            if let Err(err) = sweep(engine).await {
                tracing::debug!("the sweep for what ended sessions left failed: {err}");
            }
        });
    });
}

/// One object the sweep may judge.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Object {
    kind: Kind,
    /// Container id, network id, volume name.
    id: String,
    session: String,
    owner: Option<Owner>,
    guarded: bool,
    spans: bool,
    /// When it was made, if the engine said.
    created: Option<SystemTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Container,
    Network,
    Volume,
}

/// What to do with a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Alive,
    Ended,
    /// Ended if its reaper is still missing after [`RECHECK`].
    EndedIfStillUnguarded,
    /// Cannot be told: left alone.
    Unknown,
}

/// What the sweep needs to know about processes, so that the rules are tested with a fake.
trait Processes {
    fn is_here(&self, owner: &Owner) -> bool;
    fn is_alive(&self, owner: &Owner) -> bool;
}

struct RealProcesses;

impl Processes for RealProcesses {
    fn is_here(&self, owner: &Owner) -> bool {
        owner.is_here()
    }
    fn is_alive(&self, owner: &Owner) -> bool {
        owner.is_alive()
    }
}

/// The rules of the module docs, for the objects of one session whose reaper is not
/// running (rule 1 is the caller's).
fn judge(objects: &[&Object], processes: &dyn Processes, now: SystemTime) -> Verdict {
    let owners: Vec<Option<&Owner>> = objects.iter().map(|o| o.owner.as_ref()).collect();
    let here = |o: &Option<&Owner>| o.is_some_and(|o| processes.is_here(o));
    if owners
        .iter()
        .any(|o| here(o) && o.is_some_and(|o| processes.is_alive(o)))
    {
        return Verdict::Alive;
    }
    let spans = objects.iter().any(|o| o.spans);
    if !spans && owners.iter().all(here) {
        return Verdict::Ended;
    }
    let guarded = objects.iter().all(|o| o.guarded);
    let settled = objects.iter().all(|o| {
        o.created
            .is_some_and(|c| now.duration_since(c).is_ok_and(|age| age >= GRACE))
    });
    if guarded && settled {
        Verdict::EndedIfStillUnguarded
    } else {
        Verdict::Unknown
    }
}

/// Reads an object's labels; `None` for objects the sweep must never touch.
fn object(
    kind: Kind,
    id: String,
    labels: &HashMap<String, String>,
    created: Option<SystemTime>,
) -> Option<Object> {
    let never = [labels::REUSE, labels::SNAPSHOT, labels::REAPER];
    if labels
        .keys()
        .any(|k| never.iter().any(|n| k.starts_with(n)))
    {
        return None;
    }
    if labels.get(labels::LANG).map(String::as_str) != Some("rust") {
        return None;
    }
    Some(Object {
        kind,
        id,
        session: labels.get(labels::SESSION_ID)?.clone(),
        owner: labels.get(labels::OWNER).and_then(|v| Owner::parse(v)),
        guarded: labels.get(labels::GUARD)? == "reaper",
        spans: labels.get(labels::SPANS).is_some_and(|v| v == "true"),
        created,
    })
}

/// The label filter every list call uses: objects that this sweep knows how to judge.
fn filter() -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        vec![
            labels::GUARD.to_string(),
            labels::SESSION_ID.to_string(),
            format!("{}=rust", labels::LANG),
        ],
    )])
}

/// Everything of ours on the engine that the sweep may judge.
async fn objects(engine: &Engine) -> Result<Vec<Object>> {
    let docker = engine.docker();
    let filters = filter();
    let mut found = Vec::new();
    let containers = crate::engine::inspect::list_containers(
        docker,
        ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build(),
    )
    .await
    .map_err(|e| Error::engine("listing containers for the orphan sweep", e))?;
    for c in containers {
        let created = c
            .created
            .and_then(|s| u64::try_from(s).ok())
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        let (Some(id), Some(labels)) = (c.id, c.labels) else {
            continue;
        };
        found.extend(object(Kind::Container, id, &labels, created));
    }
    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::new().filters(&filters).build(),
        ))
        .await
        .map_err(|e| Error::engine("listing networks for the orphan sweep", e))?;
    for n in networks {
        let created = n.created.as_ref().and_then(EngineTime::to_system_time);
        let (Some(id), Some(labels)) = (n.id, n.labels) else {
            continue;
        };
        found.extend(object(Kind::Network, id, &labels, created));
    }
    let volumes = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::new().filters(&filters).build(),
        ))
        .await
        .map_err(|e| Error::engine("listing volumes for the orphan sweep", e))?;
    for v in volumes.volumes.unwrap_or_default() {
        let created = v.created_at.as_ref().and_then(EngineTime::to_system_time);
        found.extend(object(Kind::Volume, v.name, &v.labels, created));
    }
    Ok(found)
}

/// The sessions whose reaper container is running.
async fn guarded_sessions(engine: &Engine) -> Result<HashSet<String>> {
    let filters = HashMap::from([
        (
            "label".to_string(),
            vec![format!("{}=true", labels::REAPER)],
        ),
        ("status".to_string(), vec!["running".to_string()]),
    ]);
    let reapers = crate::engine::inspect::list_containers(
        engine.docker(),
        ListContainersOptionsBuilder::new()
            .filters(&filters)
            .build(),
    )
    .await
    .map_err(|e| Error::engine("listing reapers for the orphan sweep", e))?;
    Ok(reapers
        .into_iter()
        .flat_map(|r| r.names.unwrap_or_default())
        .filter_map(|name| {
            name.trim_start_matches('/')
                .strip_prefix(super::reaper::NAME_PREFIX)
                .map(str::to_string)
        })
        .collect())
}

/// The sweep itself.
async fn sweep(engine: &Engine) -> Result<Swept> {
    let found = objects(engine).await?;
    if found.is_empty() {
        return Ok(Swept::default());
    }
    let guarded = guarded_sessions(engine).await?;
    let mut sessions: BTreeMap<&str, Vec<&Object>> = BTreeMap::new();
    for object in &found {
        if object.session != engine.session_id() && !guarded.contains(&object.session) {
            sessions.entry(&object.session).or_default().push(object);
        }
    }
    let now = SystemTime::now();
    let mut ended = Vec::new();
    let mut recheck = Vec::new();
    for (session, objects) in &sessions {
        match judge(objects, &RealProcesses, now) {
            Verdict::Ended => ended.push(*session),
            Verdict::EndedIfStillUnguarded => recheck.push(*session),
            Verdict::Alive | Verdict::Unknown => {}
        }
    }
    let mut swept = Swept::default();
    remove_sessions(engine, &sessions, &ended, &mut swept).await;
    if !recheck.is_empty() {
        tokio::time::sleep(RECHECK).await;
        let guarded = guarded_sessions(engine).await?;
        let ended: Vec<&str> = recheck
            .into_iter()
            .filter(|s| !guarded.contains(*s))
            .collect();
        remove_sessions(engine, &sessions, &ended, &mut swept).await;
    }
    if !swept.sessions.is_empty() {
        tracing::info!(
            sessions = ?swept.sessions,
            containers = swept.containers,
            networks = swept.networks,
            volumes = swept.volumes,
            "removed what sessions left that ended without their reaper"
        );
    }
    Ok(swept)
}

/// Removes the objects of the `ended` sessions, counting them into `swept`.
async fn remove_sessions(
    engine: &Engine,
    sessions: &BTreeMap<&str, Vec<&Object>>,
    ended: &[&str],
    swept: &mut Swept,
) {
    let mut doomed: Vec<&Object> = ended
        .iter()
        .flat_map(|s| sessions[s].iter().copied())
        .collect();
    // Containers first: a network in use, or a volume mounted, cannot be removed.
    doomed.sort_by_key(|o| o.kind);
    for object in doomed {
        if remove(engine, object).await {
            match object.kind {
                Kind::Container => swept.containers += 1,
                Kind::Network => swept.networks += 1,
                Kind::Volume => swept.volumes += 1,
            }
        }
    }
    swept.sessions.extend(ended.iter().map(|s| s.to_string()));
}

/// Removes one object; whether it is gone because of this call.
async fn remove(engine: &Engine, object: &Object) -> bool {
    let docker = engine.docker();
    let id = &object.id;
    let removed = match object.kind {
        Kind::Container => {
            let options = RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
            docker.remove_container(id, Some(options)).await
        }
        Kind::Network => docker.remove_network(id).await,
        Kind::Volume => {
            let options = RemoveVolumeOptionsBuilder::new().force(true).build();
            docker.remove_volume(id, Some(options)).await
        }
    };
    match removed {
        Ok(()) => true,
        // Gone already, or being removed by someone else: what we wanted.
        Err(err) if is_not_found(&err) || engine_status(&err) == Some(409) => false,
        Err(err) => {
            tracing::warn!(
                session = %object.session,
                "could not remove {:?} {id} that an ended session left: {err}",
                object.kind
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processes by pid: `here` are of this machine, `alive` of them still run.
    struct Fake {
        alive: Vec<u32>,
    }

    impl Processes for Fake {
        fn is_here(&self, owner: &Owner) -> bool {
            owner.machine == "here"
        }
        fn is_alive(&self, owner: &Owner) -> bool {
            self.is_here(owner) && self.alive.contains(&owner.pid)
        }
    }

    fn made(machine: &str, pid: u32, spans: bool, guarded: bool, age: u64) -> Object {
        Object {
            kind: Kind::Container,
            id: format!("c{pid}"),
            session: "s".to_string(),
            owner: Some(Owner {
                machine: machine.to_string(),
                pid,
                start: 7,
            }),
            guarded,
            spans,
            created: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000 - age)),
        }
    }

    fn verdict(objects: &[Object], alive: &[u32]) -> Verdict {
        let refs: Vec<&Object> = objects.iter().collect();
        let fake = Fake {
            alive: alive.to_vec(),
        };
        judge(
            &refs,
            &fake,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        )
    }

    #[test]
    fn a_process_of_this_machine_that_runs_keeps_its_session() {
        let objects = [made("here", 1, false, false, 600)];
        assert_eq!(verdict(&objects, &[1]), Verdict::Alive);
        // One live creator is enough, even in a session that spans processes.
        let objects = [
            made("here", 1, true, true, 600),
            made("here", 2, true, true, 600),
        ];
        assert_eq!(verdict(&objects, &[2]), Verdict::Alive);
    }

    #[test]
    fn a_one_process_session_of_this_machine_ends_with_its_process() {
        let objects = [made("here", 1, false, true, 0)];
        assert_eq!(verdict(&objects, &[]), Verdict::Ended);
        // With or without a reaper, and however young its objects are.
        let objects = [made("here", 1, false, false, 0)];
        assert_eq!(verdict(&objects, &[]), Verdict::Ended);
    }

    #[test]
    fn other_machines_and_spanning_sessions_need_a_reaper_the_grace_and_a_recheck() {
        let old = [made("there", 1, false, true, 600)];
        assert_eq!(verdict(&old, &[]), Verdict::EndedIfStillUnguarded);
        let young = [made("there", 1, false, true, 10)];
        assert_eq!(verdict(&young, &[]), Verdict::Unknown);
        let unguarded = [made("there", 1, false, false, 600)];
        assert_eq!(verdict(&unguarded, &[]), Verdict::Unknown);
        // Its creator ended, but another process of the session may hold it.
        let spanning = [made("here", 1, true, true, 600)];
        assert_eq!(verdict(&spanning, &[]), Verdict::EndedIfStillUnguarded);
        let spanning_unguarded = [made("here", 1, true, false, 600)];
        assert_eq!(verdict(&spanning_unguarded, &[]), Verdict::Unknown);
        let mut unknown_owner = made("here", 1, false, true, 600);
        unknown_owner.owner = None;
        assert_eq!(
            verdict(&[unknown_owner], &[]),
            Verdict::EndedIfStillUnguarded
        );
    }

    #[test]
    fn reused_snapshots_reapers_and_strangers_are_never_judged() {
        let ours = |extra: &[(&str, &str)]| {
            let mut labels: HashMap<String, String> = labels::standard("s");
            labels.extend(labels::owner(true, false));
            for (k, v) in extra {
                labels.insert(k.to_string(), v.to_string());
            }
            labels
        };
        let judged = |labels: HashMap<String, String>| {
            object(Kind::Container, "c".into(), &labels, None).is_some()
        };
        assert!(judged(ours(&[])));
        assert!(!judged(ours(&[("org.testcontainers.reuse", "true")])));
        assert!(!judged(ours(&[("org.testcontainers.reuse.hash", "x")])));
        assert!(!judged(ours(&[("org.throwaway.snapshot", "k")])));
        assert!(!judged(ours(&[("org.testcontainers.ryuk", "true")])));
        assert!(!judged(ours(&[("org.testcontainers.lang", "go")])));
        let mut older = labels::standard("s");
        assert!(!judged(older.clone()), "no guard label: an older throwaway");
        older.extend(labels::owner(true, false));
        older.remove(labels::SESSION_ID);
        assert!(!judged(older), "no session: nothing to judge by");
    }
}

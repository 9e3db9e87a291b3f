//! PostgreSQL from a snapshot: the first container of a configuration is initialised,
//! migrated and given its template as usual, then its server is stopped cleanly and its
//! data directory saved into a volume; later containers of the same configuration copy that
//! directory into their in-memory data directory before the image's entrypoint runs, which
//! then finds it initialised and starts the server at once (no initdb, no temporary server,
//! no init scripts, no migrations).
//!
//! Why a volume, not an image: the module keeps the data directory in memory (tmpfs), which
//! a commit cannot capture, and on the overlay filesystems engines use, PostgreSQL writing
//! its files into a container's writable layer is slow, and a commit slower still (seconds
//! for tens of megabytes here). A volume lives on the engine's own disk: filled once, it is
//! copied into memory in a few tens of milliseconds, and each container still has its data
//! in memory, removed with it at once.
//!
//! The key is a SHA-256 of everything that shapes the data: the image's id (a moved tag is
//! a new key), the request's environment (user, password, database, initdb arguments, …),
//! command, entrypoint and user, the init scripts' content, the migrations' content (a
//! [`Migrations::run`](super::Migrations::run) step only with a key of the caller's), the
//! caller's own key and this module's version. Any change makes a new snapshot; a snapshot
//! is never altered, only replaced.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::{
    InspectContainerOptions, ListContainersOptions, ListVolumesOptions, RemoveVolumeOptions,
    WaitContainerOptions,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::connect::Endpoint;
use super::migrations::Loaded;
use super::prepare::Preparation;
use super::{logs_in, Postgres, PGDATA, READY_LINE};
use crate::container::{ContainerRequest, Contents, Mount};
use crate::engine::properties::parse_bool;
use crate::engine::runtime::runtime;
use crate::engine::time::EngineTime;
use crate::engine::Engine;
use crate::error::{engine_status, Error, ErrorKind, Result};
use crate::image::{resolve, ImageRef};
use crate::kit::Module;
use crate::wait::Wait;

/// Where a container that makes or uses a snapshot mounts its volume.
const MOUNT_DIR: &str = "/var/lib/throwaway/snapshot";

/// Snapshot volumes are named `throwaway-snapshot-postgres-<key>`.
pub const VOLUME_PREFIX: &str = "throwaway-snapshot-postgres-";

/// The label every snapshot volume carries (its value is the key). Snapshot volumes carry
/// none of the session labels, so no reaper takes them for part of a run; ours would leave
/// them anyway.
pub const LABEL: &str = "org.throwaway.snapshot";

/// Snapshots of one image, user and database form a family; only the latest few of a
/// family are kept.
const FAMILY_LABEL: &str = "org.throwaway.snapshot.family";

/// The image reference the snapshot was made from, as the caller wrote it.
const SOURCE_LABEL: &str = "org.throwaway.snapshot.source";

/// The label on a container that is making a snapshot (its value is the key), so that
/// other processes wait for it rather than start from a half-filled volume.
const MAKER_LABEL: &str = "org.throwaway.snapshot.maker";

/// How long a start waits for another process's maker: about what making one takes on a
/// loaded machine.
const MAKER_PATIENCE: Duration = Duration::from_secs(60);

/// How many snapshots of a family are kept, newest first: enough for a few branches with
/// different migrations, without keeping every edit of a migration file.
pub const KEEP_PER_FAMILY: usize = 3;

/// A snapshot older than this is removed when the next one is made (and made again when
/// next needed).
pub const MAX_AGE: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// Snapshots younger than this are not counted out when a new one is made: a run (a test
/// suite with several configurations of one image, user and database) may still be about to
/// start from them, and a container only mounts its snapshot when it starts.
const IN_USE_WINDOW: Duration = Duration::from_secs(60 * 60);

/// The environment variable that turns snapshots off: `THROWAWAY_SNAPSHOTS=0` (or `false`,
/// `no`, `off`).
pub const SWITCH: &str = "THROWAWAY_SNAPSHOTS";

/// Runs in the container that starts from a snapshot, before the image's entrypoint: copies
/// the snapshot's data directory into the (in-memory) `PGDATA`, where the entrypoint finds
/// it initialised. Without data (a snapshot still being made by another process) it copies
/// nothing, and the start is an ordinary one.
const RESTORE: &str = r#"if [ -d /var/lib/throwaway/snapshot/data ]; then
  cp -a /var/lib/throwaway/snapshot/data/. "$PGDATA"/ || exit 1
else
  echo "throwaway: the snapshot volume holds no data (its maker was stopped before it finished?); starting the ordinary way; remove it with throwaway::postgres::remove_snapshots or docker volume rm" >&2
fi
exec "$@""#;

/// Runs in the container that makes a snapshot, around the image's entrypoint: once the
/// server has stopped cleanly, copies the data directory into the volume under a name of
/// its own, then renames it to `data` (atomic), unless another process got there first.
const SAVE: &str = r#""$@" || exit $?
s=/var/lib/throwaway/snapshot
t="$s/data.$HOSTNAME"
rm -rf "$t" && mkdir "$t" && cp -a "$PGDATA"/. "$t"/ || exit 1
if mkdir "$s/claimed" 2>/dev/null; then mv "$t" "$s/data" || exit 1; else rm -rf "$t"; fi
[ -d "$s/data" ] && echo "throwaway: snapshot saved""#;

/// What [`SAVE`] prints once the volume holds the data (its own or a racing maker's).
const SAVED_LINE: &str = "throwaway: snapshot saved";

/// Bumped when what a snapshot holds, or how it is used, changes: a new key for all.
const FORMAT: &str = "1";

/// The snapshot settings of one [`Postgres`], and the snapshot its request was swapped to.
#[derive(Clone, Debug)]
pub(super) struct Snapshots {
    enabled: bool,
    key: Option<String>,
    using: Option<Using>,
}

impl Default for Snapshots {
    fn default() -> Self {
        Snapshots {
            enabled: true,
            key: None,
            using: None,
        }
    }
}

impl Snapshots {
    /// The key of the snapshot the container starts from, if it does.
    pub(super) fn key(&self) -> Option<&str> {
        self.using.as_ref().map(|using| using.key.as_str())
    }

    /// The name of the snapshot volume the container starts from, if it does.
    pub(super) fn volume(&self) -> Option<&str> {
        self.using.as_ref().map(|using| using.volume.as_str())
    }
}

/// The snapshot a request was swapped to.
#[derive(Clone, Debug)]
struct Using {
    key: String,
    /// The snapshot volume's name.
    volume: String,
    /// The entrypoint to run after restoring the data: the request's, or the image's.
    entrypoint: Vec<String>,
}

impl Postgres {
    /// Whether to start from a snapshot of the initialised, migrated data (default on).
    ///
    /// With snapshots on, the first start of a configuration initialises the server, runs
    /// init scripts and migrations and makes the template as always, then saves the data
    /// directory into a local volume `throwaway-snapshot-postgres-<key>` (once); every
    /// later start of the same configuration, in this run or a later one, starts from it
    /// and skips all of that. The [module docs](super#snapshots) say what the key covers,
    /// how snapshots are bounded and how to remove them.
    ///
    /// Snapshots apply to the default in-memory data directory only: not with
    /// [`durable`](Postgres::durable) or [`data_volume`](Postgres::data_volume). The
    /// environment variable `THROWAWAY_SNAPSHOTS=0` turns them off for a whole run. When a
    /// snapshot cannot be made or used, the start goes the normal way and says why at
    /// `debug` level.
    pub fn snapshots(mut self, enabled: bool) -> Self {
        self.snapshots.enabled = enabled;
        self
    }

    /// Your own part of the snapshot key: what a [`Migrations::run`](super::Migrations::run)
    /// step does, which the module cannot read (`"migrations v42"`, or a hash of your
    /// migrations folder). A step without a key never gets a snapshot. With file migrations
    /// the module hashes the files itself; a key here then only adds to it.
    pub fn snapshot_key(mut self, key: impl Into<String>) -> Self {
        self.snapshots.key = Some(key.into());
        self
    }
}

/// Swaps `request` to start from a snapshot of its configuration, made first if need be;
/// returns it unchanged (and says why at `debug`) when snapshots are off or fail.
pub(super) async fn prepare(pg: &mut Postgres, request: ContainerRequest) -> ContainerRequest {
    pg.snapshots.using = None;
    let migrations = match eligible(pg, &request) {
        Ok(migrations) => migrations,
        Err(why) => {
            tracing::debug!(image = %pg.image, "PostgreSQL starts without a snapshot: {why}");
            return request;
        }
    };
    let began = Instant::now();
    match find_or_make(pg, &request, migrations).await {
        Ok((using, made)) => {
            tracing::debug!(
                image = %pg.image,
                snapshot = %using.volume,
                made,
                elapsed = ?began.elapsed(),
                "PostgreSQL starts from a snapshot"
            );
            let request = from_snapshot(pg, request, &using);
            pg.snapshots.using = Some(using);
            request
        }
        Err(why) => {
            tracing::debug!(
                image = %pg.image,
                "PostgreSQL starts without a snapshot, which could not be made or used: {why}"
            );
            request
        }
    }
}

/// Why a request gets no snapshot, in words for the `debug` line.
type Reason = String;

/// Whether `request` can start from a snapshot, and its migrations if so.
fn eligible(
    pg: &Postgres,
    request: &ContainerRequest,
) -> std::result::Result<Option<Loaded>, Reason> {
    if !pg.snapshots.enabled {
        return Err("turned off with .snapshots(false)".into());
    }
    if let Ok(value) = std::env::var(SWITCH) {
        match parse_bool(&value) {
            Some(false) => return Err(format!("turned off with {SWITCH}={value}")),
            Some(true) => {}
            None => tracing::warn!(
                "{SWITCH}={value} is neither on nor off (1/true/yes/on, 0/false/no/off); \
                 snapshots stay on"
            ),
        }
    }
    if !pg.fast() {
        return Err("the data directory is durable or on a data volume".into());
    }
    if request.env.get("PGDATA").map(String::as_str) != Some(PGDATA) {
        return Err("PGDATA was changed with .with_request(…)".into());
    }
    if request.mounts != [Mount::tmpfs(PGDATA)] {
        return Err("the request has mounts of its own, whose content a key cannot cover".into());
    }
    let migrations = match &pg.migrations {
        None => None,
        Some(migrations) => Some(
            migrations
                .load(&pg.image)
                .map_err(|err| format!("the migrations cannot be read: {err}"))?,
        ),
    };
    if matches!(migrations, Some(Loaded::Run(..))) && pg.snapshots.key.is_none() {
        return Err("a Migrations::run step needs .snapshot_key(…) to say what it does".into());
    }
    Ok(migrations)
}

/// The snapshot for `request`: found, or made now (`true`).
async fn find_or_make(
    pg: &Postgres,
    request: &ContainerRequest,
    migrations: Option<Loaded>,
) -> Result<(Using, bool)> {
    let engine = Engine::get().await?;
    let docker = engine.docker();
    let reference = resolve(
        engine,
        ImageRef::parse(&request.image)?,
        request.pull_policy,
    )
    .await?;
    let image = docker
        .inspect_image(&reference)
        .await
        .map_err(|err| Error::engine(format!("inspecting image {reference}"), err))?;
    let image_id = image.id.unwrap_or_default();
    let key = key(
        &image_id,
        request,
        migrations.as_ref(),
        pg.snapshots.key.as_deref(),
    )?;
    let volume = format!("{VOLUME_PREFIX}{key}");
    let config = image.config.unwrap_or_default();
    let entrypoint = request
        .entrypoint
        .clone()
        .or(config.entrypoint)
        .unwrap_or_default();
    let using = Using {
        key: key.clone(),
        volume: volume.clone(),
        entrypoint,
    };
    // One start at a time per key in this process: the others wait for its snapshot
    // rather than find a volume still being filled, and start from it.
    let lock = key_lock(&key);
    let _making = lock.lock().await;
    // Another process may be making it: wait for its maker, then look again.
    wait_for_makers(docker, &key).await;
    match docker.inspect_volume(&volume).await {
        Ok(found) if found.labels.get(LABEL) == Some(&key) => return Ok((using, false)),
        Ok(_) => {
            // Not one of ours (made by the engine for a container that named it after ours
            // was removed): replace it.
            tracing::debug!(%volume, "not a snapshot volume; making it again");
            let _ = docker
                .remove_volume(&volume, None::<RemoveVolumeOptions>)
                .await;
        }
        Err(err) if engine_status(&err) == Some(404) => {}
        Err(err) => return Err(Error::engine(format!("inspecting volume {volume}"), err)),
    }
    make(pg, request, migrations, &using, &reference).await?;
    Ok((using, true))
}

/// The lock that keeps the starts of one key in this process from making its snapshot
/// side by side.
fn key_lock(key: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>> =
        Mutex::new(BTreeMap::new());
    let mut locks = LOCKS.lock().unwrap_or_else(|p| p.into_inner());
    locks.entry(key.to_string()).or_default().clone()
}

/// Waits (bounded by [`MAKER_PATIENCE`]) until no container of any process is making the
/// snapshot of `key`, so that its volume is not mounted half filled. A maker that takes
/// longer is left to it: the start then goes the ordinary way if the data is not there.
async fn wait_for_makers(docker: &bollard::Docker, key: &str) {
    let options = ListContainersOptions {
        filters: Some(HashMap::from([(
            "label".to_string(),
            vec![format!("{MAKER_LABEL}={key}")],
        )])),
        ..Default::default()
    };
    let makers = match docker.list_containers(Some(options)).await {
        Ok(makers) => makers,
        Err(err) => {
            tracing::debug!("snapshot makers not listed: {err}");
            return;
        }
    };
    let waits = makers
        .into_iter()
        .filter_map(|maker| maker.id)
        .map(|id| async move {
            tracing::debug!(maker = %id, "waiting for another process to finish a snapshot");
            let mut waiting = docker.wait_container(&id, None::<WaitContainerOptions>);
            let _ = waiting.next().await;
        });
    let all = futures_util::future::join_all(waits);
    if tokio::time::timeout(MAKER_PATIENCE, all).await.is_err() {
        tracing::debug!("a snapshot maker of another process is still busy; not waiting longer");
    }
}

/// The key: a SHA-256 over everything that shapes the data, each part with its length so
/// that no two different lists of parts hash alike.
fn key(
    image_id: &str,
    request: &ContainerRequest,
    migrations: Option<&Loaded>,
    user_key: Option<&str>,
) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut part = |name: &str, value: &[u8]| {
        for bytes in [name.as_bytes(), value] {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        }
    };
    part("format", FORMAT.as_bytes());
    part("module", env!("CARGO_PKG_VERSION").as_bytes());
    part("image", image_id.as_bytes());
    for (name, value) in &request.env {
        part("env", format!("{name}={value}").as_bytes());
    }
    for arg in request.cmd.iter().flatten() {
        part("cmd", arg.as_bytes());
    }
    for arg in request.entrypoint.iter().flatten() {
        part("entrypoint", arg.as_bytes());
    }
    if let Some(user) = &request.user {
        part("user", user.as_bytes());
    }
    for (path, source) in &request.copies {
        part("copy", path.as_bytes());
        part("mode", format!("{:?}", source.mode).as_bytes());
        match &source.contents {
            Contents::Bytes(data) => part("bytes", data),
            Contents::Path(host) => {
                let data = std::fs::read(host).map_err(|err| {
                    Error::new(
                        ErrorKind::Io,
                        format!("reading {} for the snapshot key", host.display()),
                    )
                    .with_source(err)
                })?;
                part("bytes", &data);
            }
        }
    }
    if let Some(migrations) = migrations {
        part("migrations", migrations.fingerprint().as_bytes());
    }
    if let Some(key) = user_key {
        part("key", key.as_bytes());
    }
    Ok(hex(&hasher.finalize()))
}

/// One image, user and database: the family whose latest snapshots are kept.
fn family(pg: &Postgres) -> String {
    let mut hasher = Sha256::new();
    for part in [pg.image.as_str(), pg.user.as_str(), &pg.database_name()] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `request` with `script` run by `sh` before the image's `entrypoint`, which it then
/// runs with the request's (or the image's) command as its arguments.
fn wrapped(mut request: ContainerRequest, script: &str, entrypoint: &[String]) -> ContainerRequest {
    let mut wrapper = vec![
        "sh".to_string(),
        "-c".to_string(),
        script.to_string(),
        "throwaway-snapshot".to_string(),
    ];
    wrapper.extend(entrypoint.iter().cloned());
    request.entrypoint = Some(wrapper);
    request
}

/// `request`, started from the snapshot volume: mounted read-only, its data copied into
/// the in-memory data directory before the entrypoint runs, and readiness that waits for
/// one ready line (the entrypoint starts the server at once on an initialised data
/// directory), then the login. Init scripts stay in the request: were the snapshot's data
/// missing, the start would be an ordinary one, and correct.
fn from_snapshot(pg: &Postgres, request: ContainerRequest, using: &Using) -> ContainerRequest {
    let database = pg.database_name();
    wrapped(request, RESTORE, &using.entrypoint)
        .mount(Mount::volume(&using.volume, MOUNT_DIR).read_only())
        .wait_for(Wait::log(READY_LINE).and(logs_in(
            pg.container_port(),
            pg.user.clone(),
            pg.password.clone(),
            database,
            None,
        )))
}

/// Makes the snapshot of `using.key`: a container initialised and prepared as usual (with
/// the snapshot's marker on its template), its server stopped cleanly, its data directory
/// saved into the volume (see [`SAVE`]), removed. When processes race for one key, each
/// makes its own copy and the first to finish publishes it; the others' are discarded.
async fn make(
    pg: &Postgres,
    request: &ContainerRequest,
    migrations: Option<Loaded>,
    using: &Using,
    reference: &str,
) -> Result<()> {
    let began = Instant::now();
    let engine = Engine::get().await?;
    let docker = engine.docker();
    let labels = HashMap::from([
        (LABEL.to_string(), using.key.clone()),
        (FAMILY_LABEL.to_string(), family(pg)),
        (SOURCE_LABEL.to_string(), reference.to_string()),
    ]);
    let options = VolumeCreateRequest {
        name: Some(using.volume.clone()),
        labels: Some(labels),
        ..Default::default()
    };
    docker
        .create_volume(options)
        .await
        .map_err(|err| Error::engine(format!("creating volume {}", using.volume), err))?;
    let mut builder = wrapped(request.clone(), SAVE, &using.entrypoint)
        .mount(Mount::volume(&using.volume, MOUNT_DIR));
    builder.reuse = false;
    builder.name = None;
    builder
        .labels
        .insert(MAKER_LABEL.to_string(), using.key.clone());
    let container = match builder.start().await {
        Ok(container) => container,
        Err(err) => {
            remove_volume(docker, &using.volume).await;
            return Err(pg.explain(err));
        }
    };
    let saved = async {
        let endpoint = Endpoint {
            host: container.host().to_string(),
            port: container.host_port(pg.container_port())?,
            user: pg.user.clone(),
            password: pg.password.clone(),
        };
        let preparation = Preparation::new(
            &container,
            "",
            pg.database_name(),
            pg.password.clone(),
            migrations,
            false,
            Some(&using.key),
        );
        drop(preparation.run(&endpoint).await?);
        // SIGINT to the server is a fast shutdown: a checkpoint, then a data directory
        // that needs no recovery. The wrapper saves it once the server has exited.
        let stop = container
            .exec([
                "sh",
                "-c",
                r#"kill -INT "$(head -n 1 "$PGDATA/postmaster.pid")""#,
            ])
            .await?;
        if stop.exit_code != 0 {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "PostgreSQL in {} could not be stopped for its snapshot: {}",
                    container.describe(),
                    String::from_utf8_lossy(&stop.stderr).trim()
                ),
            ));
        }
        let mut waiting = docker.wait_container(container.id(), None::<WaitContainerOptions>);
        let _ = waiting.next().await;
        let state = docker
            .inspect_container(container.id(), None::<InspectContainerOptions>)
            .await
            .map_err(|err| Error::engine(format!("inspecting {}", container.describe()), err))?
            .state;
        let running = state.as_ref().and_then(|s| s.running).unwrap_or(true);
        let code = state.and_then(|s| s.exit_code).unwrap_or(-1);
        let logs = container.logs().await?;
        let saved = logs.stdout_text().contains(SAVED_LINE);
        if running || code != 0 || !saved {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "PostgreSQL in {} did not stop and save its data cleanly ({}); its last \
                     output: {}",
                    container.describe(),
                    if running {
                        "still running".to_string()
                    } else {
                        format!("exit code {code}")
                    },
                    last_lines(&logs)
                ),
            ));
        }
        Ok(())
    }
    .await;
    if let Err(err) = container.remove().await {
        tracing::debug!("the container that made a snapshot was not removed: {err}");
    }
    if let Err(err) = saved {
        remove_volume(docker, &using.volume).await;
        return Err(err);
    }
    tracing::info!(
        image = %reference,
        snapshot = %using.volume,
        elapsed = ?began.elapsed(),
        "PostgreSQL snapshot made"
    );
    let family = family(pg);
    runtime().spawn(async move {
        if let Err(err) = bound(Some(&family), KEEP_PER_FAMILY, MAX_AGE).await {
            tracing::debug!("old snapshots not removed: {err}");
        }
    });
    Ok(())
}

/// The last few lines of a maker's output (standard error, where PostgreSQL and the
/// scripts say what went wrong), for an error message.
fn last_lines(logs: &crate::container::Logs) -> String {
    let text = logs.stderr_text();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

/// Removes a snapshot volume that could not be finished. Another process may be using
/// it, in which case the engine refuses and it stays.
async fn remove_volume(docker: &bollard::Docker, volume: &str) {
    if let Err(err) = docker
        .remove_volume(volume, None::<RemoveVolumeOptions>)
        .await
    {
        tracing::debug!(%volume, "not removed: {err}");
    }
}

/// A PostgreSQL snapshot on the engine, as [`snapshots`] lists it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Snapshot {
    /// The volume's name, `throwaway-snapshot-postgres-<key>`.
    pub volume: String,
    /// The image it was made from, as the test wrote it (`postgres:15`).
    pub source: String,
    /// When it was made.
    pub created: SystemTime,
    family: String,
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let age = self.created.elapsed().unwrap_or_default().as_secs();
        write!(
            f,
            "{} (from {}, made {}h{:02}m ago)",
            self.volume,
            self.source,
            age / 3600,
            age / 60 % 60
        )
    }
}

/// The PostgreSQL snapshots on the engine, newest first.
///
/// # Errors
/// [`ErrorKind::EngineUnavailable`] / [`ErrorKind::Engine`]: no engine, or it refused to
/// list volumes.
pub async fn snapshots() -> Result<Vec<Snapshot>> {
    crate::engine::runtime::on_engine(list()).await
}

/// Removes the PostgreSQL snapshots on the engine: all of them with `older_than` `None`,
/// else those made longer ago than that. A snapshot that a container is starting from
/// right now stays. Returns how many were removed.
///
/// # Errors
/// [`ErrorKind::EngineUnavailable`] / [`ErrorKind::Engine`]: no engine, or it refused to
/// list volumes.
pub async fn remove_snapshots(older_than: Option<Duration>) -> Result<usize> {
    let (keep, max_age) = match older_than {
        Some(age) => (usize::MAX, age),
        None => (0, Duration::ZERO),
    };
    crate::engine::runtime::on_engine(bound(None, keep, max_age)).await
}

async fn list() -> Result<Vec<Snapshot>> {
    let engine = Engine::get().await?;
    let options = ListVolumesOptions {
        filters: Some(HashMap::from([(
            "label".to_string(),
            vec![LABEL.to_string()],
        )])),
    };
    let volumes = engine
        .docker()
        .list_volumes(Some(options))
        .await
        .map_err(|err| Error::engine("listing PostgreSQL snapshots", err))?
        .volumes
        .unwrap_or_default();
    let mut found: Vec<Snapshot> = volumes
        .into_iter()
        .map(|volume| {
            // A time that cannot be read counts as now: never as old enough to remove.
            let created = volume
                .created_at
                .as_ref()
                .and_then(EngineTime::to_system_time)
                .unwrap_or_else(SystemTime::now);
            let label = |name: &str| volume.labels.get(name).cloned().unwrap_or_default();
            Snapshot {
                source: label(SOURCE_LABEL),
                family: label(FAMILY_LABEL),
                created,
                volume: volume.name,
            }
        })
        .collect();
    found.sort_by_key(|snapshot| std::cmp::Reverse(snapshot.created));
    Ok(found)
}

/// Removes snapshots beyond the `keep` newest of `family` (of every family with `None`),
/// and any older than `max_age`. Returns how many went.
async fn bound(family: Option<&str>, keep: usize, max_age: Duration) -> Result<usize> {
    let all = list().await?;
    let docker = Engine::get().await?.docker();
    let mut kept = 0;
    let mut removed = 0;
    for snapshot in all {
        let of_family = family.is_none_or(|f| f == snapshot.family);
        let age = snapshot.created.elapsed().unwrap_or_default();
        let old = age >= max_age;
        // Only the bound made at each new snapshot (keep > 0) spares recent ones.
        let recent = keep > 0 && age < IN_USE_WINDOW;
        if recent || (!old && (!of_family || kept < keep)) {
            kept += usize::from(of_family);
            continue;
        }
        // A volume in use by a container is refused by the engine, and stays.
        match docker
            .remove_volume(&snapshot.volume, None::<RemoveVolumeOptions>)
            .await
        {
            Ok(()) => {
                tracing::debug!(snapshot = %snapshot, "removed");
                removed += 1;
            }
            Err(err) => tracing::debug!(snapshot = %snapshot, "not removed: {err}"),
        }
    }
    Ok(removed + remove_strays(docker).await)
}

/// Removes volumes under a snapshot's name that are not snapshots: made empty by the engine
/// for a container that named a snapshot removed just before (by hand, or by a bound).
/// One in use is refused by the engine, and stays until next time.
async fn remove_strays(docker: &bollard::Docker) -> usize {
    let options = ListVolumesOptions {
        filters: Some(HashMap::from([(
            "name".to_string(),
            vec![VOLUME_PREFIX.to_string()],
        )])),
    };
    let Ok(listed) = docker.list_volumes(Some(options)).await else {
        return 0;
    };
    let mut removed = 0;
    for volume in listed.volumes.unwrap_or_default() {
        if !volume.name.starts_with(VOLUME_PREFIX) || volume.labels.contains_key(LABEL) {
            continue;
        }
        match docker
            .remove_volume(&volume.name, None::<RemoveVolumeOptions>)
            .await
        {
            Ok(()) => {
                tracing::debug!(volume = %volume.name, "removed a stray snapshot volume");
                removed += 1;
            }
            Err(err) => tracing::debug!(volume = %volume.name, "stray not removed: {err}"),
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(pg: &Postgres) -> String {
        key("sha256:abc", &pg.build_request(), None, None).unwrap()
    }

    #[test]
    fn the_key_covers_what_shapes_the_data() {
        let base = key_of(&Postgres::default());
        assert_eq!(base, key_of(&Postgres::default()));
        assert_eq!(base.len(), 64);
        for changed in [
            Postgres::default().password("other"),
            Postgres::default().user("app"),
            Postgres::default().database("users"),
            Postgres::default().init_sql("a.sql", "SELECT 1"),
            Postgres::default().with_request(|r| r.env("POSTGRES_INITDB_ARGS", "--locale=C")),
        ] {
            assert_ne!(base, key_of(&changed), "{changed:?}");
        }
        let request = Postgres::default().build_request();
        assert_ne!(base, key("sha256:def", &request, None, None).unwrap());
        assert_ne!(base, key("sha256:abc", &request, None, Some("v2")).unwrap());
        let files = |sql: &str| Loaded::Files(vec![("001.sql".into(), sql.into())]);
        assert_ne!(
            key(
                "sha256:abc",
                &request,
                Some(&files("CREATE TABLE a ()")),
                None
            )
            .unwrap(),
            key(
                "sha256:abc",
                &request,
                Some(&files("CREATE TABLE b ()")),
                None
            )
            .unwrap()
        );
    }

    #[test]
    fn what_gets_no_snapshot_says_why() {
        let why = |pg: Postgres| {
            let request = pg.build_request();
            eligible(&pg, &request).err().expect("no snapshot")
        };
        assert!(why(Postgres::default().snapshots(false)).contains(".snapshots(false)"));
        assert!(why(Postgres::default().durable(true)).contains("durable"));
        assert!(why(Postgres::default().data_volume("v")).contains("durable"));
        let step =
            Postgres::default().migrations(super::super::Migrations::run(|_url: String| async {
                Ok::<(), std::io::Error>(())
            }));
        assert!(why(step.clone()).contains(".snapshot_key"));
        let request = step.build_request();
        let keyed = step.snapshot_key("v1");
        if std::env::var_os(SWITCH).is_none() {
            assert!(eligible(&keyed, &request).is_ok());
        }
    }

    #[test]
    fn a_snapshot_start_restores_the_data_then_waits_for_one_ready_line() {
        let pg = Postgres::default().init_sql("a.sql", "SELECT 1");
        let using = Using {
            key: "k".into(),
            volume: "throwaway-snapshot-postgres-k".into(),
            entrypoint: vec!["docker-entrypoint.sh".into()],
        };
        let request = from_snapshot(&pg, pg.build_request(), &using);
        let entrypoint = request.entrypoint.clone().unwrap();
        assert_eq!(entrypoint[..2], ["sh", "-c"]);
        assert_eq!(entrypoint[2], RESTORE);
        assert_eq!(entrypoint[4..], ["docker-entrypoint.sh"]);
        assert_eq!(request.cmd.as_ref().unwrap()[0], "postgres");
        assert_eq!(request.env["PGDATA"], PGDATA);
        let wait = request.wait.to_string();
        assert!(wait.contains(READY_LINE) && !wait.contains("×2"), "{wait}");
        // The in-memory data directory stays; the snapshot is mounted read-only.
        assert_eq!(
            request.mounts,
            [
                Mount::tmpfs(PGDATA),
                Mount::volume("throwaway-snapshot-postgres-k", MOUNT_DIR).read_only()
            ]
        );
        // Kept, should the snapshot's data be missing: the start is then an ordinary one.
        assert!(request.copied_paths().any(|path| path.ends_with("a.sql")));
    }

    #[test]
    fn the_scripts_name_the_mount() {
        assert!(RESTORE.contains(MOUNT_DIR));
        assert!(SAVE.contains(MOUNT_DIR));
    }
}

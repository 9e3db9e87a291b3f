//! PostgreSQL from a snapshot: the first container of a configuration is initialised,
//! migrated and given its template as usual, then stopped cleanly and committed to a local
//! image; later containers of the same configuration start from that image, where the
//! image's entrypoint finds an initialised data directory and starts the server at once (no
//! initdb, no temporary server, no init scripts, no migrations).
//!
//! Why a commit, and where the data lives: the module keeps the data directory in memory
//! (tmpfs) and the official image declares `VOLUME` on its default data directory, and a
//! commit captures neither. So a container that makes or uses a snapshot keeps its data
//! directory at [`DATA_DIR`], a plain folder of its writable layer (the tmpfs stays on the
//! image's volume path, so that no anonymous volume is made). Only the files PostgreSQL
//! writes to are copied up into a later container's writable layer.
//!
//! The key is a SHA-256 of everything that shapes the data: the image's id (a moved tag is
//! a new key), the request's environment (user, password, database, initdb arguments, …),
//! command, entrypoint and user, the init scripts' content, the migrations' content (a
//! [`Migrations::run`](super::Migrations::run) step only with a key of the caller's), the
//! caller's own key and this module's version. Any change makes a new snapshot; a snapshot
//! is never altered, only replaced.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use bollard::models::ContainerConfig;
use bollard::query_parameters::{
    CommitContainerOptions, ListImagesOptions, RemoveImageOptions, TagImageOptions,
};
use sha2::{Digest, Sha256};

use super::connect::Endpoint;
use super::migrations::Loaded;
use super::prepare::Preparation;
use super::{logs_in, Postgres, PGDATA, PORT, READY_LINE};
use crate::container::{ContainerRequest, CopySource, Mount};
use crate::engine::labels::SESSION_ID;
use crate::engine::properties::parse_bool;
use crate::engine::runtime::runtime;
use crate::engine::Engine;
use crate::error::{engine_status, Error, ErrorKind, Result};
use crate::image::{resolve, ImageRef, PullPolicy};
use crate::kit::Module;
use crate::wait::Wait;

/// Where a container that makes or uses a snapshot keeps its data directory: outside the
/// image's `VOLUME`s (`/var/lib/postgresql/data` up to 17, `/var/lib/postgresql` from 18),
/// so that a commit captures it.
pub const DATA_DIR: &str = "/var/lib/throwaway/pgdata";

/// The repository snapshots are tagged in: `throwaway-snapshots/postgres:<key>`. Never
/// pulled: containers are created from the image's id.
pub const REPOSITORY: &str = "throwaway-snapshots/postgres";

/// The label every snapshot image carries (its value is the key). The reaper never removes
/// an image with it; containers started from a snapshot inherit it, and are reaped as any
/// other container of their session.
pub const LABEL: &str = "org.throwaway.snapshot";

/// Snapshots of one image, user and database form a family; only the latest few of a
/// family are kept.
const FAMILY_LABEL: &str = "org.throwaway.snapshot.family";

/// The image reference the snapshot was made from, as the caller wrote it.
const SOURCE_LABEL: &str = "org.throwaway.snapshot.source";

/// How many snapshots of a family are kept, by last use: enough for a few branches with
/// different migrations, without filling the disk with every edit of a migration file.
pub const KEEP_PER_FAMILY: usize = 3;

/// A snapshot not used for this long is removed when the next snapshot is made.
pub const MAX_UNUSED: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// The environment variable that turns snapshots off: `THROWAWAY_SNAPSHOTS=0` (or `false`,
/// `no`, `off`).
pub const SWITCH: &str = "THROWAWAY_SNAPSHOTS";

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

    /// The id of the snapshot image the container starts from, if it does.
    pub(super) fn image(&self) -> Option<&str> {
        self.using.as_ref().map(|using| using.image.as_str())
    }
}

/// The snapshot a request was swapped to.
#[derive(Clone, Debug)]
struct Using {
    key: String,
    /// The image's id, `sha256:…`.
    image: String,
}

impl Postgres {
    /// Whether to start from a snapshot of the initialised, migrated data (default on).
    ///
    /// With snapshots on, the first start of a configuration initialises the server, runs
    /// init scripts and migrations and makes the template as always, then commits the data
    /// to a local image `throwaway-snapshots/postgres:<key>` (a second or so, once); every
    /// later start of the same configuration, in this run or a later one, starts from it
    /// and skips all of that. The [module docs](self#snapshots) say what the key covers,
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
                snapshot = %using.image,
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
fn eligible(pg: &Postgres, request: &ContainerRequest) -> std::result::Result<Option<Loaded>, Reason> {
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
        return Err(
            "a Migrations::run step needs .snapshot_key(…) to say what it does".into(),
        );
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
    let reference = resolve(engine, ImageRef::parse(&request.image)?, request.pull_policy).await?;
    let image = docker
        .inspect_image(&reference)
        .await
        .map_err(|err| Error::engine(format!("inspecting image {reference}"), err))?;
    let image_id = image.id.unwrap_or_default();
    let volumes = image.config.and_then(|c| c.volumes).unwrap_or_default();
    if let Some(volume) = volumes.iter().find(|v| within(DATA_DIR, v)) {
        return Err(Error::new(
            ErrorKind::InvalidRequest,
            format!("{reference} declares a volume at {volume}, which a commit does not capture"),
        ));
    }
    let key = key(&image_id, request, migrations.as_ref(), pg.snapshots.key.as_deref())?;
    let tag = format!("{REPOSITORY}:{key}");
    match docker.inspect_image(&tag).await {
        Ok(found) => {
            let labels = found.config.and_then(|c| c.labels).unwrap_or_default();
            if let (Some(id), Some(true)) = (found.id, labels.get(LABEL).map(|v| *v == key)) {
                touch(&id, &key).await;
                return Ok((Using { key, image: id }, false));
            }
            tracing::debug!(%tag, "not a snapshot of this key; making it again");
        }
        Err(err) if engine_status(&err) == Some(404) => {}
        Err(err) => return Err(Error::engine(format!("inspecting image {tag}"), err)),
    }
    let image = make(pg, request, migrations, &key, &reference).await?;
    Ok((Using { key, image }, true))
}

/// Whether `path` is `dir` or inside it.
fn within(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || path.starts_with(&format!("{dir}/")) || dir.is_empty()
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
        match source {
            CopySource::Bytes { data, mode } => {
                part("mode", &mode.to_le_bytes());
                part("bytes", data);
            }
            CopySource::Path(host) => {
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

/// The request of a container that makes or uses a snapshot: its data directory in the
/// writable layer, where a commit sees it.
fn in_layer(mut request: ContainerRequest) -> ContainerRequest {
    request.env.insert("PGDATA".to_string(), DATA_DIR.to_string());
    request
}

/// `request`, started from the snapshot: the image's id (never pulled), no init scripts to
/// copy (they ran), and readiness that expects one ready line, as the entrypoint starts the
/// server at once on an initialised data directory.
fn from_snapshot(pg: &Postgres, request: ContainerRequest, using: &Using) -> ContainerRequest {
    let mut request = in_layer(request);
    request.image = using.image.clone();
    request.pull_policy = PullPolicy::Never;
    request.copies.clear();
    let database = pg.database_name();
    request.wait_for(Wait::log(READY_LINE).and(logs_in(
        pg.user.clone(),
        pg.password.clone(),
        database,
        None,
    )))
}

/// Makes the snapshot of `key`: a container initialised and prepared as usual (with the
/// snapshot's marker on its template), stopped cleanly, committed, removed. Returns the id
/// of the image the tag names afterwards: when processes race for one key, each commits its
/// own identical image, the last tag wins, and the others remove theirs.
async fn make(
    pg: &Postgres,
    request: &ContainerRequest,
    migrations: Option<Loaded>,
    key: &str,
    reference: &str,
) -> Result<String> {
    let began = Instant::now();
    let mut builder = in_layer(request.clone());
    builder.reuse = false;
    builder.name = None;
    let container = match builder.start().await {
        Ok(container) => container,
        Err(err) => return Err(pg.explain(err)),
    };
    let made = async {
        let endpoint = Endpoint {
            host: container.host().to_string(),
            port: container.host_port(PORT)?,
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
            Some(key),
        );
        drop(preparation.run(&endpoint).await?);
        // The image's stop signal (SIGINT for the official image) is a fast shutdown: a
        // checkpoint, then a data directory that needs no recovery.
        container.stop().await?;
        let docker = container.docker();
        let state = docker
            .inspect_container(container.id(), None)
            .await
            .map_err(|err| Error::engine(format!("inspecting {}", container.describe()), err))?
            .state;
        let code = state.and_then(|s| s.exit_code).unwrap_or(-1);
        if code != 0 {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "PostgreSQL in {} did not shut down cleanly (exit code {code})",
                    container.describe()
                ),
            ));
        }
        let labels = HashMap::from([
            (LABEL.to_string(), key.to_string()),
            (FAMILY_LABEL.to_string(), family(pg)),
            (SOURCE_LABEL.to_string(), reference.to_string()),
            // The container's session label would otherwise pass to the image, and a
            // reaper would take it for part of this session.
            (SESSION_ID.to_string(), String::new()),
        ]);
        let options = CommitContainerOptions {
            container: Some(container.id().to_string()),
            repo: Some(REPOSITORY.to_string()),
            tag: Some(key.to_string()),
            comment: Some(format!(
                "throwaway: PostgreSQL data of {reference}, initialised and migrated"
            )),
            pause: false,
            ..Default::default()
        };
        let config = ContainerConfig {
            labels: Some(labels),
            ..Default::default()
        };
        let committed = docker
            .commit_container(options, config)
            .await
            .map_err(|err| Error::engine(format!("committing {}", container.describe()), err))?
            .id;
        Ok(committed)
    }
    .await;
    let docker = container.docker().clone();
    if let Err(err) = container.remove().await {
        tracing::debug!("the container that made a snapshot was not removed: {err}");
    }
    let committed = made?;
    let tag = format!("{REPOSITORY}:{key}");
    let tagged = docker
        .inspect_image(&tag)
        .await
        .map_err(|err| Error::engine(format!("inspecting image {tag}"), err))?
        .id
        .unwrap_or_default();
    if tagged != committed {
        // Another process made the same snapshot and tagged it after us: same content.
        let _ = docker
            .remove_image(&committed, None::<RemoveImageOptions>, None)
            .await;
    }
    tracing::info!(
        image = %reference,
        snapshot = %tagged,
        elapsed = ?began.elapsed(),
        "PostgreSQL snapshot made"
    );
    let family = family(pg);
    runtime().spawn(async move {
        if let Err(err) = bound(Some(&family), KEEP_PER_FAMILY, MAX_UNUSED).await {
            tracing::debug!("old snapshots not removed: {err}");
        }
    });
    Ok(tagged)
}

/// Records a use of snapshot `id`: tagging it again sets the engine's "last tagged" time,
/// which is what [`bound`] goes by (an image's labels cannot change).
async fn touch(id: &str, key: &str) {
    let Ok(engine) = Engine::get().await else {
        return;
    };
    let options = TagImageOptions {
        repo: Some(REPOSITORY.to_string()),
        tag: Some(key.to_string()),
    };
    if let Err(err) = engine.docker().tag_image(id, Some(options)).await {
        tracing::debug!(snapshot = %id, "the snapshot's last use was not recorded: {err}");
    }
}

/// A PostgreSQL snapshot image on the engine, as [`snapshots`] lists it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SnapshotImage {
    /// The image's id, `sha256:…`.
    pub id: String,
    /// The image it was made from, as the test wrote it (`postgres:15`).
    pub source: String,
    /// Its key: the tag's part after `throwaway-snapshots/postgres:`.
    pub key: String,
    /// The disk it takes on top of the image it was made from, in bytes.
    pub own_size: u64,
    /// When it was last used to start a container (or made).
    pub last_used: SystemTime,
    family: String,
}

impl fmt::Display for SnapshotImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unused = self.last_used.elapsed().unwrap_or_default().as_secs();
        write!(
            f,
            "{REPOSITORY}:{} ({}, from {}, {:.1} MB of its own, last used {}h{:02}m ago)",
            self.key,
            self.id,
            self.source,
            self.own_size as f64 / 1e6,
            unused / 3600,
            unused / 60 % 60
        )
    }
}

/// The PostgreSQL snapshots on the engine, most recently used first.
///
/// # Errors
/// [`ErrorKind::EngineUnavailable`] / [`ErrorKind::Engine`]: no engine, or it refused to
/// list images.
pub async fn snapshots() -> Result<Vec<SnapshotImage>> {
    crate::engine::runtime::on_engine(list()).await
}

/// Removes the PostgreSQL snapshots on the engine: all of them with `older_than` `None`,
/// else those not used for that long. Snapshots in use by a container are left. Returns
/// how many were removed.
///
/// # Errors
/// [`ErrorKind::EngineUnavailable`] / [`ErrorKind::Engine`]: no engine, or it refused to
/// list images.
pub async fn remove_snapshots(older_than: Option<Duration>) -> Result<usize> {
    let (keep, max_unused) = match older_than {
        Some(age) => (usize::MAX, age),
        None => (0, Duration::ZERO),
    };
    crate::engine::runtime::on_engine(bound(None, keep, max_unused)).await
}

async fn list() -> Result<Vec<SnapshotImage>> {
    let engine = Engine::get().await?;
    let docker = engine.docker();
    let options = ListImagesOptions {
        filters: Some(HashMap::from([("label".to_string(), vec![LABEL.to_string()])])),
        ..Default::default()
    };
    let images = docker
        .list_images(Some(options))
        .await
        .map_err(|err| Error::engine("listing PostgreSQL snapshots", err))?;
    let mut found = Vec::new();
    for summary in images {
        let parent_size = match docker.inspect_image(&summary.parent_id).await {
            Ok(parent) => parent.size.unwrap_or(0),
            Err(_) => 0,
        };
        let last_used = match docker.inspect_image(&summary.id).await {
            Ok(image) => image
                .metadata
                .and_then(|m| serde_json::to_value(m.last_tag_time).ok())
                .and_then(|v| v.as_str().and_then(parse_time)),
            Err(_) => None,
        };
        let label = |name: &str| summary.labels.get(name).cloned().unwrap_or_default();
        found.push(SnapshotImage {
            last_used: last_used
                .unwrap_or_else(|| from_seconds(summary.created)),
            own_size: (summary.size - parent_size).max(0) as u64,
            key: label(LABEL),
            source: label(SOURCE_LABEL),
            family: label(FAMILY_LABEL),
            id: summary.id,
        });
    }
    found.sort_by(|a, b| b.last_used.cmp(&a.last_used));
    Ok(found)
}

/// Removes snapshots beyond the `keep` most recently used of `family` (of every family
/// with `None`), and any not used for `max_unused`. Returns how many went.
async fn bound(family: Option<&str>, keep: usize, max_unused: Duration) -> Result<usize> {
    let all = list().await?;
    let docker = Engine::get().await?.docker();
    let mut kept = 0;
    let mut removed = 0;
    for snapshot in all {
        let of_family = family.is_none_or(|f| f == snapshot.family);
        let stale = snapshot.last_used.elapsed().unwrap_or_default() >= max_unused;
        if !stale && (!of_family || kept < keep) {
            kept += usize::from(of_family);
            continue;
        }
        // Not forced: a snapshot that a container still runs from stays.
        match docker
            .remove_image(&snapshot.id, None::<RemoveImageOptions>, None)
            .await
        {
            Ok(_) => {
                tracing::debug!(snapshot = %snapshot, "removed");
                removed += 1;
            }
            Err(err) => tracing::debug!(snapshot = %snapshot, "not removed: {err}"),
        }
    }
    Ok(removed)
}

fn parse_time(text: &str) -> Option<SystemTime> {
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_nanos(parsed.unix_timestamp_nanos().try_into().ok()?))
}

fn from_seconds(seconds: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds.max(0) as u64)
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
            key("sha256:abc", &request, Some(&files("CREATE TABLE a ()")), None).unwrap(),
            key("sha256:abc", &request, Some(&files("CREATE TABLE b ()")), None).unwrap()
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
        let step = Postgres::default().migrations(super::super::Migrations::run(
            |_url: String| async { Ok::<(), std::io::Error>(()) },
        ));
        assert!(why(step.clone()).contains(".snapshot_key"));
        let request = step.build_request();
        let keyed = step.snapshot_key("v1");
        if std::env::var_os(SWITCH).is_none() {
            assert!(eligible(&keyed, &request).is_ok());
        }
    }

    #[test]
    fn a_snapshot_start_waits_for_one_ready_line_and_copies_nothing() {
        let pg = Postgres::default().init_sql("a.sql", "SELECT 1");
        let using = Using {
            key: "k".into(),
            image: "sha256:abc".into(),
        };
        let request = from_snapshot(&pg, pg.build_request(), &using);
        assert_eq!(request.image, "sha256:abc");
        assert_eq!(request.env["PGDATA"], DATA_DIR);
        assert!(request.copies.is_empty());
        assert_eq!(request.pull_policy, PullPolicy::Never);
        let wait = request.wait.to_string();
        assert!(wait.contains(READY_LINE) && !wait.contains("×2"), "{wait}");
        // The in-memory mount stays on the image's volume path: no anonymous volume.
        assert_eq!(request.mounts, [Mount::tmpfs(PGDATA)]);
    }

    #[test]
    fn the_data_dir_is_outside_the_images_volumes() {
        assert!(!within(DATA_DIR, "/var/lib/postgresql/data"));
        assert!(!within(DATA_DIR, "/var/lib/postgresql"));
        assert!(within(DATA_DIR, "/var/lib/throwaway"));
        assert!(within(DATA_DIR, "/var/lib/"));
    }
}

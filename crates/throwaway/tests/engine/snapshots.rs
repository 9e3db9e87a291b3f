//! PostgreSQL snapshots: made once per configuration, reused, keyed by what shapes the
//! data, safe when processes race for one, and a clean fallback when one vanishes.
//!
//! Each test gives its servers a password of its own, so its snapshots are its own, and
//! removes exactly the snapshot volumes its servers report when it ends, passed or not.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bollard::query_parameters::{RemoveImageOptions, RemoveVolumeOptions};
use throwaway::postgres::{Migrations, Postgres, PostgresContainer};
use throwaway::Shared;

use crate::require_engine;
use crate::support::{assert_child, raw, spawn_child, volume_exists};

const IMAGE: &str = "postgres:15";
const READY_LINE: &str = "database system is ready to accept connections";

/// The snapshot volumes a test made, removed when it ends.
struct Snapshots {
    /// A password of the test's own: a key of its own.
    password: String,
    volumes: Mutex<Vec<String>>,
}

impl Snapshots {
    fn new(test: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        Snapshots {
            password: format!("snapshots-{test}-{}-{nanos}", std::process::id()),
            volumes: Mutex::new(Vec::new()),
        }
    }

    /// The snapshot `pg` started from, recorded for removal.
    fn of(&self, pg: &PostgresContainer) -> String {
        let volume = pg.snapshot().expect("started from a snapshot").to_string();
        self.record(&volume);
        volume
    }

    fn record(&self, volume: &str) {
        let mut volumes = self.volumes.lock().unwrap();
        if !volumes.iter().any(|v| v == volume) {
            volumes.push(volume.to_string());
        }
    }
}

impl Drop for Snapshots {
    fn drop(&mut self) {
        let volumes = std::mem::take(&mut *self.volumes.lock().unwrap());
        // A thread of its own: the test's runtime may be shutting down. A container still
        // being removed holds its volume for a moment: try for a while.
        std::thread::spawn(move || {
            crate::support::block(async {
                for volume in volumes {
                    for _ in 0..100 {
                        let removed = raw()
                            .remove_volume(&volume, None::<RemoveVolumeOptions>)
                            .await;
                        if removed.is_ok() || !volume_exists(&volume).await {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            })
        })
        .join()
        .unwrap();
    }
}

/// How often the container has logged that it is ready.
async fn ready_lines(pg: &PostgresContainer) -> usize {
    let logs = pg.container().logs().await.unwrap();
    let all = format!("{}{}", logs.stdout_text(), logs.stderr_text());
    all.matches(READY_LINE).count()
}

fn migrations(sql: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("001_users.sql"), sql).unwrap();
    dir
}

const USERS: &str = "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL); \
                     INSERT INTO users (name) VALUES ('seed');";

async fn count_users(pg: &PostgresContainer) -> i64 {
    let db = pg.fresh_database().await.unwrap();
    let client = db.client().await.unwrap();
    client
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_snapshot_is_made_once_then_every_start_begins_there() {
    require_engine!();
    let snapshots = Snapshots::new("reuse");
    let dir = migrations(USERS);
    let pg = || {
        Postgres::new(IMAGE)
            .password(&snapshots.password)
            .init_sql(
                "seed.sql",
                "CREATE TABLE from_init (x int); INSERT INTO from_init VALUES (7);",
            )
            .migrations(Migrations::dir(dir.path()))
    };
    let began = Instant::now();
    let first = pg().start().await.unwrap();
    let first_took = began.elapsed();
    let volume = snapshots.of(&first);
    assert!(volume_exists(&volume).await);
    // Even the first container starts from the snapshot it made.
    assert_eq!(ready_lines(&first).await, 1);
    assert_eq!(count_users(&first).await, 1);

    let began = Instant::now();
    let second = pg().start().await.unwrap();
    let second_took = began.elapsed();
    assert_eq!(snapshots.of(&second), volume, "no second snapshot");
    assert_eq!(
        ready_lines(&second).await,
        1,
        "no initdb, no temporary server"
    );
    assert_eq!(
        count_users(&second).await,
        1,
        "migrated once, in the snapshot"
    );
    let client = second.client().await.unwrap();
    let x: i32 = client
        .query_one("SELECT x FROM from_init", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(x, 7, "the init script's work is in the snapshot");
    // The two containers have data of their own.
    client
        .batch_execute("INSERT INTO from_init VALUES (8)")
        .await
        .unwrap();
    let n: i64 = first
        .client()
        .await
        .unwrap()
        .query_one("SELECT count(*) FROM from_init", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    assert!(
        second_took < first_took,
        "from the snapshot {second_took:?}, making it {first_took:?}"
    );
    println!("making the snapshot: {first_took:?}; from it: {second_took:?}");
    first.remove().await.unwrap();
    second.remove().await.unwrap();
}

#[tokio::test]
async fn a_changed_migration_password_or_image_id_makes_a_new_snapshot() {
    require_engine!();
    // Declared first, so dropped last: the image it makes is in use until the end.
    let moved = MovedTag::new().await;
    let snapshots = Snapshots::new("keys");
    let base_dir = migrations(USERS);
    let changed_dir = migrations(&format!("{USERS} INSERT INTO users (name) VALUES ('two');"));
    let start = |pg: Postgres| {
        let snapshots = &snapshots;
        async move {
            let pg = pg.start().await.unwrap();
            let volume = snapshots.of(&pg);
            (pg, volume)
        }
    };
    let base = |image: &str, dir: &tempfile::TempDir| {
        Postgres::new(image)
            .password(&snapshots.password)
            .migrations(Migrations::dir(dir.path()))
    };
    let (pg, base_id) = start(base(IMAGE, &base_dir)).await;
    assert_eq!(count_users(&pg).await, 1);
    pg.remove().await.unwrap();

    let (pg, migrated_id) = start(base(IMAGE, &changed_dir)).await;
    assert_ne!(migrated_id, base_id, "a changed migration");
    assert_eq!(count_users(&pg).await, 2, "never a stale snapshot");
    pg.remove().await.unwrap();

    let (pg, password_id) =
        start(base(IMAGE, &base_dir).password(format!("{}-other", snapshots.password))).await;
    assert_ne!(password_id, base_id, "a changed password");
    pg.client().await.expect("the new password logs in");
    pg.remove().await.unwrap();

    // A tag of ours on the same image: the same id, the same snapshot.
    let (pg, same_id) = start(base(&moved.tag, &base_dir)).await;
    assert_eq!(same_id, base_id, "the key is the image's id, not its name");
    pg.remove().await.unwrap();
    // The tag moved to another image: a new id, so a new snapshot.
    moved.move_to_other_image().await;
    let (pg, moved_id) = start(base(&moved.tag, &base_dir)).await;
    assert_ne!(moved_id, base_id, "a moved tag is a new key");
    assert_eq!(count_users(&pg).await, 1);
    pg.remove().await.unwrap();

    let mut all = vec![base_id, migrated_id, password_id, moved_id];
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4);
    for volume in &all {
        assert!(volume_exists(volume).await, "{volume}");
    }
    drop(snapshots);
    drop(moved);
}

/// A tag of our own on `postgres:15`, moved on request to an image with the same content
/// and another id; removed at the end.
struct MovedTag {
    tag: String,
}

impl MovedTag {
    async fn new() -> Self {
        use bollard::query_parameters::TagImageOptions;
        let repo = "throwaway-test/moved-postgres".to_string();
        let name = format!("moved-{}", std::process::id());
        let options = TagImageOptions {
            repo: Some(repo.clone()),
            tag: Some(name.clone()),
        };
        raw().tag_image(IMAGE, Some(options)).await.unwrap();
        MovedTag {
            tag: format!("{repo}:{name}"),
        }
    }

    /// Commits an unstarted container of `postgres:15` with one more label under the tag.
    async fn move_to_other_image(&self) {
        use bollard::models::{ContainerConfig, ContainerCreateBody};
        use bollard::query_parameters::{CommitContainerOptions, RemoveContainerOptions};
        let docker = raw();
        let body = ContainerCreateBody {
            image: Some(IMAGE.to_string()),
            ..Default::default()
        };
        let created = docker
            .create_container(
                None::<bollard::query_parameters::CreateContainerOptions>,
                body,
            )
            .await
            .unwrap();
        let (repo, tag) = self.tag.split_once(':').unwrap();
        let options = CommitContainerOptions {
            container: Some(created.id.clone()),
            repo: Some(repo.to_string()),
            tag: Some(tag.to_string()),
            ..Default::default()
        };
        let config = ContainerConfig {
            labels: Some(HashMap::from([(
                "org.throwaway.test.moved".to_string(),
                "true".to_string(),
            )])),
            ..Default::default()
        };
        docker.commit_container(options, config).await.unwrap();
        // `v`: the image declares a volume, which the created container got anonymously.
        let options = RemoveContainerOptions {
            v: true,
            ..Default::default()
        };
        let _ = docker.remove_container(&created.id, Some(options)).await;
    }
}

impl Drop for MovedTag {
    fn drop(&mut self) {
        let tag = self.tag.clone();
        std::thread::spawn(move || {
            crate::support::block(async {
                let _ = raw()
                    .remove_image(&tag, None::<RemoveImageOptions>, None)
                    .await;
            })
        })
        .join()
        .unwrap();
    }
}

#[test]
fn processes_racing_for_one_key_all_start_and_leave_one_snapshot() {
    require_engine!();
    let snapshots = Snapshots::new("race");
    let env = [("SNAPSHOT_TEST_PASSWORD", snapshots.password.as_str())];
    let mut children: Vec<_> = (0..3)
        .map(|_| spawn_child("snapshots::child_starts_from_a_snapshot", &env))
        .collect();
    let volumes: Vec<String> = children
        .iter_mut()
        .map(|child| child.line_with("snapshot: "))
        .collect();
    for volume in &volumes {
        snapshots.record(volume);
    }
    for child in &mut children {
        assert!(child.wait().success(), "a child failed: {volumes:?}");
    }
    assert!(volumes.iter().all(|v| v == &volumes[0]), "{volumes:?}");
    assert!(crate::support::block(volume_exists(&volumes[0])));
}

#[tokio::test]
#[ignore = "run in child processes by processes_racing_for_one_key_all_start_and_leave_one_snapshot"]
async fn child_starts_from_a_snapshot() {
    assert_child();
    let password = std::env::var("SNAPSHOT_TEST_PASSWORD").unwrap();
    let pg = Postgres::new(IMAGE)
        .password(password)
        .init_sql("t.sql", "CREATE TABLE t (x int);")
        .start()
        .await
        .unwrap();
    println!("snapshot: {}", pg.snapshot().unwrap_or("none"));
    pg.client()
        .await
        .unwrap()
        .batch_execute("INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    pg.remove().await.unwrap();
}

#[tokio::test]
async fn a_snapshot_removed_by_hand_is_made_again() {
    require_engine!();
    let snapshots = Snapshots::new("removed");
    let dir = migrations(USERS);
    let pg = || {
        Postgres::new(IMAGE)
            .password(&snapshots.password)
            .migrations(Migrations::dir(dir.path()))
    };
    let first = pg().start().await.unwrap();
    let volume = snapshots.of(&first);
    first.remove().await.unwrap();
    raw()
        .remove_volume(&volume, None::<RemoveVolumeOptions>)
        .await
        .unwrap();
    let second = pg().start().await.unwrap();
    assert_eq!(count_users(&second).await, 1);
    assert_eq!(snapshots.of(&second), volume, "made again, under its key");
    assert_eq!(ready_lines(&second).await, 1);
    second.remove().await.unwrap();
}

#[tokio::test]
async fn snapshots_can_be_turned_off() {
    require_engine!();
    let snapshots = Snapshots::new("off");
    let pg = Postgres::new(IMAGE)
        .password(&snapshots.password)
        .snapshots(false)
        .start()
        .await
        .unwrap();
    assert_eq!(pg.snapshot(), None);
    assert_eq!(ready_lines(&pg).await, 2, "initialised from scratch");
    pg.remove().await.unwrap();
    // A migration step without a key of the caller's gets none either.
    let step = Postgres::new(IMAGE)
        .password(&snapshots.password)
        .migrations(Migrations::run(|_url: String| async {
            Ok::<(), std::io::Error>(())
        }))
        .start()
        .await
        .unwrap();
    assert_eq!(step.snapshot(), None);
    step.remove().await.unwrap();
}

static SHARED: Shared<Postgres> = Shared::new(|| {
    let password = std::env::var("SNAPSHOT_TEST_PASSWORD").unwrap_or_default();
    Postgres::new(IMAGE)
        .password(password)
        .snapshot_key("notes v1")
        .migrations(Migrations::run(|url: String| async move {
            use throwaway::postgres::tokio_postgres;
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            client
                .batch_execute("CREATE TABLE notes (body text NOT NULL)")
                .await
        }))
});

#[test]
fn shared_fresh_databases_and_restarts_work_from_a_snapshot() {
    require_engine!();
    // In a process of its own, whose exit removes the shared container: then its snapshot
    // can go too.
    let snapshots = Snapshots::new("shared");
    let output = crate::support::run_child(
        "snapshots::child_shares_a_container_from_a_snapshot",
        &[("SNAPSHOT_TEST_PASSWORD", snapshots.password.as_str())],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let volume = stdout
        .lines()
        .find_map(|line| line.split("snapshot: ").nth(1))
        .unwrap_or_else(|| panic!("no snapshot in {stdout}"));
    snapshots.record(volume);
    assert!(crate::support::block(volume_exists(volume)));
}

#[tokio::test]
#[ignore = "run in a child process by shared_fresh_databases_and_restarts_work_from_a_snapshot"]
async fn child_shares_a_container_from_a_snapshot() {
    assert_child();
    let pg = SHARED.get().await.unwrap();
    println!(
        "snapshot: {}",
        pg.snapshot().expect("a keyed step gets a snapshot")
    );
    let db = pg.fresh_database().await.unwrap();
    let client = db.client().await.unwrap();
    client
        .execute("INSERT INTO notes VALUES ('kept apart')", &[])
        .await
        .unwrap();
    let other = pg.fresh_database().await.unwrap();
    let count = |client: throwaway::postgres::tokio_postgres::Client| async move {
        let n: i64 = client
            .query_one("SELECT count(*) FROM notes", &[])
            .await
            .unwrap()
            .get(0);
        n
    };
    assert_eq!(
        count(other.client().await.unwrap()).await,
        0,
        "each fresh database starts from the template in the snapshot"
    );
    drop((client, db, other));
    // After a restart the data is still there: nothing to redo, and clones still work.
    pg.container().stop().await.unwrap();
    pg.container().start().await.unwrap();
    let db = pg.fresh_database().await.unwrap();
    assert_eq!(count(db.client().await.unwrap()).await, 0);
}

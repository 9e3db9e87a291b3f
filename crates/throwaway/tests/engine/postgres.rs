//! The PostgreSQL module: readiness, credentials, init scripts, data directories,
//! migrations, fresh databases, sharing, and keeping the password out of sight.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use throwaway::kit::IsolationUnit;
use throwaway::postgres::tokio_postgres::{self, error::SqlState, Client, NoTls};
use throwaway::postgres::{Migrations, Postgres, PostgresContainer};
use throwaway::{ErrorKind, Shared};

use crate::require_engine;
use crate::support::{assert_child, container_exists, raw, run_child, spawn_child, volume_exists};

const IMAGE: &str = "postgres:15";
const READY_LINE: &str = "database system is ready to accept connections";

/// Connects our own driver to `url`, as a user of the module would.
async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to the URL: {e:?}"));
    tokio::spawn(connection);
    client
}

async fn one_i64(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

async fn one_text(client: &Client, sql: &str) -> String {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

/// How often the container has logged that it is ready.
async fn ready_lines(pg: &PostgresContainer) -> usize {
    let logs = pg.container().logs().await.unwrap();
    let all = format!("{}{}", logs.stdout_text(), logs.stderr_text());
    all.matches(READY_LINE).count()
}

/// A named volume, removed when the test ends, passed or not.
struct VolumeGuard(String);

impl VolumeGuard {
    fn new() -> Self {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        VolumeGuard(format!(
            "throwaway-test-pg-{}-{n}-{nanos}",
            std::process::id()
        ))
    }
}

impl Drop for VolumeGuard {
    fn drop(&mut self) {
        let name = self.0.clone();
        // A thread of its own: the test's runtime may be shutting down or single-threaded.
        std::thread::spawn(move || {
            crate::support::block(async {
                let _ = raw()
                    .remove_volume(
                        &name,
                        None::<bollard::query_parameters::RemoveVolumeOptions>,
                    )
                    .await;
            })
        })
        .join()
        .unwrap();
    }
}

#[tokio::test]
async fn starts_ready_and_queryable_on_loopback() {
    require_engine!();
    let pg = Postgres::default().start().await.unwrap();
    assert_eq!(pg.host(), "127.0.0.1");
    assert_eq!(
        pg.host_port(),
        pg.container().host_port(5432).unwrap(),
        "host_port is the published 5432"
    );
    assert_eq!(
        pg.connection_url(),
        format!(
            "postgres://postgres:postgres@127.0.0.1:{}/postgres",
            pg.host_port()
        )
    );
    let client = pg.client().await.unwrap();
    assert_eq!(one_i64(&client, "SELECT 40 + 2::bigint").await, 42);
    assert!(one_text(&client, "SELECT version()")
        .await
        .starts_with("PostgreSQL 15"));
    // Whether it started from a snapshot is the snapshot tests' business (see
    // tests/engine/snapshots.rs): in a whole-suite run the snapshot is not always used yet.
    assert!(ready_lines(&pg).await >= 1);
}

#[tokio::test]
async fn user_password_and_database_are_honoured() {
    require_engine!();
    let pg = Postgres::new(IMAGE)
        .user("app")
        .password("app-secret")
        .database("users")
        .start()
        .await
        .unwrap();
    assert_eq!((pg.user(), pg.database()), ("app", "users"));
    let url = pg.connection_url();
    assert!(
        url.starts_with("postgres://app:app-secret@127.0.0.1:"),
        "{url}"
    );
    let client = connect(&url).await;
    let row = client
        .query_one("SELECT current_user::text, current_database()::text", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "app");
    assert_eq!(row.get::<_, String>(1), "users");
    let superuser = one_text(&client, "SHOW is_superuser").await;
    assert_eq!(superuser, "on");
}

#[tokio::test]
async fn urls_with_awkward_characters_round_trip() {
    require_engine!();
    let password = "p@ss:w/rd%?#&= é";
    let pg = Postgres::new(IMAGE)
        .user("we:ird@user")
        .password(password)
        .database("my db/1")
        .start()
        .await
        .unwrap();
    let url = pg.connection_url();
    assert!(!url.contains(password), "the password is escaped: {url}");
    let client = connect(&url).await;
    let row = client
        .query_one("SELECT current_user::text, current_database()::text", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "we:ird@user");
    assert_eq!(row.get::<_, String>(1), "my db/1");
    // Fresh databases work with the same escaping.
    let db = pg.fresh_database().await.unwrap();
    let client = connect(db.url()).await;
    assert_eq!(
        one_text(&client, "SELECT current_database()::text").await,
        db.name()
    );
}

#[tokio::test]
async fn a_wrong_password_gets_the_drivers_auth_error_quickly() {
    require_engine!();
    let pg = Postgres::new(IMAGE)
        .password("right")
        .start()
        .await
        .unwrap();
    let url = format!(
        "postgres://postgres:wrong@{}:{}/postgres",
        pg.host(),
        pg.host_port()
    );
    let attempt = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_postgres::connect(&url, NoTls),
    )
    .await
    .expect("a wrong password must fail, not hang");
    let err = attempt.err().expect("logging in with a wrong password");
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD), "{err:?}");
}

#[tokio::test]
async fn init_scripts_inline_and_from_files_run_in_the_order_added() {
    require_engine!();
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.sql");
    // Fails unless the first script ran before it.
    std::fs::write(&seed, "INSERT INTO steps (n) VALUES (2);\n").unwrap();
    let pg = Postgres::new(IMAGE)
        .database("users")
        .init_sql(
            "001_schema.sql",
            "CREATE TABLE steps (id serial PRIMARY KEY, n int NOT NULL);\n\
             INSERT INTO steps (n) VALUES (1);",
        )
        .init_script(&seed)
        .init_sql(
            "zzz_first_by_name_but_added_last",
            "INSERT INTO steps (n) VALUES (3);",
        )
        .start()
        .await
        .unwrap();
    let client = pg.client().await.unwrap();
    let steps: Vec<i32> = client
        .query("SELECT n FROM steps ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(steps, [1, 2, 3]);
    // Init scripts run against the main database.
    assert_eq!(
        one_text(&client, "SELECT current_database()::text").await,
        "users"
    );
}

#[tokio::test]
async fn a_failing_init_script_fails_start_with_its_name_and_postgres_message() {
    require_engine!();
    let label = format!("pg-bad-init-{}", std::process::id());
    let began = Instant::now();
    let err = Postgres::new(IMAGE)
        .password("init-secret-9")
        .init_sql("001_ok.sql", "CREATE TABLE ok (id int);")
        .init_sql("002_bad.sql", "SELECT * FROM nope;")
        .with_request({
            let label = label.clone();
            move |request| request.label("throwaway.test", &label)
        })
        .start()
        .await
        .unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(30),
        "took {:?}",
        began.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(
            "init script '002_bad.sql' failed: psql:/docker-entrypoint-initdb.d/002-002_bad.sql:1: ERROR:"
        ),
        "{message}"
    );
    assert!(
        message.contains(r#"relation "nope" does not exist"#),
        "{message}"
    );
    assert!(message.contains("last log lines"), "{message}");
    assert!(!message.contains("init-secret-9"), "{message}");
    assert!(!format!("{err:?}").contains("init-secret-9"), "{err:?}");
    // The failed container was removed.
    let filters = std::collections::HashMap::from([(
        "label".to_string(),
        vec![format!("throwaway.test={label}")],
    )]);
    let options = bollard::query_parameters::ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    assert!(crate::support::list_containers(options).await.is_empty());
}

#[tokio::test]
async fn a_named_volume_initialised_earlier_starts_ready_with_its_data() {
    require_engine!();
    let volume = VolumeGuard::new();
    let first = Postgres::new(IMAGE)
        .password("pw")
        .database("users")
        .init_sql("schema.sql", "CREATE TABLE kept (v text);")
        .data_volume(&volume.0)
        .start()
        .await
        .unwrap();
    assert_eq!(ready_lines(&first).await, 2, "fresh data directory");
    first
        .client()
        .await
        .unwrap()
        .execute("INSERT INTO kept VALUES ('survived')", &[])
        .await
        .unwrap();
    first.remove().await.unwrap();
    assert!(
        volume_exists(&volume.0).await,
        "a named volume outlives the container"
    );

    // Same volume: the image skips initialisation and logs the line once.
    let second = Postgres::new(IMAGE)
        .password("pw")
        .database("users")
        .init_sql("schema.sql", "CREATE TABLE kept (v text);")
        .data_volume(&volume.0)
        .start()
        .await
        .unwrap();
    assert_eq!(ready_lines(&second).await, 1, "initialised data directory");
    let client = second.client().await.unwrap();
    assert_eq!(one_text(&client, "SELECT v FROM kept").await, "survived");
    // Fresh databases copy the main database as this container found it.
    let db = second.fresh_database().await.unwrap();
    let copy = db.client().await.unwrap();
    assert_eq!(one_text(&copy, "SELECT v FROM kept").await, "survived");
    drop((copy, db, client));
    second.remove().await.unwrap();
}

#[tokio::test]
async fn a_reused_volume_with_other_credentials_says_why_the_login_fails() {
    require_engine!();
    let volume = VolumeGuard::new();
    let first = Postgres::new(IMAGE)
        .password("first-pw")
        .data_volume(&volume.0)
        .start()
        .await
        .unwrap();
    first.remove().await.unwrap();
    let err = Postgres::new(IMAGE)
        .password("second-pw")
        .data_volume(&volume.0)
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("password authentication failed"),
        "{message}"
    );
    assert!(message.contains(&volume.0), "{message}");
    assert!(
        !message.contains("first-pw") && !message.contains("second-pw"),
        "{message}"
    );
}

#[tokio::test]
async fn fast_by_default_data_in_memory_and_durable_on_a_volume() {
    require_engine!();
    let (fast, durable) = tokio::join!(
        Postgres::default().start(),
        Postgres::default().durable(true).start()
    );
    let (fast, durable) = (fast.unwrap(), durable.unwrap());

    let on_tmpfs = |mounts: &str| {
        mounts
            .lines()
            .any(|l| l.starts_with("tmpfs /var/lib/postgresql/data "))
    };
    let (fast_mounts, durable_mounts) = (mounts(&fast).await, mounts(&durable).await);
    assert!(on_tmpfs(&fast_mounts), "{fast_mounts}");
    assert!(!on_tmpfs(&durable_mounts), "{durable_mounts}");

    assert_eq!(settings(&fast).await, ["off", "off", "off"]);
    assert_eq!(settings(&durable).await, ["on", "on", "on"]);

    // Durable data lives on the image's anonymous volume, which goes with the container.
    let inspected = raw()
        .inspect_container(durable.container().id(), None)
        .await
        .unwrap();
    let volume = inspected
        .mounts
        .unwrap_or_default()
        .into_iter()
        .find(|m| m.destination.as_deref() == Some("/var/lib/postgresql/data"))
        .and_then(|m| m.name)
        .expect("an anonymous volume at the data directory");
    durable.remove().await.unwrap();
    assert!(!volume_exists(&volume).await, "volume {volume} left behind");
}

async fn mounts(pg: &PostgresContainer) -> String {
    let cat = pg.container().exec(["cat", "/proc/mounts"]).await.unwrap();
    cat.stdout_text()
}

async fn settings(pg: &PostgresContainer) -> Vec<String> {
    let client = pg.client().await.unwrap();
    let mut values = Vec::new();
    for name in ["fsync", "synchronous_commit", "full_page_writes"] {
        values.push(one_text(&client, &format!("SHOW {name}")).await);
    }
    values
}

/// A folder of migrations: a table, a column added, a row.
fn migrations_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, sql: &str| std::fs::write(dir.path().join(name), sql).unwrap();
    write(
        "001_users.sql",
        "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL);",
    );
    write("002_email.sql", "ALTER TABLE users ADD COLUMN email text;");
    write(
        "003_admin.sql",
        "INSERT INTO users (name, email) VALUES ('admin', 'admin@example.com');",
    );
    write("README.md", "not a migration");
    dir
}

#[tokio::test]
async fn migrations_from_a_folder_reach_the_main_and_fresh_databases() {
    require_engine!();
    let dir = migrations_dir();
    let pg = Postgres::new(IMAGE)
        .database("users")
        .migrations(Migrations::dir(dir.path()))
        .start()
        .await
        .unwrap();
    let main = pg.client().await.unwrap();
    assert_eq!(
        one_text(&main, "SELECT email FROM users WHERE name = 'admin'").await,
        "admin@example.com"
    );
    let applied: Vec<String> = main
        .query("SELECT name FROM _throwaway_migrations ORDER BY name", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(applied, ["001_users.sql", "002_email.sql", "003_admin.sql"]);

    let db = pg.fresh_database().await.unwrap();
    let fresh = db.client().await.unwrap();
    assert_eq!(one_i64(&fresh, "SELECT count(*) FROM users").await, 1);
    fresh
        .execute("INSERT INTO users (name) VALUES ('only here')", &[])
        .await
        .unwrap();
    assert_eq!(one_i64(&main, "SELECT count(*) FROM users").await, 1);
}

#[tokio::test]
async fn a_failing_migration_fails_start_with_the_file_and_postgres_message() {
    require_engine!();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("001_ok.sql"), "CREATE TABLE ok (id int);").unwrap();
    std::fs::write(
        dir.path().join("002_bad.sql"),
        "CREATE TABLE fine (id int);\nINSERT INTO nope VALUES (1);\n",
    )
    .unwrap();
    let err = Postgres::new(IMAGE)
        .password("migr-secret-7")
        .migrations(Migrations::dir(dir.path()))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("migration 002_bad.sql failed (line 2)"),
        "{message}"
    );
    assert!(
        message.contains(r#"relation "nope" does not exist"#),
        "{message}"
    );
    assert!(!format!("{err:?}").contains("migr-secret-7"), "{err:?}");

    let err = Postgres::new(IMAGE)
        .migrations(Migrations::dir(dir.path().join("missing")))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.to_string().contains("missing"), "{err}");
}

#[tokio::test]
async fn migrations_from_a_closure_get_the_main_url_once() {
    require_engine!();
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let pg = Postgres::new(IMAGE)
        .database("app")
        .migrations(Migrations::run(|url: String| async move {
            SEEN.lock().unwrap().push(url.clone());
            let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
            // Left running on purpose: the module ends leftover sessions itself.
            tokio::spawn(connection);
            client
                .batch_execute("CREATE TABLE items (id serial PRIMARY KEY, label text)")
                .await?;
            std::mem::forget(client);
            Ok::<(), tokio_postgres::Error>(())
        }))
        .start()
        .await
        .unwrap();
    assert_eq!(*SEEN.lock().unwrap(), [pg.connection_url()]);
    let db = pg.fresh_database().await.unwrap();
    let client = db.client().await.unwrap();
    assert_eq!(one_i64(&client, "SELECT count(*) FROM items").await, 0);
}

#[tokio::test]
async fn a_failing_closure_fails_start_without_showing_the_password() {
    require_engine!();
    let err = Postgres::new(IMAGE)
        .password("closure-secret-3")
        .migrations(Migrations::run(|url: String| async move {
            Err(format!("could not migrate {url}"))
        }))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    let message = format!("{err} {err:?}");
    assert!(
        message.contains("could not migrate postgres://postgres:***@"),
        "{message}"
    );
    assert!(!message.contains("closure-secret-3"), "{message}");
}

#[tokio::test]
async fn twenty_concurrent_fresh_databases_are_distinct_migrated_and_isolated() {
    require_engine!();
    let dir = migrations_dir();
    let pg = std::sync::Arc::new(
        Postgres::new(IMAGE)
            .migrations(Migrations::dir(dir.path()))
            .start()
            .await
            .unwrap(),
    );
    let began = Instant::now();
    let tasks = (0..20).map(|i| {
        let pg = pg.clone();
        tokio::spawn(async move {
            let db = pg.fresh_database().await.unwrap();
            let client = db.client().await.unwrap();
            client
                .execute(
                    "INSERT INTO users (name) VALUES ($1)",
                    &[&format!("user {i}")],
                )
                .await
                .unwrap();
            let names: Vec<String> = client
                .query("SELECT name FROM users ORDER BY id", &[])
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            assert_eq!(names, ["admin".to_string(), format!("user {i}")]);
            db
        })
    });
    let dbs: Vec<_> = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    println!("20 fresh databases, used, in {:?}", began.elapsed());
    let names: HashSet<&str> = dbs.iter().map(|db| db.name()).collect();
    assert_eq!(names.len(), 20, "{names:?}");
    // The template itself is untouched.
    let main = pg.client().await.unwrap();
    assert_eq!(one_i64(&main, "SELECT count(*) FROM users").await, 1);
}

#[tokio::test]
async fn a_dropped_test_database_is_dropped_and_a_kept_one_stays() {
    require_engine!();
    let pg = Postgres::default().start().await.unwrap();
    let admin = pg.client().await.unwrap();
    let exists = |name: String| {
        let admin = &admin;
        async move {
            admin
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await
                .unwrap()
                .is_some()
        }
    };
    let dropped = pg.fresh_database().await.unwrap();
    let kept = pg.fresh_database().await.unwrap().keep();
    let (dropped_name, kept_name) = (dropped.name().to_string(), kept.name().to_string());
    // Even with a session still open on it.
    let session = dropped.client().await.unwrap();
    assert!(exists(dropped_name.clone()).await);
    drop(dropped);
    drop(kept);
    let deadline = Instant::now() + Duration::from_secs(10);
    while exists(dropped_name.clone()).await {
        assert!(Instant::now() < deadline, "{dropped_name} was not dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(exists(kept_name).await);
    drop(session);
}

#[tokio::test]
async fn a_database_the_test_kept_itself_is_left_by_its_aftercare_under_its_own_name() {
    require_engine!();
    let pg = Postgres::default().start().await.unwrap();
    let admin = pg.client().await.unwrap();
    let names = || async {
        admin
            .query("SELECT datname FROM pg_database", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<_, String>(0))
            .collect::<HashSet<_>>()
    };

    // The test passed, but kept its database: #[throwaway::test]'s removal leaves it.
    let mut passed = pg.fresh_database().await.unwrap();
    let aftercare = passed
        .take_aftercare()
        .expect("a fresh database is handed over");
    let passed = passed.keep();
    aftercare.remove();
    // A drop is spawned at once and takes milliseconds; give a wrong one time to happen.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        names().await.contains(passed.name()),
        "a kept database was dropped"
    );

    // The test failed, and had kept its database: left under its own name, and said so.
    let mut failed = pg.fresh_database().await.unwrap();
    let aftercare = failed.take_aftercare().unwrap();
    let failed = failed.keep();
    let kept = aftercare.keep("kept_its_own_100").await.unwrap();
    assert!(kept.is_by_the_test(), "{kept:?}");
    assert!(
        kept.masked_url().ends_with(&format!("/{}", failed.name())),
        "{kept:?}"
    );
    assert!(
        kept.remove_with()
            .contains(&format!("DROP DATABASE \"{}\"", failed.name())),
        "{kept:?}"
    );
    let now = names().await;
    assert!(now.contains(failed.name()) && !now.contains("kept_its_own_100"));

    // Not kept by the test: renamed after it.
    let mut plain = pg.fresh_database().await.unwrap();
    let aftercare = plain.take_aftercare().unwrap();
    let kept = aftercare.keep("kept_not_its_own_100").await.unwrap();
    assert!(!kept.is_by_the_test(), "{kept:?}");
    let now = names().await;
    assert!(now.contains("kept_not_its_own_100") && !now.contains(plain.name()));
    drop(plain);
}

static SHARED: Shared<Postgres> = Shared::new(|| {
    Postgres::new(IMAGE).migrations(Migrations::run(|url: String| async move {
        let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
        tokio::spawn(connection);
        client
            .batch_execute("CREATE TABLE notes (body text NOT NULL)")
            .await
    }))
});

static SHARED_IDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn use_the_shared_container() {
    let pg = SHARED.get().await.unwrap();
    SHARED_IDS
        .lock()
        .unwrap()
        .push(pg.container().id().to_string());
    let db = pg.fresh_database().await.unwrap();
    let client = db.client().await.unwrap();
    client
        .execute("INSERT INTO notes VALUES ('mine')", &[])
        .await
        .unwrap();
    assert_eq!(one_i64(&client, "SELECT count(*) FROM notes").await, 1);
}

#[tokio::test]
async fn a_shared_postgres_serves_one_test() {
    require_engine!();
    use_the_shared_container().await;
}

#[tokio::test]
async fn a_shared_postgres_serves_another_test() {
    require_engine!();
    use_the_shared_container().await;
    // Whichever test ran first, each started its own runtime and both got one container.
    let ids: HashSet<String> = SHARED_IDS.lock().unwrap().iter().cloned().collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
}

#[tokio::test]
async fn fresh_database_after_the_container_is_gone_says_so() {
    require_engine!();
    let pg = Postgres::default()
        .password("gone-secret-1")
        .start()
        .await
        .unwrap();
    let id = pg.container().id().to_string();
    let options = bollard::query_parameters::RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    raw().remove_container(&id, Some(options)).await.unwrap();
    assert!(!container_exists(&id).await);

    let began = Instant::now();
    let err = pg.fresh_database().await.unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(15),
        "took {:?}",
        began.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    let message = err.to_string();
    assert!(message.contains("is not reachable"), "{message}");
    assert!(message.contains("the container was removed"), "{message}");
    assert!(message.contains(&id[..12]), "{message}");
    assert!(!format!("{err:?}").contains("gone-secret-1"), "{err:?}");
    let err = pg.client().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
}

#[tokio::test]
async fn debug_output_never_shows_the_password() {
    require_engine!();
    let secret = "dbg-secret-42";
    static REQUEST: Mutex<String> = Mutex::new(String::new());
    let postgres = Postgres::new(IMAGE)
        .password(secret)
        .with_request(|request| {
            *REQUEST.lock().unwrap() = format!("{request:?}");
            request
        });
    let shown = format!("{postgres:?}");
    assert!(!shown.contains(secret) && shown.contains("***"), "{shown}");

    let pg = postgres.start().await.unwrap();
    let request = REQUEST.lock().unwrap().clone();
    assert!(request.contains("POSTGRES_PASSWORD"), "{request}");
    assert!(!request.contains(secret), "{request}");

    let db = pg.fresh_database().await.unwrap();
    for shown in [format!("{pg:?}"), format!("{db:?}")] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains(":***@"), "{shown}");
    }
    assert!(pg.connection_url().contains(secret));
    assert!(db.url().contains(secret));
}

/// The container that processes of one session share: under nextest, every test process.
static ACROSS: Shared<Postgres> = Shared::new(|| {
    Postgres::new(IMAGE)
        .database("across")
        .migrations(Migrations::run(|url: String| async move {
            println!("migrated by process {}", std::process::id());
            let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
            tokio::spawn(connection);
            // Slow enough that the other processes arrive while it runs.
            client
                .batch_execute("CREATE TABLE visits (who int); SELECT pg_sleep(0.5);")
                .await
        }))
});

#[test]
fn processes_sharing_a_container_migrate_once_and_clone_side_by_side() {
    require_engine!();
    let session = format!("pg-across-{}-{}", std::process::id(), unique_suffix());
    let children: Vec<_> = (0..3)
        .map(|_| {
            spawn_child(
                "postgres::child_uses_the_shared_postgres",
                &[("THROWAWAY_SESSION", session.as_str())],
            )
        })
        .collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            if stdout.contains("1 passed") {
                stdout
            } else {
                format!(
                    "{stdout}\n--- stderr\n{}",
                    String::from_utf8_lossy(&output.stderr)
                )
            }
        })
        .collect();
    let all = outputs.join("\n");
    let field = |name: &str| -> Vec<String> {
        all.lines()
            .filter_map(|l| l.split(name).nth(1))
            .map(|v| v.trim().to_string())
            .collect()
    };
    let containers: HashSet<String> = field("container: ").into_iter().collect();
    let databases: HashSet<String> = field("database: ").into_iter().collect();
    // Remove it now rather than wait for the session's reaper.
    for id in &containers {
        crate::support::block(async {
            let options = bollard::query_parameters::RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
            let _ = raw().remove_container(id, Some(options)).await;
        });
    }
    for output in &outputs {
        assert!(output.contains("1 passed"), "a child failed:\n{output}");
    }
    assert_eq!(containers.len(), 1, "{all}");
    assert_eq!(databases.len(), 3, "{all}");
    assert_eq!(all.matches("migrated by process").count(), 1, "{all}");
}

#[tokio::test]
#[ignore = "run in child processes by processes_sharing_a_container_migrate_once_and_clone_side_by_side"]
async fn child_uses_the_shared_postgres() {
    assert_child();
    let pg = ACROSS.get().await.unwrap();
    let db = pg.fresh_database().await.unwrap();
    let client = db.client().await.unwrap();
    client
        .execute(
            "INSERT INTO visits VALUES ($1)",
            &[&(std::process::id() as i32)],
        )
        .await
        .unwrap();
    assert_eq!(one_i64(&client, "SELECT count(*) FROM visits").await, 1);
    println!("container: {}", pg.container().id());
    println!("database: {}", db.name());
}

fn unique_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

#[test]
fn tracing_output_never_shows_the_password() {
    require_engine!();
    // In a process of its own: the subscriber that captures everything is process-wide.
    run_child("postgres::child_logs_nothing_secret", &[]);
}

#[tokio::test]
#[ignore = "run in a child process by tracing_output_never_shows_the_password"]
async fn child_logs_nothing_secret() {
    assert_child();
    let secret = "trace-secret-5";
    tracing::subscriber::set_global_default(Capture).unwrap();

    let dir = migrations_dir();
    let pg = Postgres::new(IMAGE)
        .password(secret)
        .init_sql("001_schema.sql", "CREATE TABLE t (id int);")
        .migrations(Migrations::dir(dir.path()))
        .start()
        .await
        .unwrap();
    let db = pg.fresh_database().await.unwrap();
    db.client().await.unwrap();
    drop(db);
    let failed = Postgres::new(IMAGE)
        .password(secret)
        .init_sql("bad.sql", "SELECT * FROM nope;")
        .start()
        .await;
    assert!(failed.is_err());
    drop(pg);
    // The dropped database goes in the background: give it the moment it takes.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let captured = CAPTURED.lock().unwrap().clone();
    println!("captured {} bytes of tracing output", captured.len());
    assert!(captured.contains("PostgreSQL ready"), "{captured}");
    assert!(!captured.contains(secret), "{captured}");
}

/// Everything the library traced, as text.
static CAPTURED: Mutex<String> = Mutex::new(String::new());

/// A subscriber that writes every span field and event into [`CAPTURED`].
struct Capture;

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        span.record(&mut Fields(&mut CAPTURED.lock().unwrap()));
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut CAPTURED.lock().unwrap()));
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut captured = CAPTURED.lock().unwrap();
        event.record(&mut Fields(&mut captured));
        captured.push('\n');
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn a_restarted_server_follows_its_new_port_and_still_hands_out_migrated_databases() {
    require_engine!();
    let pg = Postgres::new(IMAGE)
        .migrations(Migrations::run(|url: String| async move {
            let client = connect(&url).await;
            client
                .batch_execute("CREATE TABLE notes (id serial PRIMARY KEY, body text)")
                .await
        }))
        .start()
        .await
        .unwrap();
    let before = pg.fresh_database().await.unwrap();
    drop(before);
    pg.container().stop().await.unwrap();
    pg.container().start().await.unwrap();
    // The data directory lived in memory: the restart began from nothing, and the module
    // migrated and made its template again before start() returned. The port the engine
    // published for the new run, asked of the engine directly:
    let inspected = raw()
        .inspect_container(pg.container().id(), None)
        .await
        .unwrap();
    let port: u16 = inspected.network_settings.unwrap().ports.unwrap()["5432/tcp"]
        .as_ref()
        .unwrap()
        .iter()
        .find_map(|binding| binding.host_port.as_deref()?.parse().ok())
        .unwrap();
    assert_eq!(pg.host_port(), port);
    assert!(
        pg.connection_url().contains(&format!(":{port}/")),
        "{}",
        pg.connection_url()
    );
    let main = connect(&pg.connection_url()).await;
    assert_eq!(one_i64(&main, "SELECT count(*) FROM notes").await, 0);
    let after = pg.fresh_database().await.unwrap();
    assert!(
        after.url().contains(&format!(":{port}/")),
        "{}",
        after.url()
    );
    let client = after.client().await.unwrap();
    client
        .execute("INSERT INTO notes (body) VALUES ('after the restart')", &[])
        .await
        .unwrap();
    assert_eq!(one_i64(&client, "SELECT count(*) FROM notes").await, 1);
}

/// A host port that nothing holds right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_port_settings_a_fixed_host_port_and_a_key_file_reach_the_server() {
    require_engine!();
    let host_port = free_port();
    let pg = Postgres::default()
        .port(5433)
        .setting("work_mem", "12MB")
        .setting("application_name", "fix16")
        .with_request(move |request| {
            request.exposed_port_at(5433, host_port).copy_bytes_with(
                "not really a key",
                "/etc/throwaway/server.key",
                throwaway::FileMode::new(0o600).owner_name("postgres"),
            )
        })
        .start()
        .await
        .unwrap();
    assert_eq!(pg.host_port(), host_port);
    assert!(
        pg.connection_url().contains(&format!(":{host_port}/")),
        "{}",
        pg.connection_url()
    );
    let client = pg.client().await.unwrap();
    assert_eq!(one_text(&client, "SHOW port").await, "5433");
    assert_eq!(one_text(&client, "SHOW work_mem").await, "12MB");
    // The module's own settings are still there, before the caller's.
    assert_eq!(one_text(&client, "SHOW fsync").await, "off");
    let db = pg.fresh_database().await.unwrap();
    assert_eq!(
        one_i64(&db.client().await.unwrap(), "SELECT 1::bigint").await,
        1
    );

    let ids = pg
        .container()
        .exec(["sh", "-c", "echo \"$(id -u postgres) $(id -g postgres)\""])
        .await
        .unwrap()
        .stdout_text();
    let stat = pg
        .container()
        .exec(["stat", "-c", "%a %u %g", "/etc/throwaway/server.key"])
        .await
        .unwrap()
        .stdout_text();
    assert_eq!(stat.trim(), format!("600 {}", ids.trim()));
}

#[tokio::test]
async fn a_server_moved_to_another_port_says_the_port_when_it_times_out() {
    require_engine!();
    let err = Postgres::default()
        .init_sql(
            "move.sh",
            "echo \"port = 5433\" >> \"$PGDATA/postgresql.conf\"\n",
        )
        .startup_timeout(Duration::from_secs(12))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{err:?}");
    let message = err.to_string();
    assert!(message.contains("container port 5432"), "{message}");
    assert!(message.contains("Postgres::port"), "{message}");
}

//! The MySQL and MariaDB module, against both official images (`mysql:8`, `mariadb:11`):
//! readiness, credentials and URLs, init scripts, failures, fresh databases, restarts,
//! and keeping passwords out of sight. Each case runs once per image.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use throwaway::kit::IsolationUnit;
use throwaway::mysql::mysql_async::prelude::Queryable;
use throwaway::mysql::mysql_async::{self, Conn, Opts};
use throwaway::mysql::{Flavour, Migrations, Mysql};
use throwaway::ErrorKind;

const MYSQL: &str = "mysql:8";
const MARIADB: &str = "mariadb:11";

/// The benchmark's 20-file schema (tables, foreign keys, a view, triggers, a function, a
/// seed of 1,000 customers), written for MySQL and MariaDB.
fn bench_schema() -> String {
    format!("{}/../bench/migrations-mysql", env!("CARGO_MANIFEST_DIR"))
}

/// One test per image: `case!(name)` runs `async fn name(image)` for both.
macro_rules! case {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn mysql_8() {
                crate::require_engine!();
                super::$name(super::MYSQL).await
            }
            #[tokio::test]
            async fn mariadb_11() {
                crate::require_engine!();
                super::$name(super::MARIADB).await
            }
        }
    };
}

/// Our own driver on `url`, as a user of the module would connect.
async fn connect(url: &str) -> Conn {
    let opts = Opts::from_url(url).unwrap_or_else(|e| panic!("the URL parses: {e}"));
    Conn::new(mysql_async::OptsBuilder::from_opts(opts).prefer_socket(false))
        .await
        .unwrap_or_else(|e| panic!("connecting to the URL: {e}"))
}

async fn one<T: mysql_async::prelude::FromValue + Send + 'static>(conn: &mut Conn, sql: &str) -> T {
    conn.query_first::<T, _>(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row")
}

case!(starts_ready_with_a_url_for_the_user);
async fn starts_ready_with_a_url_for_the_user(image: &str) {
    let db = Mysql::new(image).start().await.unwrap();
    let expected = if image == MARIADB {
        Flavour::MariaDb
    } else {
        Flavour::Mysql
    };
    assert_eq!(db.flavour(), expected);
    assert_eq!(db.host(), "127.0.0.1");
    assert_eq!(db.host_port(), db.container().host_port(3306).unwrap());
    assert_eq!(
        db.connection_url(),
        format!("mysql://test:test@127.0.0.1:{}/test", db.host_port())
    );
    let mut conn = connect(&db.connection_url()).await;
    let user: String = one(&mut conn, "SELECT current_user()").await;
    assert_eq!(user, "test@%");
    assert_eq!(one::<String>(&mut conn, "SELECT database()").await, "test");
    assert_eq!(one::<i64>(&mut conn, "SELECT 40 + 2").await, 42);
    // Fast by default: no doublewrite, lazy flushes, no binary log.
    let flush: i64 = one(&mut conn, "SELECT @@innodb_flush_log_at_trx_commit").await;
    assert_eq!(flush, 0);
    assert_eq!(one::<i64>(&mut conn, "SELECT @@log_bin").await, 0);
    // The module's own client is the same account.
    let mut own = db.client().await.unwrap();
    assert_eq!(
        one::<String>(&mut own, "SELECT current_user()").await,
        "test@%"
    );
}

case!(user_password_root_and_awkward_names_round_trip);
async fn user_password_root_and_awkward_names_round_trip(image: &str) {
    let password = "p@ss:w/rd%?#&= é";
    let db = Mysql::new(image)
        .user("we:ird@user")
        .password(password)
        .root_password("root-secret")
        .database("my db-1")
        .start()
        .await
        .unwrap();
    let url = db.connection_url();
    assert!(!url.contains(password), "the password is escaped: {url}");
    let mut conn = connect(&url).await;
    assert_eq!(
        one::<String>(&mut conn, "SELECT current_user()").await,
        "we:ird@user@%"
    );
    assert_eq!(
        one::<String>(&mut conn, "SELECT database()").await,
        "my db-1"
    );
    let mut root = connect(&db.root_connection_url()).await;
    assert_eq!(
        one::<String>(&mut root, "SELECT current_user()").await,
        "root@%"
    );
    // Fresh databases go to the same user, with the same escaping.
    let fresh = db.fresh_database().await.unwrap();
    let mut conn = connect(fresh.url()).await;
    assert_eq!(
        one::<String>(&mut conn, "SELECT database()").await,
        fresh.name()
    );
    conn.query_drop("CREATE TABLE mine (id int)").await.unwrap();
}

case!(a_refused_login_fails_the_start_at_once_with_a_service_error);
async fn a_refused_login_fails_the_start_at_once_with_a_service_error(image: &str) {
    // The image creates the user with another password than the module logs in with.
    let began = Instant::now();
    let err = Mysql::new(image)
        .password("what-the-module-uses")
        .with_request(|r| {
            r.env("MYSQL_PASSWORD", "what-the-image-got")
                .env("MARIADB_PASSWORD", "what-the-image-got")
        })
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    assert!(
        began.elapsed() < Duration::from_secs(30),
        "{:?}",
        began.elapsed()
    );
    let message = format!("{err} {err:?}");
    assert!(message.contains("refused the login"), "{message}");
    assert!(message.contains("ERROR 1045"), "{message}");
    assert!(message.contains(image), "names the container: {message}");
    assert!(!message.contains("what-the-module-uses"), "{message}");
}

case!(init_scripts_run_once_in_the_order_added);
async fn init_scripts_run_once_in_the_order_added(image: &str) {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.sql");
    // Fails unless the first script ran before it.
    std::fs::write(&seed, "INSERT INTO steps (n) VALUES (2);\n").unwrap();
    let db = Mysql::new(image)
        .database("shop")
        .init_sql(
            "001_schema.sql",
            "CREATE TABLE steps (n int NOT NULL); INSERT INTO steps VALUES (1);",
        )
        .init_script(&seed)
        .init_sql("last.sh", "echo \"shell script sees $MYSQL_DATABASE\"")
        .start()
        .await
        .unwrap();
    let mut conn = db.client().await.unwrap();
    let steps: Vec<i64> = conn.query("SELECT n FROM steps ORDER BY n").await.unwrap();
    assert_eq!(steps, [1, 2]);
    let logs = db.container().logs().await.unwrap();
    let all = format!("{}{}", logs.stdout_text(), logs.stderr_text());
    assert!(all.contains("shell script sees shop"), "{all}");
}

case!(a_failing_init_script_is_named_in_the_error);
async fn a_failing_init_script_is_named_in_the_error(image: &str) {
    let err = Mysql::new(image)
        .password("init-secret-7")
        .init_sql("ok.sql", "CREATE TABLE fine (id int);")
        .init_sql("broken.sql", "SELECT * FROM no_such_table;")
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("init script 'broken.sql' failed: ERROR 1146"),
        "{message}"
    );
    assert!(message.contains("no_such_table"), "{message}");
    assert!(message.contains("exited with code"), "{message}");
    assert!(
        !format!("{message} {err:?}").contains("init-secret-7"),
        "{message}"
    );
}

case!(a_server_that_exits_while_starting_is_reported_with_code_and_last_lines);
async fn a_server_that_exits_while_starting_is_reported_with_code_and_last_lines(image: &str) {
    let command = if image == MARIADB {
        "mariadbd"
    } else {
        "mysqld"
    };
    let began = Instant::now();
    let err = Mysql::new(image)
        .with_request(move |r| r.cmd([command, "--no-such-option-42"]))
        .start()
        .await
        .unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(30),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err}");
    let message = err.to_string();
    assert!(message.contains("exited with code 1"), "{message}");
    assert!(
        message.contains("no-such-option-42"),
        "the last lines: {message}"
    );
}

case!(twenty_fresh_databases_at_once_are_distinct_migrated_and_isolated);
async fn twenty_fresh_databases_at_once_are_distinct_migrated_and_isolated(image: &str) {
    let db = Arc::new(
        Mysql::new(image)
            .migrations(Migrations::dir(bench_schema()))
            .start()
            .await
            .unwrap(),
    );
    let began = Instant::now();
    let tasks = (0..20).map(|i| {
        let db = db.clone();
        tokio::spawn(async move {
            let asked = Instant::now();
            let fresh = db.fresh_database().await.unwrap();
            let took = asked.elapsed();
            let mut conn = fresh.client().await.unwrap();
            // Migrated: the seed is there, the trigger and the view work.
            assert_eq!(
                one::<i64>(&mut conn, "SELECT count(*) FROM customers").await,
                1000
            );
            conn.query_drop(format!(
                "INSERT INTO orders (customer_id) VALUES ({})",
                i + 1
            ))
            .await
            .unwrap();
            // Only this test's order, and only its audit row.
            assert_eq!(
                one::<i64>(&mut conn, "SELECT count(*) FROM orders").await,
                1
            );
            assert_eq!(
                one::<i64>(&mut conn, "SELECT count(*) FROM audit_log").await,
                1
            );
            let customer: i64 = one(&mut conn, "SELECT customer_id FROM order_totals").await;
            assert_eq!(customer, i + 1);
            let lifetime: i64 = one(&mut conn, "SELECT customer_lifetime_cents(1)").await;
            assert_eq!(lifetime, 0);
            (fresh, took)
        })
    });
    let done: Vec<_> = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let mut took: Vec<Duration> = done.iter().map(|(_, t)| *t).collect();
    took.sort();
    println!(
        "{image}: 20 fresh databases at once, used, in {:?}; median fresh_database() {:?}",
        began.elapsed(),
        took[10]
    );
    let names: HashSet<&str> = done.iter().map(|(f, _)| f.name()).collect();
    assert_eq!(names.len(), 20, "{names:?}");
    // The main database saw none of it.
    let mut main = db.client().await.unwrap();
    assert_eq!(
        one::<i64>(&mut main, "SELECT count(*) FROM orders").await,
        0
    );
}

case!(a_dropped_test_database_goes_and_a_kept_one_stays);
async fn a_dropped_test_database_goes_and_a_kept_one_stays(image: &str) {
    let db = Mysql::new(image)
        .fresh_databases_ahead(0)
        .start()
        .await
        .unwrap();
    let mut root = connect(&db.root_connection_url()).await;
    let dropped = db.fresh_database().await.unwrap();
    let kept = db.fresh_database().await.unwrap().keep();
    let (dropped_name, kept_name) = (dropped.name().to_string(), kept.name().to_string());
    let exists = |name: &str| {
        format!("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'")
    };
    assert_eq!(one::<i64>(&mut root, &exists(&dropped_name)).await, 1);
    drop(dropped);
    drop(kept);
    let deadline = Instant::now() + Duration::from_secs(10);
    while one::<i64>(&mut root, &exists(&dropped_name)).await == 1 {
        assert!(Instant::now() < deadline, "{dropped_name} was not dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(one::<i64>(&mut root, &exists(&kept_name)).await, 1);
}

case!(a_failed_tests_database_is_kept_marked_and_swept_by_a_later_session);
async fn a_failed_tests_database_is_kept_marked_and_swept_by_a_later_session(image: &str) {
    let db = Mysql::new(image)
        .fresh_databases_ahead(0)
        .start()
        .await
        .unwrap();
    let mut root = connect(&db.root_connection_url()).await;
    let exists = |name: &str| {
        format!("SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'")
    };

    // Kept after a failed test: in place, marked with the label and this session.
    let mut failed = db.fresh_database().await.unwrap();
    let name = failed.name().to_string();
    let aftercare = failed
        .take_aftercare()
        .expect("a fresh database is handed over");
    let kept = aftercare.keep("kept_mysql_case_100").await.unwrap();
    drop(failed);
    assert!(!kept.is_by_the_test());
    assert!(kept.masked_url().ends_with(&format!("/{name}")), "{kept:?}");
    assert!(kept.masked_url().contains(":***@"), "{kept:?}");
    assert!(
        kept.remove_with()
            .contains(&format!("DROP DATABASE `{name}`"))
            && kept.remove_with().contains("kept_mysql_case_100"),
        "{kept:?}"
    );
    let label: String = one(
        &mut root,
        &format!("SELECT label FROM `{name}`.throwaway_kept"),
    )
    .await;
    assert_eq!(label, "kept_mysql_case_100");

    // Kept by the test itself: neither dropped after a pass nor marked after a failure.
    let mut own = db.fresh_database().await.unwrap();
    let own_aftercare = own.take_aftercare().unwrap();
    let own = own.keep();
    let by_the_test = own_aftercare.keep("kept_mysql_own_100").await.unwrap();
    assert!(by_the_test.is_by_the_test(), "{by_the_test:?}");
    let marks = format!(
        "SELECT count(*) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = 'throwaway_kept'",
        own.name()
    );
    assert_eq!(one::<i64>(&mut root, &marks).await, 0, "marked anyway");
    let mut passed = db.fresh_database().await.unwrap();
    let passed_aftercare = passed.take_aftercare().unwrap();
    let passed = passed.keep();
    passed_aftercare.remove();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(one::<i64>(&mut root, &exists(passed.name())).await, 1);

    // This session's own kept database stays through a sweep; another session's goes once
    // it is older than the sweeping run, and not before.
    use throwaway::kit::Isolation;
    db.sweep_kept(std::time::SystemTime::now()).await.unwrap();
    assert_eq!(
        one::<i64>(&mut root, &exists(&name)).await,
        1,
        "swept its own"
    );
    root.query_drop(format!(
        "UPDATE `{name}`.throwaway_kept SET session = 'an-earlier-session'"
    ))
    .await
    .unwrap();
    db.sweep_kept(std::time::UNIX_EPOCH + Duration::from_secs(100))
        .await
        .unwrap();
    assert_eq!(
        one::<i64>(&mut root, &exists(&name)).await,
        1,
        "swept a newer one"
    );
    db.sweep_kept(std::time::SystemTime::now()).await.unwrap();
    assert_eq!(one::<i64>(&mut root, &exists(&name)).await, 0, "not swept");
    drop((own, passed));
}

case!(secrets_never_show_in_debug_output);
async fn secrets_never_show_in_debug_output(image: &str) {
    let secret = "dbg-secret-42";
    let mysql = Mysql::new(image)
        .password(secret)
        .root_password("dbg-root-43");
    let shown = format!("{mysql:?}");
    assert!(!shown.contains("dbg-") && shown.contains("***"), "{shown}");
    let db = mysql.start().await.unwrap();
    let fresh = db.fresh_database().await.unwrap();
    for shown in [format!("{db:?}"), format!("{fresh:?}")] {
        assert!(!shown.contains("dbg-"), "{shown}");
        assert!(shown.contains(":***@"), "{shown}");
    }
    assert!(db.connection_url().contains(secret));
    assert!(fresh.url().contains(secret));
    // Nor in what the container logged.
    let logs = db.container().logs().await.unwrap();
    let all = format!("{}{}", logs.stdout_text(), logs.stderr_text());
    assert!(!all.contains("dbg-"), "{all}");
}

case!(a_restarted_server_is_prepared_again_and_still_hands_out_databases);
async fn a_restarted_server_is_prepared_again_and_still_hands_out_databases(image: &str) {
    let db = Mysql::new(image)
        .fresh_databases_ahead(2)
        .migrations(Migrations::run(|url: String| async move {
            let mut conn = connect(&url).await;
            conn.query_drop("CREATE TABLE notes (id int AUTO_INCREMENT PRIMARY KEY, body text)")
                .await
        }))
        .start()
        .await
        .unwrap();
    drop(db.fresh_database().await.unwrap());
    db.container().stop().await.unwrap();
    db.container().start().await.unwrap();
    let mut main = connect(&db.connection_url()).await;
    assert_eq!(one::<i64>(&mut main, "SELECT count(*) FROM notes").await, 0);
    let after = db.fresh_database().await.unwrap();
    assert!(
        after.url().contains(&format!(":{}/", db.host_port())),
        "{}",
        after.url()
    );
    let mut conn = after.client().await.unwrap();
    conn.query_drop("INSERT INTO notes (body) VALUES ('after the restart')")
        .await
        .unwrap();
    assert_eq!(one::<i64>(&mut conn, "SELECT count(*) FROM notes").await, 1);
}

case!(a_container_port_and_options_reach_the_server_after_the_fast_ones);
async fn a_container_port_and_options_reach_the_server_after_the_fast_ones(image: &str) {
    let db = Mysql::new(image)
        .port(3307)
        .setting("max_connections", "77")
        .setting("character-set-server", "utf8mb4")
        .fresh_databases_ahead(1)
        .start()
        .await
        .unwrap();
    assert_eq!(db.host_port(), db.container().host_port(3307).unwrap());
    assert!(db.container().host_port(3306).is_err());
    let mut conn = connect(&db.connection_url()).await;
    assert_eq!(one::<i64>(&mut conn, "SELECT @@port").await, 3307);
    assert_eq!(one::<i64>(&mut conn, "SELECT @@max_connections").await, 77);
    assert_eq!(
        one::<String>(&mut conn, "SELECT @@character_set_server").await,
        "utf8mb4"
    );
    // The module's fast options are still in force.
    let flush: i64 = one(&mut conn, "SELECT @@innodb_flush_log_at_trx_commit").await;
    assert_eq!(flush, 0);
    let fresh = db.fresh_database().await.unwrap();
    let mut own = fresh.client().await.unwrap();
    assert_eq!(one::<i64>(&mut own, "SELECT 1").await, 1);
}

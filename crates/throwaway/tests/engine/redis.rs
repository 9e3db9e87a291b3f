//! The Redis module: readiness, passwords, arguments, fresh databases, flushing, sharing,
//! and secrets that stay secret.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use redis::AsyncCommands;
use throwaway::redis::{Redis, RedisContainer};
use throwaway::{ErrorKind, Shared};

use crate::require_engine;
use crate::support::{raw, REDIS};

/// A password with every character a URL or a config file could trip over.
const PASSWORD: &str = "s3cr:t@/ #%?\"q\\ü";

/// A bound for anything that could hang if the module got it wrong.
const LIMIT: Duration = Duration::from_secs(10);

async fn ping(connection: &mut redis::aio::MultiplexedConnection) -> redis::RedisResult<String> {
    redis::cmd("PING").query_async(connection).await
}

/// The server's value of the configuration parameter `key`.
async fn config_get(connection: &mut redis::aio::MultiplexedConnection, key: &str) -> String {
    let pair: (String, String) = redis::cmd("CONFIG")
        .arg("GET")
        .arg(key)
        .query_async(connection)
        .await
        .unwrap();
    pair.1
}

#[tokio::test]
async fn a_started_server_answers_ping_at_its_url() {
    require_engine!();
    let redis = Redis::new(REDIS).start().await.unwrap();
    let port = redis.host_port();
    assert_eq!(redis.container().host_port(6379).unwrap(), port);
    assert_eq!(redis.connection_url(), format!("redis://127.0.0.1:{port}"));

    let mut connection = redis.async_connection().await.unwrap();
    assert_eq!(ping(&mut connection).await.unwrap(), "PONG");

    // A sync connection from the client, and a client of one's own from the URL.
    let mut sync = redis.client().unwrap().get_connection().unwrap();
    let pong: String = redis::cmd("PING").query(&mut sync).unwrap();
    assert_eq!(pong, "PONG");
    let own = redis::Client::open(redis.connection_url()).unwrap();
    let mut own = own.get_multiplexed_async_connection().await.unwrap();
    assert_eq!(ping(&mut own).await.unwrap(), "PONG");
}

#[tokio::test]
async fn a_password_is_required_and_survives_the_url() {
    require_engine!();
    let redis = Redis::new(REDIS).password(PASSWORD).start().await.unwrap();
    let port = redis.host_port();
    let url = redis.connection_url();
    assert!(
        url.starts_with("redis://:s3cr%3At%40%2F%20%23%25%3F%22q%5C%C3%BC@127.0.0.1:"),
        "{url}"
    );

    // The escaped URL leads a client of one's own to a working, authenticated connection.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    assert_eq!(ping(&mut connection).await.unwrap(), "PONG");
    let mut module = redis.async_connection().await.unwrap();
    assert_eq!(ping(&mut module).await.unwrap(), "PONG");

    // Without the password, the server refuses commands.
    let anonymous = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let mut anonymous = anonymous.get_multiplexed_async_connection().await.unwrap();
    let refused = ping(&mut anonymous).await.unwrap_err();
    assert_eq!(refused.code(), Some("NOAUTH"), "{refused}");

    // With a wrong one, the driver reports an authentication error, promptly.
    let wrong = redis::Client::open(format!("redis://:wrong@127.0.0.1:{port}")).unwrap();
    let attempt = tokio::time::timeout(LIMIT, wrong.get_multiplexed_async_connection())
        .await
        .expect("a wrong password must fail, not hang");
    let refused = attempt.map(|_| ()).unwrap_err();
    assert_eq!(
        refused.kind(),
        redis::ErrorKind::AuthenticationFailed,
        "{refused}"
    );
}

#[tokio::test]
async fn extra_arguments_reach_the_server() {
    require_engine!();
    let redis = Redis::default()
        .arg("--appendonly")
        .arg("yes")
        .args(["--maxmemory-policy", "allkeys-lru"])
        .start()
        .await
        .unwrap();
    let mut connection = redis.async_connection().await.unwrap();
    assert_eq!(config_get(&mut connection, "appendonly").await, "yes");
    assert_eq!(
        config_get(&mut connection, "maxmemory-policy").await,
        "allkeys-lru"
    );
    // The module's own argument is there too, unless overridden.
    assert_eq!(config_get(&mut connection, "databases").await, "1024");
}

#[tokio::test]
async fn a_container_port_and_settings_reach_the_server() {
    require_engine!();
    let redis = Redis::default()
        .port(6380)
        .setting("maxmemory-policy", "allkeys-lru")
        .start()
        .await
        .unwrap();
    assert_eq!(
        redis.host_port(),
        redis.container().host_port(6380).unwrap()
    );
    let mut connection = redis.async_connection().await.unwrap();
    assert_eq!(config_get(&mut connection, "port").await, "6380");
    assert_eq!(
        config_get(&mut connection, "maxmemory-policy").await,
        "allkeys-lru"
    );
    let database = redis.fresh_database().await.unwrap();
    let mut own = database.async_connection().await.unwrap();
    assert_eq!(ping(&mut own).await.unwrap(), "PONG");
}

#[tokio::test]
async fn fresh_databases_are_distinct_empty_and_isolated() {
    require_engine!();
    let redis = Redis::new(REDIS).password(PASSWORD).start().await.unwrap();

    // Leave something behind in the first databases, as an earlier run on a reused server
    // would: a fresh database must be empty all the same.
    let mut default = redis.async_connection().await.unwrap();
    for index in 1..=25 {
        let _: () = redis::pipe()
            .cmd("SELECT")
            .arg(index)
            .cmd("SET")
            .arg("stale")
            .arg(index)
            .query_async(&mut default)
            .await
            .unwrap();
    }

    let databases = futures_util::future::try_join_all((0..20).map(|_| redis.fresh_database()))
        .await
        .unwrap();
    let indices: HashSet<u32> = databases.iter().map(|d| d.index()).collect();
    assert_eq!(indices.len(), 20, "{indices:?}");
    assert!(
        indices.iter().all(|i| (1..=1022).contains(i)),
        "{indices:?}"
    );

    for database in &databases {
        let mut connection = database.async_connection().await.unwrap();
        let size: i64 = redis::cmd("DBSIZE")
            .query_async(&mut connection)
            .await
            .unwrap();
        assert_eq!(
            size,
            0,
            "database {} was handed out dirty",
            database.index()
        );
        let _: () = connection.set("owner", database.index()).await.unwrap();
    }
    // Each sees only its own writes, through the URL as well as the module's client.
    for database in &databases {
        let client = redis::Client::open(database.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let owner: u32 = connection.get("owner").await.unwrap();
        assert_eq!(owner, database.index());
        let size: i64 = redis::cmd("DBSIZE")
            .query_async(&mut connection)
            .await
            .unwrap();
        assert_eq!(size, 1);
    }
    // Database 0, the default, is untouched by the handing out.
    let _: () = redis::cmd("SELECT")
        .arg(0)
        .query_async(&mut default)
        .await
        .unwrap();
    let size: i64 = redis::cmd("DBSIZE")
        .query_async(&mut default)
        .await
        .unwrap();
    assert_eq!(size, 0);
}

#[tokio::test]
async fn the_server_keeps_the_count_so_other_processes_share_it() {
    require_engine!();
    let redis = Redis::new(REDIS).start().await.unwrap();
    let first = redis.fresh_database().await.unwrap();
    assert_eq!(first.index(), 1);
    // Another process attached to the same server hands out databases through the same
    // counter: the last database's `throwaway:fresh-databases`.
    let other = redis::Client::open(format!("{}/1023", redis.connection_url())).unwrap();
    let mut other = other.get_multiplexed_async_connection().await.unwrap();
    for _ in 0..3 {
        let _: i64 = other.incr("throwaway:fresh-databases", 1).await.unwrap();
    }
    assert_eq!(redis.fresh_database().await.unwrap().index(), 5);
}

#[tokio::test]
async fn a_server_reused_across_runs_hands_databases_out_again_emptied() {
    require_engine!();
    let redis = Redis::new(REDIS).start().await.unwrap();
    let mut default = redis.async_connection().await.unwrap();
    // As earlier runs would have left it: data in database 1, and every database handed
    // out once already.
    let _: () = redis::pipe()
        .cmd("SELECT")
        .arg(1)
        .cmd("SET")
        .arg("stale")
        .arg("from an earlier run")
        .cmd("SELECT")
        .arg(1023)
        .cmd("SET")
        .arg("throwaway:fresh-databases")
        .arg(1022)
        .query_async(&mut default)
        .await
        .unwrap();
    let database = redis.fresh_database().await.unwrap();
    assert_eq!(database.index(), 1);
    let mut connection = database.async_connection().await.unwrap();
    let size: i64 = redis::cmd("DBSIZE")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(size, 0);
    assert_eq!(redis.fresh_database().await.unwrap().index(), 2);
}

#[tokio::test]
async fn fresh_databases_run_out_with_an_error_that_names_the_limit() {
    require_engine!();
    // Five databases: 0 is the default, 4 holds the counts, so 1 to 3 can be handed out.
    let redis = Redis::default()
        .args(["--databases", "5"])
        .start()
        .await
        .unwrap();
    let mut handed_out = Vec::new();
    for _ in 0..3 {
        handed_out.push(redis.fresh_database().await.unwrap().index());
    }
    assert_eq!(handed_out, [1, 2, 3]);
    let err = redis.fresh_database().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    let message = err.to_string();
    assert!(message.contains("it took all 3"), "{message}");
    assert!(message.contains("5 logical databases"), "{message}");
    assert!(message.contains("--databases"), "{message}");
}

#[tokio::test]
async fn flush_all_empties_every_database_and_indices_stay_unique() {
    require_engine!();
    let redis = Redis::new(REDIS).start().await.unwrap();
    let mut default = redis.async_connection().await.unwrap();
    let _: () = default.set("key", "value").await.unwrap();
    let fresh = redis.fresh_database().await.unwrap();
    let mut connection = fresh.async_connection().await.unwrap();
    let _: () = connection.rpush("list", "item").await.unwrap();

    redis.flush_all().await.unwrap();

    let exists: bool = default.exists("key").await.unwrap();
    assert!(!exists);
    let size: i64 = redis::cmd("DBSIZE")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(size, 0);
    // The count survived the flush: the next database is a new one.
    let next = redis.fresh_database().await.unwrap();
    assert!(next.index() > fresh.index(), "{next:?} after {fresh:?}");
}

#[tokio::test]
async fn a_restarted_server_still_hands_out_databases() {
    require_engine!();
    let redis = Redis::new(REDIS).start().await.unwrap();
    let first = redis.fresh_database().await.unwrap();
    redis.container().stop().await.unwrap();
    redis.container().start().await.unwrap();
    // The module's own connection broke with the restart; it makes a new one, on whatever
    // host port the container has now.
    let second = redis.fresh_database().await.unwrap();
    assert_ne!(first.index(), second.index());
    let mut connection = second.async_connection().await.unwrap();
    assert_eq!(ping(&mut connection).await.unwrap(), "PONG");
}

static SHARED: Shared<Redis> = Shared::new(|| Redis::new(REDIS).password(PASSWORD));

#[tokio::test]
async fn a_shared_server_serves_every_test_with_its_own_database() {
    require_engine!();
    let tasks = (0..4).map(|n| {
        tokio::spawn(async move {
            let redis: &'static RedisContainer = SHARED.get().await.unwrap();
            let database = redis.fresh_database().await.unwrap();
            let mut connection = database.async_connection().await.unwrap();
            let _: () = connection.set("n", n).await.unwrap();
            let read: i32 = connection.get("n").await.unwrap();
            assert_eq!(read, n);
            (redis.container().id().to_string(), database.index())
        })
    });
    let results = futures_util::future::try_join_all(tasks).await.unwrap();
    let ids: HashSet<_> = results.iter().map(|(id, _)| id).collect();
    let indices: HashSet<_> = results.iter().map(|(_, index)| index).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(indices.len(), 4, "{indices:?}");
}

/// The `Debug` text of every request the module built, captured by `with_request`.
static REQUESTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[tokio::test]
async fn the_password_stays_out_of_debug_inspect_and_errors() {
    require_engine!();
    let leaks = |text: &str| text.contains("s3cr");
    let redis = Redis::new(REDIS)
        .password(PASSWORD)
        .with_request(|request| {
            REQUESTS.lock().unwrap().push(format!("{request:?}"));
            request
        });
    assert!(!leaks(&format!("{redis:?}")), "{redis:?}");
    let started = redis.clone().start().await.unwrap();

    let requests = REQUESTS.lock().unwrap().clone();
    assert!(!requests.is_empty());
    for request in &requests {
        assert!(!leaks(request), "{request}");
    }
    let shown = format!("{started:?}");
    assert!(!leaks(&shown) && shown.contains(":***@"), "{shown}");
    let database = started.fresh_database().await.unwrap();
    let shown = format!("{database:?}");
    assert!(!leaks(&shown) && shown.contains(":***@"), "{shown}");
    // Only the URLs carry it.
    assert!(database.url().contains("s3cr"));

    // Not on the command line or in the environment that `docker inspect` shows, nor in
    // the server's output.
    let inspected = raw()
        .inspect_container(started.container().id(), None)
        .await
        .unwrap();
    let config = inspected.config.unwrap();
    let cmd = format!("{:?} {:?}", config.cmd, config.env);
    assert!(!leaks(&cmd), "{cmd}");
    let logs = started.container().logs().await.unwrap();
    let logs = format!("{}{}", logs.stdout_text(), logs.stderr_text());
    assert!(!leaks(&logs), "{logs}");

    // A server that exits on a bad argument: the error quotes its output, not the password.
    let err = redis
        .clone()
        .arg("--no-such-option")
        .arg("x")
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err:?}");
    assert!(!leaks(&format!("{err:?}")), "{err:?}");

    // A server whose argument set another password: the module's client is refused, and
    // the error says why without quoting either password.
    let err = redis
        .arg("--requirepass")
        .arg("other-pass")
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err:?}");
    let shown = format!("{err:?}");
    assert!(shown.contains("Redis::password"), "{shown}");
    assert!(!leaks(&shown) && !shown.contains("other-pass"), "{shown}");
}

//! The blocking facade from a plain `#[test]`.

use throwaway::blocking::{Network, StartBlocking};
use throwaway::{ContainerRequest, Wait};

use crate::require_engine;
use crate::support::TOOLS;

#[test]
fn a_plain_test_starts_uses_and_removes_containers() {
    require_engine!();
    let network = Network::new().unwrap();
    let web = ContainerRequest::new(TOOLS)
        .network(network.as_async())
        .network_alias("web")
        .cmd(["sh", "-c", "sleep 1; exec busybox httpd -f -p 8080 -h /www"])
        .exposed_port(8080)
        .wait_for(Wait::http("/health").port(8080))
        .start_blocking()
        .unwrap();
    assert!(web.host_port(8080).unwrap() > 0);

    let client = ContainerRequest::new(TOOLS)
        .network(network.as_async())
        .cmd(["sleep", "300"])
        .start_blocking()
        .unwrap();
    let fetched = client
        .exec(["busybox", "wget", "-q", "-O", "-", "http://web:8080/health"])
        .unwrap();
    assert_eq!(fetched.exit_code, 0, "{}", fetched.stderr_text());

    client.copy_bytes_to(b"x".to_vec(), "/tmp/x").unwrap();
    assert_eq!(client.copy_file_from("/tmp/x").unwrap(), b"x");
    let mode = throwaway::FileMode::new(0o600).owner_name("daemon");
    client.copy_bytes_to_with("k", "/tmp/k", mode).unwrap();
    let stat = client.exec(["stat", "-c", "%a %U", "/tmp/k"]).unwrap();
    assert_eq!(stat.stdout_text().trim(), "600 daemon");
    assert!(web.logs().is_ok());

    client.remove().unwrap();
    drop(web);
    network.remove().unwrap();
}

#[tokio::test]
#[should_panic(expected = "called from async code")]
async fn the_blocking_api_refuses_to_stall_an_async_runtime() {
    let _ = ContainerRequest::new(TOOLS).start_blocking();
}

#[cfg(feature = "redis")]
static SHARED_REDIS: throwaway::Shared<throwaway::redis::Redis> =
    throwaway::Shared::new(|| throwaway::redis::Redis::new(crate::support::REDIS));

#[cfg(feature = "redis")]
#[test]
fn a_plain_test_uses_a_shared_module_fully() {
    require_engine!();
    let redis = SHARED_REDIS.get_blocking().unwrap();
    // Container operations, borrowed from the shared value.
    let container = throwaway::blocking::Container::of(redis);
    let pong = container.exec(["redis-cli", "PING"]).unwrap();
    assert_eq!(pong.stdout_text(), "PONG\n");
    assert!(container
        .logs()
        .unwrap()
        .stdout_text()
        .contains("Ready to accept connections"));
    // Any async call of a module, through blocking::run.
    let database = throwaway::blocking::run(redis.fresh_database()).unwrap();
    // The redis crate's own blocking connections.
    let mut connection = database.client().unwrap().get_connection().unwrap();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut connection)
        .unwrap();
    let value: String = redis::cmd("GET").arg("k").query(&mut connection).unwrap();
    assert_eq!(value, "v");
}

#[cfg(feature = "postgres")]
#[test]
fn a_plain_test_starts_a_module_and_queries_it() {
    use throwaway::postgres::Postgres;
    require_engine!();
    let pg = Postgres::default()
        .init_sql("t.sql", "CREATE TABLE t (n int); INSERT INTO t VALUES (7);")
        .start_blocking()
        .unwrap();
    let database = throwaway::blocking::run(pg.fresh_database()).unwrap();
    let n: i32 = throwaway::blocking::run(async {
        let client = database.client().await?;
        let row = client.query_one("SELECT n FROM t", &[]).await.unwrap();
        Ok::<_, throwaway::Error>(row.get(0))
    })
    .unwrap();
    assert_eq!(n, 7);
    throwaway::blocking::run(pg.remove()).unwrap();
}

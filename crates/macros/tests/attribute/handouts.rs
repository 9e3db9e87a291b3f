//! What each argument type gets, in async and plain tests.

use std::error::Error;

use throwaway::memcached::KeyPrefix;
use throwaway::postgres::{PostgresContainer, TestDatabase};
use throwaway::redis::{RedisContainer, RedisDatabase};

use crate::support::{MEMCACHED, PG, REDIS};

#[throwaway::test(skip_without_engine)]
async fn an_async_test_gets_fresh_databases_of_its_own(
    #[from(PG)] db: TestDatabase,
    #[from(PG)] other: TestDatabase,
) -> Result<(), Box<dyn Error>> {
    assert_ne!(db.name(), other.name());
    let client = db.client().await?;
    client
        .execute("INSERT INTO notes (body) VALUES ($1)", &[&"mine"])
        .await?;
    // Cloned from the migrated template: the table is there, and empty in the other one.
    let theirs = other.client().await?;
    let count: i64 = theirs
        .query_one("SELECT count(*) FROM notes", &[])
        .await?
        .get(0);
    assert_eq!(count, 0);
    let count: i64 = client
        .query_one("SELECT count(*) FROM notes", &[])
        .await?
        .get(0);
    assert_eq!(count, 1);
    Ok(())
}

#[throwaway::test(skip_without_engine)]
fn a_plain_test_gets_a_redis_database(#[from(REDIS)] cache: RedisDatabase) {
    // No runtime around a plain test: the redis crate's sync connection works as is.
    let mut connection = cache.client().unwrap().get_connection().unwrap();
    let before: Option<String> = redis::cmd("GET")
        .arg("fact")
        .query(&mut connection)
        .unwrap();
    assert_eq!(before, None, "a fresh database is empty");
    let _: () = redis::cmd("SET")
        .arg("fact")
        .arg("otters hold hands")
        .query(&mut connection)
        .unwrap();
    let after: String = redis::cmd("GET")
        .arg("fact")
        .query(&mut connection)
        .unwrap();
    assert_eq!(after, "otters hold hands");
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "a plain test runs with no runtime"
    );
}

#[throwaway::test(skip_without_engine)]
async fn an_async_test_runs_on_a_tokio_runtime_of_its_own(#[from(REDIS)] cache: RedisDatabase) {
    let flavor = tokio::runtime::Handle::current().runtime_flavor();
    assert_eq!(flavor, tokio::runtime::RuntimeFlavor::CurrentThread);
    let mut connection = cache.async_connection().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query_async(&mut connection)
        .await
        .unwrap();
}

#[throwaway::test(skip_without_engine)]
async fn a_string_is_the_url_of_a_fresh_unit(
    #[from(PG)] url: String,
    #[from(PG)] server: &'static PostgresContainer,
) -> Result<(), Box<dyn Error>> {
    assert!(url.starts_with("postgres://postgres:pg-secret@"), "{url}");
    let database = url.rsplit('/').next().unwrap().to_string();
    assert!(
        database.starts_with("test_"),
        "a fresh database, not the main one: {url}"
    );
    // The unit behind the URL lives while the test runs.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute("INSERT INTO notes VALUES ('via the URL')")
        .await?;
    let listed = server
        .client()
        .await?
        .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&database])
        .await?;
    assert_eq!(listed.len(), 1);
    Ok(())
}

#[throwaway::test(skip_without_engine)]
async fn a_reference_is_the_shared_service_itself(
    #[from(REDIS)] first: &'static RedisContainer,
    #[from(REDIS)] second: &'static RedisContainer,
) {
    assert!(std::ptr::eq(first, second), "one server for the whole run");
    assert!(first.connection_url().starts_with("redis://"));
}

#[throwaway::test(skip_without_engine)]
fn a_kit_unit_of_any_module(#[from(MEMCACHED)] one: KeyPrefix, #[from(MEMCACHED)] two: KeyPrefix) {
    assert_ne!(one.prefix(), two.prefix());
    assert_eq!(one.key("session"), format!("{}session", one.prefix()));
}

#[test]
fn a_passing_tests_database_is_dropped_and_its_redis_database_emptied() {
    if throwaway::skip_without_engine() {
        return;
    }
    use std::sync::{Arc, Mutex};
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let test = throwaway::testing::Test::new(
        "attribute::handouts::passing",
        false,
        throwaway::testing::Flavor::CurrentThread,
    );
    let units = test.clone();
    test.run_async(
        async move {
            Ok((
                units
                    .hand_out::<TestDatabase, _>(throwaway::testing::source(&PG), "PG", "db")
                    .await?,
                units
                    .hand_out::<RedisDatabase, _>(
                        throwaway::testing::source(&REDIS),
                        "REDIS",
                        "cache",
                    )
                    .await?,
            ))
        },
        |(db, cache): (TestDatabase, RedisDatabase)| async move {
            let mut connection = cache.async_connection().await.unwrap();
            let _: () = redis::cmd("SET")
                .arg("left")
                .arg("behind")
                .query_async(&mut connection)
                .await
                .unwrap();
            *record.lock().unwrap() = Some((db.name().to_string(), cache.client().unwrap()));
        },
    );
    let (name, redis_client) = seen.lock().unwrap().take().expect("the test ran");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let admin = PG.get().await.unwrap().client().await.unwrap();
        let mut connection = redis_client.get_multiplexed_async_connection().await.unwrap();
        // Removal goes on in the background: poll.
        for _ in 0..100 {
            let listed = admin
                .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await
                .unwrap();
            let size: i64 = redis::cmd("DBSIZE").query_async(&mut connection).await.unwrap();
            if listed.is_empty() && size == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("database {name} was not dropped, or the Redis database not emptied, after the test passed");
    });
}

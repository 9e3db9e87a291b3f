//! The runtime an async test runs on: current-thread by default, multi-threaded with
//! `flavor = "multi_thread"` (and as many workers as `worker_threads` says).

use tokio::runtime::{Handle, RuntimeFlavor};

use crate::support::REDIS;
use throwaway::redis::RedisDatabase;

#[throwaway::test]
async fn an_async_test_runs_on_a_current_thread_runtime_by_default() {
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
}

#[throwaway::test(flavor = "multi_thread", worker_threads = 3)]
async fn a_multi_thread_test_runs_on_as_many_workers_as_it_asks_for() {
    let handle = Handle::current();
    assert_eq!(handle.runtime_flavor(), RuntimeFlavor::MultiThread);
    assert_eq!(handle.metrics().num_workers(), 3);
    // What a current-thread runtime cannot do: block one worker while the others run.
    let answer = tokio::spawn(async { 42 });
    let answer = tokio::task::block_in_place(|| Handle::current().block_on(answer));
    assert_eq!(answer.unwrap(), 42);
}

#[throwaway::test(flavor = "multi_thread")]
async fn a_multi_thread_test_without_a_count_gets_tokios_default_workers() {
    // tokio's default (one per core, or TOKIO_WORKER_THREADS): whatever it is, not one
    // that the attribute chose.
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::MultiThread
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let expected = std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cores);
    assert_eq!(Handle::current().metrics().num_workers(), expected);
}

#[throwaway::test(skip_without_engine, flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_thread_test_gets_its_units_too(#[from(REDIS)] cache: RedisDatabase) {
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::MultiThread
    );
    // Its tasks run on other workers, each with a connection to the test's database.
    let writers: Vec<_> = (0..4)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move {
                let mut connection = cache.async_connection().await.unwrap();
                let _: () = redis::cmd("SET")
                    .arg(format!("key{i}"))
                    .arg(i)
                    .query_async(&mut connection)
                    .await
                    .unwrap();
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let mut connection = cache.async_connection().await.unwrap();
    let keys: usize = redis::cmd("DBSIZE")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(keys, 4);
}

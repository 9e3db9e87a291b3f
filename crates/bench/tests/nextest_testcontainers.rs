//! Workload 5 of the bench, the `testcontainers` crate's side: 20 tests that each need a
//! migrated PostgreSQL database and Redis, written as that crate's docs suggest: each test
//! starts its containers (nextest runs every test in a process of its own, so nothing held
//! in a static would be shared anyway), migrates, and removes them.
//!
//! Ignored by default: these are a benchmark workload, not tests of the bench. The bench
//! runs them (`cargo run --release -p throwaway-bench`), or by hand:
//! `cargo nextest run -p throwaway-bench --test nextest_testcontainers --run-ignored only`.

use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use throwaway_bench::cleanup::{run_id_from_env, RUN_LABEL};
use throwaway_bench::{migrate, tc, work, Result, MIGRATIONS};

async fn one_test() -> Result<()> {
    let pg = tc::Postgres
        .with_tag("15")
        .with_label(RUN_LABEL, run_id_from_env())
        .start()
        .await?;
    let mut client = migrate::connect(&tc::postgres_url(&pg, "postgres").await?).await?;
    migrate::apply(&mut client, &migrate::load(MIGRATIONS)?).await?;
    work::postgres_test(&client).await?;

    let redis = tc::Redis
        .with_tag("7.0")
        .with_label(RUN_LABEL, run_id_from_env())
        .start()
        .await?;
    let mut connection = redis::Client::open(tc::redis_url(&redis).await?)?
        .get_multiplexed_async_connection()
        .await?;
    work::redis_list(&mut connection).await?;

    drop((client, connection));
    pg.rm().await?;
    redis.rm().await?;
    Ok(())
}

macro_rules! tests {
    ($($name:ident)*) => {$(
        #[tokio::test]
        #[ignore = "benchmark workload: run by the bench, or with --run-ignored only"]
        async fn $name() -> Result<()> {
            one_test().await
        }
    )*};
}

tests!(t01 t02 t03 t04 t05 t06 t07 t08 t09 t10 t11 t12 t13 t14 t15 t16 t17 t18 t19 t20);

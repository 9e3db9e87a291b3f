//! Workload 5 of the bench, throwaway's side: 20 tests that each need a migrated PostgreSQL
//! database and a Redis database, written as throwaway's docs suggest: one `Shared`
//! container of each, which every test process of a nextest run shares, and a fresh
//! database per test.
//!
//! Ignored by default: these are a benchmark workload, not tests of the bench. The bench
//! runs them (`cargo run --release -p throwaway-bench`), or by hand:
//! `cargo nextest run -p throwaway-bench --test nextest_throwaway --run-ignored only`.

use throwaway::postgres::{Migrations, Postgres};
use throwaway::redis::Redis;
use throwaway::{ContainerRequest, Shared};
use throwaway_bench::cleanup::{run_id_from_env, RUN_LABEL};
use throwaway_bench::{work, Result, MIGRATIONS, POSTGRES_IMAGE, REDIS_IMAGE};

/// The bench counts the containers of a run by this label.
fn labelled(request: ContainerRequest) -> ContainerRequest {
    request.label(RUN_LABEL, run_id_from_env())
}

static PG: Shared<Postgres> = Shared::new(|| {
    Postgres::new(POSTGRES_IMAGE)
        .migrations(Migrations::dir(MIGRATIONS))
        .with_request(labelled)
});

static REDIS: Shared<Redis> = Shared::new(|| Redis::new(REDIS_IMAGE).with_request(labelled));

async fn one_test() -> Result<()> {
    let database = PG.get().await?.fresh_database().await?;
    let client = database.client().await?;
    work::postgres_test(&client).await?;

    let redis = REDIS.get().await?.fresh_database().await?;
    let mut connection = redis.async_connection().await?;
    work::redis_list(&mut connection).await
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

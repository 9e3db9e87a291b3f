//! Workload 4: a suite of 50 tests, each needing its own migrated PostgreSQL database.
//!
//! - throwaway: one container, migrated once, and `fresh_database()` per test (what
//!   `Shared<Postgres>` does in a test binary; the bench starts and removes the container
//!   itself so that each run starts from nothing).
//! - testcontainers, as its docs suggest: a container per test, migrations run each time.
//! - testcontainers, the best a user can do by hand: one container, and per test a new
//!   database with the migrations run again.
//!
//! Tests run as many at a time as the machine has cores, as `cargo test` runs them.
//!
//! throwaway runs twice in each round: from a snapshot of the migrated data (its default;
//! the snapshot is made in the warm-up round, with a key of this bench run's), and with
//! snapshots off.

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use throwaway::postgres::{Migrations, Postgres};

use super::postgres_cycle::{record, remove_snapshots, with_snapshots};
use super::{paired, Config, Sample, Side};
use crate::cleanup::RUN_LABEL;
use crate::report::{Row, Section, Target};
use crate::stats::{median_of, paired_ratio};
use crate::{migrate, tc, work, Result, MIGRATIONS, POSTGRES_IMAGE};

const NAME: &str = "4. suite of 50 migrated-database tests";

/// Tests in the suite.
pub const TESTS: usize = 50;

/// Tests measured for the container-per-test variant in quick mode (then extrapolated).
pub const QUICK_PER_TEST: usize = 4;

/// Runs `tests` tests with `test`, `parallelism` at a time.
async fn suite<F, Fut>(tests: usize, parallelism: usize, test: F) -> Result<()>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    stream::iter(0..tests)
        .map(test)
        .buffer_unordered(parallelism)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// throwaway: the shared, migrated container (from a snapshot, or with `snapshots` off)
/// and a fresh database per test.
pub async fn throwaway(config: &Config, snapshots: bool) -> Result<Sample> {
    let began = Instant::now();
    let pg = Postgres::new(POSTGRES_IMAGE).migrations(Migrations::dir(MIGRATIONS));
    let pg = with_snapshots(pg, config, snapshots)
        .with_request(config.label())
        .start()
        .await?;
    record(&pg);
    let ready = Instant::now();
    suite(TESTS, config.parallelism, |_| async {
        let database = pg.fresh_database().await?;
        let client = database.client().await?;
        work::postgres_test(&client).await
    })
    .await?;
    pg.remove().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The `testcontainers` crate by hand: one container, and per test `CREATE DATABASE` and
/// the migrations again.
pub async fn testcontainers_shared(config: &Config) -> Result<Sample> {
    let files = migrate::load(MIGRATIONS)?;
    let began = Instant::now();
    let pg = tc::Postgres
        .with_tag("15")
        .with_label(RUN_LABEL, &config.run)
        .start()
        .await?;
    let ready = Instant::now();
    let admin = migrate::connect(&tc::postgres_url(&pg, "postgres").await?).await?;
    let (pg_ref, admin_ref, files_ref) = (&pg, &admin, &files);
    suite(TESTS, config.parallelism, |i| async move {
        let name = format!("test_{i}");
        admin_ref
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let mut client = migrate::connect(&tc::postgres_url(pg_ref, &name).await?).await?;
        migrate::apply(&mut client, files_ref).await?;
        work::postgres_test(&client).await
    })
    .await?;
    drop(admin);
    pg.rm().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The `testcontainers` crate as its docs suggest: per test, a container, the migrations,
/// the test, `rm`. Runs `tests` tests; the caller extrapolates.
pub async fn testcontainers_per_test(config: &Config, tests: usize) -> Result<Sample> {
    let files = migrate::load(MIGRATIONS)?;
    let began = Instant::now();
    suite(tests, config.parallelism, |_| async {
        let pg = tc::Postgres
            .with_tag("15")
            .with_label(RUN_LABEL, &config.run)
            .start()
            .await?;
        let mut client = migrate::connect(&tc::postgres_url(&pg, "postgres").await?).await?;
        migrate::apply(&mut client, &files).await?;
        work::postgres_test(&client).await?;
        drop(client);
        pg.rm().await?;
        Ok(())
    })
    .await?;
    Ok(Sample::new(began, None, Instant::now()))
}

/// Runs workload 4.
pub async fn run(config: &Config) -> Section {
    let per_test_n = if config.quick { QUICK_PER_TEST } else { TESTS };
    let sides = [
        Side::new("throwaway", || throwaway(config, true)),
        Side::new("testcontainers (shared by hand)", || {
            testcontainers_shared(config)
        }),
        Side::new("testcontainers (container per test)", || {
            testcontainers_per_test(config, per_test_n)
        }),
        Side::new("throwaway, snapshots off", || throwaway(config, false)),
    ];
    let outcomes = paired(config, &sides, config.runs(3), Duration::from_secs(900)).await;
    let scale = TESTS as f64 / per_test_n as f64;
    let ours = outcomes.figure(0, |s| Some(s.total));
    let shared = outcomes.figure(1, |s| Some(s.total));
    let per_test: Vec<Option<f64>> = outcomes
        .figure(2, |s| Some(s.total))
        .into_iter()
        .map(|t| t.map(|t| t * scale))
        .collect();
    let runs = ours.len();
    let row = |measure: &str, theirs: &[Option<f64>]| Row {
        workload: NAME.to_string(),
        measure: measure.to_string(),
        throwaway: median_of(&ours),
        testcontainers: median_of(theirs),
        ratio: paired_ratio(&ours, theirs),
        floor: None,
        vs_floor: None,
        runs,
    };
    let by_hand = row("vs one container by hand", &shared);
    let off = outcomes.figure(3, |s| Some(s.total));
    let snapshots = Row {
        workload: NAME.to_string(),
        measure: "snapshots on (throwaway) vs off (testcontainers column)".to_string(),
        throwaway: median_of(&ours),
        testcontainers: median_of(&off),
        ratio: paired_ratio(&ours, &off),
        floor: None,
        vs_floor: None,
        runs,
    };
    let per_test_measure = if per_test_n == TESTS {
        "vs a container per test".to_string()
    } else {
        format!("vs a container per test ({per_test_n} run, ×{scale:.1})")
    };
    let per_container = row(&per_test_measure, &per_test);
    let speedup = |ratio: Option<f64>| ratio.filter(|r| *r > 0.0).map(|r| 1.0 / r);
    let targets = vec![
        Target::bound(
            "4. suite: snapshots on ≤ 0.6× off",
            snapshots.ratio,
            0.6,
            false,
            "on / off",
        ),
        Target::bound(
            "4. suite: ≥ 20× faster than a container per test",
            speedup(per_container.ratio),
            20.0,
            true,
            "speed-up",
        ),
        Target::bound(
            "4. suite: ≥ 2× faster than the hand-made shared container",
            speedup(by_hand.ratio),
            2.0,
            true,
            "speed-up",
        ),
    ];
    let mut notes = outcomes.notes(
        NAME,
        &[
            "throwaway",
            "testcontainers (shared by hand)",
            "testcontainers (container per test)",
            "throwaway, snapshots off",
        ],
    );
    if per_test_n != TESTS {
        notes.push(format!(
            "{NAME}: the container-per-test variant ran {per_test_n} tests, not {TESTS}; its \
             figure is that time × {scale:.1} (per-test cost extrapolated to the suite)."
        ));
    }
    notes.push(format!(
        "{NAME}: {} migration files (tables, indexes, a seed of 1,000 customers); tests run {} \
         at a time; each test inserts an order and reads it back through a view.",
        migrate::load(MIGRATIONS).map(|f| f.len()).unwrap_or(0),
        config.parallelism
    ));
    if let Some(ready) = median_of(&outcomes.figure(0, |s| s.ready)) {
        notes.push(format!(
            "{NAME}: throwaway's container was started and migrated after {ready:.3} s (median); \
             the rest is the {TESTS} tests and the removal."
        ));
    }
    if let Some(off_ready) = median_of(&outcomes.figure(3, |s| s.ready)) {
        notes.push(format!(
            "{NAME}: with snapshots off, started and migrated after {off_ready:.3} s (median)."
        ));
    }
    let removed = remove_snapshots().await;
    notes.push(format!(
        "{NAME}: the bench removed the {removed} snapshot(s) this run made."
    ));
    Section {
        notes,
        failed: outcomes.any_failed(0) || outcomes.any_failed(3),
        rows: vec![by_hand, per_container, snapshots],
        targets,
    }
}

//! Workload 6: workload 4 on MariaDB. A suite of 50 tests, each needing its own database
//! migrated with `migrations-mysql/` (the same 20-file schema), 20 tests at a time: the
//! "20 tests asking at once" of the fresh-database target.
//!
//! - throwaway: one container, migrated once, `fresh_database()` per test.
//! - testcontainers as its docs suggest: a container per test, migrated each time.
//! - testcontainers by hand: one container, per test `CREATE DATABASE` and the migrations.
//!
//! MariaDB rather than MySQL: on an engine that cannot pull, `mysql:8` is MariaDB too (see
//! `ci/images/README.md`), and the `testcontainers` MySQL module's readiness line is one
//! only MySQL prints.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use throwaway::mysql::mysql_async::prelude::Queryable;
use throwaway::mysql::mysql_async::Conn;
use throwaway::mysql::{Migrations, Mysql};

use super::{paired, Config, Sample, Side};
use crate::cleanup::RUN_LABEL;
use crate::report::{Row, Section, Target};
use crate::stats::{median_of, paired_ratio};
use crate::{migrate, tc, work, Result, MARIADB_IMAGE, MIGRATIONS_MYSQL};

const NAME: &str = "6. MariaDB suite of 50 migrated-database tests";

/// Tests in the suite.
const TESTS: usize = 50;

/// Tests at a time.
const AT_ONCE: usize = 20;

/// Tests measured for the container-per-test variant in quick mode (then extrapolated).
const QUICK_PER_TEST: usize = 4;

/// The budget for one test's database, asked for with 19 others at once.
const PER_TEST_BUDGET: f64 = 0.050;

/// Each side's median time per test to its own migrated database, connected (what
/// isolation costs a test; the test's own queries come after), one per run.
static PER_TEST: Mutex<[Vec<f64>; 3]> = Mutex::new([Vec::new(), Vec::new(), Vec::new()]);

/// Runs `tests` tests with `test`, [`AT_ONCE`] at a time, and notes under side `side`
/// the median of what each test returns: the seconds it waited for its database.
async fn suite<F, Fut>(side: usize, tests: usize, test: F) -> Result<()>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<f64>>,
{
    let mut times: Vec<f64> = stream::iter(0..tests)
        .map(test)
        .buffer_unordered(AT_ONCE)
        .try_collect()
        .await?;
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    PER_TEST.lock().unwrap_or_else(|p| p.into_inner())[side].push(median);
    Ok(())
}

/// throwaway: the shared, migrated container and a fresh database per test.
pub async fn throwaway(config: &Config) -> Result<Sample> {
    let began = Instant::now();
    // As many made ahead as the suite has tests: the setting a suite of this size wants
    // (the default, 20, covers 20 tests asking at once; the other 30 would wait for
    // copies made while the first ones run).
    let db = Mysql::new(MARIADB_IMAGE)
        .migrations(Migrations::dir(MIGRATIONS_MYSQL))
        .fresh_databases_ahead(TESTS)
        .with_request(config.label())
        .start()
        .await?;
    let ready = Instant::now();
    suite(0, TESTS, |_| async {
        let asked = Instant::now();
        let database = db.fresh_database().await?;
        let mut conn = database.client().await?;
        let waited = asked.elapsed().as_secs_f64();
        work::mysql_test(&mut conn).await?;
        Ok(waited)
    })
    .await?;
    db.remove().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The `testcontainers` crate by hand: one container, and per test `CREATE DATABASE` and
/// the migrations again.
pub async fn testcontainers_shared(config: &Config) -> Result<Sample> {
    let files = migrate::load(MIGRATIONS_MYSQL)?;
    let began = Instant::now();
    let db = tc::Mariadb
        .with_tag("11")
        .with_label(RUN_LABEL, &config.run)
        .start()
        .await?;
    let ready = Instant::now();
    let (db_ref, files_ref) = (&db, &files);
    suite(1, TESTS, |i| async move {
        let asked = Instant::now();
        let name = format!("test_{i}");
        let mut admin = Conn::from_url(tc::mariadb_url(db_ref, "test").await?).await?;
        admin.query_drop(format!("CREATE DATABASE {name}")).await?;
        drop(admin);
        let mut conn = Conn::from_url(tc::mariadb_url(db_ref, &name).await?).await?;
        migrate::apply_mysql(&mut conn, files_ref).await?;
        let waited = asked.elapsed().as_secs_f64();
        work::mysql_test(&mut conn).await?;
        Ok(waited)
    })
    .await?;
    db.rm().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The `testcontainers` crate as its docs suggest: per test, a container, the migrations,
/// the test, `rm`. Runs `tests` tests; the caller extrapolates.
pub async fn testcontainers_per_test(config: &Config, tests: usize) -> Result<Sample> {
    let files = migrate::load(MIGRATIONS_MYSQL)?;
    let began = Instant::now();
    suite(2, tests, |_| async {
        let asked = Instant::now();
        let db = tc::Mariadb
            .with_tag("11")
            .with_label(RUN_LABEL, &config.run)
            .start()
            .await?;
        let mut conn = Conn::from_url(tc::mariadb_url(&db, "test").await?).await?;
        migrate::apply_mysql(&mut conn, &files).await?;
        let waited = asked.elapsed().as_secs_f64();
        work::mysql_test(&mut conn).await?;
        drop(conn);
        db.rm().await?;
        Ok(waited)
    })
    .await?;
    Ok(Sample::new(began, None, Instant::now()))
}

/// Runs workload 6.
pub async fn run(config: &Config) -> Section {
    let per_test_n = if config.quick { QUICK_PER_TEST } else { TESTS };
    let sides = [
        Side::new("throwaway", || throwaway(config)),
        Side::new("testcontainers (shared by hand)", || {
            testcontainers_shared(config)
        }),
        Side::new("testcontainers (container per test)", || {
            testcontainers_per_test(config, per_test_n)
        }),
    ];
    PER_TEST
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter_mut()
        .for_each(Vec::clear);
    let outcomes = paired(config, &sides, config.runs(3), Duration::from_secs(900)).await;
    let scale = TESTS as f64 / per_test_n as f64;
    let ours = outcomes.figure(0, |s| Some(s.total));
    let shared = outcomes.figure(1, |s| Some(s.total));
    let per_container: Vec<Option<f64>> = outcomes
        .figure(2, |s| Some(s.total))
        .into_iter()
        .map(|t| t.map(|t| t * scale))
        .collect();
    let runs = ours.len();
    let row = |measure: &str, mine: &[Option<f64>], theirs: &[Option<f64>]| Row {
        workload: NAME.to_string(),
        measure: measure.to_string(),
        throwaway: median_of(mine),
        testcontainers: median_of(theirs),
        ratio: paired_ratio(mine, theirs),
        floor: None,
        vs_floor: None,
        runs,
    };
    let per_test = PER_TEST.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let as_figures = |v: &Vec<f64>| v.iter().copied().map(Some).collect::<Vec<_>>();
    let by_hand = row("vs one container by hand", &ours, &shared);
    let per_container_row = row(
        &if per_test_n == TESTS {
            "vs a container per test".to_string()
        } else {
            format!("vs a container per test ({per_test_n} run, ×{scale:.1})")
        },
        &ours,
        &per_container,
    );
    let median_test = row(
        "median wait per test for its database (by hand: CREATE DATABASE + migrations)",
        &as_figures(&per_test[0]),
        &as_figures(&per_test[1]),
    );
    let speedup = |ratio: Option<f64>| ratio.filter(|r| *r > 0.0).map(|r| 1.0 / r);
    let budget = median_test.throwaway.map(|m| m / PER_TEST_BUDGET);
    let targets = vec![
        Target::bound(
            "6. MariaDB suite: median per test under 50 ms, 20 at once",
            budget,
            1.0,
            false,
            "share of the 50 ms budget",
        ),
        Target::bound(
            "6. MariaDB suite: ≥ 20× faster than a container per test",
            speedup(per_container_row.ratio),
            20.0,
            true,
            "speed-up",
        ),
        Target::bound(
            "6. MariaDB suite: ≥ 2× faster than the hand-made shared container",
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
        ],
    );
    if let Some(median) = median_test.throwaway {
        notes.push(format!(
            "{NAME}: throwaway's median wait per test for its own migrated database \
             (fresh_database() and a connection) was {:.1} ms with {AT_ONCE} tests at a time.",
            median * 1000.0
        ));
    }
    if per_test_n != TESTS {
        notes.push(format!(
            "{NAME}: the container-per-test variant ran {per_test_n} tests, not {TESTS}; its \
             figure is that time × {scale:.1}."
        ));
    }
    notes.push(format!(
        "{NAME}: {} migration files (the PostgreSQL schema in MySQL's dialect); tests run \
         {AT_ONCE} at a time; each test inserts an order and reads it back through a view.",
        migrate::load(MIGRATIONS_MYSQL)
            .map(|f| f.len())
            .unwrap_or(0)
    ));
    Section {
        notes,
        failed: outcomes.any_failed(0),
        rows: vec![median_test, by_hand, per_container_row],
        targets,
    }
}

//! Workload 8, the soak: load held for a while in one process, and nothing grows.
//!
//! 500 container cycles (start → ready → one request → drop), mixed Redis, PostgreSQL and
//! a generic container, 4 at a time; then 2,000 fresh databases, 4 at a time, from one
//! shared PostgreSQL. Throwaway alone: the question is whether the library holds up, not
//! how it compares. Reported: failures (target 0), containers and databases of ours left
//! once the background removals have finished (0), this process's open file descriptors
//! and resident memory before and after (growth under 5 %), and the mean cycle time of the
//! first and the last 50 cycles (slowdown under 10 %).
//!
//! "Before" is taken after a warm-up of a few cycles of each kind, so that what is made
//! once per process (the engine client, the reaper's connection, the runtime's threads,
//! the clients' pools) counts as the baseline rather than as growth.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use throwaway::postgres::Postgres;
use throwaway::redis::Redis;
use throwaway::ContainerRequest;

use super::Config;
use crate::cleanup::{docker, run_filter};
use crate::report::{Row, Section, Target, Verdict};
use crate::{Result, POSTGRES_IMAGE, REDIS_IMAGE};

const NAME: &str = "7. soak";

/// The generic image of the mix: the tools image the library's own tests use.
const GENERIC_IMAGE: &str = "throwaway-test/tools:1";

/// How many cycles and databases, full and quick.
const CYCLES: usize = 500;
const QUICK_CYCLES: usize = 21;
const DATABASES: usize = 2_000;
const QUICK_DATABASES: usize = 50;

/// How many at once, for cycles and databases alike.
const AT_ONCE: usize = 4;

/// How many cycles the first and last windows hold.
const WINDOW: usize = 50;

/// Warm-up cycles of each kind before the baseline is taken.
const WARMUP_PER_KIND: usize = 2;

/// How long the removals that `Drop` handed to the background may take to finish.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// The three kinds of container the cycles rotate through.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Redis,
    Postgres,
    Generic,
}

impl Kind {
    fn of(cycle: usize) -> Kind {
        [Kind::Redis, Kind::Postgres, Kind::Generic][cycle % 3]
    }
}

/// What this process holds: open file descriptors and resident memory (KiB).
#[derive(Debug, Clone, Copy)]
struct Footprint {
    fds: usize,
    rss_kib: u64,
}

impl Footprint {
    fn now() -> Footprint {
        let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count());
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let rss_kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        Footprint { fds, rss_kib }
    }
}

/// One cycle: start a container of `kind`, make one request to it, drop it (its removal
/// goes on in the background, as at the end of a test).
async fn cycle(config: &Config, kind: Kind) -> Result<()> {
    match kind {
        Kind::Redis => {
            let redis = Redis::new(REDIS_IMAGE)
                .with_request(config.label())
                .start()
                .await?;
            let mut connection = redis.async_connection().await?;
            let pong: String = redis::cmd("PING").query_async(&mut connection).await?;
            if pong != "PONG" {
                return Err(format!("Redis answered {pong:?} to PING").into());
            }
        }
        Kind::Postgres => {
            let pg = Postgres::new(POSTGRES_IMAGE)
                .with_request(config.label())
                .start()
                .await?;
            pg.client().await?.simple_query("SELECT 1").await?;
        }
        Kind::Generic => {
            let generic = (config.label())(ContainerRequest::new(GENERIC_IMAGE))
                .cmd(["sleep", "300"])
                .start()
                .await?;
            let out = generic.exec(["echo", "soak"]).await?;
            if out.stdout_text() != "soak\n" {
                return Err(format!("exec answered {:?}", out.stdout_text()).into());
            }
        }
    }
    Ok(())
}

/// Runs `cycles` cycles, `AT_ONCE` at a time; the duration of each, in order of start.
async fn cycles(config: &Config, count: usize, errors: &Errors) -> Vec<Option<f64>> {
    stream::iter(0..count)
        .map(|i| async move {
            let began = Instant::now();
            match cycle(config, Kind::of(i)).await {
                Ok(()) => Some(began.elapsed().as_secs_f64()),
                Err(err) => {
                    errors.record(format!("cycle {i} ({:?}): {err}", Kind::of(i)));
                    None
                }
            }
        })
        .buffered(AT_ONCE)
        .collect()
        .await
}

/// Failures, counted, with the first few kept to be shown.
#[derive(Default)]
struct Errors {
    count: AtomicUsize,
    first: std::sync::Mutex<Vec<String>>,
}

impl Errors {
    fn record(&self, message: String) {
        eprintln!("bench: soak: {message}");
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first.lock().unwrap_or_else(|p| p.into_inner());
        if first.len() < 3 {
            first.push(message);
        }
    }
}

/// Databases of the shared PostgreSQL, to compare before and after.
async fn database_count(pg: &throwaway::postgres::PostgresContainer) -> Result<i64> {
    let row = pg
        .client()
        .await?
        .query_one("SELECT count(*) FROM pg_database", &[])
        .await?;
    Ok(row.get::<_, i64>(0))
}

/// `count` fresh databases from `pg`, `AT_ONCE` at a time, each connected to and dropped.
async fn databases(
    pg: &throwaway::postgres::PostgresContainer,
    count: usize,
    errors: &Errors,
) -> f64 {
    let began = Instant::now();
    stream::iter(0..count)
        .for_each_concurrent(AT_ONCE, |i| async move {
            let made = async {
                let db = pg.fresh_database().await?;
                db.client().await?.simple_query("SELECT 1").await?;
                Ok::<_, crate::BoxError>(())
            };
            if let Err(err) = made.await {
                errors.record(format!("database {i}: {err}"));
            }
        })
        .await;
    began.elapsed().as_secs_f64()
}

/// Containers of this run still on the engine once at most `keep` are, waiting up to
/// [`SETTLE_LIMIT`] for the removals that `Drop` handed to the background.
async fn containers_left(config: &Config, keep: usize) -> Result<usize> {
    let deadline = Instant::now() + SETTLE_LIMIT;
    loop {
        let left = docker()
            .await?
            .list_containers(Some(bollard::query_parameters::ListContainersOptions {
                all: true,
                filters: Some(run_filter(&config.run)),
                ..Default::default()
            }))
            .await?
            .len();
        if left <= keep || Instant::now() >= deadline {
            return Ok(left);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Databases made by the soak still in `pg`, waiting up to [`SETTLE_LIMIT`] for the
/// background drops.
async fn databases_left(pg: &throwaway::postgres::PostgresContainer, baseline: i64) -> Result<i64> {
    let deadline = Instant::now() + SETTLE_LIMIT;
    loop {
        let left = database_count(pg).await? - baseline;
        if left <= 0 || Instant::now() >= deadline {
            return Ok(left);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The mean of the figures that are there.
fn mean(values: &[Option<f64>]) -> Option<f64> {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64)
}

/// Growth from `before` to `after` as a fraction (0.03 is 3 %).
fn growth(before: f64, after: f64) -> f64 {
    if before <= 0.0 {
        return 0.0;
    }
    (after - before) / before
}

fn target(goal: &str, met: bool, detail: String) -> Target {
    Target {
        goal: goal.to_string(),
        verdict: if met { Verdict::Met } else { Verdict::Missed },
        detail,
    }
}

/// Runs workload 8.
pub async fn run(config: &Config) -> Section {
    match soak(config).await {
        Ok(section) => section,
        Err(err) => Section {
            notes: vec![format!("{NAME}: could not run: {err}")],
            failed: true,
            ..Default::default()
        },
    }
}

async fn soak(config: &Config) -> Result<Section> {
    let (n_cycles, n_databases) = if config.quick {
        (QUICK_CYCLES, QUICK_DATABASES)
    } else {
        (CYCLES, DATABASES)
    };
    let window = WINDOW.min(n_cycles / 2);
    let errors = Errors::default();

    // Warm-up: each kind a few times, then the shared PostgreSQL started and used once.
    let warmup = cycles(config, 3 * WARMUP_PER_KIND, &errors).await;
    let warmup_failures = warmup.iter().filter(|d| d.is_none()).count();
    let pg = Postgres::new(POSTGRES_IMAGE)
        .with_request(config.label())
        .start()
        .await?;
    let databases_before = database_count(&pg).await?;
    databases(&pg, AT_ONCE, &errors).await;
    databases_left(&pg, databases_before).await?;
    // The warm-up's removals finish first, so that the baseline holds none in flight.
    containers_left(config, 1).await?;
    let before = Footprint::now();

    let began = Instant::now();
    let durations = cycles(config, n_cycles, &errors).await;
    let cycles_took = began.elapsed().as_secs_f64();
    let databases_took = databases(&pg, n_databases, &errors).await;

    let dbs_left = databases_left(&pg, databases_before).await?;
    drop(pg);
    let left = containers_left(config, 0).await?;
    let after = Footprint::now();

    let failures = errors.count.load(Ordering::Relaxed) - warmup_failures;
    let first = mean(&durations[..window]);
    let last = mean(&durations[durations.len() - window..]);
    let slowdown = match (first, last) {
        (Some(first), Some(last)) => Some(growth(first, last)),
        _ => None,
    };
    let fd_growth = growth(before.fds as f64, after.fds as f64);
    let rss_growth = growth(before.rss_kib as f64, after.rss_kib as f64);

    let row = |measure: String, value: Option<f64>| Row {
        workload: NAME.to_string(),
        measure,
        throwaway: value,
        runs: 1,
        ..Default::default()
    };
    let rows = vec![
        row(format!("mean cycle, first {window} cycles"), first),
        row(format!("mean cycle, last {window} cycles"), last),
        row(
            format!("{n_cycles} cycles, {AT_ONCE} at a time"),
            Some(cycles_took),
        ),
        row(
            format!("{n_databases} fresh databases, {AT_ONCE} at a time"),
            Some(databases_took),
        ),
    ];
    let percent = |g: f64| format!("{:+.1} %", g * 100.0);
    let targets = vec![
        target(
            "7. soak: no failures",
            failures == 0,
            format!("{failures} of {n_cycles} cycles and {n_databases} databases failed"),
        ),
        target(
            "7. soak: nothing of ours left",
            left == 0 && dbs_left <= 0,
            format!(
                "{left} container(s) and {} database(s) left once the removals finished",
                dbs_left.max(0)
            ),
        ),
        target(
            "7. soak: open file descriptors flat (growth under 5 %)",
            fd_growth < 0.05,
            format!("{} → {} ({})", before.fds, after.fds, percent(fd_growth)),
        ),
        target(
            "7. soak: resident memory flat (growth under 5 %)",
            rss_growth < 0.05,
            format!(
                "{:.1} → {:.1} MiB ({})",
                before.rss_kib as f64 / 1024.0,
                after.rss_kib as f64 / 1024.0,
                percent(rss_growth)
            ),
        ),
        match slowdown {
            Some(s) => target(
                &format!("7. soak: last {window} cycles no slower than the first (under 10 %)"),
                s < 0.10,
                format!(
                    "{:.3} s → {:.3} s per cycle ({})",
                    first.unwrap_or_default(),
                    last.unwrap_or_default(),
                    percent(s)
                ),
            ),
            None => Target {
                goal: format!("7. soak: last {window} cycles no slower than the first"),
                verdict: Verdict::Unknown,
                detail: "not measured: the cycles failed".to_string(),
            },
        },
    ];
    let mut notes = vec![format!(
        "{NAME}: {n_cycles} cycles (start → ready → one request → drop) rotating through \
         {REDIS_IMAGE}, {POSTGRES_IMAGE} and {GENERIC_IMAGE}, {AT_ONCE} at a time, then \
         {n_databases} fresh_database() + connection + drop from one shared {POSTGRES_IMAGE}; \
         footprint before: after {} warm-up cycles and {AT_ONCE} databases; after: once every \
         background removal had finished.",
        3 * WARMUP_PER_KIND
    )];
    if failures > 0 {
        let first = errors.first.lock().unwrap_or_else(|p| p.into_inner());
        notes.push(format!("{NAME}: failures: {}", first.join("; ")));
    }
    if warmup_failures > 0 {
        notes.push(format!("{NAME}: {warmup_failures} warm-up cycle(s) failed"));
    }
    let failed = failures + warmup_failures > 0 || left > 0 || dbs_left > 0;
    Ok(Section {
        rows,
        targets,
        notes,
        failed,
    })
}

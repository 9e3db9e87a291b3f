//! Workload 7: a suite of 50 tests, each with a container of its own that it starts, uses
//! once and drops, as many at a time as the machine has cores (as `cargo test` runs them):
//! first with Redis, then with PostgreSQL. What a test waits for at its end is the `Drop`:
//! throwaway hands the removal to the background, the `testcontainers` crate's `Drop`
//! blocks until the engine has removed the container.
//!
//! Figures per service: the suite's wall time (every test done), the time until every
//! container is gone too (throwaway's removals finish after the tests; a process would
//! finish them at exit or hand them to the reaper), and the `Drop` latency over all the
//! suite's drops (median and 95th percentile).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use throwaway::postgres::Postgres;
use throwaway::redis::Redis;
use tokio::sync::Semaphore;

use super::{paired, Config, Sample, Side};
use crate::cleanup::{docker, run_filter, RUN_LABEL};
use crate::report::{Row, Section, Target};
use crate::stats::median;
use crate::{migrate, tc, work, Result, POSTGRES_IMAGE, REDIS_IMAGE};

const NAME: &str = "7. 50 tests, a container each";

/// Tests in the suite.
const TESTS: usize = 50;

/// Tests in quick mode: enough drops for a median, little time on CI.
const QUICK_TESTS: usize = 6;

/// The target for the median `Drop`.
const DROP_TARGET: f64 = 0.005;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Redis,
    Postgres,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Redis => "Redis",
            Service::Postgres => "PostgreSQL",
        }
    }
}

/// Per side (0 throwaway, 1 testcontainers), per run of that side (warm-up included), the
/// seconds each `drop` took.
static DROPS: Mutex<[Vec<Vec<f64>>; 2]> = Mutex::new([Vec::new(), Vec::new()]);

/// One test with throwaway: start, one use, drop; returns how long the drop took.
async fn throwaway_test(config: Config, service: Service) -> Result<f64> {
    match service {
        Service::Redis => {
            let redis = Redis::new(REDIS_IMAGE)
                .with_request(config.label())
                .start()
                .await?;
            let mut connection = redis.async_connection().await?;
            work::redis_list(&mut connection).await?;
            drop(connection);
            Ok(time_drop(redis))
        }
        Service::Postgres => {
            let pg = Postgres::new(POSTGRES_IMAGE)
                .with_request(config.label())
                .start()
                .await?;
            let client = pg.client().await?;
            work::postgres_one_query(&client).await?;
            drop(client);
            Ok(time_drop(pg))
        }
    }
}

/// One test with the `testcontainers` crate, as its docs write one.
async fn testcontainers_test(config: Config, service: Service) -> Result<f64> {
    match service {
        Service::Redis => {
            let redis = tc::Redis
                .with_tag("7.0")
                .with_label(RUN_LABEL, &config.run)
                .start()
                .await?;
            let client = redis::Client::open(tc::redis_url(&redis).await?)?;
            let mut connection = client.get_multiplexed_async_connection().await?;
            work::redis_list(&mut connection).await?;
            drop(connection);
            Ok(time_drop(redis))
        }
        Service::Postgres => {
            let pg = tc::Postgres
                .with_tag("15")
                .with_label(RUN_LABEL, &config.run)
                .start()
                .await?;
            let client = migrate::connect(&tc::postgres_url(&pg, "postgres").await?).await?;
            work::postgres_one_query(&client).await?;
            drop(client);
            Ok(time_drop(pg))
        }
    }
}

/// Runs the suite for one side: every test in a task of its own (as the test harness gives
/// each test a thread, so that one test's blocking `Drop` stalls no other), at most
/// `config.parallelism` at a time. `ready` in the sample is when every test was done,
/// `total` when every container of the run was gone as well.
async fn suite(config: &Config, side: usize, service: Service, tests: usize) -> Result<Sample> {
    let began = Instant::now();
    let permits = Arc::new(Semaphore::new(config.parallelism));
    let mut handles = Vec::new();
    for _ in 0..tests {
        let (config, permits) = (config.clone(), permits.clone());
        handles.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await?;
            if side == 0 {
                throwaway_test(config, service).await
            } else {
                testcontainers_test(config, service).await
            }
        }));
    }
    let mut drops = Vec::new();
    let mut failure = None;
    for handle in handles {
        match handle.await {
            Ok(Ok(took)) => drops.push(took),
            Ok(Err(err)) => failure = failure.or(Some(err.to_string())),
            Err(err) => failure = failure.or(Some(format!("a test panicked: {err}"))),
        }
    }
    let done = Instant::now();
    DROPS.lock().unwrap_or_else(|p| p.into_inner())[side].push(drops);
    if let Some(failure) = failure {
        return Err(failure.into());
    }
    all_gone(&config.run, Duration::from_secs(120)).await?;
    Ok(Sample::new(began, Some(done), Instant::now()))
}

/// Waits until no container of this bench run is left.
async fn all_gone(run: &str, within: Duration) -> Result<()> {
    use bollard::query_parameters::ListContainersOptions;
    let deadline = Instant::now() + within;
    loop {
        let left = docker()
            .await?
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(run_filter(run)),
                ..Default::default()
            }))
            .await?
            .len();
        if left == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(
                format!("{left} container(s) still there {within:?} after the suite").into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The `p`-th percentile (0–100) of `values`, nearest rank.
fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The rows and targets of one service.
async fn service_rows(config: &Config, service: Service, tests: usize) -> Section {
    DROPS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter_mut()
        .for_each(Vec::clear);
    let sides = [
        Side::new("throwaway", || suite(config, 0, service, tests)),
        Side::new("testcontainers", || suite(config, 1, service, tests)),
    ];
    let outcomes = paired(config, &sides, config.runs(3), Duration::from_secs(900)).await;
    let workload = format!("{NAME} ({})", service.name());
    let wall = outcomes.row(&workload, "suite wall time, every test done", None, |s| {
        s.ready
    });
    let gone = outcomes.row(
        &workload,
        "suite, until every container is gone",
        None,
        |s| Some(s.total),
    );
    // Every measured drop of each side, warm-up runs left out.
    let drops: Vec<Vec<f64>> = DROPS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|runs| {
            runs.iter()
                .skip(config.warmups())
                .flatten()
                .copied()
                .collect()
        })
        .collect();
    let drop_row = |measure: &str, pick: &dyn Fn(&[f64]) -> Option<f64>| {
        let (ours, theirs) = (pick(&drops[0]), pick(&drops[1]));
        Row {
            workload: workload.clone(),
            measure: measure.to_string(),
            throwaway: ours,
            testcontainers: theirs,
            ratio: match (ours, theirs) {
                (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                _ => None,
            },
            floor: None,
            vs_floor: None,
            runs: outcomes.samples[0].len(),
        }
    };
    let drop_median = drop_row("Drop latency, median", &|d| median(d));
    let drop_p95 = drop_row("Drop latency, p95", &|d| percentile(d, 95.0));
    let targets = vec![Target::bound(
        &format!("7. {}: Drop median ≤ 5 ms", service.name()),
        drop_median.throwaway.map(|m| m / DROP_TARGET),
        1.0,
        false,
        "share of the 5 ms budget",
    )];
    let mut notes = outcomes.notes(&workload, &["throwaway", "testcontainers"]);
    notes.push(format!(
        "{workload}: {tests} tests, {} at a time, each in a task of its own; Drop latency \
         over {} drops per side; ratios of the suite times are paired per run, those of the \
         Drop latencies are of the medians.",
        config.parallelism,
        drops[0].len()
    ));
    Section {
        notes,
        failed: outcomes.any_failed(0),
        rows: vec![wall, gone, drop_median, drop_p95],
        targets,
    }
}

/// Runs workload 7: Redis, then PostgreSQL.
pub async fn run(config: &Config) -> Section {
    let tests = if config.quick { QUICK_TESTS } else { TESTS };
    let mut section = service_rows(config, Service::Redis, tests).await;
    let postgres = service_rows(config, Service::Postgres, tests).await;
    section.rows.extend(postgres.rows);
    section.targets.extend(postgres.targets);
    section.notes.extend(postgres.notes);
    section.failed |= postgres.failed;
    section
}

/// How long dropping `value` takes, in seconds: the test's wait for its container's
/// teardown.
fn time_drop<T>(value: T) -> f64 {
    let dropping = Instant::now();
    drop(value);
    dropping.elapsed().as_secs_f64()
}

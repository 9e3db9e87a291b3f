//! Workload 2: PostgreSQL, start → ready → one query → container gone.
//!
//! throwaway runs twice in each round: from a snapshot of the initialised data (its
//! default), and with snapshots off. The snapshot is made for this bench run (its key
//! names the run), by one start before the measured rounds, timed and shown apart; the
//! bench removes it at the end. Redis runs in the same rounds, for the ratio of the two
//! times to ready.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use throwaway::postgres::Postgres;

use super::{paired, redis_cycle, Config, Sample, Side};
use crate::cleanup::RUN_LABEL;
use crate::report::{Row, Section, Target};
use crate::stats::{median_of, paired_ratio};
use crate::{floor, migrate, tc, work, Result, POSTGRES_IMAGE};

const NAME: &str = "2. PostgreSQL";

/// The snapshot volumes this bench run made, removed by [`remove_snapshots`].
static MADE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// `pg` with snapshots on and a key of this bench run's own (so that the run makes its
/// snapshot, and shows what that costs, rather than find one of an earlier run), or off.
pub fn with_snapshots(pg: Postgres, config: &Config, on: bool) -> Postgres {
    if on {
        pg.snapshot_key(format!("bench run {}", config.run))
    } else {
        pg.snapshots(false)
    }
}

/// Notes the snapshot `pg` started from, for [`remove_snapshots`].
pub fn record(pg: &throwaway::postgres::PostgresContainer) {
    if let (Some(volume), Ok(mut made)) = (pg.snapshot(), MADE.lock()) {
        if !made.iter().any(|v| v == volume) {
            made.push(volume.to_string());
        }
    }
}

/// Removes the snapshot volumes this bench run made; returns how many.
pub async fn remove_snapshots() -> usize {
    let made = MADE
        .lock()
        .map(|mut m| std::mem::take(&mut *m))
        .unwrap_or_default();
    let Ok(docker) = crate::cleanup::docker().await else {
        return 0;
    };
    let mut removed = 0;
    for volume in made {
        let options = None::<bollard::query_parameters::RemoveVolumeOptions>;
        match docker.remove_volume(&volume, options).await {
            Ok(()) => removed += 1,
            Err(err) => eprintln!("bench: snapshot {volume} not removed: {err}"),
        }
    }
    removed
}

/// throwaway: `Postgres::start` with its defaults (snapshots `on` or off), a client, the
/// query, `remove`.
pub async fn throwaway(config: &Config, snapshots: bool) -> Result<Sample> {
    let began = Instant::now();
    let pg = with_snapshots(Postgres::new(POSTGRES_IMAGE), config, snapshots)
        .with_request(config.label())
        .start()
        .await?;
    record(&pg);
    let ready = Instant::now();
    let client = pg.client().await?;
    work::postgres_one_query(&client).await?;
    drop(client);
    pg.remove().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The `testcontainers` crate: the module's image at tag 15, a client for the URL its users
/// build, the query, `rm`.
pub async fn testcontainers(config: &Config) -> Result<Sample> {
    let began = Instant::now();
    let pg = tc::Postgres
        .with_tag("15")
        .with_label(RUN_LABEL, &config.run)
        .start()
        .await?;
    let ready = Instant::now();
    let client = migrate::connect(&tc::postgres_url(&pg, "postgres").await?).await?;
    work::postgres_one_query(&client).await?;
    drop(client);
    pg.rm().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The floor: create + start over the raw API, `SELECT 1` until it answers, the query,
/// remove.
pub async fn floor(config: &Config) -> Result<Sample> {
    let began = Instant::now();
    let (container, client) = floor::postgres(&config.run).await?;
    let ready = Instant::now();
    work::postgres_one_query(&client).await?;
    drop(client);
    container.remove().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// Runs workload 2.
pub async fn run(config: &Config) -> Section {
    // The first start of the configuration makes the snapshot: timed here, apart.
    let first = throwaway(config, true).await;
    let _ = crate::cleanup::sweep(&config.run).await;
    let sides = [
        Side::new("throwaway", || throwaway(config, true)),
        Side::new("testcontainers", || testcontainers(config)),
        Side::new("floor", || floor(config)),
        Side::new("throwaway, snapshots off", || throwaway(config, false)),
        Side::new("throwaway Redis", || redis_cycle::throwaway(config)),
    ];
    let outcomes = paired(config, &sides, config.runs(7), Duration::from_secs(180)).await;
    let ready = outcomes.row(NAME, "time to ready", Some(2), |s| s.ready);
    let cycle = outcomes.row(NAME, "whole cycle", Some(2), |s| Some(s.total));
    let ours_ready = outcomes.figure(0, |s| s.ready);
    let off_ready = outcomes.figure(3, |s| s.ready);
    let redis_ready = outcomes.figure(4, |s| s.ready);
    let theirs_ready = outcomes.figure(1, |s| s.ready);
    let floor_ready = outcomes.figure(2, |s| s.ready);
    let off_cycle = outcomes.figure(3, |s| Some(s.total));
    let theirs_cycle = outcomes.figure(1, |s| Some(s.total));
    let floor_cycle = outcomes.figure(2, |s| Some(s.total));
    let runs = ours_ready.len();
    let off_row =
        |measure: &str, ours: &[Option<f64>], theirs: &[Option<f64>], floor: &[Option<f64>]| Row {
            workload: NAME.to_string(),
            measure: measure.to_string(),
            throwaway: median_of(ours),
            testcontainers: median_of(theirs),
            ratio: paired_ratio(ours, theirs),
            floor: median_of(floor),
            vs_floor: paired_ratio(ours, floor),
            runs,
        };
    let off_ready_row = off_row(
        "time to ready, snapshots off",
        &off_ready,
        &theirs_ready,
        &floor_ready,
    );
    let off_cycle_row = off_row(
        "whole cycle, snapshots off",
        &off_cycle,
        &theirs_cycle,
        &floor_cycle,
    );
    let first_row = Row {
        workload: NAME.to_string(),
        measure: "first start, making the snapshot (ready; once)".to_string(),
        throwaway: first.as_ref().ok().and_then(|s| s.ready),
        runs: usize::from(first.is_ok()),
        ..Default::default()
    };
    let vs_redis = paired_ratio(&ours_ready, &redis_ready);
    let targets = vec![
        Target::bound(
            "2. PostgreSQL from a snapshot: time to ready ≤ 0.45 s (median)",
            ready.throwaway,
            0.45,
            false,
            "seconds",
        ),
        Target::bound(
            "2. PostgreSQL from a snapshot: time to ready ≤ 1.7× Redis's, same run",
            vs_redis,
            1.7,
            false,
            "PostgreSQL / Redis",
        ),
        Target::bound(
            "2. PostgreSQL from a snapshot: whole cycle ≤ 0.25× testcontainers",
            cycle.ratio,
            0.25,
            false,
            "throwaway / testcontainers",
        ),
        Target::bound(
            "2. PostgreSQL, snapshots off: whole cycle ≤ 0.5× testcontainers",
            off_cycle_row.ratio,
            0.5,
            false,
            "throwaway / testcontainers",
        ),
    ];
    let mut notes = outcomes.notes(
        NAME,
        &[
            "throwaway",
            "testcontainers",
            "floor",
            "throwaway, snapshots off",
            "throwaway Redis",
        ],
    );
    if let Err(err) = &first {
        notes.push(format!("{NAME}: the snapshot-making start failed: {err}"));
    }
    notes.push(format!(
        "{NAME}: throwaway starts from a snapshot made by this run's first start (shown apart, \
         once); Redis's time to ready in the same rounds: {} (median), PostgreSQL / Redis \
         {} (median of pairs).",
        median_of(&redis_ready).map_or("–".to_string(), |r| format!("{r:.3} s")),
        vs_redis.map_or("–".to_string(), |r| format!("{r:.2}×")),
    ));
    notes.push(format!(
        "{NAME}: the floor runs the image as it comes (data on its anonymous volume, fsync \
         on); throwaway puts the data directory on tmpfs with fsync off, the testcontainers \
         module turns fsync off, so both may beat the floor."
    ));
    let removed = remove_snapshots().await;
    notes.push(format!(
        "{NAME}: the bench removed the {removed} snapshot(s) this run made."
    ));
    Section {
        notes,
        failed: outcomes.any_failed(0) || outcomes.any_failed(2) || outcomes.any_failed(3),
        rows: vec![first_row, ready, off_ready_row, cycle, off_cycle_row],
        targets,
    }
}

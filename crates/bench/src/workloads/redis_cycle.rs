//! Workload 1: Redis, start → ready → push and read a list → container gone.

use std::time::{Duration, Instant};

use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use throwaway::redis::Redis;

use super::{paired, Config, Sample, Side};
use crate::cleanup::RUN_LABEL;
use crate::report::{Section, Target};
use crate::{floor, tc, work, Result, REDIS_IMAGE};

const NAME: &str = "1. Redis";

/// throwaway: `Redis::start`, a connection, the list, `remove`.
pub async fn throwaway(config: &Config) -> Result<Sample> {
    let began = Instant::now();
    let redis = Redis::new(REDIS_IMAGE)
        .with_request(config.label())
        .start()
        .await?;
    let ready = Instant::now();
    let mut connection = redis.async_connection().await?;
    work::redis_list(&mut connection).await?;
    drop(connection);
    redis.remove().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The `testcontainers` crate: the module's image at tag 7.0, a connection to the URL its
/// users build, the list, `rm`.
pub async fn testcontainers(config: &Config) -> Result<Sample> {
    let began = Instant::now();
    let redis = tc::Redis
        .with_tag("7.0")
        .with_label(RUN_LABEL, &config.run)
        .start()
        .await?;
    let ready = Instant::now();
    let client = redis::Client::open(tc::redis_url(&redis).await?)?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    work::redis_list(&mut connection).await?;
    drop(connection);
    redis.rm().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The floor: create + start over the raw API, `PING` until it answers, the list, remove.
pub async fn floor(config: &Config) -> Result<Sample> {
    let began = Instant::now();
    let (container, mut connection) = floor::redis(&config.run).await?;
    let ready = Instant::now();
    work::redis_list(&mut connection).await?;
    drop(connection);
    container.remove().await?;
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// Runs workload 1.
pub async fn run(config: &Config) -> Section {
    let sides = [
        Side::new("throwaway", || throwaway(config)),
        Side::new("testcontainers", || testcontainers(config)),
        Side::new("floor", || floor(config)),
    ];
    let outcomes = paired(config, &sides, config.runs(9), Duration::from_secs(120)).await;
    let ready = outcomes.row(NAME, "time to ready", Some(2), |s| s.ready);
    let cycle = outcomes.row(NAME, "whole cycle", Some(2), |s| Some(s.total));
    let targets = vec![
        Target::bound(
            "1. Redis: time to ready within 1.1× the floor",
            ready.vs_floor,
            1.1,
            false,
            "throwaway / floor",
        ),
        Target::bound(
            "1. Redis: whole cycle ≤ 0.9× testcontainers",
            cycle.ratio,
            0.9,
            false,
            "throwaway / testcontainers",
        ),
    ];
    Section {
        notes: outcomes.notes(NAME, &["throwaway", "testcontainers", "floor"]),
        failed: outcomes.any_failed(0) || outcomes.any_failed(2),
        rows: vec![ready, cycle],
        targets,
    }
}

//! Workload 2: PostgreSQL, start → ready → one query → container gone.

use std::time::{Duration, Instant};

use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use throwaway::postgres::Postgres;

use super::{paired, Config, Sample, Side};
use crate::cleanup::RUN_LABEL;
use crate::report::{Section, Target};
use crate::{floor, migrate, tc, work, Result, POSTGRES_IMAGE};

const NAME: &str = "2. PostgreSQL";

/// throwaway: `Postgres::start` with its defaults, a client, the query, `remove`.
pub async fn throwaway(config: &Config) -> Result<Sample> {
    let began = Instant::now();
    let pg = Postgres::new(POSTGRES_IMAGE)
        .with_request(config.label())
        .start()
        .await?;
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
    let sides = [
        Side::new("throwaway", || throwaway(config)),
        Side::new("testcontainers", || testcontainers(config)),
        Side::new("floor", || floor(config)),
    ];
    let outcomes = paired(config, &sides, config.runs(7), Duration::from_secs(180)).await;
    let ready = outcomes.row(NAME, "time to ready", Some(2), |s| s.ready);
    let cycle = outcomes.row(NAME, "whole cycle", Some(2), |s| Some(s.total));
    let targets = vec![Target::bound(
        "2. PostgreSQL: whole cycle ≤ 0.5× testcontainers",
        cycle.ratio,
        0.5,
        false,
        "throwaway / testcontainers",
    )];
    let mut notes = outcomes.notes(NAME, &["throwaway", "testcontainers", "floor"]);
    notes.push(format!(
        "{NAME}: the floor runs the image as it comes (data on its anonymous volume, fsync \
         on); throwaway puts the data directory on tmpfs with fsync off, the testcontainers \
         module turns fsync off, so both may beat the floor."
    ));
    Section {
        notes,
        failed: outcomes.any_failed(0) || outcomes.any_failed(2),
        rows: vec![ready, cycle],
        targets,
    }
}

//! Workload 3: eight Redis containers started concurrently (`join_all` in one task), then
//! removed.
//!
//! The `testcontainers` crate is said to stall until its startup timeout (60 s) in this
//! pattern. Each side notes when each of its eight starts finished, and gives up after
//! [`GIVE_UP`] so that the bench never hangs; a start that has not finished by then is
//! counted as stalled, and its container is removed by the bench.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use testcontainers::runners::AsyncRunner;
use testcontainers::ImageExt;
use throwaway::redis::Redis;

use super::{paired, Config, Sample, Side};
use crate::cleanup::RUN_LABEL;
use crate::report::{Section, Target};
use crate::{floor, tc, Result, REDIS_IMAGE};

const NAME: &str = "3. 8 × Redis, concurrently";

/// How many containers start at once.
pub const COUNT: usize = 8;

/// How long a side may take to have all eight ready: longer than the `testcontainers`
/// crate's own startup timeout (60 s), so that its behaviour shows.
pub const GIVE_UP: Duration = Duration::from_secs(75);

/// When each start of a run finished (seconds since the run began) and whether it worked.
type Finished = Arc<Mutex<Vec<(f64, bool)>>>;

/// What the sides saw, run by run: a line per run.
#[derive(Debug, Default)]
pub struct Log(Mutex<Vec<String>>);

impl Log {
    fn push(&self, line: String) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(line);
        }
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// Starts `COUNT` services with `start`, all from this task, waits for all of them (at most
/// [`GIVE_UP`]), and describes what happened. Returns the started ones and when the last
/// became ready.
async fn start_all<T, F, Fut>(side: &str, began: Instant, log: &Log, start: F) -> Result<Vec<T>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let finished: Finished = Arc::default();
    let starts = (0..COUNT).map(|_| {
        let finished = finished.clone();
        let started = start();
        async move {
            let result = started.await;
            if let Ok(mut f) = finished.lock() {
                f.push((began.elapsed().as_secs_f64(), result.is_ok()));
            }
            result
        }
    });
    let outcome = tokio::time::timeout(GIVE_UP, join_all(starts)).await;
    let mut times = finished.lock().map(|f| f.clone()).unwrap_or_default();
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ready: Vec<String> = times
        .iter()
        .map(|(t, ok)| format!("{t:.2}{}", if *ok { "" } else { "✗" }))
        .collect();
    let ok = times.iter().filter(|(_, ok)| *ok).count();
    let describe = format!(
        "{side}: {ok}/{COUNT} ready; starts finished at [{}] s{}",
        ready.join(", "),
        if outcome.is_err() {
            format!(
                "; {} still starting when the bench gave up at {} s",
                COUNT - times.len(),
                GIVE_UP.as_secs()
            )
        } else {
            String::new()
        }
    );
    log.push(describe.clone());
    match outcome {
        Ok(results) => {
            let mut started = Vec::new();
            let mut errors = Vec::new();
            for result in results {
                match result {
                    Ok(s) => started.push(s),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            if errors.is_empty() {
                Ok(started)
            } else {
                errors.dedup();
                Err(format!("{describe}; errors: {}", errors.join("; ")).into())
            }
        }
        Err(_) => Err(describe.into()),
    }
}

/// throwaway: eight `Redis::start` in one `join_all`, then eight `remove`.
pub async fn throwaway(config: &Config, log: &Log) -> Result<Sample> {
    let began = Instant::now();
    let all = start_all("throwaway", began, log, || async {
        Ok(Redis::new(REDIS_IMAGE)
            .with_request(config.label())
            .start()
            .await?)
    })
    .await?;
    let ready = Instant::now();
    for removed in join_all(all.into_iter().map(|r| r.remove())).await {
        removed?;
    }
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The `testcontainers` crate: eight starts of the module's image in one `join_all`, then
/// eight `rm`.
pub async fn testcontainers(config: &Config, log: &Log) -> Result<Sample> {
    let began = Instant::now();
    let all = start_all("testcontainers", began, log, || async {
        Ok(tc::Redis
            .with_tag("7.0")
            .with_label(RUN_LABEL, &config.run)
            .start()
            .await?)
    })
    .await?;
    let ready = Instant::now();
    for removed in join_all(all.into_iter().map(|r| r.rm())).await {
        removed?;
    }
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// The floor: eight raw-API starts probed with `PING`, then eight removals.
pub async fn floor(config: &Config, log: &Log) -> Result<Sample> {
    let began = Instant::now();
    let all = start_all("floor", began, log, || floor::redis(&config.run)).await?;
    let ready = Instant::now();
    for removed in join_all(all.into_iter().map(|(c, _)| c.remove())).await {
        removed?;
    }
    Ok(Sample::new(began, Some(ready), Instant::now()))
}

/// Runs workload 3.
pub async fn run(config: &Config) -> Section {
    let log = Log::default();
    let sides = [
        Side::new("throwaway", || throwaway(config, &log)),
        Side::new("testcontainers", || testcontainers(config, &log)),
        Side::new("floor", || floor(config, &log)),
    ];
    let limit = GIVE_UP + Duration::from_secs(60);
    let outcomes = paired(config, &sides, config.runs(5), limit).await;
    let ready = outcomes.row(NAME, "all 8 ready", Some(2), |s| s.ready);
    let cycle = outcomes.row(NAME, "whole cycle", Some(2), |s| Some(s.total));
    let lines = log.lines();
    let stalled = |side: &str| {
        lines
            .iter()
            .filter(|l| l.starts_with(&format!("{side}:")))
            .any(|l| !l.contains(&format!(" {COUNT}/{COUNT} ready")) || l.contains("gave up"))
    };
    let mut floor_target = Target::bound(
        "3. 8 × Redis: within 1.2× the floor (whole cycle), and no stall",
        cycle.vs_floor,
        1.2,
        false,
        "throwaway / floor",
    );
    if stalled("throwaway") {
        floor_target.verdict = crate::report::Verdict::Missed;
        floor_target
            .detail
            .push_str("; throwaway stalled or failed");
    }
    let mut notes = outcomes.notes(NAME, &["throwaway", "testcontainers", "floor"]);
    notes.push(format!(
        "{NAME}: testcontainers {} (bench gives up at {} s; its own startup timeout is 60 s).",
        if stalled("testcontainers") {
            "STALLED or failed"
        } else {
            "did not stall"
        },
        GIVE_UP.as_secs()
    ));
    // The measured runs only: the warm-up's lines come first.
    let measured = outcomes.samples[0].len() * 3;
    for line in &lines[lines.len().saturating_sub(measured)..] {
        notes.push(format!("{NAME}: {line}"));
    }
    Section {
        notes,
        failed: outcomes.any_failed(0) || outcomes.any_failed(2),
        rows: vec![ready, cycle],
        targets: vec![floor_target],
    }
}

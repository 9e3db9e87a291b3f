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

/// What one side saw in one run.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `throwaway`, `testcontainers` or `floor`.
    pub side: String,
    /// When each start finished, in order, and whether it worked.
    pub finished: Vec<(f64, bool)>,
    /// Whether the bench gave up waiting.
    pub gave_up: bool,
}

impl Seen {
    fn ready(&self) -> usize {
        self.finished.iter().filter(|(_, ok)| *ok).count()
    }

    /// All started, in time.
    fn clean(&self) -> bool {
        !self.gave_up && self.ready() == COUNT
    }
}

/// What the sides saw, run by run.
#[derive(Debug, Default)]
pub struct Log(Mutex<Vec<Seen>>);

impl Log {
    fn push(&self, seen: Seen) {
        if let Ok(mut all) = self.0.lock() {
            all.push(seen);
        }
    }

    fn all(&self) -> Vec<Seen> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// One line per side over `runs`: stalls, and when the first and the last start finished.
fn summary(side: &str, runs: &[Seen]) -> String {
    let mine: Vec<&Seen> = runs.iter().filter(|s| s.side == side).collect();
    let range = |pick: &dyn Fn(&Seen) -> Option<f64>| {
        let values: Vec<f64> = mine.iter().filter_map(|s| pick(s)).collect();
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(0.0_f64, f64::max);
        if values.is_empty() {
            "–".to_string()
        } else {
            format!("{low:.2}–{high:.2} s")
        }
    };
    let clean = mine.iter().filter(|s| s.clean()).count();
    let mut line = format!(
        "{side}: all {COUNT} ready in {clean} of {} run(s); first start done at {}, last at {}",
        mine.len(),
        range(&|s| s.finished.first().map(|f| f.0)),
        range(&|s| s.finished.last().map(|f| f.0)),
    );
    for stalled in mine.iter().filter(|s| !s.clean()) {
        let times: Vec<String> = stalled
            .finished
            .iter()
            .map(|(t, ok)| format!("{t:.2}{}", if *ok { "" } else { "✗" }))
            .collect();
        line.push_str(&format!(
            "; a run with {}/{COUNT} ready, finished at [{}] s{}",
            stalled.ready(),
            times.join(", "),
            if stalled.gave_up {
                format!(", the rest still starting at {} s", GIVE_UP.as_secs())
            } else {
                String::new()
            }
        ));
    }
    line
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
    log.push(Seen {
        side: side.to_string(),
        finished: times.clone(),
        gave_up: outcome.is_err(),
    });
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
    // The measured runs only: the warm-up's come first.
    let all = log.all();
    let measured = &all[all.len().min(config.warmups() * 3)..];
    let stalled = |side: &str| measured.iter().any(|s| s.side == side && !s.clean());
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
    for side in ["throwaway", "testcontainers", "floor"] {
        notes.push(format!("{NAME}: {}", summary(side, measured)));
    }
    Section {
        notes,
        failed: outcomes.any_failed(0) || outcomes.any_failed(2),
        rows: vec![ready, cycle],
        targets: vec![floor_target],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(side: &str, finished: &[(f64, bool)], gave_up: bool) -> Seen {
        Seen {
            side: side.to_string(),
            finished: finished.to_vec(),
            gave_up,
        }
    }

    #[test]
    fn a_run_that_gave_up_or_failed_a_start_is_a_stall_and_is_spelled_out() {
        let all_eight: Vec<(f64, bool)> = (1..=8).map(|i| (f64::from(i) / 10.0, true)).collect();
        let runs = [
            seen("tc", &all_eight, false),
            seen("tc", &[(0.5, true), (60.1, false)], true),
            seen("other", &all_eight, false),
        ];
        assert!(runs[0].clean());
        assert!(!runs[1].clean());
        let line = summary("tc", &runs);
        assert!(
            line.starts_with("tc: all 8 ready in 1 of 2 run(s)"),
            "{line}"
        );
        assert!(
            line.contains("first start done at 0.10–0.50 s, last at 0.80–60.10 s"),
            "{line}"
        );
        assert!(
            line.contains("a run with 1/8 ready, finished at [0.50, 60.10✗] s, the rest still starting at 75 s"),
            "{line}"
        );
    }
}

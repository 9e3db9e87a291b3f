//! The workloads, and the paired runner they share.

pub mod concurrent;
pub mod mysql_suite;
pub mod nextest;
pub mod own_containers;
pub mod postgres_cycle;
pub mod redis_cycle;
pub mod soak;
pub mod suite;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use throwaway::ContainerRequest;

use crate::cleanup::{sweep, RUN_LABEL};
use crate::report::Row;
use crate::stats::{median_of, paired_ratio};
use crate::Result;

/// How the bench runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// One run of each workload, no warm-up: the mode CI runs so that the bench cannot rot.
    pub quick: bool,
    /// The run's id, on every container it starts.
    pub run: String,
    /// How many tests of a suite run at once: the machine's cores, as `cargo test` does.
    pub parallelism: usize,
}

impl Config {
    /// Measured runs: one in quick mode, else `full`.
    pub fn runs(&self, full: usize) -> usize {
        if self.quick {
            1
        } else {
            full
        }
    }

    /// Unrecorded runs before the measured ones: none in quick mode (the bench's one
    /// warm-up cycle at the start still warms the engine and both libraries), else one.
    pub fn warmups(&self) -> usize {
        usize::from(!self.quick)
    }

    /// A request edit that labels a throwaway container with this run.
    pub fn label(&self) -> impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static {
        let run = self.run.clone();
        move |request| request.label(RUN_LABEL, run.clone())
    }
}

/// What one run of one side measured, in seconds since the run began.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When the service(s) were ready, where the workload asks.
    pub ready: Option<f64>,
    /// When everything was done and every container gone.
    pub total: f64,
}

impl Sample {
    /// A sample from the run's start, ready time and end.
    pub fn new(began: Instant, ready: Option<Instant>, done: Instant) -> Self {
        Sample {
            ready: ready.map(|r| (r - began).as_secs_f64()),
            total: (done - began).as_secs_f64(),
        }
    }
}

/// Runs one side of a workload once.
type RunOnce<'a> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Sample>> + 'a>> + 'a>;

/// A side of a workload: its name and how to run it once.
pub struct Side<'a> {
    /// e.g. `throwaway`.
    pub name: &'static str,
    /// Runs the workload once.
    pub run: RunOnce<'a>,
}

impl<'a> Side<'a> {
    /// A side named `name` that runs `run`.
    pub fn new<F, Fut>(name: &'static str, run: F) -> Self
    where
        F: Fn() -> Fut + 'a,
        Fut: Future<Output = Result<Sample>> + 'a,
    {
        Side {
            name,
            run: Box::new(move || Box::pin(run())),
        }
    }
}

/// What the runs of every side measured.
#[derive(Debug, Default)]
pub struct Outcomes {
    /// Per side, per measured run.
    pub samples: Vec<Vec<Option<Sample>>>,
    /// Per side, the distinct errors seen (at most three).
    pub errors: Vec<Vec<String>>,
    /// Per side, the containers of the run still there after a run that succeeded.
    pub left_behind: Vec<usize>,
}

impl Outcomes {
    /// One figure of side `side` per run.
    pub fn figure(&self, side: usize, pick: impl Fn(&Sample) -> Option<f64>) -> Vec<Option<f64>> {
        self.samples[side]
            .iter()
            .map(|s| s.as_ref().and_then(&pick))
            .collect()
    }

    /// A table row: throwaway is side 0, testcontainers side 1, the floor `floor`.
    pub fn row(
        &self,
        workload: &str,
        measure: &str,
        floor: Option<usize>,
        pick: impl Fn(&Sample) -> Option<f64> + Copy,
    ) -> Row {
        let ours = self.figure(0, pick);
        let theirs = self.figure(1, pick);
        let floor = floor.map(|f| self.figure(f, pick));
        Row {
            workload: workload.to_string(),
            measure: measure.to_string(),
            throwaway: median_of(&ours),
            testcontainers: median_of(&theirs),
            ratio: paired_ratio(&ours, &theirs),
            floor: floor.as_deref().and_then(median_of),
            vs_floor: floor.as_deref().and_then(|f| paired_ratio(&ours, f)),
            runs: self.samples[0].len(),
        }
    }

    /// Notes on failures and leaks, naming the sides.
    pub fn notes(&self, workload: &str, sides: &[&str]) -> Vec<String> {
        let mut notes = Vec::new();
        for (i, name) in sides.iter().enumerate() {
            let failed = self.samples[i].iter().filter(|s| s.is_none()).count();
            if failed > 0 {
                notes.push(format!(
                    "{workload}: {name} failed {failed} of {} run(s): {}",
                    self.samples[i].len(),
                    self.errors[i].join("; ")
                ));
            }
            if self.left_behind[i] > 0 {
                notes.push(format!(
                    "{workload}: {name} left {} container(s) behind after runs that \
                     returned success (the bench removed them)",
                    self.left_behind[i]
                ));
            }
        }
        notes
    }

    /// Whether side `side` failed a measured run.
    pub fn any_failed(&self, side: usize) -> bool {
        self.samples[side].iter().any(Option::is_none)
    }
}

/// Runs each side `warmups + runs` times, the sides of a run back to back and in an order
/// that rotates from run to run, each under `limit`; after every run of a side, removes
/// whatever of this bench run is left.
pub async fn paired(config: &Config, sides: &[Side<'_>], runs: usize, limit: Duration) -> Outcomes {
    let n = sides.len();
    let mut outcomes = Outcomes {
        samples: vec![Vec::new(); n],
        errors: vec![Vec::new(); n],
        left_behind: vec![0; n],
    };
    let warmups = config.warmups();
    for round in 0..warmups + runs {
        for k in 0..n {
            let i = (round + k) % n;
            let side = &sides[i];
            let result = match tokio::time::timeout(limit, (side.run)()).await {
                Ok(result) => result,
                Err(_) => Err(format!("gave up after {} s", limit.as_secs()).into()),
            };
            let left = match sweep(&config.run).await {
                Ok(left) => left,
                Err(err) => {
                    eprintln!("bench: cannot list this run's containers: {err}");
                    0
                }
            };
            if round < warmups {
                continue;
            }
            match result {
                Ok(sample) => {
                    outcomes.left_behind[i] += left;
                    outcomes.samples[i].push(Some(sample));
                }
                Err(err) => {
                    let message = err.to_string();
                    eprintln!("bench: {} failed: {message}", side.name);
                    if outcomes.errors[i].len() < 3 && !outcomes.errors[i].contains(&message) {
                        outcomes.errors[i].push(message);
                    }
                    outcomes.samples[i].push(None);
                }
            }
        }
    }
    outcomes
}

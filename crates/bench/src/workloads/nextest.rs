//! Workload 5: `cargo nextest run` of 20 tests that each need PostgreSQL and Redis, with
//! throwaway (`tests/nextest_throwaway.rs`) and with the `testcontainers` crate
//! (`tests/nextest_testcontainers.rs`): wall time, and how many containers the run created.
//!
//! Nextest runs every test in a process of its own, so the count tells whether the
//! containers were shared across processes. Containers are counted from the engine's
//! `create` events during the run: the suites label theirs with the bench run
//! ([`crate::cleanup::RUN_ENV`]); throwaway's reaper carries no such label and is
//! recognised by its name, which holds the session id that the labelled ones carry.
//!
//! throwaway's suite runs twice in each round: as it is (PostgreSQL from a snapshot of its
//! migrated data, made in the warm-up round and kept, as users' snapshots are), and with
//! `THROWAWAY_SNAPSHOTS=0`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::models::EventMessage;
use bollard::query_parameters::EventsOptions;
use futures_util::StreamExt;

use super::{paired, Config, Sample, Side};
use crate::cleanup::{docker, RUN_ENV, RUN_LABEL};
use crate::report::{Section, Target, Verdict};
use crate::Result;

const NAME: &str = "5. nextest, 20 tests × (PostgreSQL + Redis)";

/// The label throwaway puts on everything of a session.
const SESSION_LABEL: &str = "org.testcontainers.session-id";

/// The workspace the bench belongs to.
fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// `cargo nextest run` of the ignored tests of `test` (a test target of this crate).
fn nextest(test: &str, run: &str, build_only: bool, snapshots: bool) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(cargo());
    if !snapshots {
        command.env("THROWAWAY_SNAPSHOTS", "0");
    }
    command
        .current_dir(workspace())
        .args(["nextest", "run", "-p", "throwaway-bench", "--test", test])
        .env(RUN_ENV, run)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if build_only {
        command.arg("--no-run");
    } else {
        command.args(["--run-ignored", "only", "--no-fail-fast"]);
    }
    command
}

/// Containers created during one run of a suite, by kind.
#[derive(Debug, Default, Clone)]
pub struct Created {
    /// Image → count, for the containers labelled with the bench run.
    pub by_image: HashMap<String, usize>,
    /// throwaway reapers of the suite's session.
    pub reapers: usize,
}

impl Created {
    fn count(&self, image: &str) -> usize {
        self.by_image.get(image).copied().unwrap_or(0)
    }

    fn describe(&self) -> String {
        let mut kinds: Vec<String> = self
            .by_image
            .iter()
            .map(|(image, n)| format!("{n} × {image}"))
            .collect();
        kinds.sort();
        if self.reapers > 0 {
            kinds.push(format!("{} × reaper", self.reapers));
        }
        if kinds.is_empty() {
            "none".to_string()
        } else {
            kinds.join(", ")
        }
    }

    fn from_events(events: &[EventMessage], run: &str) -> Self {
        let attributes = |e: &EventMessage| {
            e.actor
                .as_ref()
                .and_then(|a| a.attributes.clone())
                .unwrap_or_default()
        };
        let mut created = Created::default();
        let mut sessions = Vec::new();
        for event in events {
            let attrs = attributes(event);
            if attrs.get(RUN_LABEL).map(String::as_str) != Some(run) {
                continue;
            }
            let image = attrs.get("image").cloned().unwrap_or_default();
            *created.by_image.entry(image).or_default() += 1;
            if let Some(session) = attrs.get(SESSION_LABEL) {
                sessions.push(session.clone());
            }
        }
        for event in events {
            let attrs = attributes(event);
            let name = attrs.get("name").map(String::as_str).unwrap_or_default();
            if let Some(session) = name.strip_prefix("throwaway-reaper-") {
                if sessions.iter().any(|s| s == session) {
                    created.reapers += 1;
                }
            }
        }
        created
    }
}

/// Runs one suite under nextest, timing it and collecting the containers it created.
async fn suite(
    test: &str,
    config: &Config,
    created: &Mutex<Vec<Created>>,
    snapshots: bool,
) -> Result<Sample> {
    let docker = docker().await?;
    let filters = HashMap::from([
        ("type".to_string(), vec!["container".to_string()]),
        ("event".to_string(), vec!["create".to_string()]),
    ]);
    let mut events = docker.events(Some(EventsOptions {
        filters: Some(filters),
        ..Default::default()
    }));
    let seen: Arc<Mutex<Vec<EventMessage>>> = Arc::default();
    let collect = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Some(Ok(event)) = events.next().await {
                if let Ok(mut seen) = seen.lock() {
                    seen.push(event);
                }
            }
        })
    };
    // The engine answers the events request once it is subscribed; give it a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let began = Instant::now();
    let output = nextest(test, &config.run, false, snapshots)
        .output()
        .await?;
    let done = Instant::now();
    // Events arrive asynchronously: let the last ones in.
    tokio::time::sleep(Duration::from_millis(500)).await;
    collect.abort();
    let events = seen.lock().map(|s| s.clone()).unwrap_or_default();
    if let Ok(mut created) = created.lock() {
        created.push(Created::from_events(&events, &config.run));
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(25).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "cargo nextest run --test {test} failed ({}):\n{}",
            output.status,
            tail.join("\n")
        )
        .into());
    }
    Ok(Sample::new(began, None, done))
}

/// Builds both suites, so that the timed runs do not include compiling them.
async fn build(config: &Config) -> Result<()> {
    for test in ["nextest_throwaway", "nextest_testcontainers"] {
        let output = nextest(test, &config.run, true, true).output().await?;
        if !output.status.success() {
            return Err(format!(
                "building {test} failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
    }
    Ok(())
}

/// Runs workload 5.
pub async fn run(config: &Config) -> Section {
    if let Err(err) = build(config).await {
        return Section {
            notes: vec![format!("{NAME}: {err}")],
            failed: true,
            ..Default::default()
        };
    }
    let ours = Mutex::new(Vec::new());
    let theirs = Mutex::new(Vec::new());
    let off = Mutex::new(Vec::new());
    let sides = [
        Side::new("throwaway", || {
            suite("nextest_throwaway", config, &ours, true)
        }),
        Side::new("testcontainers", || {
            suite("nextest_testcontainers", config, &theirs, true)
        }),
        Side::new("throwaway, snapshots off", || {
            suite("nextest_throwaway", config, &off, false)
        }),
    ];
    let mut outcomes = paired(config, &sides, config.runs(3), Duration::from_secs(600)).await;
    // Not a leak: throwaway's shared containers outlive the run until its reaper removes
    // them; the bench removed them at once, to start the next run from nothing.
    let shared_left =
        std::mem::take(&mut outcomes.left_behind[0]) + std::mem::take(&mut outcomes.left_behind[2]);
    let wall = outcomes.row(NAME, "wall time", None, |s| Some(s.total));
    let on = outcomes.figure(0, |s| Some(s.total));
    let off_wall = outcomes.figure(2, |s| Some(s.total));
    let snapshots = crate::report::Row {
        workload: NAME.to_string(),
        measure: "snapshots on (throwaway) vs off (testcontainers column)".to_string(),
        throwaway: crate::stats::median_of(&on),
        testcontainers: crate::stats::median_of(&off_wall),
        ratio: crate::stats::paired_ratio(&on, &off_wall),
        floor: None,
        vs_floor: None,
        runs: on.len(),
    };
    let warmups = config.warmups();
    let measured = |all: Mutex<Vec<Created>>| -> Vec<Created> {
        all.into_inner()
            .unwrap_or_default()
            .into_iter()
            .skip(warmups)
            .collect()
    };
    drop(sides);
    let (ours, theirs, off) = (measured(ours), measured(theirs), measured(off));
    let mut notes = outcomes.notes(
        NAME,
        &["throwaway", "testcontainers", "throwaway, snapshots off"],
    );
    for (side, runs) in [
        ("throwaway", &ours),
        ("testcontainers", &theirs),
        ("throwaway, snapshots off", &off),
    ] {
        for (i, created) in runs.iter().enumerate() {
            notes.push(format!(
                "{NAME}: {side}, run {}: containers created: {}",
                i + 1,
                created.describe()
            ));
        }
    }
    notes.push(format!(
        "{NAME}: wall time of `cargo nextest run --run-ignored only` on an already built \
         suite (nextest's default of one test process per core); throwaway's shared \
         containers are removed by its reaper after the run, which nobody waits for \
         ({shared_left} were still there when nextest returned, over all measured runs; \
         the bench removed them)."
    ));
    let one_each = !ours.is_empty()
        && ours
            .iter()
            .all(|c| c.count(crate::POSTGRES_IMAGE) == 1 && c.count(crate::REDIS_IMAGE) == 1);
    let target = Target {
        goal: "5. nextest: one PostgreSQL and one Redis container for the whole run".to_string(),
        verdict: if ours.is_empty() || outcomes.any_failed(0) {
            Verdict::Unknown
        } else if one_each {
            Verdict::Met
        } else {
            Verdict::Missed
        },
        detail: ours
            .first()
            .map_or_else(|| "not measured".to_string(), Created::describe),
    };
    let snapshot_target = Target::bound(
        "5. nextest: snapshots on ≤ 0.6× off",
        snapshots.ratio,
        0.6,
        false,
        "on / off",
    );
    Section {
        notes,
        failed: outcomes.any_failed(0) || outcomes.any_failed(2),
        rows: vec![wall, snapshots],
        targets: vec![target, snapshot_target],
    }
}

//! The next session sweeps what earlier ones kept: a failing test in one child process
//! keeps its database on a server reused across runs; a later child of the same session
//! still finds it, and the first hand-out of a child of a new session drops it.

use throwaway::postgres::{Postgres, PostgresContainer, TestDatabase};
use throwaway::Shared;

use crate::support::{assert_child, run_child, text};

/// The variable that makes the reused server this parent's own: parallel runs of this
/// test must not sweep each other's server.
const RUN_VAR: &str = "THROWAWAY_SWEEP_TEST_RUN";

/// A server reused across the children (and kept after them: the parent removes it).
static REUSED: Shared<Postgres> = Shared::new(|| {
    let run = std::env::var(RUN_VAR).unwrap_or_default();
    Postgres::new("postgres:15")
        .snapshots(false)
        .with_request(move |request| request.env(RUN_VAR, run.clone()).reuse(true))
});

#[throwaway::test]
#[ignore = "fails on purpose: run by sweep::a_new_session_sweeps_what_an_earlier_one_kept"]
async fn fails_keeping_its_database(
    #[from(REUSED)] pg: &'static PostgresContainer,
    #[from(REUSED)] db: TestDatabase,
) {
    assert_child();
    println!("reused server: {}", pg.container().id());
    panic!("failing on purpose with {}", db.name());
}

#[throwaway::test]
#[ignore = "run by sweep::a_new_session_sweeps_what_an_earlier_one_kept"]
async fn reports_the_kept_database(
    #[from(REUSED)] pg: &'static PostgresContainer,
    #[from(REUSED)] _db: TestDatabase,
) {
    assert_child();
    let kept = std::env::var("KEPT_DATABASE").unwrap();
    let present: bool = pg
        .client()
        .await
        .unwrap()
        .query_one(
            "SELECT exists (SELECT 1 FROM pg_database WHERE datname = $1)",
            &[&kept],
        )
        .await
        .unwrap()
        .get(0);
    // What the parent reads: whether the hand-out before this line swept it.
    println!("present: {present}");
    assert_eq!(
        present,
        std::env::var("EXPECT").unwrap() == "present",
        "{kept} present: {present}"
    );
}

/// The id after `reused server: ` in a child's output.
fn container_id(output: &str) -> Option<String> {
    output
        .lines()
        .find_map(|line| line.split("reused server: ").nth(1))
        .map(|rest| rest.trim().to_string())
}

/// Removes the reused server and its volumes, however the test ends.
struct RemoveContainer(String);

impl Drop for RemoveContainer {
    fn drop(&mut self) {
        let options = bollard::query_parameters::RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        let removed = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                bollard::Docker::connect_with_local_defaults()?
                    .remove_container(&self.0, Some(options))
                    .await
            });
        if let Err(err) = removed {
            eprintln!("the reused server {} was not removed: {err}", self.0);
        }
    }
}

#[test]
fn a_new_session_sweeps_what_an_earlier_one_kept() {
    if throwaway::skip_without_engine() {
        return;
    }
    let unique = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let earlier = format!("sweep-earlier-{unique}");
    let later = format!("sweep-later-{unique}");
    let env = |session: &str| {
        vec![
            (
                "TESTCONTAINERS_REUSE_ENABLE".to_string(),
                "true".to_string(),
            ),
            (RUN_VAR.to_string(), unique.clone()),
            ("THROWAWAY_SESSION".to_string(), session.to_string()),
        ]
    };
    let run = |name: &str, env: Vec<(String, String)>| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run_child(name, &env)
    };

    let failed = run("sweep::fails_keeping_its_database", env(&earlier));
    let output = text(&failed);
    let _remove = container_id(&output).map(RemoveContainer);
    assert!(!failed.status.success(), "the child was to fail:\n{output}");
    assert!(_remove.is_some(), "no container id in:\n{output}");
    let kept = output
        .split("db (TestDatabase from REUSED): ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|url| url.rsplit('/').next())
        .unwrap_or_else(|| panic!("no kept database in:\n{output}"))
        .to_string();
    assert!(
        kept.starts_with("kept_sweep_fails_keeping_its_database_"),
        "{output}"
    );

    // The same session, in a later process: what it kept stays.
    let mut same = env(&earlier);
    same.push(("KEPT_DATABASE".into(), kept.clone()));
    same.push(("EXPECT".into(), "present".into()));
    let found = run("sweep::reports_the_kept_database", same);
    assert!(found.status.success(), "{}", text(&found));

    // A new session: its first hand-out drops what the earlier one kept.
    let mut new = env(&later);
    new.push(("KEPT_DATABASE".into(), kept.clone()));
    new.push(("EXPECT".into(), "gone".into()));
    let swept = run("sweep::reports_the_kept_database", new);
    assert!(
        swept.status.success(),
        "{kept} was not swept:\n{}",
        text(&swept)
    );
}

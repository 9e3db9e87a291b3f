//! A failed test's units are kept, named after it, and the failure output says where they
//! are. The failing test runs in a child process; a second child, in the same session (so
//! with the same shared servers), finds what the first kept and removes it.

use throwaway::postgres::{PostgresContainer, TestDatabase};
use throwaway::redis::{RedisContainer, RedisDatabase};

use crate::support::{assert_child, run_child, text, PG, REDIS};

#[throwaway::test]
#[ignore = "fails on purpose: run by kept::a_failing_tests_units_are_kept_and_shown"]
async fn fails_on_purpose(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] cache: RedisDatabase,
) -> Result<(), String> {
    assert_child();
    let client = db.client().await.unwrap();
    client
        .batch_execute("INSERT INTO notes VALUES ('left by the failed test')")
        .await
        .unwrap();
    let mut connection = cache.async_connection().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg("evidence")
        .arg("left by the failed test")
        .query_async(&mut connection)
        .await
        .unwrap();
    match std::env::var("FAIL_WITH").as_deref() {
        Ok("panic") => panic!("failing on purpose with a panic"),
        _ => Err("failing on purpose with an error".to_string()),
    }
}

#[throwaway::test]
#[ignore = "run by kept::a_failing_tests_units_are_kept_and_shown"]
async fn finds_and_removes_the_kept_units(
    #[from(PG)] pg: &'static PostgresContainer,
    #[from(REDIS)] redis: &'static RedisContainer,
) {
    assert_child();
    let database = std::env::var("KEPT_DATABASE").unwrap();
    let index: u32 = std::env::var("KEPT_REDIS_INDEX").unwrap().parse().unwrap();

    let url = format!(
        "{}/{database}",
        pg.connection_url().rsplit_once('/').unwrap().0
    );
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("the kept database {database} is not there: {e}"));
    let task = tokio::spawn(connection);
    let body: String = client
        .query_one("SELECT body FROM notes", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(body, "left by the failed test");
    drop(client);
    let _ = task.await;
    pg.client()
        .await
        .unwrap()
        .batch_execute(&format!("DROP DATABASE \"{database}\" WITH (FORCE)"))
        .await
        .unwrap();

    let mut connection = redis
        .client()
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("SELECT")
        .arg(index)
        .query_async(&mut connection)
        .await
        .unwrap();
    let (evidence, mark): (String, String) = redis::pipe()
        .cmd("GET")
        .arg("evidence")
        .cmd("GET")
        .arg("throwaway:kept")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(evidence, "left by the failed test");
    // The test's second unit: the same label, with its number after the test's name.
    let second = database.replace("fails_on_purpose_", "fails_on_purpose_1_");
    assert_eq!(
        mark, second,
        "the Redis database is marked with the test's label"
    );
    let _: () = redis::cmd("FLUSHDB")
        .query_async(&mut connection)
        .await
        .unwrap();
}

#[throwaway::test]
#[ignore = "fails on purpose: run by kept::a_database_the_test_kept_itself_is_reported_as_such"]
async fn keeps_its_own_database_and_fails(#[from(PG)] db: TestDatabase) {
    assert_child();
    let db = db.keep();
    println!("own database: {}", db.name());
    panic!("failing on purpose after keeping {}", db.name());
}

#[test]
fn a_database_the_test_kept_itself_is_reported_as_such() {
    if throwaway::skip_without_engine() {
        return;
    }
    let failed = run_child("kept::keeps_its_own_database_and_fails", &[]);
    let output = text(&failed);
    assert!(!failed.status.success(), "the child was to fail:\n{output}");
    let own = after(&output, "own database: ");
    // Under its own name, not renamed after the test, and said so.
    let url = after(&output, "db (TestDatabase from PG): ");
    assert!(url.ends_with(&format!("/{own}")), "{output}");
    assert!(
        output.contains("kept by the test itself (keep()), under its own name"),
        "{output}"
    );
    assert!(
        output.contains(&format!("remove it with: DROP DATABASE \"{own}\"")),
        "{output}"
    );
    assert!(!output.contains("kept_kept_keeps_its_own"), "{output}");
}

/// The text after `marker` on the line that has it, up to the next space.
fn after<'a>(output: &'a str, marker: &str) -> &'a str {
    let start = output
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in the output:\n{output}"))
        + marker.len();
    output[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
}

fn check_kept_and_remove(fail_with: &str, says: &str) {
    // A session of its own, shared by the two children: the servers outlive the first
    // child until the second is done, and the reaper removes them after it.
    let session = format!(
        "attribute-kept-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let failed = run_child(
        "kept::fails_on_purpose",
        &[("THROWAWAY_SESSION", &session), ("FAIL_WITH", fail_with)],
    );
    let output = text(&failed);
    assert!(!failed.status.success(), "the child was to fail:\n{output}");
    assert!(output.contains(says), "{output}");
    assert!(
        output.contains(
            "#[throwaway::test] attribute::kept::fails_on_purpose failed; its units are kept"
        ),
        "{output}"
    );
    // How to reach each unit, the password masked, and how to remove it.
    assert!(
        !output.contains("pg-secret"),
        "the password shows:\n{output}"
    );
    let database = after(
        &output,
        "db (TestDatabase from PG): postgres://postgres:***@",
    );
    let database = database.rsplit('/').next().unwrap().to_string();
    assert!(
        database.starts_with("kept_kept_fails_on_purpose_"),
        "{output}"
    );
    assert!(
        output.contains(&format!(
            "remove it with: DROP DATABASE \"{database}\" WITH (FORCE)"
        )),
        "{output}"
    );
    let redis_url = after(&output, "cache (RedisDatabase from REDIS): ");
    let index = redis_url.rsplit('/').next().unwrap().to_string();
    assert!(
        output.contains(&format!("remove it with: FLUSHDB on database {index}")),
        "{output}"
    );
    assert!(
        output.contains("Kept units live as long as their shared container"),
        "{output}"
    );

    let found = run_child(
        "kept::finds_and_removes_the_kept_units",
        &[
            ("THROWAWAY_SESSION", &session),
            ("KEPT_DATABASE", &database),
            ("KEPT_REDIS_INDEX", &index),
        ],
    );
    assert!(
        found.status.success(),
        "the kept units were not found:\n{}",
        text(&found)
    );
}

#[test]
fn a_failing_tests_units_are_kept_and_shown() {
    if throwaway::skip_without_engine() {
        return;
    }
    check_kept_and_remove("panic", "failing on purpose with a panic");
}

#[test]
fn an_erring_tests_units_are_kept_and_shown() {
    if throwaway::skip_without_engine() {
        return;
    }
    check_kept_and_remove(
        "error",
        "attribute::kept::fails_on_purpose returned an error: \"failing on purpose with an error\"",
    );
}

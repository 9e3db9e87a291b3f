//! Without an engine: the test fails with the engine error, unless it opted in to skipping
//! (attribute or environment), and never skips with `CI` set. Each case runs in a child
//! process pointed at an engine that is not there.

use throwaway::postgres::TestDatabase;

use crate::support::{assert_child, run_child, text, PG};

#[throwaway::test]
#[ignore = "run by no_engine::* without an engine"]
async fn needs_the_engine(#[from(PG)] db: TestDatabase) {
    assert_child();
    let _ = db;
    panic!("the child was pointed at no engine, yet got a database");
}

#[throwaway::test(skip_without_engine)]
#[ignore = "run by no_engine::* without an engine"]
async fn needs_the_engine_or_skips(#[from(PG)] db: TestDatabase) {
    assert_child();
    let _ = db;
    panic!("the child was pointed at no engine, yet got a database");
}

/// Runs `test` against an engine that is not there, with `env` added.
fn without_engine(test: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut all = vec![
        ("DOCKER_HOST", "unix:///nonexistent/docker.sock"),
        ("TESTCONTAINERS_HOST_OVERRIDE", ""),
        ("THROWAWAY_SKIP_WITHOUT_ENGINE", ""),
        ("CI", ""),
        ("THROWAWAY_SESSION", ""),
        ("NEXTEST_RUN_ID", ""),
    ];
    all.retain(|(key, _)| !env.iter().any(|(k, _)| k == key));
    all.extend_from_slice(env);
    let output = run_child(test, &all);
    (output.status.success(), text(&output))
}

#[test]
fn by_default_the_test_fails_with_the_engine_error() {
    let (passed, output) = without_engine("no_engine::needs_the_engine", &[]);
    assert!(!passed, "{output}");
    assert!(
        output.contains("attribute::no_engine::needs_the_engine: argument `db` (#[from(PG)])"),
        "the failure names the test and the argument:\n{output}"
    );
    assert!(
        output.contains("/nonexistent/docker.sock"),
        "the engine error:\n{output}"
    );
    assert!(
        output.contains(
            "#[throwaway::test(skip_without_engine)], or THROWAWAY_SKIP_WITHOUT_ENGINE=1"
        ),
        "the way to skip instead:\n{output}"
    );
}

#[test]
fn the_attribute_option_skips_with_the_reason_printed() {
    let (passed, output) = without_engine("no_engine::needs_the_engine_or_skips", &[]);
    assert!(passed, "{output}");
    assert!(
        output.contains("SKIPPED: no Docker engine is reachable"),
        "{output}"
    );
}

#[test]
fn the_environment_variable_skips_every_test() {
    let (passed, output) = without_engine(
        "no_engine::needs_the_engine",
        &[("THROWAWAY_SKIP_WITHOUT_ENGINE", "1")],
    );
    assert!(passed, "{output}");
    assert!(
        output.contains("SKIPPED: no Docker engine is reachable"),
        "{output}"
    );
}

#[test]
fn with_ci_set_nothing_skips() {
    for (test, env) in [
        ("no_engine::needs_the_engine_or_skips", vec![("CI", "true")]),
        (
            "no_engine::needs_the_engine",
            vec![("CI", "true"), ("THROWAWAY_SKIP_WITHOUT_ENGINE", "1")],
        ),
    ] {
        let (passed, output) = without_engine(test, &env);
        assert!(!passed, "{test} passed with CI set:\n{output}");
        assert!(
            output.contains("CI is set but no Docker engine is reachable"),
            "{output}"
        );
    }
}

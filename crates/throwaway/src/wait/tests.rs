//! The driver: exits, timeouts and messages, whatever the strategy.

use std::time::{Duration, Instant};

use super::fake::FakeTarget;
use super::target::{ExitInfo, Health};
use super::{wait_until_ready, Wait};
use crate::error::ErrorKind;

fn assert_traits<T: Clone + std::fmt::Debug + std::fmt::Display + Send + Sync + 'static>() {}

#[test]
fn wait_and_its_builders_are_clone_debug_display_send_sync() {
    assert_traits::<Wait>();
    assert_traits::<super::HttpWait>();
}

#[test]
fn the_driver_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let (wait, target) = (Wait::none(), FakeTarget::new());
    assert_send(&wait_until_ready(&wait, &target, Duration::from_secs(1)));
}

#[tokio::test]
async fn an_exit_fails_at_once_with_code_and_last_lines() {
    let target = FakeTarget::new()
        .health([Health::Starting])
        .stdout(0, "starting up")
        .stderr(20, "FATAL: config file not found")
        .exits(100, 3);
    let started = Instant::now();
    let err = wait_until_ready(&Wait::healthy(), &target, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::ContainerExited);
    assert_eq!(
        err.message(),
        "fake:1 (0123456789ab) exited with code 3 while waiting for healthcheck reporting \
         healthy; the healthcheck is still starting; check the image's command and entrypoint, \
         and the environment and files it expects; last log lines:\n  \
         starting up\n  FATAL: config file not found"
    );
}

#[tokio::test]
async fn an_oom_kill_and_the_engine_error_are_named() {
    let target = FakeTarget::new().exits_with(
        50,
        ExitInfo {
            code: Some(137),
            oom_killed: true,
            error: Some("  out of memory \n".to_owned()),
        },
    );
    let err = wait_until_ready(&Wait::log("never"), &target, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContainerExited);
    let message = err.message();
    assert!(
        message.starts_with(
            "fake:1 (0123456789ab) was killed for running out of memory (exit code 137) while \
             waiting for log 'never' on stdout or stderr; the engine reported: out of memory; "
        ),
        "{message}"
    );
    assert!(
        message.contains("raise the container's memory limit"),
        "{message}"
    );
    assert!(
        message.ends_with("; the container wrote no output"),
        "{message}"
    );
}

#[tokio::test]
async fn an_exit_during_a_fixed_delay_is_noticed() {
    let target = FakeTarget::new().exits(50, 0);
    let err = wait_until_ready(
        &Wait::duration(Duration::from_secs(1)),
        &target,
        Duration::from_secs(2),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContainerExited);
    assert!(err.message().contains("exited with code 0"), "{err}");
}

#[tokio::test]
async fn a_timeout_names_the_strategy_the_target_and_the_last_lines() {
    let target = FakeTarget::new()
        .stdout(0, "line 1")
        .stdout(10, "line 2")
        .stdout(5_000, "too late");
    let started = Instant::now();
    let err = wait_until_ready(&Wait::log("ready"), &target, Duration::from_millis(300))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(1),
        "{elapsed:?}"
    );
    assert_eq!(err.kind(), ErrorKind::WaitTimeout);
    assert_eq!(
        err.message(),
        "waited 300 ms for log 'ready' on stdout or stderr on fake:1 (0123456789ab); \
         saw 0 of 1 matching line; if the service is only slow to start, raise the startup \
         timeout; last log lines:\n  line 1\n  line 2"
    );
}

#[tokio::test]
async fn none_is_ready_at_once_even_after_an_exit() {
    let target = FakeTarget::new().exits(0, 1);
    wait_until_ready(&Wait::none(), &target, Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(Wait::none().to_string(), "nothing (ready once started)");
    assert_eq!(Wait::default().to_string(), Wait::none().to_string());
}

#[tokio::test]
async fn poll_interval_reaches_every_part() {
    let mut script = vec![Health::Starting; 10];
    script.push(Health::Healthy);
    let target = FakeTarget::new().health(script);
    let wait = Wait::duration(Duration::ZERO)
        .and(Wait::healthy())
        .poll_interval(Duration::from_millis(5));
    let started = Instant::now();
    wait_until_ready(&wait, &target, Duration::from_secs(2))
        .await
        .unwrap();
    // With the default 100 ms, ten rounds of "starting" would take a second.
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn all_takes_mixed_strategies_and_http_builders_convert() {
    let wait = Wait::all([
        Wait::log("up"),
        Wait::port(8080),
        Wait::duration(Duration::from_millis(700)),
        Wait::http("/").port(8080).into(),
    ]);
    assert_eq!(
        wait.to_string(),
        "all of (log 'up' on stdout or stderr, port 8080/tcp listening, a fixed delay of \
         700 ms, HTTP GET / on port 8080 answering 2xx)"
    );
    assert_eq!(
        Wait::http("/").port(80).and(Wait::healthy()).to_string(),
        "all of (HTTP GET / on port 80 answering 2xx, healthcheck reporting healthy)"
    );
}

#[test]
#[should_panic(
    expected = "Wait::times applies to log waits (Wait::log, Wait::log_regex), \
                           not to port 5432/tcp listening"
)]
fn an_option_for_another_kind_of_wait_panics() {
    let _ = Wait::port(5432).times(2);
}

#[test]
#[should_panic(expected = "Wait::exit_code applies to command waits")]
fn exit_code_is_for_commands() {
    let _ = Wait::log("x").exit_code(1);
}

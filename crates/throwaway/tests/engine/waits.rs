//! Every readiness strategy against a real container.

use std::time::{Duration, Instant};

use throwaway::{ContainerRequest, ErrorKind, Wait};

use crate::require_engine;
use crate::support::{TOOLS, TOOLS_HEALTHY};

fn tools(script: &str) -> ContainerRequest {
    ContainerRequest::new(TOOLS).cmd(["sh", "-c", script])
}

#[tokio::test]
async fn log_line_counted_to_the_nth_occurrence() {
    require_engine!();
    let began = Instant::now();
    let container = tools("echo ready; sleep 1; echo ready; sleep 300")
        .wait_for(Wait::log("ready").times(2))
        .start()
        .await
        .unwrap();
    assert!(
        began.elapsed() >= Duration::from_secs(1),
        "ready after the first line"
    );
    let logs = container.logs().await.unwrap().stdout_text();
    assert_eq!(logs.matches("ready").count(), 2);
}

#[tokio::test]
async fn log_line_on_one_stream_only() {
    require_engine!();
    let container = tools("echo ready >&2; sleep 1; echo ready; sleep 300")
        .wait_for(Wait::log("ready").stdout())
        .start()
        .await
        .unwrap();
    assert_eq!(container.logs().await.unwrap().stdout_text(), "ready\n");
}

#[tokio::test]
async fn listening_port_ignores_the_proxy_until_the_server_listens() {
    require_engine!();
    let began = Instant::now();
    let web = tools("sleep 2; exec busybox httpd -f -p 8080 -h /www")
        .exposed_port(8080)
        .wait_for(Wait::port(8080))
        .start()
        .await
        .unwrap();
    // The engine's port proxy accepts connections from the start; ready must mean the
    // server itself listens.
    assert!(
        began.elapsed() >= Duration::from_secs(2),
        "ready too early: {:?}",
        began.elapsed()
    );
    let listening = web
        .exec(["sh", "-c", "busybox netstat -ltn | grep -c :8080"])
        .await
        .unwrap();
    assert_eq!(listening.stdout_text().trim(), "1");
}

#[tokio::test]
async fn http_status_and_body() {
    require_engine!();
    let web = tools("sleep 1; exec busybox httpd -f -p 8080 -h /www")
        .exposed_port(8080)
        .wait_for(Wait::http("/health").port(8080).status(200))
        .start()
        .await
        .unwrap();
    assert!(web.host_port(8080).is_ok());
}

#[tokio::test]
async fn docker_healthcheck() {
    require_engine!();
    // The image's HEALTHCHECK passes once /tmp/healthy exists.
    let container = ContainerRequest::new(TOOLS_HEALTHY)
        .cmd(["sh", "-c", "sleep 1; touch /tmp/healthy; exec sleep 300"])
        .wait_for(Wait::healthy())
        .start()
        .await
        .unwrap();
    let health = crate::support::raw()
        .inspect_container(container.id(), None)
        .await
        .unwrap()
        .state
        .unwrap()
        .health
        .unwrap();
    if health.log.as_deref().unwrap_or_default().is_empty() {
        // An engine that runs no probes (Podman without systemd): the library ran the
        // image's command itself, so that command passes now.
        let probe = container
            .exec(["test", "-e", "/tmp/healthy"])
            .await
            .unwrap();
        assert_eq!(probe.exit_code, 0);
    } else {
        assert_eq!(
            health.status,
            Some(bollard::models::HealthStatusEnum::HEALTHY)
        );
    }
}

#[tokio::test]
async fn an_unhealthy_container_times_out_saying_so() {
    require_engine!();
    let err = ContainerRequest::new(TOOLS_HEALTHY)
        .cmd(["sleep", "300"])
        .wait_for(Wait::healthy())
        // The image's healthcheck turns "unhealthy" after ten failing probes 200 ms apart,
        // each an exec: about 2.5 s on a quiet machine, more than 4 s on a loaded one. An
        // unhealthy status is not final (a later probe may pass), so the wait runs to its
        // timeout: give the status time to turn, and the test still fails if it never does.
        .startup_timeout(Duration::from_secs(15))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{err}");
    assert!(err.to_string().contains("unhealthy"), "{err}");
}

#[tokio::test]
async fn healthcheck_requested_on_an_image_without_one_fails_at_once() {
    require_engine!();
    let began = Instant::now();
    let err = tools("sleep 300")
        .wait_for(Wait::healthy())
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
    assert!(err.to_string().contains("HEALTHCHECK"), "{err}");
    assert!(began.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn exec_command_until_it_succeeds() {
    require_engine!();
    let container = tools("sleep 1; touch /tmp/ready; sleep 300")
        .wait_for(Wait::exec(["test", "-f", "/tmp/ready"]))
        .start()
        .await
        .unwrap();
    assert!(container
        .exec(["test", "-f", "/tmp/ready"])
        .await
        .unwrap()
        .success());
}

#[tokio::test]
async fn fixed_duration_and_all_of() {
    require_engine!();
    let began = Instant::now();
    let _container = tools("echo up; exec busybox httpd -f -p 8080 -h /www")
        .exposed_port(8080)
        .wait_for(Wait::all([
            Wait::log("up"),
            Wait::port(8080),
            Wait::duration(Duration::from_millis(700)),
        ]))
        .start()
        .await
        .unwrap();
    assert!(began.elapsed() >= Duration::from_millis(700));
}

#[tokio::test]
async fn timeout_names_the_strategy_and_shows_the_last_lines() {
    require_engine!();
    let began = Instant::now();
    let err = tools("echo still warming up; sleep 300")
        .wait_for(Wait::log("never printed"))
        .startup_timeout(Duration::from_secs(2))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{err}");
    let message = err.to_string();
    assert!(message.contains("never printed"), "{message}");
    assert!(message.contains("still warming up"), "{message}");
    assert!(message.contains(TOOLS), "{message}");
    assert!(
        began.elapsed() < Duration::from_secs(8),
        "{:?}",
        began.elapsed()
    );
}

/// A probe that asks the tools image's HTTP server for `/health` through the published port.
fn health_answers() -> Wait {
    Wait::probe("/health answering 200", |endpoints| async move {
        let port = endpoints
            .host_port(8080)
            .map_err(throwaway::ProbeFailure::fatal)?;
        let (status, _) = crate::support::try_http_get(endpoints.host(), port, "/health")
            .await
            .map_err(throwaway::ProbeFailure::not_yet)?;
        match status {
            200 => Ok(()),
            other => Err(throwaway::ProbeFailure::not_yet(format!("status {other}"))),
        }
    })
}

#[tokio::test]
async fn a_probe_of_ones_own_decides_readiness() {
    require_engine!();
    let began = Instant::now();
    let web = tools("sleep 2; exec busybox httpd -f -p 8080 -h /www")
        .exposed_port(8080)
        .wait_for(health_answers())
        .start()
        .await
        .unwrap();
    assert!(
        began.elapsed() >= Duration::from_secs(2),
        "ready before the server answered: {:?}",
        began.elapsed()
    );
    let port = web.host_port(8080).unwrap();
    assert_eq!(
        crate::support::http_get(web.host(), port, "/health")
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn a_fatal_probe_fails_the_start_at_once_and_removes_the_container() {
    require_engine!();
    let tag = format!("fatal-probe-{}", std::process::id());
    let began = Instant::now();
    let err = tools("exec sleep 300")
        .label("throwaway-test", &tag)
        .wait_for(Wait::probe("a login", |_| async {
            Err(throwaway::ProbeFailure::fatal(throwaway::Error::new(
                ErrorKind::Service,
                "the service refused the password",
            )))
        }))
        .start()
        .await
        .unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    let message = err.message();
    assert!(
        message.contains("the service refused the password"),
        "{message}"
    );
    assert!(message.contains(TOOLS), "names the container: {message}");
    assert_eq!(
        crate::support::containers_labelled("throwaway-test", &tag).await,
        0
    );
}

#[tokio::test]
async fn a_probe_on_a_container_that_exits_reports_the_exit() {
    require_engine!();
    let err = tools("echo 'fatal: no config' >&2; sleep 1; exit 4")
        .exposed_port(8080)
        .wait_for(health_answers())
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err}");
    let message = err.message();
    assert!(message.contains("exited with code 4"), "{message}");
    assert!(
        message.contains("while waiting for /health answering 200"),
        "{message}"
    );
    assert!(message.contains("fatal: no config"), "{message}");
}

#[tokio::test]
async fn a_probe_that_never_passes_times_out_saying_what_it_saw() {
    require_engine!();
    let err = tools("exec sleep 300")
        .exposed_port(8080)
        .wait_for(health_answers())
        .startup_timeout(Duration::from_secs(2))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{err}");
    let message = err.message();
    assert!(
        message.contains("waited 2 s for /health answering 200"),
        "{message}"
    );
    assert!(message.contains("attempts, the last saw:"), "{message}");
}

//! The blocking facade from a plain `#[test]`.

use throwaway::blocking::{Network, StartBlocking};
use throwaway::{ContainerRequest, Wait};

use crate::require_engine;
use crate::support::TOOLS;

#[test]
fn a_plain_test_starts_uses_and_removes_containers() {
    require_engine!();
    let network = Network::new().unwrap();
    let web = ContainerRequest::new(TOOLS)
        .network(network.as_async())
        .network_alias("web")
        .cmd(["sh", "-c", "sleep 1; exec busybox httpd -f -p 8080 -h /www"])
        .exposed_port(8080)
        .wait_for(Wait::http("/health").port(8080))
        .start_blocking()
        .unwrap();
    assert!(web.host_port(8080).unwrap() > 0);

    let client = ContainerRequest::new(TOOLS)
        .network(network.as_async())
        .cmd(["sleep", "300"])
        .start_blocking()
        .unwrap();
    let fetched = client
        .exec(["busybox", "wget", "-q", "-O", "-", "http://web:8080/health"])
        .unwrap();
    assert_eq!(fetched.exit_code, 0, "{}", fetched.stderr_text());

    client.copy_bytes_to(b"x".to_vec(), "/tmp/x").unwrap();
    assert_eq!(client.copy_file_from("/tmp/x").unwrap(), b"x");
    assert!(web.logs().is_ok());

    client.remove().unwrap();
    drop(web);
    network.remove().unwrap();
}

#[tokio::test]
#[should_panic(expected = "called from async code")]
async fn the_blocking_api_refuses_to_stall_an_async_runtime() {
    let _ = ContainerRequest::new(TOOLS).start_blocking();
}

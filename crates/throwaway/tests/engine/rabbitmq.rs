//! The RabbitMQ module: readiness on an AMQP login, URLs, the default user, a refused
//! login, fresh vhosts per test, restarts, a broker that exits during its start, and
//! secrets that stay secret.

use std::time::{Duration, Instant};

use throwaway::kit::IsolationUnit;
use throwaway::rabbitmq::{RabbitMq, RabbitMqContainer};
use throwaway::{ErrorKind, Shared};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::require_engine;
use crate::support::raw;

const IMAGE: &str = "rabbitmq:3";
const MANAGEMENT_IMAGE: &str = "rabbitmq:3-management";

/// A password with every ASCII character a URL could trip over (RabbitMQ does not read
/// other characters in `RABBITMQ_DEFAULT_PASS` reliably: see the module's docs).
const PASSWORD: &str = "s3cr:t@/ #%?\"q\\";

/// A plain HTTP/1.0 request with basic auth through 127.0.0.1: the status and the body.
async fn management(port: u16, method: &str, path: &str, login: &str) -> (u16, String) {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(login);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\nContent-Length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The broker's answer to the AMQP protocol header: `[1, 0, 0]` is a method frame on
/// channel 0 (Connection.Start).
async fn greets_in_amqp(port: u16) -> bool {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(b"AMQP\x00\x00\x09\x01").await.unwrap();
    let mut answer = [0u8; 3];
    stream.read_exact(&mut answer).await.unwrap();
    answer == [1, 0, 0]
}

#[tokio::test]
async fn a_started_broker_speaks_amqp_at_its_url_with_the_management_api() {
    require_engine!();
    let rabbit = RabbitMq::new(IMAGE).start().await.unwrap();
    let port = rabbit.host_port();
    assert_eq!(rabbit.container().host_port(5672).unwrap(), port);
    assert_eq!(
        rabbit.connection_url(),
        format!("amqp://guest:guest@127.0.0.1:{port}/%2F")
    );
    assert!(greets_in_amqp(port).await);
    // The plain image runs the management plugin because the module enabled it.
    let management = rabbit.management_port().unwrap();
    assert_eq!(
        rabbit.management_url().unwrap(),
        format!("http://127.0.0.1:{management}")
    );
    let (status, body) = management_call(&rabbit, "GET", "/api/whoami").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"name\":\"guest\""), "{body}");
}

async fn management_call(rabbit: &RabbitMqContainer, method: &str, path: &str) -> (u16, String) {
    let login = format!("{}:guest", rabbit.user());
    management(rabbit.management_port().unwrap(), method, path, &login).await
}

#[tokio::test]
async fn the_default_user_password_and_vhost_are_the_modules() {
    require_engine!();
    let rabbit = RabbitMq::new(MANAGEMENT_IMAGE)
        .user("app")
        .password(PASSWORD)
        .vhost("shop/eu")
        .start()
        .await
        .unwrap();
    let port = rabbit.host_port();
    assert_eq!(
        rabbit.connection_url(),
        format!("amqp://app:s3cr%3At%40%2F%20%23%25%3F%22q%5C@127.0.0.1:{port}/shop%2Feu")
    );
    assert_eq!((rabbit.user(), rabbit.vhost()), ("app", "shop/eu"));
    let mon = rabbit.management_port().unwrap();
    let (status, body) = management(
        mon,
        "GET",
        "/api/vhosts/shop%2Feu",
        &format!("app:{PASSWORD}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = management(mon, "GET", "/api/whoami", "app:wrong").await;
    assert_eq!(status, 401);
    let (status, _) = management(mon, "GET", "/api/whoami", "guest:guest").await;
    assert_eq!(status, 401, "no guest beside the module's user");
}

#[tokio::test]
async fn a_refused_login_fails_the_start_at_once_naming_the_fix() {
    require_engine!();
    let started = Instant::now();
    // A setting of the user's makes another default user than the module's.
    let err = RabbitMq::new(IMAGE)
        .password(PASSWORD)
        .without_management()
        .with_request(|r| r.env("RABBITMQ_DEFAULT_PASS", "other-pass"))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("refused the module's AMQP login"), "{shown}");
    assert!(shown.contains("RabbitMq::user"), "{shown}");
    assert!(
        !shown.contains("s3cr") && !shown.contains("other-pass"),
        "{shown}"
    );
    // Fails on the first refusal, not at the startup timeout.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

static SHARED: Shared<RabbitMq> = Shared::new(|| RabbitMq::new(IMAGE).password(PASSWORD));

#[tokio::test]
async fn fresh_vhosts_keep_tests_apart_and_go_when_dropped() {
    require_engine!();
    let rabbit: &'static RabbitMqContainer = SHARED.get().await.unwrap();
    let began = Instant::now();
    let (first, second) = tokio::join!(rabbit.fresh_vhost(), rabbit.fresh_vhost());
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    assert_ne!(first.name(), second.name());
    assert!(first
        .url()
        .starts_with(&format!("amqp://{}:", first.user())));
    assert!(first.url().ends_with(&format!("/{}", first.name())));
    assert!(first.masked_url().contains(":***@"));

    let mon = rabbit.management_port().unwrap();
    let own = |v: &throwaway::rabbitmq::TestVhost| format!("{}:{}", v.user(), v.password());
    // Each user sees its own vhost, and not the other's (the list is filtered by
    // permissions; a single vhost's page is for administrators).
    for (mine, theirs) in [(&first, &second), (&second, &first)] {
        let (status, body) = management(mon, "GET", "/api/vhosts", &own(mine)).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(mine.name()) && !body.contains(theirs.name()),
            "{body}"
        );
    }
    // The test user is no administrator: it cannot see users.
    assert_ne!(
        management(mon, "GET", "/api/users", &own(&first)).await.0,
        200
    );

    // Dropped: the vhost and its user are deleted in the background, promptly.
    let name = first.name().to_string();
    let login = format!("guest:{PASSWORD}");
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let vhost_gone = management(mon, "GET", &format!("/api/vhosts/{name}"), &login)
            .await
            .0
            == 404;
        let user_gone = management(mon, "GET", &format!("/api/users/{name}"), &login)
            .await
            .0
            == 404;
        if vhost_gone && user_gone {
            break;
        }
        assert!(Instant::now() < deadline, "{name} still there after 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A kept one stays.
    let kept = second.keep();
    let _ = kept;
}

/// `PUT path` with a JSON `body` and basic auth through 127.0.0.1: the status.
async fn management_put(port: u16, path: &str, login: &str, body: &str) -> u16 {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(login);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "PUT {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_failed_tests_vhost_is_kept_tagged_and_swept_by_a_later_session() {
    require_engine!();
    use throwaway::kit::Isolation;
    let rabbit: &'static RabbitMqContainer = SHARED.get().await.unwrap();
    let mon = rabbit.management_port().unwrap();
    let admin = format!("guest:{PASSWORD}");
    let status = |path: String| {
        let admin = admin.clone();
        async move { management(mon, "GET", &path, &admin).await }
    };

    // Kept after a failed test: in place, its user tagged with the label and the session,
    // and still allowed in.
    let mut failed = rabbit.fresh_vhost().await.unwrap();
    let (name, password) = (failed.name().to_string(), failed.password().to_string());
    let aftercare = failed
        .take_aftercare()
        .expect("a fresh vhost is handed over");
    let kept = aftercare.keep("kept_rabbit_case_100").await.unwrap();
    drop(failed);
    assert!(!kept.is_by_the_test());
    assert!(kept.masked_url().ends_with(&format!("/{name}")), "{kept:?}");
    assert!(!kept.masked_url().contains(&password), "{kept:?}");
    assert!(
        kept.remove_with().contains(&format!("delete_vhost {name}"))
            && kept.remove_with().contains("kept_rabbit_case_100"),
        "{kept:?}"
    );
    let (code, user) = status(format!("/api/users/{name}")).await;
    assert_eq!(code, 200, "{user}");
    assert!(
        user.contains("kept_rabbit_case_100") && user.contains("throwaway-session-"),
        "{user}"
    );
    let (code, vhosts) = management(mon, "GET", "/api/vhosts", &format!("{name}:{password}")).await;
    assert!(code == 200 && vhosts.contains(&name), "{code} {vhosts}");

    // Kept by the test itself: neither deleted after a pass nor tagged after a failure.
    let mut own = rabbit.fresh_vhost().await.unwrap();
    let own_aftercare = own.take_aftercare().unwrap();
    let own = own.keep();
    let by_the_test = own_aftercare.keep("kept_rabbit_own_100").await.unwrap();
    assert!(by_the_test.is_by_the_test(), "{by_the_test:?}");
    let (_, user) = status(format!("/api/users/{}", own.name())).await;
    assert!(!user.contains("kept_rabbit_own_100"), "{user}");
    let mut passed = rabbit.fresh_vhost().await.unwrap();
    let passed_aftercare = passed.take_aftercare().unwrap();
    let passed = passed.keep();
    passed_aftercare.remove();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        status(format!("/api/vhosts/{}", passed.name())).await.0,
        200
    );

    // This session's own kept vhost stays through a sweep; another session's goes once it
    // is older than the sweeping run, and not before.
    rabbit
        .sweep_kept(std::time::SystemTime::now())
        .await
        .unwrap();
    assert_eq!(
        status(format!("/api/vhosts/{name}")).await.0,
        200,
        "swept its own"
    );
    let retag = format!(
        r#"{{"password":"{password}","tags":"management,kept_rabbit_case_100,throwaway-session-earlier"}}"#
    );
    assert_eq!(
        management_put(mon, &format!("/api/users/{name}"), &admin, &retag).await / 100,
        2
    );
    rabbit
        .sweep_kept(std::time::UNIX_EPOCH + Duration::from_secs(100))
        .await
        .unwrap();
    assert_eq!(
        status(format!("/api/vhosts/{name}")).await.0,
        200,
        "swept a newer one"
    );
    rabbit
        .sweep_kept(std::time::SystemTime::now())
        .await
        .unwrap();
    assert_eq!(
        status(format!("/api/vhosts/{name}")).await.0,
        404,
        "vhost not swept"
    );
    assert_eq!(
        status(format!("/api/users/{name}")).await.0,
        404,
        "user not swept"
    );
    drop((own, passed));
}

#[tokio::test]
async fn without_management_there_is_no_api_and_no_fresh_vhost() {
    require_engine!();
    let rabbit = RabbitMq::new(IMAGE)
        .without_management()
        .start()
        .await
        .unwrap();
    assert_eq!(rabbit.management_port(), None);
    assert_eq!(rabbit.management_url(), None);
    let err = rabbit.fresh_vhost().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert!(err.to_string().contains(".without_management()"), "{err}");
    assert!(greets_in_amqp(rabbit.host_port()).await);
}

#[tokio::test]
async fn a_restarted_broker_still_hands_out_vhosts() {
    require_engine!();
    let rabbit = RabbitMq::new(IMAGE).start().await.unwrap();
    rabbit.container().stop().await.unwrap();
    rabbit.container().start().await.unwrap();
    assert!(greets_in_amqp(rabbit.host_port()).await);
    let vhost = rabbit.fresh_vhost().await.unwrap();
    assert!(vhost.url().contains(&format!(":{}/", rabbit.host_port())));
}

#[tokio::test]
async fn a_broker_that_exits_during_start_is_reported_with_its_code_and_last_lines() {
    require_engine!();
    // A configuration file the broker cannot parse stops it at boot.
    let err = RabbitMq::new(IMAGE)
        .without_management()
        .with_request(|r| {
            r.copy_bytes(
                "this is = = not valid\n",
                "/etc/rabbitmq/conf.d/99-broken.conf",
            )
        })
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err}");
    let message = err.to_string();
    assert!(message.contains("exited with code"), "{message}");
    assert!(
        message.contains("failed_to_parse_configuration_file"),
        "{message}"
    );
}

#[tokio::test]
async fn the_password_stays_out_of_debug_logs_and_errors() {
    require_engine!();
    let leaks = |text: &str| text.contains("s3cr");
    let broker = RabbitMq::new(IMAGE).password(PASSWORD);
    assert!(!leaks(&format!("{broker:?}")));
    let rabbit = broker.start().await.unwrap();
    let shown = format!("{rabbit:?}");
    assert!(!leaks(&shown) && shown.contains(":***@"), "{shown}");
    let vhost = rabbit.fresh_vhost().await.unwrap();
    assert!(!format!("{vhost:?}").contains(vhost.password()));
    let logs = rabbit.container().logs().await.unwrap();
    let logs = format!("{}{}", logs.stdout_text(), logs.stderr_text());
    assert!(!leaks(&logs), "{logs}");
    // The image takes the password from its environment, where `docker inspect` shows it
    // (the module's docs say so); the command line stays clean.
    let config = raw()
        .inspect_container(rabbit.container().id(), None)
        .await
        .unwrap()
        .config
        .unwrap();
    assert!(!leaks(&format!("{:?}", config.cmd)));
}

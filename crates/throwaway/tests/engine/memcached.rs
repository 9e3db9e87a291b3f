//! The Memcached module: readiness, the address, the memory limit, key prefixes per test,
//! flushing, restarts and a server that exits during its start.

use std::collections::HashSet;

use throwaway::kit::IsolationUnit;
use throwaway::memcached::{Memcached, MemcachedContainer};
use throwaway::{ErrorKind, Shared};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::require_engine;

const IMAGE: &str = "memcached:1.6";

/// A memcached text-protocol client of the test's own: one command, the answer's lines up to
/// the one that ends it.
async fn talk(address: &str, command: &str) -> Vec<String> {
    let stream = TcpStream::connect(address).await.unwrap();
    let mut stream = BufReader::new(stream);
    stream.write_all(command.as_bytes()).await.unwrap();
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(stream.read_line(&mut line).await.unwrap() > 0, "{lines:?}");
        let line = line.trim_end().to_string();
        let last = matches!(line.as_str(), "END" | "OK" | "STORED" | "ERROR")
            || line.starts_with("VERSION ");
        lines.push(line);
        if last {
            return lines;
        }
    }
}

async fn set(address: &str, key: &str, value: &str) {
    let command = format!("set {key} 0 0 {}\r\n{value}\r\n", value.len());
    assert_eq!(talk(address, &command).await, ["STORED"]);
}

async fn get(address: &str, key: &str) -> Option<String> {
    let lines = talk(address, &format!("get {key}\r\n")).await;
    match lines.as_slice() {
        [end] if end == "END" => None,
        [_, value, end] if end == "END" => Some(value.clone()),
        other => panic!("get {key}: {other:?}"),
    }
}

async fn max_bytes(address: &str) -> u64 {
    talk(address, "stats settings\r\n")
        .await
        .iter()
        .find_map(|line| line.strip_prefix("STAT maxbytes "))
        .expect("stats settings names maxbytes")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_started_server_stores_and_returns_items_at_its_address() {
    require_engine!();
    let memcached = Memcached::new(IMAGE).memory_mb(16).start().await.unwrap();
    let port = memcached.host_port();
    assert_eq!(memcached.container().host_port(11211).unwrap(), port);
    assert_eq!(memcached.address(), format!("127.0.0.1:{port}"));
    assert_eq!(
        memcached.connection_url(),
        format!("memcache://127.0.0.1:{port}")
    );

    set(&memcached.address(), "greeting", "hello").await;
    assert_eq!(
        get(&memcached.address(), "greeting").await.as_deref(),
        Some("hello")
    );
    // The memory limit reached the server.
    assert_eq!(memcached.memory_mb(), 16);
    assert_eq!(max_bytes(&memcached.address()).await, 16 << 20);
    let debug = format!("{memcached:?}");
    assert!(debug.contains(&memcached.address()), "{debug}");
}

#[tokio::test]
async fn the_default_memory_is_memcacheds_own_and_options_reach_the_server() {
    require_engine!();
    let memcached = Memcached::default()
        .args(["-I", "2m"])
        .start()
        .await
        .unwrap();
    let address = memcached.address();
    assert_eq!(max_bytes(&address).await, 64 << 20);
    let item_max = talk(&address, "stats settings\r\n")
        .await
        .iter()
        .find_map(|line| line.strip_prefix("STAT item_size_max ").map(str::to_string))
        .unwrap();
    assert_eq!(item_max, (2 << 20).to_string());
}

#[tokio::test]
async fn flush_all_empties_the_server() {
    require_engine!();
    let memcached = Memcached::default().start().await.unwrap();
    let own = memcached.fresh_prefix().await.unwrap();
    set(&memcached.address(), "plain", "1").await;
    set(&memcached.address(), &own.key("prefixed"), "2").await;
    memcached.flush_all().await.unwrap();
    assert_eq!(get(&memcached.address(), "plain").await, None);
    assert_eq!(get(&memcached.address(), &own.key("prefixed")).await, None);
}

static SHARED: Shared<Memcached> = Shared::new(Memcached::default);

#[tokio::test]
async fn tests_that_share_a_server_never_see_each_others_items() {
    require_engine!();
    let tasks = (0..4).map(|n| {
        tokio::spawn(async move {
            let memcached: &'static MemcachedContainer = SHARED.get().await.unwrap();
            let own = memcached.fresh_prefix().await.unwrap();
            let address = memcached.address();
            // Every test writes the same key name, under its own prefix.
            set(&address, &own.key("user:1"), &format!("from test {n}")).await;
            tokio::task::yield_now().await;
            let read = get(&address, &own.key("user:1")).await;
            assert_eq!(read, Some(format!("from test {n}")));
            assert!(own.url().ends_with(&format!("?prefix={}", own.prefix())));
            (
                memcached.container().id().to_string(),
                own.prefix().to_string(),
            )
        })
    });
    let results = futures_util::future::try_join_all(tasks).await.unwrap();
    let ids: HashSet<_> = results.iter().map(|(id, _)| id).collect();
    let prefixes: HashSet<_> = results.iter().map(|(_, prefix)| prefix).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(prefixes.len(), 4, "{prefixes:?}");
    // The bare key name belongs to nobody.
    let memcached = SHARED.get().await.unwrap();
    assert_eq!(get(&memcached.address(), "user:1").await, None);
}

#[tokio::test]
async fn a_restarted_server_is_ready_again_and_empty() {
    require_engine!();
    let memcached = Memcached::default().start().await.unwrap();
    set(&memcached.address(), "k", "v").await;
    memcached.container().stop().await.unwrap();
    memcached.container().start().await.unwrap();
    // Ready means answering again, on whatever port the container has now; memcached keeps
    // nothing in memory across a restart.
    assert_eq!(get(&memcached.address(), "k").await, None);
    memcached.flush_all().await.unwrap();
}

#[tokio::test]
async fn a_server_that_exits_during_start_is_reported_with_its_code_and_last_lines() {
    require_engine!();
    let started = std::time::Instant::now();
    let err = Memcached::default()
        .arg("--no-such-option")
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContainerExited, "{err}");
    let message = err.to_string();
    assert!(message.contains("exited with code 1"), "{message}");
    assert!(message.contains("no-such-option"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[tokio::test]
async fn another_container_port_is_where_the_server_listens() {
    require_engine!();
    let memcached = Memcached::new(IMAGE).port(11300).start().await.unwrap();
    assert_eq!(
        memcached.host_port(),
        memcached.container().host_port(11300).unwrap()
    );
    set(&memcached.address(), "k", "v").await;
    assert_eq!(get(&memcached.address(), "k").await.as_deref(), Some("v"));
}

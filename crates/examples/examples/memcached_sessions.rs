//! cargo run -p throwaway-examples --example memcached_sessions
//!
//! A session cache in Memcached: a session is stored with an expiry, read back, replaced,
//! and deleted at logout. `main` shows it step by step against a memcached server in a
//! throwaway container; the tests at the bottom check the same as assertions, each under a
//! key prefix of its own on one shared server (memcached has no databases to hand out).
//!
//! Uses `memcached:1.6`; on an engine that cannot pull, build the local stand-in first with
//! `ci/images/build memcached`. Run the tests with
//! `cargo test -p throwaway-examples --example memcached_sessions`.

use throwaway::memcached::Memcached;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The Memcached image, pinned so that every run tests against the same server.
const IMAGE: &str = "memcached:1.6";

/// How long a session lives in the cache, in seconds.
const SESSION_SECONDS: u32 = 1800;

/// The smallest memcached client that does the job: the text protocol's `set`, `get` and
/// `delete`, one connection per cache.
struct Cache {
    stream: BufReader<TcpStream>,
    prefix: String,
}

impl Cache {
    async fn connect(address: &str, prefix: &str) -> std::io::Result<Cache> {
        let stream = BufReader::new(TcpStream::connect(address).await?);
        Ok(Cache {
            stream,
            prefix: prefix.to_string(),
        })
    }

    async fn line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        Ok(line.trim_end().to_string())
    }

    async fn save_session(&mut self, id: &str, user: &str) -> std::io::Result<()> {
        let key = format!("{}session:{id}", self.prefix);
        let command = format!("set {key} 0 {SESSION_SECONDS} {}\r\n{user}\r\n", user.len());
        self.stream.write_all(command.as_bytes()).await?;
        match self.line().await?.as_str() {
            "STORED" => Ok(()),
            other => Err(std::io::Error::other(format!("set {key}: {other}"))),
        }
    }

    async fn session(&mut self, id: &str) -> std::io::Result<Option<String>> {
        let key = format!("{}session:{id}", self.prefix);
        self.stream
            .write_all(format!("get {key}\r\n").as_bytes())
            .await?;
        let first = self.line().await?;
        if first == "END" {
            return Ok(None);
        }
        let user = self.line().await?;
        self.line().await?; // END
        Ok(Some(user))
    }

    async fn end_session(&mut self, id: &str) -> std::io::Result<()> {
        let key = format!("{}session:{id}", self.prefix);
        self.stream
            .write_all(format!("delete {key}\r\n").as_bytes())
            .await?;
        self.line().await?; // DELETED, or NOT_FOUND if it had expired
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let memcached = Memcached::new(IMAGE).memory_mb(16).start().await?;
    println!("Memcached is ready at {}", memcached.address());

    let mut cache = Cache::connect(&memcached.address(), "").await?;
    cache.save_session("s1", "alice").await?;
    println!("1. saved session s1:   {:?}", cache.session("s1").await?);
    cache.save_session("s1", "bob").await?;
    println!("2. replaced it:        {:?}", cache.session("s1").await?);
    cache.end_session("s1").await?;
    println!("3. logged out:         {:?}", cache.session("s1").await?);

    memcached.remove().await?;
    println!("Memcached container removed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use throwaway::Shared;

    /// One server for every test of this file, started by the first test that asks.
    static MEMCACHED: Shared<Memcached> = Shared::new(|| Memcached::new(IMAGE));

    /// A cache whose keys live under this test's own prefix on the shared server. Without a
    /// Docker engine the test is skipped, with the reason printed, unless `CI` is set.
    async fn own_cache() -> Option<Cache> {
        if throwaway::skip_without_engine() {
            return None;
        }
        let memcached = MEMCACHED
            .get()
            .await
            .unwrap_or_else(|err| panic!("could not start Memcached: {err:?}"));
        let own = memcached.fresh_prefix().await.expect("a key prefix");
        Some(
            Cache::connect(&memcached.address(), own.prefix())
                .await
                .expect("a connection"),
        )
    }

    #[tokio::test]
    async fn a_saved_session_is_read_back() {
        let Some(mut cache) = own_cache().await else {
            return;
        };
        cache.save_session("s1", "alice").await.unwrap();
        assert_eq!(cache.session("s1").await.unwrap().as_deref(), Some("alice"));
    }

    #[tokio::test]
    async fn saving_again_replaces_the_session() {
        let Some(mut cache) = own_cache().await else {
            return;
        };
        cache.save_session("s1", "alice").await.unwrap();
        cache.save_session("s1", "bob").await.unwrap();
        assert_eq!(cache.session("s1").await.unwrap().as_deref(), Some("bob"));
    }

    #[tokio::test]
    async fn a_session_is_gone_after_logout() {
        let Some(mut cache) = own_cache().await else {
            return;
        };
        cache.save_session("s1", "carol").await.unwrap();
        cache.end_session("s1").await.unwrap();
        assert_eq!(cache.session("s1").await.unwrap(), None);
    }
}

//! Redis: today's fact, cached until the next UTC midnight.
//!
//! The cache is an optimisation, never a requirement: when Redis is unreachable, callers
//! log the error and carry on without it.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::MultiplexedConnection;

use crate::clock::UtcDate;
use crate::fact::Fact;

/// How long connecting to Redis may take. Short: a request waits for it.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long Redis may take to answer a command.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);

/// The key today's fact is cached under: `facts:today:2026-11-21`.
pub fn today_key(date: UtcDate) -> String {
    format!("facts:today:{date}")
}

/// The service's Redis. Cheap to clone: clones share one connection.
///
/// Connects on first use, and again after the connection broke, so a `Cache` exists
/// even while Redis is down, and works again once it is back.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    config: redis::AsyncConnectionConfig,
    /// The connection in use; `None` until the first command, and after one broke.
    connection: Mutex<Option<MultiplexedConnection>>,
}

impl Cache {
    /// A cache in the Redis database at `url` (`redis://host:port/db`). Connects nothing
    /// yet.
    ///
    /// # Errors
    /// [`CacheError`] if `url` is not a Redis URL.
    pub fn new(url: &str) -> Result<Cache, CacheError> {
        let client =
            redis::Client::open(url).map_err(|e| CacheError::new("reading REDIS_URL", e))?;
        Ok(Cache {
            inner: Arc::new(Inner {
                client,
                config: redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT)),
                connection: Mutex::new(None),
            }),
        })
    }

    /// The fact cached for `date`, if there is one. An entry that is not a fact (written by
    /// something else) counts as none.
    ///
    /// # Errors
    /// [`CacheError`] if Redis cannot be reached or refuses the command.
    pub async fn today(&self, date: UtcDate) -> Result<Option<Fact>, CacheError> {
        let key = today_key(date);
        let mut get = redis::cmd("GET");
        get.arg(&key);
        let cached: Option<String> = self.run(get, "reading today's fact").await?;
        Ok(cached.and_then(|json| match serde_json::from_str(&json) {
            Ok(fact) => Some(fact),
            Err(error) => {
                tracing::warn!(key, "the cached fact is not a fact, ignoring it: {error}");
                None
            }
        }))
    }

    /// Caches `fact` as the fact of `date`, until the midnight (UTC) that ends it.
    ///
    /// # Errors
    /// [`CacheError`] if Redis cannot be reached or refuses the command.
    pub async fn remember_today(&self, date: UtcDate, fact: &Fact) -> Result<(), CacheError> {
        let json = serde_json::to_string(fact)
            .map_err(|e| CacheError::new("writing today's fact as JSON", e))?;
        let mut set = redis::cmd("SET");
        // EXAT: an absolute expiry, so that the entry ends with the day however late in
        // it it was written.
        set.arg(today_key(date))
            .arg(json)
            .arg("EXAT")
            .arg(date.next_midnight());
        let _: () = self.run(set, "caching today's fact").await?;
        Ok(())
    }

    /// Checks that Redis answers `PING`.
    ///
    /// # Errors
    /// [`CacheError`] if it does not.
    pub async fn ping(&self) -> Result<(), CacheError> {
        let _: String = self.run(redis::cmd("PING"), "checking Redis").await?;
        Ok(())
    }

    /// Runs `command` on the shared connection, connecting first if there is none. A
    /// connection that turns out broken is dropped, and the command tried once more on a
    /// new one (Redis may have restarted since).
    async fn run<T: redis::FromRedisValue>(
        &self,
        command: redis::Cmd,
        what: &str,
    ) -> Result<T, CacheError> {
        let kept = self.inner.connection.lock().expect("not poisoned").clone();
        let (mut connection, fresh) = match kept {
            Some(connection) => (connection, false),
            None => (self.connect(what).await?, true),
        };
        match command.query_async(&mut connection).await {
            Ok(value) => Ok(value),
            Err(error) if is_broken(&error) => {
                self.forget();
                if fresh {
                    return Err(CacheError::new(what, error));
                }
                let mut connection = self.connect(what).await?;
                command.query_async(&mut connection).await.map_err(|e| {
                    if is_broken(&e) {
                        self.forget();
                    }
                    CacheError::new(what, e)
                })
            }
            Err(error) => Err(CacheError::new(what, error)),
        }
    }

    /// A new connection, kept for the commands that follow. Made without holding the lock,
    /// so that requests do not queue behind a connection attempt to a Redis that is down.
    async fn connect(&self, what: &str) -> Result<MultiplexedConnection, CacheError> {
        let connection = self
            .inner
            .client
            .get_multiplexed_async_connection_with_config(&self.inner.config)
            .await
            .map_err(|e| CacheError::new(what, e))?;
        *self.inner.connection.lock().expect("not poisoned") = Some(connection.clone());
        Ok(connection)
    }

    fn forget(&self) {
        *self.inner.connection.lock().expect("not poisoned") = None;
    }
}

/// Whether `error` means the connection is no good any more.
fn is_broken(error: &redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_unrecoverable_error()
        || error.is_timeout()
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let connected = self
            .inner
            .connection
            .lock()
            .map(|c| c.is_some())
            .unwrap_or(false);
        f.debug_struct("Cache")
            .field("connected", &connected)
            .finish()
    }
}

/// A cache operation that failed.
#[derive(Debug)]
pub struct CacheError {
    what: String,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl CacheError {
    fn new(what: &str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        CacheError {
            what: what.to_string(),
            source: source.into(),
        }
    }
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.source)
    }
}

impl std::error::Error for CacheError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todays_key_names_the_utc_date() {
        let date = UtcDate::from_ymd(2026, 11, 21).unwrap();
        assert_eq!(today_key(date), "facts:today:2026-11-21");
    }

    #[test]
    fn a_url_that_is_not_redis_is_refused_before_connecting() {
        assert!(Cache::new("postgres://localhost").is_err());
        assert!(Cache::new("redis://127.0.0.1:6379/3").is_ok());
    }
}

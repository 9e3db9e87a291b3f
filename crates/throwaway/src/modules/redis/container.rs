//! A started Redis server, its clients, and the logical databases it hands out.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;

use super::endpoint::Endpoint;
use super::service_error;
use crate::container::Container;
use crate::engine::runtime::{on_engine, spawn_tracked, Work};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{Isolation, IsolationUnit};
use crate::testing::{Aftercare, AftercareFuture, Kept};

/// The key, in the server's last logical database, that counts every database handed out.
const COUNTER_KEY: &str = "throwaway:fresh-databases";

/// The prefix of the keys, next to [`COUNTER_KEY`], that count what each session (a test
/// run: every process of a nextest run, or one process) has taken.
const SESSION_KEY_PREFIX: &str = "throwaway:fresh-databases:session:";

/// How long a session's count is kept after its last database was handed out. Only a
/// server reused across runs ever sees a count expire; it just must outlast the run.
const SESSION_KEY_SECONDS: u64 = 7 * 24 * 3600;

/// Hands out the next database and empties it, in one atomic step.
///
/// The index comes from one count per server (`INCR`), so it is unique among all its
/// clients, in any process, and wraps around after the last database: a server reused
/// across runs hands databases out again, which is why each is emptied first. Within one
/// session, no index is handed out twice: its own count stops it at the capacity. A
/// script's `SELECT` does not change the connection's database.
///
/// KEYS[1]: the server's count; KEYS[2]: the session's count. ARGV[1]: the capacity (indices
/// 1 to capacity can be handed out); ARGV[2]: how long to keep the session's count, in
/// seconds. Returns the index, or 0 when the session has taken the capacity.
const HAND_OUT: &str = "\
local capacity = tonumber(ARGV[1])
local taken = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
if taken > capacity then
  return 0
end
local index = (redis.call('INCR', KEYS[1]) - 1) % capacity + 1
redis.call('SELECT', index)
redis.call('FLUSHDB')
return index";

/// Empties databases 0 to ARGV[1], that is every one but the last, which holds the counts:
/// a database handed out before is not handed out again in the same session.
const FLUSH_ALL: &str = "\
for index = 0, tonumber(ARGV[1]) do
  redis.call('SELECT', index)
  redis.call('FLUSHDB')
end
return 1";

/// Limits for the module's own connection. Emptying a large data set takes a while, so the
/// response limit is generous; the point is only that nothing hangs forever.
const CONTROL_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const CONTROL_RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// The module's own connection to the server, made on first use and replaced if it breaks.
type ControlSlot = Arc<tokio::sync::Mutex<Option<MultiplexedConnection>>>;

/// A running Redis server, removed with its data when dropped (as its [`Container`] is).
///
/// Made by [`Redis::start`](super::Redis::start). [`container`](RedisContainer::container)
/// gives the underlying [`Container`] for logs, `exec` and the rest. `Debug` shows the
/// connection URL with the password as `***`.
pub struct RedisContainer {
    container: Container,
    /// The port the server listens on inside the container ([`Redis::port`](super::Redis::port)).
    container_port: u16,
    /// The address and password; the port as read at start.
    endpoint: Endpoint,
    /// How many logical databases the server has (`CONFIG GET databases`).
    databases: u32,
    /// The key that counts the fresh databases this session took.
    session_key: String,
    control: ControlSlot,
}

impl RedisContainer {
    pub(super) fn new(
        container: Container,
        container_port: u16,
        endpoint: Endpoint,
        databases: u32,
        session_id: &str,
    ) -> Self {
        RedisContainer {
            container,
            container_port,
            endpoint,
            databases,
            session_key: format!("{SESSION_KEY_PREFIX}{session_id}"),
            control: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// The URL of database 0, for any Redis client: `redis://127.0.0.1:49153`, or with a
    /// password `redis://:s3cr%3At%40@127.0.0.1:49153` (percent-escaped).
    pub fn connection_url(&self) -> String {
        self.endpoint().url(None).to_string()
    }

    /// The host port that Redis's port (6379, or [`Redis::port`](super::Redis::port)) is
    /// published on.
    pub fn host_port(&self) -> u16 {
        self.endpoint().port()
    }

    /// The underlying container: logs, `exec`, stop and start, and the rest.
    pub fn container(&self) -> &Container {
        &self.container
    }

    /// A client of the [`redis`](https://docs.rs/redis) crate for database 0, authenticated
    /// if the server has a password. Make sync connections (`get_connection`) or async ones
    /// (`get_multiplexed_async_connection`) from it.
    ///
    /// # Errors
    /// [`ErrorKind::Service`] if the redis crate refuses the address (it should not).
    pub fn client(&self) -> Result<redis::Client> {
        self.endpoint().client(0, &self.container.describe())
    }

    /// A new async connection to database 0, with the redis crate's default timeouts.
    ///
    /// The connection runs on the caller's tokio runtime (as the redis crate's always do), so
    /// make one per test rather than keeping one in a `static`.
    ///
    /// # Errors
    /// [`ErrorKind::Service`] if the server cannot be reached or refuses the client.
    pub async fn async_connection(&self) -> Result<MultiplexedConnection> {
        connect(
            &self.client()?,
            &self.container.describe(),
            &self.endpoint(),
            0,
        )
        .await
    }

    /// A logical database that no other caller got: empty, and yours alone for as long as
    /// the test run lasts. The way to keep tests apart that share one server.
    ///
    /// The server itself counts the databases handed out (`INCR`), so indices are unique
    /// among all its clients, also in other processes of the run that share the container.
    /// They run from 1 (database 0 is the one [`connection_url`](RedisContainer::connection_url)
    /// names) to the server's number of databases less two (the last one holds the module's
    /// counts): 1 to 1022 with the module's [`DATABASES`](super::DATABASES). A test run
    /// (every process of a `cargo nextest` run, or one process) can take that many; a
    /// server reused across runs hands them out again, emptied.
    ///
    /// # Errors
    /// - [`ErrorKind::Service`] if this run has taken every database: the message names the
    ///   limit and how to raise it.
    /// - [`ErrorKind::Service`] if the server cannot be reached or refuses the command.
    pub async fn fresh_database(&self) -> Result<RedisDatabase> {
        let who = self.container.describe();
        let capacity = self.databases.saturating_sub(2);
        if capacity == 0 {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "{who} has {} logical database(s): fresh databases need at least 3 (0 is \
                     the default one, the last holds the module's counts); leave out the \
                     --databases argument to get {}",
                    self.databases,
                    super::DATABASES
                ),
            ));
        }
        let mut hand_out = redis::cmd("EVAL");
        hand_out
            .arg(HAND_OUT)
            .arg(2)
            .arg(COUNTER_KEY)
            .arg(&self.session_key)
            .arg(capacity)
            .arg(SESSION_KEY_SECONDS);
        let index: i64 = self
            .control(hand_out, "handing out a fresh database")
            .await?;
        let index = u32::try_from(index)
            .ok()
            .filter(|i| (1..=capacity).contains(i));
        let Some(index) = index else {
            let more = (u64::from(self.databases) * 4).max(4096);
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "{who} has no fresh database left for this test run: it took all {capacity} \
                     (of the server's {} logical databases, 0 is the default one and {} holds \
                     the module's counts). Start the server with more, e.g. \
                     .arg(\"--databases\").arg(\"{more}\")",
                    self.databases,
                    self.databases - 1,
                ),
            ));
        };
        tracing::debug!(container = %who, index, "handed out a fresh Redis database");
        Ok(RedisDatabase {
            index,
            url: self.endpoint().url(Some(index)).to_string(),
            endpoint: self.endpoint(),
            who,
            container_id: self.container.id().to_string(),
        })
    }

    /// Empties every logical database but the last, which holds the module's counts (so
    /// that [`fresh_database`](RedisContainer::fresh_database) never hands out a database
    /// twice in one run): Redis's `FLUSHALL`, sparing the bookkeeping.
    ///
    /// On a shared server this empties the databases other tests got from `fresh_database`
    /// too.
    ///
    /// # Errors
    /// [`ErrorKind::Service`] if the server cannot be reached or refuses the command.
    pub async fn flush_all(&self) -> Result<()> {
        let mut flush = redis::cmd("EVAL");
        flush
            .arg(FLUSH_ALL)
            .arg(0)
            .arg(self.databases.saturating_sub(2));
        let _: i64 = self.control(flush, "emptying every database").await?;
        Ok(())
    }

    /// Removes the container now and reports failure, as [`Container::remove`] does.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`] if the engine cannot remove it.
    pub async fn remove(self) -> Result<()> {
        self.container.remove().await
    }

    /// The address and password, on the host port the container has now (a restarted
    /// container may have a new one).
    fn endpoint(&self) -> Endpoint {
        match self.container.host_port(self.container_port) {
            Ok(port) if port != self.endpoint.port() => self.endpoint.on_port(port),
            _ => self.endpoint.clone(),
        }
    }

    /// Runs `command` on the module's own connection to the server's last database.
    ///
    /// The connection lives on the library's runtime, so it outlives the test that made it
    /// (a shared server serves many tests, each with its own runtime). A connection that
    /// broke (the container was restarted, say) is replaced once.
    async fn control<T>(&self, command: redis::Cmd, what: &str) -> Result<T>
    where
        T: redis::FromRedisValue + Send + 'static,
    {
        let slot = self.control.clone();
        let endpoint = self.endpoint();
        let db = self.databases.saturating_sub(1);
        let who = self.container.describe();
        let what = format!("{what} on {who}");
        on_engine(async move {
            let mut retried = false;
            loop {
                let mut connection = {
                    let mut slot = slot.lock().await;
                    match &*slot {
                        Some(connection) => connection.clone(),
                        None => {
                            let config = redis::AsyncConnectionConfig::new()
                                .set_connection_timeout(Some(CONTROL_CONNECT_TIMEOUT))
                                .set_response_timeout(Some(CONTROL_RESPONSE_TIMEOUT));
                            let client = endpoint.client(db, &who)?;
                            let connection = client
                                .get_multiplexed_async_connection_with_config(&config)
                                .await
                                .map_err(|e| service_error(format!("{what}: connecting"), e))?;
                            slot.insert(connection).clone()
                        }
                    }
                };
                match command.query_async::<T>(&mut connection).await {
                    Ok(value) => return Ok(value),
                    Err(error)
                        if !retried && (error.is_io_error() || error.is_unrecoverable_error()) =>
                    {
                        retried = true;
                        *slot.lock().await = None;
                    }
                    Err(error) => return Err(service_error(what, error)),
                }
            }
        })
        .await
    }
}

/// A new async connection from `client` (to database `db` of `endpoint`), with errors that
/// name the container and hide the password.
async fn connect(
    client: &redis::Client,
    who: &str,
    endpoint: &Endpoint,
    db: u32,
) -> Result<MultiplexedConnection> {
    client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| {
            service_error(
                format!("connecting to {who} at {}", endpoint.url(Some(db)).masked()),
                e,
            )
        })
}

impl AsRef<Container> for RedisContainer {
    fn as_ref(&self) -> &Container {
        &self.container
    }
}

impl fmt::Debug for RedisContainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisContainer")
            .field("url", &self.endpoint().url(None).masked())
            .field("databases", &self.databases)
            .field("container", &self.container)
            .finish()
    }
}

/// A logical database handed out by [`RedisContainer::fresh_database`]: empty when handed
/// out, and no other caller gets its index.
///
/// It is a plain value (an index and a URL), valid as long as the server runs; nothing
/// happens when it is dropped. Its URL names the host port of the container's current run:
/// after a restart, ask for a new one. `Debug` shows the URL with the password as `***`.
#[derive(Clone)]
pub struct RedisDatabase {
    index: u32,
    url: String,
    endpoint: Endpoint,
    who: String,
    /// The server's container, whose removal waits for this database's emptying after a
    /// `#[throwaway::test]`.
    container_id: String,
}

impl RedisDatabase {
    /// The database's index, as `SELECT` takes it.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The URL of this database, for any Redis client: `redis://127.0.0.1:49153/7`, with
    /// the password if the server has one.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client of the [`redis`](https://docs.rs/redis) crate whose connections use this
    /// database.
    ///
    /// # Errors
    /// [`ErrorKind::Service`] if the redis crate refuses the address (it should not).
    pub fn client(&self) -> Result<redis::Client> {
        self.endpoint.client(self.index, &self.who)
    }

    /// A new async connection to this database, on the caller's tokio runtime.
    ///
    /// # Errors
    /// [`ErrorKind::Service`] if the server cannot be reached or refuses the client.
    pub async fn async_connection(&self) -> Result<MultiplexedConnection> {
        connect(&self.client()?, &self.who, &self.endpoint, self.index).await
    }
}

impl Isolation for RedisContainer {
    type Unit = RedisDatabase;

    fn fresh_unit(&self) -> impl std::future::Future<Output = Result<RedisDatabase>> + Send {
        self.fresh_database()
    }
}

impl IsolationUnit for RedisDatabase {
    fn url(&self) -> String {
        self.url.clone()
    }

    fn masked_url(&self) -> String {
        self.endpoint.url(Some(self.index)).masked()
    }

    fn take_aftercare(&mut self) -> Option<Box<dyn Aftercare>> {
        Some(Box::new(self.clone()))
    }
}

/// The key that marks a database kept after a failed `#[throwaway::test]`.
const KEPT_KEY: &str = "throwaway:kept";

/// A logical database's cleanup after a `#[throwaway::test]`: emptied when the test
/// passed (nothing else would: no other test gets its index in this run), marked when it
/// failed. A later run needs no sweep: a database is emptied when it is handed out again.
impl Aftercare for RedisDatabase {
    fn remove(self: Box<Self>) {
        // Tracked, so that the container's removal (and the exit hook) waits for it rather
        // than killing the server under it, or emptying another run's server that the
        // engine published on the same port.
        let container = self.container_id.clone();
        spawn_tracked(Work::BeforeRemoval, container, async move {
            let flushed = self
                .run(redis::cmd("FLUSHDB"), "emptying a passed test's database")
                .await;
            if let Err(err) = flushed {
                tracing::debug!(database = self.index, "not emptied: {err}");
            }
        });
    }

    fn keep(self: Box<Self>, label: &str) -> AftercareFuture<Kept> {
        let mut mark = redis::cmd("SET");
        mark.arg(KEPT_KEY).arg(label);
        Box::pin(async move {
            self.run(mark, "marking a failed test's database").await?;
            Ok(Kept::new(
                self.endpoint.url(Some(self.index)).masked(),
                format!(
                    "FLUSHDB on database {} (the key {KEPT_KEY} names the test)",
                    self.index
                ),
            ))
        })
    }
}

impl RedisDatabase {
    /// Runs `command` on this database, from the library's runtime.
    async fn run(&self, command: redis::Cmd, what: &str) -> Result<()> {
        let this = self.clone();
        let what = format!("{what} ({}) on {}", self.index, self.who);
        on_engine(async move {
            let mut connection = this.async_connection().await?;
            command
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| service_error(what, e))
        })
        .await
    }
}

impl fmt::Debug for RedisDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDatabase")
            .field("index", &self.index)
            .field("url", &self.endpoint.url(Some(self.index)).masked())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runtime::pending;

    #[test]
    fn emptying_a_passed_tests_database_is_work_its_containers_removal_waits_for() {
        // A server that takes the connection and never answers: the emptying stays pending
        // for as long as the test looks.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let container = "redis-aftercare-unit-test";
        let database = RedisDatabase {
            index: 3,
            url: String::new(),
            endpoint: Endpoint::new("127.0.0.1", port, None),
            who: "a silent server".into(),
            container_id: container.into(),
        };
        Aftercare::remove(Box::new(database));
        assert_eq!(
            pending(Work::BeforeRemoval, Some(container)).len(),
            1,
            "the FLUSHDB is not tracked: the container's removal would not wait for it"
        );
        drop(silent);
    }
}

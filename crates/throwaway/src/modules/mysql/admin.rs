//! The fresh databases: a few made ahead, in the background, so that a test usually gets
//! one at once; the others made when asked; all dropped in the background.
//!
//! MySQL and MariaDB have no template databases, and replaying a 20-table schema takes
//! tens of milliseconds (each `CREATE TABLE` is a file and a data-dictionary change). So
//! the module keeps [`Admin::ahead`] copies ready: taking one is a lock and a pop, and
//! each take starts a background worker that makes the next.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::connect::{code, connect_on_engine, driver_detail, quote_ident, ConnectError, Endpoint};
use super::schema::Schema;
use crate::container::PublishedPort;
use crate::engine::runtime::runtime;
use crate::error::{Error, ErrorKind, Result};
use crate::modules::sql::names::unique_name;
use crate::modules::sql::state::container_state;

/// The table that marks a database kept after a failed `#[throwaway::test]`.
pub(crate) const KEPT_TABLE: &str = "throwaway_kept";

/// Connections kept open between calls.
const MAX_IDLE: usize = 4;

/// Background workers making copies at once: DDL is CPU-bound on the server, and tests
/// need the server too.
const WORKERS: usize = 2;

/// What the one-time preparation leaves: the schema to replay and where the rows are.
pub(crate) struct Prepared {
    pub schema: Schema,
    /// The frozen copy of the migrated main database that rows are copied from.
    pub source: String,
}

/// The current preparation; a restart makes a new one, and copies of an older run are
/// thrown away.
struct Run {
    prepared: Arc<Prepared>,
    number: u64,
}

/// The root connections that create and drop fresh databases, and the copies made ahead.
pub(crate) struct Admin {
    /// Root's account; the port is read afresh, since a restart may move it.
    root: Endpoint,
    port: PublishedPort,
    /// `MySQL in mysql:8 (0123456789ab)`, for messages.
    who: String,
    docker: bollard::Docker,
    id: String,
    run: Mutex<Run>,
    /// Copies made ahead, with the run they belong to.
    ready: Mutex<VecDeque<(u64, String)>>,
    ahead: usize,
    /// Copies being made by workers right now.
    making: AtomicUsize,
    idle: Mutex<Vec<Conn>>,
}

impl Admin {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        root: Endpoint,
        port: PublishedPort,
        prepared: Prepared,
        ahead: usize,
        who: String,
        docker: bollard::Docker,
        id: String,
    ) -> Arc<Self> {
        Arc::new(Admin {
            root,
            port,
            who,
            docker,
            id,
            run: Mutex::new(Run {
                prepared: Arc::new(prepared),
                number: 0,
            }),
            ready: Mutex::new(VecDeque::new()),
            ahead,
            making: AtomicUsize::new(0),
            idle: Mutex::new(Vec::new()),
        })
    }

    fn current(&self) -> (u64, Arc<Prepared>) {
        let run = self.run.lock().unwrap_or_else(|p| p.into_inner());
        (run.number, run.prepared.clone())
    }

    /// Makes copies until [`Admin::ahead`] are ready, [`WORKERS`] at a time, and returns
    /// when they are: before `start()` returns, so that the first tests find them.
    pub async fn fill(self: &Arc<Self>) -> Result<()> {
        let need = self.ahead.saturating_sub(self.ready_len());
        let mut rounds = Vec::new();
        for worker in 0..WORKERS.min(need) {
            let admin = self.clone();
            let share = need / WORKERS + usize::from(worker < need % WORKERS);
            rounds.push(async move {
                for _ in 0..share {
                    let (number, prepared) = admin.current();
                    let name = admin.make(&prepared).await?;
                    admin.keep_ready(number, name);
                }
                Ok::<(), Error>(())
            });
        }
        for result in futures_util::future::join_all(rounds).await {
            result?;
        }
        Ok(())
    }

    fn ready_len(&self) -> usize {
        self.ready.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn keep_ready(&self, number: u64, name: String) {
        self.ready
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back((number, name));
    }

    /// A fresh database: one made ahead if there is one, else one made now. Either way a
    /// worker starts on the next.
    pub async fn take(self: &Arc<Self>) -> Result<String> {
        let (number, prepared) = self.current();
        let made_ahead = {
            let mut ready = self.ready.lock().unwrap_or_else(|p| p.into_inner());
            // Copies of an earlier run died with it.
            ready.retain(|(n, _)| *n == number);
            ready.pop_front()
        };
        self.top_up();
        match made_ahead {
            Some((_, name)) => Ok(name),
            None => self.make(&prepared).await,
        }
    }

    /// Starts workers until the copies ready and in the making reach [`Admin::ahead`].
    fn top_up(self: &Arc<Self>) {
        loop {
            let making = self.making.load(Ordering::SeqCst);
            if making >= WORKERS || self.ready_len() + making >= self.ahead {
                return;
            }
            if self
                .making
                .compare_exchange(making, making + 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
            {
                continue;
            }
            let admin: Weak<Admin> = Arc::downgrade(self);
            runtime().spawn(async move {
                let Some(admin) = admin.upgrade() else { return };
                let (number, prepared) = admin.current();
                match admin.make(&prepared).await {
                    Ok(name) => admin.keep_ready(number, name),
                    // The next take makes its own and says what went wrong.
                    Err(err) => tracing::debug!("no fresh database made ahead: {err}"),
                }
                admin.making.fetch_sub(1, Ordering::SeqCst);
                admin.top_up();
            });
            return;
        }
    }

    /// Replays the schema into a new database under a random name.
    async fn make(&self, prepared: &Prepared) -> Result<String> {
        let exists = format!("ERROR {} ", code::DATABASE_EXISTS);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let name = unique_name();
            let mut conn = self.connection().await?;
            match prepared
                .schema
                .replay(&mut conn, &name, &prepared.source)
                .await
            {
                Ok(()) => {
                    self.park(conn);
                    return Ok(name);
                }
                // 64 random bits make this all but impossible; all but is not never.
                Err(err) if err.message().contains(&exists) && attempts < 3 => continue,
                Err(err) => {
                    // Leave nothing half made behind.
                    let _ = conn
                        .query_drop(format!("DROP DATABASE IF EXISTS {}", quote_ident(&name)))
                        .await;
                    return Err(err.prefixed(&self.who));
                }
            }
        }
    }

    /// Drops database `name`.
    pub async fn drop_database(&self, name: &str) -> Result<()> {
        let mut conn = self.connection().await?;
        match conn
            .query_drop(format!("DROP DATABASE IF EXISTS {}", quote_ident(name)))
            .await
        {
            Ok(()) => {
                self.park(conn);
                Ok(())
            }
            Err(err) => Err(Error::new(
                ErrorKind::Service,
                format!(
                    "{} could not drop database '{name}': {}",
                    self.who,
                    driver_detail(&err)
                ),
            )
            .with_source(err)),
        }
    }

    /// Marks database `name` as kept after a failed test: a table [`KEPT_TABLE`] in it
    /// with one row, the test's `label` and the `session` that kept it. MySQL and MariaDB
    /// cannot rename a database, so the mark names the test instead.
    pub async fn keep_database(&self, name: &str, label: &str, session: &str) -> Result<()> {
        let table = format!("{}.{}", quote_ident(name), quote_ident(KEPT_TABLE));
        let mut conn = self.connection().await?;
        let marked = async {
            conn.query_drop(format!(
                "CREATE TABLE {table} (label VARCHAR(64) NOT NULL, session VARCHAR(255) NOT NULL)"
            ))
            .await?;
            conn.exec_drop(
                format!("INSERT INTO {table} (label, session) VALUES (?, ?)"),
                (label, session),
            )
            .await
        }
        .await;
        match marked {
            Ok(()) => {
                self.park(conn);
                Ok(())
            }
            Err(err) => Err(Error::new(
                ErrorKind::Service,
                format!(
                    "{} could not mark database '{name}' as kept ({label}): {}",
                    self.who,
                    driver_detail(&err)
                ),
            )
            .with_source(err)),
        }
    }

    /// The databases marked as kept, each with its label and the session that kept it.
    pub async fn kept_databases(&self) -> Result<Vec<(String, String, String)>> {
        let mut conn = self.connection().await?;
        let listed = async {
            let marked: Vec<String> = conn
                .exec(
                    "SELECT table_schema FROM information_schema.tables WHERE table_name = ?",
                    (KEPT_TABLE,),
                )
                .await?;
            let mut kept = Vec::new();
            for database in marked {
                let marks: Vec<(String, String)> = conn
                    .query(format!(
                        "SELECT label, session FROM {}.{}",
                        quote_ident(&database),
                        quote_ident(KEPT_TABLE)
                    ))
                    .await?;
                for (label, session) in marks {
                    kept.push((database.clone(), label, session));
                }
            }
            Ok::<_, mysql_async::Error>(kept)
        }
        .await;
        match listed {
            Ok(kept) => {
                self.park(conn);
                Ok(kept)
            }
            Err(err) => Err(Error::new(
                ErrorKind::Service,
                format!(
                    "{} could not list its kept databases: {}",
                    self.who,
                    driver_detail(&err)
                ),
            )
            .with_source(err)),
        }
    }

    /// Follows the container through a restart: a new preparation, and the kept
    /// connections and copies, which died with the old server, forgotten.
    pub fn restarted(&self, prepared: Prepared) {
        let mut run = self.run.lock().unwrap_or_else(|p| p.into_inner());
        run.number += 1;
        run.prepared = Arc::new(prepared);
        drop(run);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.ready.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Root's account where the server is now.
    pub fn root(&self) -> Endpoint {
        Endpoint {
            port: self.port.current().unwrap_or(self.root.port),
            ..self.root.clone()
        }
    }

    fn park(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    /// A kept connection that still answers, or a new one.
    async fn connection(&self) -> Result<Conn> {
        loop {
            let kept = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let Some(mut conn) = kept else { break };
            if conn.ping().await.is_ok() {
                return Ok(conn);
            }
        }
        let root = self.root();
        match connect_on_engine(root.opts(None)).await {
            Ok(conn) => Ok(conn),
            Err(err) => Err(self.unreachable(&root, err).await),
        }
    }

    async fn unreachable(&self, root: &Endpoint, err: ConnectError) -> Error {
        let state = container_state(&self.docker, &self.id).await;
        let error = Error::new(
            ErrorKind::Service,
            format!(
                "{} is not reachable ({}): {state}; {}",
                self.who,
                root.describe(""),
                err.detail()
            ),
        );
        match err.into_source() {
            Some(source) => error.with_source(source),
            None => error,
        }
    }
}

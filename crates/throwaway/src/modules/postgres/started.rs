//! A started PostgreSQL container and the fresh databases it hands out.

use std::fmt;
use std::sync::{Arc, Weak};

use tokio_postgres::Client;

use super::admin::{Admin, TEMPLATE};
use super::connect::{connect_failed, connect_here, Endpoint};
use crate::container::Container;
use crate::engine::runtime::{on_engine, spawn_tracked, Work};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{session_id, Isolation, IsolationUnit, Secret};
use crate::testing::{labelled_at, Aftercare, AftercareFuture, Cleanup, Kept, KeptByTest};
use std::time::SystemTime;

/// A running PostgreSQL server, ready and migrated; removed when dropped.
///
/// Made by [`Postgres::start`](super::Postgres::start). See the [module docs](super) for
/// an example.
pub struct PostgresContainer {
    pub(super) container: Container,
    /// The port the server listens on inside the container ([`Postgres::port`](super::Postgres::port)).
    pub(super) container_port: u16,
    /// The host port when it became ready, should the container ever not say.
    pub(super) ready_port: u16,
    pub(super) user: String,
    pub(super) password: Secret,
    pub(super) database: String,
    pub(super) admin: Arc<Admin>,
    /// The name of the snapshot volume it started from, if it did.
    pub(super) snapshot: Option<String>,
}

impl PostgresContainer {
    /// The URL of the main database:
    /// `postgres://user:password@127.0.0.1:49153/users`, with user, password and database
    /// percent-escaped. The only place the password is shown.
    pub fn connection_url(&self) -> String {
        self.endpoint().url(&self.database)
    }

    /// The host to connect to (`127.0.0.1` for a local engine).
    pub fn host(&self) -> &str {
        self.container.host()
    }

    /// The host port that PostgreSQL's port (5432, or [`Postgres::port`](super::Postgres::port))
    /// is published on (read from the container, so it is right after a restart too).
    pub fn host_port(&self) -> u16 {
        self.container
            .host_port(self.container_port)
            .unwrap_or(self.ready_port)
    }

    /// The superuser the server was initialised with.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Where the server is now, and how to log in.
    fn endpoint(&self) -> Endpoint {
        Endpoint {
            host: self.container.host().to_string(),
            port: self.host_port(),
            user: self.user.clone(),
            password: self.password.clone(),
        }
    }

    /// The name of the main database.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The snapshot volume the server started from (`throwaway-snapshot-postgres-<key>`),
    /// or `None` when it was initialised from scratch (see
    /// [`Postgres::snapshots`](super::Postgres::snapshots)).
    pub fn snapshot(&self) -> Option<&str> {
        self.snapshot.as_deref()
    }

    /// The container, for everything that is not specific to PostgreSQL: logs, exec, stop.
    pub fn container(&self) -> &Container {
        &self.container
    }

    /// A new client connected to the main database.
    ///
    /// Its connection is driven by a task on the current tokio runtime (the library's own
    /// runtime when called outside tokio), and closes when the client is dropped.
    ///
    /// # Errors
    /// [`ErrorKind::Service`](crate::ErrorKind::Service) if the server cannot be reached or refuses the login.
    pub async fn client(&self) -> Result<Client> {
        client_for(&self.endpoint(), &self.database, self.container.describe()).await
    }

    /// A new database for one test: a copy of the main database as it was when the
    /// container became ready (init scripts run, migrations applied), under a unique name.
    ///
    /// Cloning takes milliseconds: PostgreSQL copies the template database the module made
    /// at start (`CREATE DATABASE … TEMPLATE`) and nothing is migrated again. Names are
    /// random (`test_` and 16 hex digits), so tests in any number of threads and processes
    /// that share this container never collide.
    ///
    /// The database is dropped, in the background, when the returned [`TestDatabase`] is
    /// dropped; keep the value for as long as the test uses the database.
    ///
    /// # Errors
    /// [`ErrorKind::Service`](crate::ErrorKind::Service) if the server cannot be reached (the message says whether the
    /// container was removed, stopped or paused) or refuses to create the database.
    pub async fn fresh_database(&self) -> Result<TestDatabase> {
        let admin = self.admin.clone();
        let name = on_engine(async move { admin.create_database().await }).await?;
        tracing::debug!(database = %name, container = %self.container.describe(), "fresh database");
        let endpoint = self.endpoint();
        Ok(TestDatabase {
            url: endpoint.url(&name),
            endpoint,
            admin: Arc::downgrade(&self.admin),
            who: self.container.describe(),
            container_id: self.container.id().to_string(),
            name,
            cleanup: Cleanup::OnDrop,
        })
    }

    /// Removes the container now and reports failure, as [`Container::remove`] does.
    ///
    /// # Errors
    /// [`ErrorKind::Engine`](crate::ErrorKind::Engine) if the engine cannot remove it.
    pub async fn remove(self) -> Result<()> {
        self.container.remove().await
    }
}

impl AsRef<Container> for PostgresContainer {
    fn as_ref(&self) -> &Container {
        &self.container
    }
}

impl fmt::Debug for PostgresContainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresContainer")
            .field("container", &self.container)
            .field("url", &self.endpoint().masked_url(&self.database))
            .field("template", &TEMPLATE)
            .finish()
    }
}

/// A database of its own for one test, cloned from the migrated template by
/// [`PostgresContainer::fresh_database`].
///
/// It belongs to the container's current run: its URL names the host port of that run, and
/// a server whose data lived in memory loses it at a restart. Ask for a new one after
/// restarting the container.
///
/// Dropping it drops the database (in the background, ending any session still connected),
/// so that a long test run does not fill the container's memory with old databases. Keep
/// it alive while the test uses the database, as with `tempfile::TempDir`; call
/// [`keep`](TestDatabase::keep) to leave it in place for a look afterwards.
#[must_use = "the database is dropped when this value is"]
pub struct TestDatabase {
    name: String,
    url: String,
    endpoint: Endpoint,
    admin: Weak<Admin>,
    who: String,
    /// The server's container, whose removal waits for this database's drop.
    container_id: String,
    /// Who drops the database: this value's drop, nobody, or `#[throwaway::test]`.
    cleanup: Cleanup,
}

impl TestDatabase {
    /// The database's name, such as `test_5f0c3e9a1b2d4c6e`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `postgres://user:password@127.0.0.1:49153/test_…`, escaped as
    /// [`PostgresContainer::connection_url`] is.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new client connected to this database, driven as
    /// [`PostgresContainer::client`]'s is.
    ///
    /// # Errors
    /// [`ErrorKind::Service`](crate::ErrorKind::Service) if the server cannot be reached.
    pub async fn client(&self) -> Result<Client> {
        client_for(&self.endpoint, &self.name, self.who.clone()).await
    }

    /// Leaves the database in place when this value is dropped (it still goes with the
    /// container). In a `#[throwaway::test]`, the database then stays under its own name
    /// whether the test passes or fails.
    pub fn keep(mut self) -> Self {
        self.cleanup.keep();
        self
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if !self.cleanup.on_drop() {
            return;
        }
        let Some(admin) = self.admin.upgrade() else {
            return; // the container is gone, and the database with it
        };
        let name = std::mem::take(&mut self.name);
        // Never make a test wait for it: the drop runs on the library's runtime, and the
        // container's removal, if it comes next, waits for it instead of killing the server
        // under it.
        spawn_tracked(Work::BeforeRemoval, self.container_id.clone(), async move {
            match admin.drop_database(&name).await {
                Ok(()) => tracing::debug!(database = %name, "dropped"),
                Err(err) => tracing::debug!(database = %name, "not dropped: {err}"),
            }
        });
    }
}

impl Isolation for PostgresContainer {
    type Unit = TestDatabase;

    fn fresh_unit(&self) -> impl std::future::Future<Output = Result<TestDatabase>> + Send {
        self.fresh_database()
    }

    /// Drops the `kept_…` databases that other sessions kept before `older_than`.
    fn sweep_kept(
        &self,
        older_than: SystemTime,
    ) -> impl std::future::Future<Output = Result<()>> + Send {
        let admin = self.admin.clone();
        on_engine(async move {
            let session = session_id().await?;
            // Up to the time, so that a session whose id begins another's is not taken for it.
            let ours = format!("{} at ", session_note(&session));
            for (name, note) in admin.kept_databases().await? {
                let stale = labelled_at(&name).is_some_and(|at| at < older_than);
                if stale && !note.starts_with(&ours) {
                    tracing::debug!(database = %name, "dropping a database an earlier run kept");
                    admin.drop_database(&name).await?;
                }
            }
            Ok(())
        })
    }
}

/// The note on a kept database, up to the time: `throwaway kept: session <id>`.
fn session_note(session: &str) -> String {
    format!("throwaway kept: session {session}")
}

impl IsolationUnit for TestDatabase {
    fn url(&self) -> String {
        self.url.clone()
    }

    fn masked_url(&self) -> String {
        self.endpoint.masked_url(&self.name)
    }

    fn take_aftercare(&mut self) -> Option<Box<dyn Aftercare>> {
        // None when kept by the user already: neither dropped nor renamed.
        let kept_by_test = self.cleanup.hand_over()?;
        Some(Box::new(DatabaseAftercare {
            name: self.name.clone(),
            endpoint: self.endpoint.clone(),
            admin: self.admin.clone(),
            container_id: self.container_id.clone(),
            kept_by_test,
        }))
    }
}

/// A fresh database's cleanup, taken over by `#[throwaway::test]`.
struct DatabaseAftercare {
    name: String,
    endpoint: Endpoint,
    admin: Weak<Admin>,
    container_id: String,
    kept_by_test: KeptByTest,
}

impl DatabaseAftercare {
    /// How to drop database `name` by hand.
    fn drop_with(&self, name: &str) -> String {
        format!(
            "DROP DATABASE \"{name}\" WITH (FORCE); as {} on another database of the server",
            self.endpoint.user
        )
    }
}

impl Aftercare for DatabaseAftercare {
    fn remove(self: Box<Self>) {
        if self.kept_by_test.is_kept() {
            return;
        }
        // As dropping a TestDatabase does.
        drop(TestDatabase {
            name: self.name,
            url: String::new(),
            endpoint: self.endpoint,
            admin: self.admin,
            who: String::new(),
            cleanup: Cleanup::OnDrop,
            container_id: self.container_id,
        });
    }

    fn keep(self: Box<Self>, label: &str) -> AftercareFuture<Kept> {
        let label = label.to_string();
        Box::pin(async move {
            if self.kept_by_test.is_kept() {
                return Ok(Kept::by_the_test(
                    self.endpoint.masked_url(&self.name),
                    self.drop_with(&self.name),
                ));
            }
            let Some(admin) = self.admin.upgrade() else {
                return Err(Error::new(
                    ErrorKind::Service,
                    format!(
                        "database {} cannot be kept: its container is gone",
                        self.name
                    ),
                ));
            };
            let session = session_id().await?;
            let at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let note = format!("{} at {at}: was {}", session_note(&session), self.name);
            admin.keep_database(&self.name, &label, &note).await?;
            Ok(Kept::new(
                self.endpoint.masked_url(&label),
                self.drop_with(&label),
            ))
        })
    }
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .field("url", &self.endpoint.masked_url(&self.name))
            .finish()
    }
}

async fn client_for(endpoint: &Endpoint, database: &str, who: String) -> Result<Client> {
    connect_here(endpoint.config(database))
        .await
        .map_err(|err| connect_failed(err, &format!("PostgreSQL in {who}"), endpoint, database))
}

//! A started MySQL or MariaDB container and the fresh databases it hands out.

use std::fmt;
use std::sync::{Arc, Weak};

use mysql_async::Conn;

use super::admin::{Admin, KEPT_TABLE};
use super::connect::{connect_failed, connect_here, Endpoint};
use super::Flavour;
use crate::container::Container;
use crate::engine::runtime::{on_engine, spawn_tracked, Work};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{session_id, Isolation, IsolationUnit, Secret};
use crate::testing::{labelled_at, Aftercare, AftercareFuture, Cleanup, Kept, KeptByTest};

/// A running MySQL or MariaDB server, ready and migrated; removed when dropped.
///
/// Made by [`Mysql::start`](super::Mysql::start). See the [module docs](super).
pub struct MysqlContainer {
    pub(super) container: Container,
    /// The port the server listens on inside the container ([`Mysql::port`](super::Mysql::port)).
    pub(super) container_port: u16,
    pub(super) ready_port: u16,
    pub(super) flavour: Flavour,
    pub(super) user: String,
    pub(super) password: Secret,
    pub(super) database: String,
    pub(super) admin: Arc<Admin>,
}

impl MysqlContainer {
    /// The URL of the main database as the user:
    /// `mysql://user:password@127.0.0.1:49153/test`, user, password and database
    /// percent-escaped. With the password, the only place it is shown.
    pub fn connection_url(&self) -> String {
        self.endpoint().url(&self.database)
    }

    /// The same as root (`mysql://root:…@…/test`), for what the user may not do.
    pub fn root_connection_url(&self) -> String {
        self.admin.root().url(&self.database)
    }

    /// The host to connect to (`127.0.0.1` for a local engine).
    pub fn host(&self) -> &str {
        self.container.host()
    }

    /// The host port that the server's port (3306, or [`Mysql::port`](super::Mysql::port))
    /// is published on (read from the container, so it is right after a restart too).
    pub fn host_port(&self) -> u16 {
        self.container
            .host_port(self.container_port)
            .unwrap_or(self.ready_port)
    }

    /// The user the image created (or `root`).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The main database's name.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Which server this is.
    pub fn flavour(&self) -> Flavour {
        self.flavour
    }

    /// The container, for everything that is not specific to MySQL: logs, exec, stop.
    pub fn container(&self) -> &Container {
        &self.container
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint {
            host: self.container.host().to_string(),
            port: self.host_port(),
            user: self.user.clone(),
            password: self.password.clone(),
        }
    }

    fn who(&self) -> String {
        format!("{} in {}", self.flavour.name(), self.container.describe())
    }

    /// A new connection to the main database, as the user.
    ///
    /// # Errors
    /// [`ErrorKind::Service`](crate::ErrorKind::Service) if the server cannot be reached
    /// or refuses the login.
    pub async fn client(&self) -> Result<Conn> {
        client_for(&self.endpoint(), &self.database, &self.who()).await
    }

    /// A new database for one test, with the main database's tables, rows, views,
    /// routines and triggers as they were when the container became ready (init scripts
    /// run, migrations applied), under a unique name (`test_` and 16 hex digits) that no
    /// other thread or process sharing this server gets.
    ///
    /// Usually one of the copies made ahead (see
    /// [`fresh_databases_ahead`](super::Mysql::fresh_databases_ahead)), so it takes about a
    /// millisecond; otherwise it is made now, tens of milliseconds for a schema of 20
    /// tables. The user has every right on it. It is dropped, in the background, when the
    /// returned [`TestDatabase`] is.
    ///
    /// # Errors
    /// [`ErrorKind::Service`](crate::ErrorKind::Service) if the server cannot be reached
    /// (the message says whether the container was removed, stopped or paused) or
    /// refuses to make the copy.
    pub async fn fresh_database(&self) -> Result<TestDatabase> {
        let admin = self.admin.clone();
        let name = on_engine(async move { admin.take().await }).await?;
        tracing::debug!(database = %name, container = %self.container.describe(), "fresh database");
        let endpoint = self.endpoint();
        Ok(TestDatabase {
            url: endpoint.url(&name),
            endpoint,
            admin: Arc::downgrade(&self.admin),
            who: self.who(),
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

impl AsRef<Container> for MysqlContainer {
    fn as_ref(&self) -> &Container {
        &self.container
    }
}

impl fmt::Debug for MysqlContainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MysqlContainer")
            .field("container", &self.container)
            .field("flavour", &self.flavour)
            .field("url", &self.endpoint().masked_url(&self.database))
            .finish()
    }
}

/// A database of its own for one test, made by [`MysqlContainer::fresh_database`].
///
/// It belongs to the container's current run: a server whose data lived in memory loses
/// it at a restart, so ask for a new one after restarting the container. Dropping it drops
/// the database in the background; [`keep`](TestDatabase::keep) leaves it for a look
/// afterwards.
///
/// After a failed `#[throwaway::test]` it is kept under its own name (MySQL and MariaDB
/// cannot rename a database), marked by a table `throwaway_kept` in it whose one row names
/// the test (`kept_<test>_<unix seconds>`) and the session; the failure output gives its
/// URL and the `DROP DATABASE` that removes it, and a later run drops it.
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

    /// `mysql://user:password@127.0.0.1:49153/test_…`, escaped as
    /// [`MysqlContainer::connection_url`] is.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection to this database, as the user.
    ///
    /// # Errors
    /// [`ErrorKind::Service`](crate::ErrorKind::Service) if the server cannot be reached.
    pub async fn client(&self) -> Result<Conn> {
        client_for(&self.endpoint, &self.name, &self.who).await
    }

    /// Leaves the database in place when this value is dropped (it still goes with the
    /// container). In a `#[throwaway::test]`, the database then stays unmarked, whether
    /// the test passes or fails.
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

impl Isolation for MysqlContainer {
    type Unit = TestDatabase;

    fn fresh_unit(&self) -> impl std::future::Future<Output = Result<TestDatabase>> + Send {
        self.fresh_database()
    }

    /// Drops the databases marked as kept by other sessions before `older_than`.
    fn sweep_kept(
        &self,
        older_than: std::time::SystemTime,
    ) -> impl std::future::Future<Output = Result<()>> + Send {
        let admin = self.admin.clone();
        on_engine(async move {
            let ours = session_id().await?;
            for (database, label, session) in admin.kept_databases().await? {
                let stale = labelled_at(&label).is_some_and(|at| at < older_than);
                if stale && session != ours {
                    tracing::debug!(%database, "dropping a database an earlier run kept");
                    admin.drop_database(&database).await?;
                }
            }
            Ok(())
        })
    }
}

impl IsolationUnit for TestDatabase {
    fn url(&self) -> String {
        self.url.clone()
    }

    fn masked_url(&self) -> String {
        self.endpoint.masked_url(&self.name)
    }

    fn take_aftercare(&mut self) -> Option<Box<dyn Aftercare>> {
        // None when kept by the user already: neither dropped nor marked.
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
    /// How to drop the database by hand.
    fn drop_with(&self) -> String {
        format!("DROP DATABASE `{}`; as root", self.name)
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
            container_id: self.container_id,
            cleanup: Cleanup::OnDrop,
        });
    }

    fn keep(self: Box<Self>, label: &str) -> AftercareFuture<Kept> {
        let label = label.to_string();
        Box::pin(async move {
            let url = self.endpoint.masked_url(&self.name);
            if self.kept_by_test.is_kept() {
                return Ok(Kept::by_the_test(url, self.drop_with()));
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
            admin.keep_database(&self.name, &label, &session).await?;
            Ok(Kept::new(
                url,
                format!(
                    "{} (its table {KEPT_TABLE} names the test: {label})",
                    self.drop_with()
                ),
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

async fn client_for(endpoint: &Endpoint, database: &str, who: &str) -> Result<Conn> {
    connect_here(endpoint.opts(Some(database)))
        .await
        .map_err(|err| connect_failed(err, who, endpoint, database))
}

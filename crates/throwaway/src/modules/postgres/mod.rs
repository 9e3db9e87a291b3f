//! PostgreSQL: a ready, migrated server on a random local port, and a fresh database per
//! test in milliseconds.
//!
//! ```
//! use throwaway::postgres::Postgres;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! let pg = Postgres::new("postgres:15")
//!     .user("postgres")
//!     .password("password")
//!     .database("users")
//!     .init_sql("schema.sql", "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL);")
//!     .start()
//!     .await?;
//! println!("PostgreSQL on port {}", pg.host_port());
//!
//! let client = pg.client().await?; // or connect your own driver to pg.connection_url()
//! client.execute("INSERT INTO users (name) VALUES ($1)", &[&"Ada"]).await?;
//! let row = client.query_one("SELECT name FROM users", &[]).await?;
//! assert_eq!(row.get::<_, &str>(0), "Ada");
//! # Ok(()) }
//! ```
//!
//! # One container, a database per test
//!
//! Starting PostgreSQL takes about a second; cloning a database takes milliseconds. So share
//! one container between the tests of a process ([`Shared`](crate::Shared)), migrate it once,
//! and give each test a [`fresh_database`](PostgresContainer::fresh_database) of its own:
//!
//! ```
//! use throwaway::postgres::{tokio_postgres, Migrations, Postgres};
//! use throwaway::Shared;
//!
//! static PG: Shared<Postgres> = Shared::new(|| {
//!     Postgres::default().migrations(Migrations::run(|url: String| async move {
//!         // Any migration tool that takes a URL: sqlx, refinery, diesel, …
//!         let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
//!         tokio::spawn(connection);
//!         client.batch_execute("CREATE TABLE users (id serial PRIMARY KEY, name text)").await
//!     }))
//! });
//!
//! # #[tokio::main] async fn main() -> throwaway::Result<()> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! // In each test (a #[tokio::test] fn):
//! let db = PG.get().await?.fresh_database().await?; // migrated, empty, this test's alone
//! let client = db.client().await?;
//! client.execute("INSERT INTO users (name) VALUES ('Grace')", &[]).await.unwrap();
//! # Ok(()) }
//! ```
//!
//! # What the module takes care of
//!
//! - **Readiness.** On a fresh data directory the image runs a temporary server for the init
//!   scripts first, and "database system is ready to accept connections" appears twice; on
//!   a data directory initialised earlier, once. The module waits for the line (twice for
//!   its in-memory data directory, which is always fresh), then logs in from the host over
//!   the published port and runs `SELECT 1`: the temporary server listens on its socket
//!   only, so only the real server passes. `start` returns when a client can connect and
//!   query, in every case, all under the one startup timeout.
//! - **Restarts.** After `container().stop()` and `container().start()`, the module follows
//!   the container to its new host port and, when the data lived in memory and is gone,
//!   migrates and makes the template again before `start()` returns. Databases handed out
//!   before the restart belong to the old run: ask for new ones.
//! - **Speed.** By default the data directory is an in-memory filesystem and PostgreSQL
//!   runs without `fsync` (`fsync`, `synchronous_commit` and `full_page_writes` off,
//!   `initdb --no-sync`): a test database has nothing to protect from a power cut, and the
//!   container is removed at once. [`Postgres::durable`] turns all of it back off. `TZ` is
//!   set to `Etc/UTC`, which spares initdb from reading every time zone file to arrive at
//!   the same answer. Fresh databases are copied file by file (`STRATEGY FILE_COPY`) when
//!   nothing is flushed: about 10 ms each, 20 at once in about 0.1 s.
//! - **Init scripts** ([`Postgres::init_sql`], [`Postgres::init_script`]) run once, in the
//!   order they were added, as the image runs `/docker-entrypoint-initdb.d`. One that fails
//!   fails `start` with the script's name and PostgreSQL's message first.
//! - **Migrations** ([`Migrations`]) run once per container, against the main database, and
//!   the result becomes the template that fresh databases are cloned from. When the
//!   processes of a `cargo nextest` run share the container, the first one migrates while
//!   the others wait (an advisory lock), and all clone the same template.
//! - **Secrets.** The password appears in `Debug` output, logs and error messages only as
//!   `***`; [`PostgresContainer::connection_url`] and [`TestDatabase::url`] are the only
//!   places that show it.
//!
//! # Snapshots
//!
//! The first start of a configuration initialises the server, runs init scripts and
//! migrations and makes the template, then stops the server cleanly and saves its data
//! directory in a local volume, `throwaway-snapshot-postgres-<key>`; every later start of
//! the same configuration, in this run or a later one, in this process or another, copies
//! that directory into its in-memory data directory before the image's entrypoint runs,
//! which then starts the server at once: no initdb, no init scripts, no migrations, one
//! ready line. The first start takes a second or two longer; later ones are several times
//! faster. [`Postgres::snapshots`] and `THROWAWAY_SNAPSHOTS=0` turn it off.
//!
//! - **The key** is a SHA-256 of everything that shapes the data: the image's *id* (a tag
//!   moved to a new image is a new key), user, password, database, initdb arguments, the
//!   rest of the environment and the command, the init scripts' content, the migrations'
//!   files, [`Postgres::snapshot_key`], and this crate's version. Any change makes a new
//!   snapshot, never a stale one. A [`Migrations::run`] step is code the module cannot
//!   read: it gets a snapshot only with a `snapshot_key` that says what it does (change
//!   the key when the migrations change).
//! - **Not for** [`durable`](Postgres::durable) servers or a
//!   [`data_volume`](Postgres::data_volume), nor requests with mounts of their own.
//! - **Races.** In one process, starts of one configuration make its snapshot once: the
//!   others wait for it. Another process that finds the snapshot being made (its maker
//!   container carries the label `org.throwaway.snapshot.maker=<key>`) waits for that
//!   maker, up to a minute. Processes that make the same snapshot at once each make their
//!   own copy; the first to finish publishes it (an atomic rename inside the volume), the
//!   others discard theirs. A container that finds the volume still empty (a maker killed
//!   before it finished) starts the ordinary way and says so in its output. A snapshot that
//!   cannot be made or used (removed by hand, an engine that refuses) means an ordinary
//!   start, and a `debug` line that says why.
//! - **Shared, reuse, restarts, fresh databases**: the template travels in the snapshot,
//!   so [`PostgresContainer::fresh_database`] clones at once; a restarted container keeps
//!   its data (the copy lives in the container's memory until it is removed).
//! - **Life cycle.** Snapshots outlive runs, by design. They carry the label
//!   `org.throwaway.snapshot` and none of the session labels, so no reaper removes them.
//!   Making one removes the snapshots of the same image, user and database beyond the
//!   newest three (sparing those made in the last hour, which a run may still be about to
//!   start from), and any snapshot older than 14 days. [`snapshots`] lists them,
//!   [`remove_snapshots`] removes them; from a shell,
//!   `docker volume ls --filter label=org.throwaway.snapshot` and
//!   `docker volume rm $(docker volume ls -q --filter label=org.throwaway.snapshot)`.
//!   Each costs the size of an initialised data directory plus what the migrations add:
//!   about 40 MB for an empty `postgres:15` cluster.
//!
//! The module uses only the contract of the official `postgres` image (`POSTGRES_USER`,
//! `POSTGRES_PASSWORD_FILE`, `POSTGRES_DB`, `POSTGRES_INITDB_ARGS`, `PGDATA`,
//! `/docker-entrypoint-initdb.d`), so images built on it work too.
//!
//! # What the module adds to the request
//!
//! Everything here shows in the request's `Debug` (passwords as `***`);
//! [`Postgres::with_request`] runs after it and can change any of it.
//!
//! | what | value | when |
//! |---|---|---|
//! | exposed port | 5432, or [`Postgres::port`], on a random host port | always |
//! | `POSTGRES_USER`, `POSTGRES_PASSWORD`, `POSTGRES_DB` | [`user`](Postgres::user), [`password`](Postgres::password), [`database`](Postgres::database) | always |
//! | `PGDATA` | `/var/lib/postgresql/data` (images from 18 on default to a versioned path) | always |
//! | `TZ` | `Etc/UTC` (spares initdb reading every time zone file) | always |
//! | `PGPORT`, `-c port=…` | the port of [`Postgres::port`] | when set |
//! | tmpfs | at `PGDATA` | unless [`durable`](Postgres::durable) or a [`data_volume`](Postgres::data_volume) |
//! | `POSTGRES_INITDB_ARGS` | `--no-sync` | unless durable |
//! | command | `postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off`, then `-c port=…`, then each [`setting`](Postgres::setting) | the image's own `postgres` when durable with no port or settings |
//! | files | init scripts, as `/docker-entrypoint-initdb.d/001-name.sql`, … | with [`init_sql`](Postgres::init_sql) / [`init_script`](Postgres::init_script) |
//! | label `org.throwaway.postgres.migrations` | a hash of the migrations | with [`migrations`](Postgres::migrations) |
//! | database `throwaway_template` | made once the server is ready (and after a restart that lost it): the template of [`fresh_database`](PostgresContainer::fresh_database), cloned from the migrated main database | always |

mod admin;
mod connect;
mod migrations;
mod prepare;
mod server;
mod snapshot;
mod started;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::sql::initdb::{self, InitScript, INIT_DIR};
use crate::container::{Container, ContainerRequest, Mount};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{self, Endpoints, Module, ProbeFailure, RequestEdits, Secret};
use crate::wait::Wait;
use connect::{connect_on_engine, ConnectError, Endpoint};
use prepare::Preparation;

pub use migrations::Migrations;
pub use snapshot::{remove_snapshots, snapshots, Snapshot};
pub use started::{PostgresContainer, TestDatabase};
/// The client crate whose [`Client`](tokio_postgres::Client) this module hands out,
/// re-exported so that your code names the same version.
pub use tokio_postgres;

/// The image [`Postgres::default`] starts.
pub const DEFAULT_IMAGE: &str = "postgres:15";

/// The port PostgreSQL listens on inside the container.
pub const PORT: u16 = 5432;

/// The data directory, set explicitly: images from 18 on default to a versioned path, and
/// the module mounts its tmpfs or volume here.
const PGDATA: &str = "/var/lib/postgresql/data";

/// Where the password goes, in a file the image reads (`POSTGRES_PASSWORD_FILE`).
const PASSWORD_FILE: &str = "/run/secrets/throwaway-postgres-password";

/// The line the server logs when it accepts connections, the temporary init server included.
const READY_LINE: &str = "database system is ready to accept connections";

/// Says which migrations a container is for, so that processes sharing containers share one
/// only if they migrate alike (see `Loaded::fingerprint`).
const MIGRATIONS_LABEL: &str = "org.throwaway.postgres.migrations";

/// A PostgreSQL server to start: image, credentials, init scripts and migrations.
///
/// | setting | default |
/// |---|---|
/// | image | `postgres:15` ([`DEFAULT_IMAGE`]) with [`Postgres::default`] |
/// | [`user`](Postgres::user) | `postgres` |
/// | [`password`](Postgres::password) | `postgres` |
/// | [`database`](Postgres::database) | the user name, as in the image |
/// | data directory | in memory, `fsync` off; see [`durable`](Postgres::durable) |
/// | [`startup_timeout`](Postgres::startup_timeout) | 60 s |
///
/// The server listens on `127.0.0.1` of a local engine only, so the default password does
/// not open it to the network. See the [module docs](self) for examples.
#[derive(Clone)]
pub struct Postgres {
    image: String,
    user: String,
    password: Secret,
    database: Option<String>,
    init: Vec<InitScript>,
    migrations: Option<Migrations>,
    durable: bool,
    data_volume: Option<String>,
    port: Option<u16>,
    settings: Vec<(String, String)>,
    startup_timeout: Duration,
    edits: RequestEdits,
    snapshots: snapshot::Snapshots,
}

impl Default for Postgres {
    /// `Postgres::new("postgres:15")`.
    fn default() -> Self {
        Postgres::new(DEFAULT_IMAGE)
    }
}

impl Postgres {
    /// A server from `image`: the official `postgres` image or one built on it, such as
    /// `"postgres:16-alpine"`.
    pub fn new(image: impl Into<String>) -> Self {
        Postgres {
            image: image.into(),
            user: "postgres".to_string(),
            password: Secret::new("postgres"),
            database: None,
            init: Vec::new(),
            migrations: None,
            durable: false,
            data_volume: None,
            port: None,
            settings: Vec::new(),
            startup_timeout: crate::container::DEFAULT_STARTUP_TIMEOUT,
            edits: RequestEdits::new(),
            snapshots: snapshot::Snapshots::default(),
        }
    }

    /// The superuser the image creates (`POSTGRES_USER`; default `postgres`).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// The superuser's password (`POSTGRES_PASSWORD`, passed as a file the image reads:
    /// `POSTGRES_PASSWORD_FILE`; default `postgres`). Shown only by the connection URLs,
    /// `***` everywhere else, in the container's environment not at all.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Secret::new(password.into());
        self
    }

    /// The main database, created at initialisation (`POSTGRES_DB`; default: the user's
    /// name, as the image does).
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// An init script given inline: SQL, run once against the main database when the data
    /// directory is initialised. A `name` ending in `.sh` makes it a shell script instead.
    ///
    /// Init scripts run in the order they were added, inline and file ones alike (the
    /// module numbers them). A failing one makes [`start`](Postgres::start) fail with its
    /// `name` and PostgreSQL's message.
    pub fn init_sql(mut self, name: impl Into<String>, sql: impl Into<String>) -> Self {
        self.init.push(InitScript::Sql {
            name: name.into(),
            sql: sql.into(),
        });
        self
    }

    /// An init script from a host file, copied into `/docker-entrypoint-initdb.d` and run
    /// as the image runs it: `.sql`, `.sql.gz`, `.sql.xz`, `.sql.zst` through `psql`, `.sh`
    /// with the shell. Ordered with [`init_sql`](Postgres::init_sql) scripts by when it
    /// was added.
    pub fn init_script(mut self, path: impl Into<PathBuf>) -> Self {
        self.init.push(InitScript::File(path.into()));
        self
    }

    /// Migrations to apply once the server is ready (see [`Migrations`]); the migrated
    /// database is the template for [`PostgresContainer::fresh_database`].
    pub fn migrations(mut self, migrations: Migrations) -> Self {
        self.migrations = Some(migrations);
        self
    }

    /// Whether the data should survive what a real database must survive.
    ///
    /// Off (the default): the data directory lives in memory (tmpfs) and PostgreSQL skips
    /// flushing to disk (`fsync=off`, `synchronous_commit=off`, `full_page_writes=off`,
    /// `initdb --no-sync`). Starting and removing are faster, and a crash of the host loses
    /// data that a test suite would throw away anyway.
    ///
    /// On: PostgreSQL's own settings, and the data directory on the image's volume (an
    /// anonymous volume, removed with the container).
    pub fn durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// Keeps the data directory on the named volume `name`, created by the engine if it
    /// does not exist, and left in place when the container is removed: a later container
    /// on the same volume starts on the same data, without initialising it again.
    ///
    /// Implies [`durable(true)`](Postgres::durable): data worth keeping gets PostgreSQL's
    /// normal care. Note that the image reads the user, password and database settings only
    /// when it initialises an empty directory; a later container must use the same ones.
    /// Remove the volume yourself when done.
    pub fn data_volume(mut self, name: impl Into<String>) -> Self {
        self.data_volume = Some(name.into());
        self
    }

    /// How long the container may take until it accepts connections (default 60 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// The port the server listens on inside the container (default 5432, [`PORT`]).
    ///
    /// The module tells the server (`-c port=…`, and `PGPORT` for the image's init scripts
    /// and `psql`), exposes that port, and connects to it for readiness, URLs and fresh
    /// databases. Set it when a configuration or a script of yours moves the server, or
    /// when a client expects another port inside a network. The host port stays random;
    /// for a fixed one as well, add `.with_request(|r| r.exposed_port_at(5433, 5433))`.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// A server setting, passed as `-c key=value` (so `postgresql.conf` and `ALTER SYSTEM`
    /// cannot undo it): `.setting("max_connections", "200").setting("log_statement", "all")`.
    ///
    /// Settings come after the module's own (`fsync=off` and the others of fast mode, see
    /// [`durable`](Postgres::durable)), in the order added, so a later one wins over an
    /// earlier one and over the module's: `.setting("fsync", "on")` turns that one back on.
    /// They apply to the image's temporary init server too. The port is not a setting
    /// here: use [`port`](Postgres::port), which the module must know to connect.
    pub fn setting(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((key.into(), value.into()));
        self
    }

    /// The escape hatch: adjust the container request the module built (a network, a memory
    /// limit, more environment) before it starts. Runs after the module's settings, so it
    /// can also override them.
    ///
    /// ```
    /// use throwaway::postgres::Postgres;
    /// let pg = Postgres::default()
    ///     .with_request(|request| request.env("TZ", "Europe/Berlin").memory_limit(512 << 20));
    /// # let _ = pg;
    /// ```
    pub fn with_request(
        mut self,
        customize: impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static,
    ) -> Self {
        self.edits.push(customize);
        self
    }

    /// The main database's name.
    fn database_name(&self) -> String {
        self.database.clone().unwrap_or_else(|| self.user.clone())
    }

    /// The port the server listens on inside the container.
    fn container_port(&self) -> u16 {
        self.port.unwrap_or(PORT)
    }

    /// Whether the data directory is in memory and PostgreSQL skips flushing.
    fn fast(&self) -> bool {
        !self.durable && self.data_volume.is_none()
    }

    /// The container request for this server.
    fn build_request(&self) -> ContainerRequest {
        let database = self.database_name();
        let mut request = ContainerRequest::new(&self.image)
            .exposed_port(self.container_port())
            .env("POSTGRES_USER", &self.user)
            // In a file the image reads (`POSTGRES_PASSWORD_FILE`), not in the environment:
            // the create body and every inspection of the container would show it, and the
            // engine client logs both.
            .env("POSTGRES_PASSWORD_FILE", PASSWORD_FILE)
            .copy_bytes(self.password.expose(), PASSWORD_FILE)
            .env("POSTGRES_DB", &database)
            .env("PGDATA", PGDATA)
            // What initdb would find anyway, without reading every time zone file to find
            // it (a quarter to most of a second).
            .env("TZ", "Etc/UTC")
            .wait_for(self.readiness(&database))
            .startup_timeout(self.startup_timeout);
        if let Some(volume) = &self.data_volume {
            request = request.mount(Mount::volume(volume, PGDATA));
        } else if !self.durable {
            // On a mount of its own, the image's `VOLUME` creates no anonymous volume.
            request = request.tmpfs(PGDATA);
        }
        if self.fast() {
            request = request.env("POSTGRES_INITDB_ARGS", "--no-sync");
        }
        if let Some(port) = self.port {
            // The image's temporary init server and `psql` take the port from here.
            request = request.env("PGPORT", port.to_string());
        }
        // The image passes these to the temporary init server too.
        if let Some(cmd) = server::command(self.fast(), self.port, &self.settings) {
            request = request.cmd(cmd);
        }
        for (position, script) in self.init.iter().enumerate() {
            let path = format!("{INIT_DIR}/{}", script.file_name(position));
            request = match script {
                InitScript::Sql { sql, .. } => request.copy_bytes(sql.as_bytes(), path),
                InitScript::File(host_path) => request.copy_file(host_path, path),
            };
        }
        let mut request = self.edits.apply(request);
        // A password the user's edits put in the environment wins over the module's file:
        // the image refuses both at once.
        if request.env.contains_key("POSTGRES_PASSWORD") {
            request.env.remove("POSTGRES_PASSWORD_FILE");
        }
        request
    }

    /// Ready means a client logs in from the host and runs a query.
    ///
    /// On a fresh data directory the image first runs a temporary server for the init
    /// scripts, which logs the ready line too but listens on its socket only: a login over
    /// the published port reaches only the real server. A data directory in memory is
    /// always fresh, so the second line marks the real server and the login succeeds at its
    /// first attempt. On a volume (the image's, with `durable(true)`, or a named one) the
    /// directory may hold an initialised cluster (one line) or not (two), and a restart
    /// finds it initialised: wait for one line, and let the login decide.
    fn readiness(&self, database: &str) -> Wait {
        let logged = if self.fast() {
            Wait::log(READY_LINE).times(2)
        } else {
            Wait::log(READY_LINE)
        };
        logged.and(logs_in(
            self.container_port(),
            self.user.clone(),
            self.password.clone(),
            database.to_string(),
            self.data_volume.clone(),
        ))
    }

    /// Starts the server and returns once a client can connect and query, with init scripts
    /// run, migrations applied and the template for fresh databases in place.
    ///
    /// If anything fails after the container was created, it is removed before the error is
    /// returned.
    ///
    /// # Errors
    /// - [`ErrorKind::ContainerExited`]: the server stopped while starting, e.g. because an
    ///   init script failed; the message names the script and quotes PostgreSQL first, then
    ///   the container's last log lines.
    /// - [`ErrorKind::Service`]: the server refused the login (on a reused
    ///   [`data_volume`](Postgres::data_volume), the credentials it was initialised with
    ///   count), or a migration failed (with the file name and PostgreSQL's message).
    /// - [`ErrorKind::WaitTimeout`]: not ready within the startup timeout.
    /// - [`ErrorKind::Io`] / [`ErrorKind::InvalidRequest`]: an init script or migrations
    ///   folder that cannot be read or would not run; checked before anything starts.
    /// - Anything [`ContainerRequest::start`] returns: no engine, no image, ….
    pub async fn start(self) -> Result<PostgresContainer> {
        kit::start(self).await
    }
}

impl Module for Postgres {
    type Started = PostgresContainer;

    fn request(&self) -> Result<ContainerRequest> {
        server::validate(&self.settings, &self.image)?;
        for script in &self.init {
            script.validate(&self.image)?;
        }
        let mut request = self.build_request();
        if let Some(migrations) = &self.migrations {
            request = request.label(
                MIGRATIONS_LABEL,
                migrations.load(&self.image)?.fingerprint(),
            );
        }
        Ok(request)
    }

    async fn prepare(&mut self, request: ContainerRequest) -> Result<ContainerRequest> {
        Ok(snapshot::prepare(self, request).await)
    }

    fn explain(&self, error: Error) -> Error {
        initdb::explain_exit(error, &initdb::names(&self.init), initdb::Client::Psql)
    }

    async fn ready(self, container: Container) -> Result<PostgresContainer> {
        let began = Instant::now();
        // Read again for the migrations themselves; the request only needed the fingerprint.
        let migrations = self
            .migrations
            .as_ref()
            .map(|m| m.load(&self.image))
            .transpose()?;
        let database = self.database_name();
        let preparation = Arc::new(Preparation::new(
            &container,
            &kit::session_id().await?,
            database.clone(),
            self.password.clone(),
            migrations,
            !self.fast(),
            self.snapshots.key(),
        ));
        let endpoint = Endpoint {
            host: container.host().to_string(),
            port: container.host_port(self.container_port())?,
            user: self.user.clone(),
            password: self.password.clone(),
        };
        let template = preparation.run(&endpoint).await?;
        let admin = Arc::new(admin::Admin::new(
            endpoint.clone(),
            container.published(self.container_port()),
            template,
            container.describe(),
            container.docker().clone(),
            container.id().to_string(),
        ));
        let container_port = self.container_port();
        prepare_after_restarts(
            &container,
            container_port,
            preparation,
            &admin,
            endpoint.clone(),
        );
        tracing::info!(
            container = %container.describe(),
            port = endpoint.port,
            user = %self.user,
            database = %database,
            snapshot = self.snapshots.volume().unwrap_or("none"),
            elapsed = ?began.elapsed(),
            "PostgreSQL ready"
        );
        Ok(PostgresContainer {
            container,
            container_port,
            ready_port: endpoint.port,
            user: self.user,
            password: self.password,
            database,
            admin,
            snapshot: self.snapshots.volume().map(str::to_string),
        })
    }
}

/// A restarted container may have lost its data (a data directory in memory always does):
/// prepare it again before its start counts as done, and follow it to its new host port.
fn prepare_after_restarts(
    container: &Container,
    container_port: u16,
    preparation: Arc<Preparation>,
    admin: &Arc<admin::Admin>,
    endpoint: Endpoint,
) {
    let admin = Arc::downgrade(admin);
    container.on_restart(move |endpoints: Endpoints| {
        let (preparation, admin, endpoint) = (preparation.clone(), admin.clone(), endpoint.clone());
        async move {
            let endpoint = Endpoint {
                port: endpoints.host_port(container_port)?,
                ..endpoint
            };
            let template = preparation.run(&endpoint).await?;
            if let Some(admin) = admin.upgrade() {
                admin.restarted(template);
            }
            Ok(())
        }
    });
}

/// The error for a login the server refused; on a data volume, the likely reason.
fn login_refused(
    err: ConnectError,
    endpoint: &Endpoint,
    database: &str,
    who: &str,
    data_volume: Option<&str>,
) -> Error {
    let mut message = format!(
        "{who} refused the login to {}: {}",
        endpoint.describe(database),
        err.detail()
    );
    if let Some(volume) = data_volume {
        message.push_str(&format!(
            "; the data volume '{volume}' may have been initialised earlier with other \
             settings: the image reads POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB \
             only when it initialises an empty data directory"
        ));
    }
    let error = Error::new(ErrorKind::Service, message);
    match err.into_source() {
        Some(source) => error.with_source(source),
        None => error,
    }
}

/// The readiness probe: a login from the host, and `SELECT 1`, to a database other than the
/// main one (which the template is copied from); the same login proves that the main one
/// would take it too. A refused login is final; anything else is tried again.
fn logs_in(
    container_port: u16,
    user: String,
    password: Secret,
    main: String,
    data_volume: Option<String>,
) -> Wait {
    let what = format!("a login as '{user}' over TCP and SELECT 1");
    Wait::probe(what, move |endpoints: Endpoints| {
        let (user, password, main, volume) = (
            user.clone(),
            password.clone(),
            main.clone(),
            data_volume.clone(),
        );
        async move {
            let endpoint = Endpoint {
                host: endpoints.host().to_string(),
                port: endpoints
                    .host_port(container_port)
                    .map_err(ProbeFailure::fatal)?,
                user,
                password,
            };
            let who = format!("PostgreSQL in {}", endpoints.container());
            let mut candidates = admin::maintenance_databases(&main).iter().copied();
            let mut database = candidates.next().unwrap_or("postgres");
            loop {
                let attempt = match connect_on_engine(endpoint.config(database)).await {
                    Ok(client) => match client.simple_query("SELECT 1").await {
                        Ok(_) => return Ok(()),
                        Err(err) => ConnectError::Driver(err),
                    },
                    Err(err) => err,
                };
                match candidates.next() {
                    Some(next) if attempt.is_missing_database() => database = next,
                    _ if attempt.is_transient() => {
                        // No answer from PostgreSQL at all (refused, reset, closed): after
                        // the ready line, most likely a server on another port.
                        let hint = match &attempt {
                            ConnectError::Driver(err) if err.as_db_error().is_none() => {
                                format!("; {}", server::port_hint(container_port))
                            }
                            _ => String::new(),
                        };
                        return Err(ProbeFailure::not_yet(format!(
                            "{} ({}){hint}",
                            attempt.detail(),
                            endpoint.describe(database)
                        )));
                    }
                    _ => {
                        let refused =
                            login_refused(attempt, &endpoint, database, &who, volume.as_deref());
                        return Err(ProbeFailure::fatal(refused));
                    }
                }
            }
        }
    })
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let init: Vec<String> = self.init.iter().map(InitScript::shown).collect();
        f.debug_struct("Postgres")
            .field("image", &self.image)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("database", &self.database_name())
            .field("init", &init)
            .field("migrations", &self.migrations)
            .field("durable", &self.durable)
            .field("data_volume", &self.data_volume)
            .field("port", &self.container_port())
            .field("settings", &self.settings)
            .field("startup_timeout", &self.startup_timeout)
            .field("edits", &self.edits)
            .field("snapshots", &self.snapshots)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::ContainerPort;

    fn body(postgres: &Postgres) -> bollard::models::ContainerCreateBody {
        postgres
            .build_request()
            .create_body("postgres:15", [], Some("127.0.0.1"))
    }

    fn env(body: &bollard::models::ContainerCreateBody) -> Vec<String> {
        body.env.clone().unwrap_or_default()
    }

    #[test]
    fn defaults_follow_the_image() {
        let pg = Postgres::default();
        assert_eq!(pg.image, "postgres:15");
        let body = body(&pg);
        let env = env(&body);
        for expected in [
            "POSTGRES_USER=postgres",
            "POSTGRES_PASSWORD_FILE=/run/secrets/throwaway-postgres-password",
            "POSTGRES_DB=postgres",
            "PGDATA=/var/lib/postgresql/data",
        ] {
            assert!(env.contains(&expected.to_string()), "{env:?}");
        }
        assert!(
            !env.iter()
                .any(|e| e.contains("=postgres") && e.contains("PASSWORD")),
            "the password is in a file, not the environment: {env:?}"
        );
        let request = pg.build_request();
        let copied: Vec<&str> = request.copied_paths().collect();
        assert!(copied.contains(&PASSWORD_FILE), "{copied:?}");
        assert_eq!(body.exposed_ports, Some(vec!["5432/tcp".to_string()]));
        assert_eq!(pg.clone().user("app").database_name(), "app");
        assert_eq!(pg.database("users").user("app").database_name(), "users");
        let _ = ContainerPort::from(PORT);
    }

    #[test]
    fn fast_by_default_data_in_memory_and_no_fsync() {
        let body = body(&Postgres::default());
        assert!(env(&body).contains(&"POSTGRES_INITDB_ARGS=--no-sync".to_string()));
        let cmd = body.cmd.unwrap().join(" ");
        assert_eq!(
            cmd,
            "postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        );
        let mounts = body.host_config.unwrap().mounts.unwrap();
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].typ, Some(bollard::models::MountType::TMPFS));
        assert_eq!(mounts[0].target.as_deref(), Some(PGDATA));
    }

    #[test]
    fn durable_uses_the_images_volume_and_settings() {
        let body = body(&Postgres::default().durable(true));
        assert!(body.cmd.is_none());
        assert!(!env(&body)
            .iter()
            .any(|e| e.starts_with("POSTGRES_INITDB_ARGS")));
        assert!(body.host_config.unwrap().mounts.is_none());
    }

    #[test]
    fn a_data_volume_is_mounted_and_durable() {
        let body = body(&Postgres::default().data_volume("pgdata"));
        assert!(body.cmd.is_none());
        let mounts = body.host_config.unwrap().mounts.unwrap();
        assert_eq!(mounts[0].typ, Some(bollard::models::MountType::VOLUME));
        assert_eq!(mounts[0].source.as_deref(), Some("pgdata"));
        assert_eq!(mounts[0].target.as_deref(), Some(PGDATA));
    }

    #[test]
    fn init_scripts_are_copied_in_the_order_added() {
        let pg = Postgres::default()
            .init_sql("001_schema.sql", "CREATE TABLE t ()")
            .init_script("./sql/seed.sql")
            .init_sql("more", "SELECT 1");
        let request = pg.build_request();
        let paths: Vec<&str> = request
            .copies
            .iter()
            .map(|(path, _)| path.as_str())
            .filter(|path| *path != PASSWORD_FILE)
            .collect();
        assert_eq!(
            paths,
            [
                "/docker-entrypoint-initdb.d/001-001_schema.sql",
                "/docker-entrypoint-initdb.d/002-seed.sql",
                "/docker-entrypoint-initdb.d/003-more.sql",
            ]
        );
    }

    #[test]
    fn readiness_ends_with_a_login_over_tcp() {
        let fresh = Postgres::default().readiness("users").to_string();
        assert!(fresh.contains(READY_LINE), "{fresh}");
        assert!(fresh.contains("×2"), "{fresh}");
        assert!(fresh.contains("a login as 'postgres' over TCP"), "{fresh}");
        // On a volume the cluster may be initialised already: one line, then the login.
        let kept = Postgres::default()
            .data_volume("v")
            .readiness("users")
            .to_string();
        assert!(!kept.contains("×2"), "{kept}");
        assert!(kept.contains("a login as 'postgres' over TCP"), "{kept}");
    }

    #[test]
    fn a_port_is_exposed_told_to_the_server_and_shown() {
        let pg = Postgres::default().port(5433);
        let body = body(&pg);
        assert_eq!(body.exposed_ports, Some(vec!["5433/tcp".to_string()]));
        assert!(env(&body).contains(&"PGPORT=5433".to_string()));
        assert!(body.cmd.unwrap().contains(&"port=5433".to_string()));
        assert!(format!("{pg:?}").contains("port: 5433"), "{pg:?}");
        // Durable, the image's command plus the port alone.
        let durable = body_of_durable(Postgres::default().durable(true).port(6000));
        assert_eq!(durable, "postgres -c port=6000");
    }

    fn body_of_durable(pg: Postgres) -> String {
        body(&pg).cmd.unwrap().join(" ")
    }

    #[test]
    fn settings_follow_the_fast_mode_ones_and_show_in_debug() {
        let pg = Postgres::default()
            .setting("ssl", "on")
            .setting("max_connections", "200");
        let cmd = body(&pg).cmd.unwrap().join(" ");
        assert_eq!(
            cmd,
            "postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c ssl=on -c max_connections=200"
        );
        assert!(format!("{pg:?}").contains("max_connections"), "{pg:?}");
        let err = pg.setting("port", "5433").request().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert!(err.to_string().contains("Postgres::port"), "{err}");
    }

    #[test]
    fn the_escape_hatch_runs_last() {
        let body = body(
            &Postgres::default().with_request(|r| r.env("POSTGRES_INITDB_ARGS", "--locale=C")),
        );
        assert!(env(&body).contains(&"POSTGRES_INITDB_ARGS=--locale=C".to_string()));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let pg = Postgres::default()
            .password("s3cr3t-pw")
            .init_sql("a.sql", "SELECT 1")
            .migrations(Migrations::dir("./migrations"));
        let debug = format!("{pg:?}");
        assert!(!debug.contains("s3cr3t-pw"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
        assert!(debug.contains("a.sql"), "{debug}");
        let request = format!("{:?}", pg.build_request());
        assert!(!request.contains("s3cr3t-pw"), "{request}");
        assert!(request.contains("POSTGRES_USER"), "{request}");
    }
}

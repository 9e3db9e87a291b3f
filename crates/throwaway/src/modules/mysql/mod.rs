//! MySQL and MariaDB: a ready, migrated server on a random local port, and a fresh
//! database per test in about a millisecond.
//!
//! ```
//! use mysql_async::prelude::Queryable;
//! use throwaway::mysql::Mysql;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! let db = Mysql::new("mysql:8") // or Mysql::new("mariadb:11")
//!     .database("shop")
//!     .init_sql("schema.sql", "CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, name text);")
//!     .start()
//!     .await?;
//! let mut conn = db.client().await?; // or any driver on db.connection_url()
//! conn.query_drop("INSERT INTO users (name) VALUES ('Ada')").await?;
//! let name: Option<String> = conn.query_first("SELECT name FROM users").await?;
//! assert_eq!(name.as_deref(), Some("Ada"));
//! # Ok(()) }
//! ```
//!
//! # One server, a database per test
//!
//! Share one container ([`Shared`](crate::Shared)), migrate it once, and give each test a
//! [`fresh_database`](MysqlContainer::fresh_database):
//!
//! ```
//! use throwaway::mysql::{Migrations, Mysql};
//! use throwaway::Shared;
//!
//! static DB: Shared<Mysql> = Shared::new(|| {
//!     Mysql::new("mariadb:11").migrations(Migrations::dir("../bench/migrations-mysql"))
//! });
//!
//! # #[tokio::main] async fn main() -> throwaway::Result<()> {
//! # if throwaway::skip_without_engine() { return Ok(()); }
//! // In each test:
//! let db = DB.get().await?.fresh_database().await?; // migrated, this test's alone
//! println!("{}", db.url());
//! # Ok(()) }
//! ```
//!
//! ## How fresh databases are made
//!
//! MySQL and MariaDB cannot copy a database the way PostgreSQL clones a template. So once
//! the server is ready and migrated, the module copies the main database into a hidden
//! source (`throwaway_source`), reads its definitions (`SHOW CREATE TABLE`, `… VIEW`,
//! `… PROCEDURE`, `… FUNCTION`, `… TRIGGER`), and makes each fresh database by replaying
//! them (tables first, foreign key checks off; then the rows, copied on the server with
//! `INSERT … SELECT`; then views, routines, triggers: after the rows, so copying fires
//! none of them). That takes tens of milliseconds for 20 tables, so
//! [`fresh_databases_ahead`](Mysql::fresh_databases_ahead) copies (20 by default) are made
//! before `start` returns, and each one taken sets a background worker on the next: 20
//! tests asking at once each get one at once. Names are random (`test_` and 16 hex
//! digits), so processes sharing the server never collide; the user gets every right on
//! `test_%` databases once. Dropping a [`TestDatabase`] drops its database in the
//! background. Events are not copied.
//!
//! # What the module takes care of
//!
//! - **Two images, one module.** [`Mysql::new`] tells the flavour from the image's name
//!   (`mariadb…` is MariaDB, anything else MySQL); [`Mysql::flavour`] says it for an image
//!   named otherwise. The flavour picks the environment family each official image reads
//!   (`MYSQL_*`, `MARIADB_*`), its server command and how it spells its options.
//! - **Readiness.** On a fresh data directory the entrypoint first runs a temporary server
//!   for the init scripts, with networking off. Its log lines cannot tell the two apart
//!   portably (MySQL 8 also logs its X Plugin's "ready for connections"), so ready means:
//!   a login as the user over the published TCP port, and `SELECT 1`, which only the real
//!   server answers. A refused login fails the start at once.
//! - **Speed.** By default the data directory is on tmpfs, InnoDB's doublewrite buffer is
//!   off, the redo log is not flushed at each commit, MySQL's binary log is off, and the
//!   image skips loading the time zone tables (`*_INITDB_SKIP_TZINFO`, about a second).
//!   [`Mysql::durable`] turns all of it back off.
//! - **Init scripts** ([`Mysql::init_sql`], [`Mysql::init_script`]) run once, in the order
//!   added, as the image runs `/docker-entrypoint-initdb.d`, into the main database. One
//!   that fails fails `start` with the script's name and the client's error first.
//! - **Restarts.** After `container().stop()` and `container().start()` the module
//!   follows the new host port and prepares the server again (its data lived in memory).
//! - **Secrets.** Passwords show as `***` in `Debug`, logs and errors;
//!   [`MysqlContainer::connection_url`] and [`TestDatabase::url`] show them. They reach
//!   the image in files (`…_PASSWORD_FILE`), not in its environment, which the create
//!   body, `docker inspect` and the engine client's debug log would show.
//!
//! The module uses only the official images' documented contracts, so images built on them
//! work too.
//!
//! # What the module adds to the request
//!
//! `MYSQL_*` for MySQL, `MARIADB_*` for MariaDB. Everything shows in the request's `Debug`
//! (passwords as `***`); [`Mysql::with_request`] runs after it and can change any of it.
//!
//! | what | value | when |
//! |---|---|---|
//! | exposed port | 3306, or [`Mysql::port`], on a random host port | always |
//! | `…_DATABASE` | [`database`](Mysql::database) | always |
//! | `…_ROOT_PASSWORD` (or `…_ALLOW_EMPTY_…PASSWORD=yes` when empty) | [`root_password`](Mysql::root_password) | always |
//! | `…_USER`, `…_PASSWORD` | [`user`](Mysql::user), [`password`](Mysql::password) | unless the user is `root` |
//! | tmpfs | at `/var/lib/mysql` | unless [`durable`](Mysql::durable) |
//! | `…_INITDB_SKIP_TZINFO` | `1` | unless durable |
//! | command | `mysqld` or `mariadbd` with the fast options of [`Flavour`]'s server (no doublewrite, `--innodb-flush-log-at-trx-commit=0`, MySQL's `--skip-log-bin`), then `--port=…`, then each [`setting`](Mysql::setting) | the image's own command when durable with no port or settings |
//! | files | init scripts, as `/docker-entrypoint-initdb.d/001-name.sql`, … | with [`init_sql`](Mysql::init_sql) / [`init_script`](Mysql::init_script) |
//! | label `org.throwaway.mysql.migrations` | a hash of the migrations | with [`migrations`](Mysql::migrations) |
//! | database `throwaway_source`, and `test_…` databases | made once ready: the copy source of [`fresh_database`](MysqlContainer::fresh_database), and the copies made ahead; the user gets every right on `test_%` | always |

mod admin;
mod connect;
mod flavour;
mod prepare;
mod schema;
mod started;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::container::{Container, ContainerRequest};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::{self, Endpoints, Module, ProbeFailure, RequestEdits, Secret};
use crate::modules::sql::initdb::{self, InitScript, INIT_DIR};
use crate::wait::Wait;
use connect::{code, connect_on_engine, ConnectError, Endpoint};
use flavour::Setting;
use prepare::Preparation;

pub use crate::modules::sql::migrations::Migrations;
pub use flavour::Flavour;
/// The client crate whose [`Conn`](mysql_async::Conn) this module hands out,
/// re-exported so that your code names the same version.
pub use mysql_async;
pub use started::{MysqlContainer, TestDatabase};

/// The port MySQL and MariaDB listen on inside the container.
pub const PORT: u16 = 3306;

/// The data directory of both official images.
const DATADIR: &str = "/var/lib/mysql";

/// Where the password files go.
const SECRETS_DIR: &str = "/run/secrets/throwaway-mysql";

/// A MySQL or MariaDB server to start.
///
/// | setting | default |
/// |---|---|
/// | [`user`](Mysql::user) | `test` |
/// | [`password`](Mysql::password) | `test` |
/// | [`root_password`](Mysql::root_password) | the user's password |
/// | [`database`](Mysql::database) | `test` |
/// | data directory | in memory, no doublewrite, lazy log flushes; see [`durable`](Mysql::durable) |
/// | [`fresh_databases_ahead`](Mysql::fresh_databases_ahead) | 20 |
/// | [`startup_timeout`](Mysql::startup_timeout) | 60 s |
///
/// With `user("root")` the image creates no other user, and the root password is the
/// password. The server listens on `127.0.0.1` of a local engine only.
#[derive(Clone)]
pub struct Mysql {
    image: String,
    flavour: Flavour,
    user: String,
    password: Secret,
    root_password: Option<Secret>,
    database: String,
    init: Vec<InitScript>,
    migrations: Option<Migrations>,
    durable: bool,
    ahead: usize,
    port: Option<u16>,
    settings: Vec<(String, String)>,
    startup_timeout: Duration,
    edits: RequestEdits,
}

impl Mysql {
    /// A server from `image`, its flavour told from the image's name (see
    /// [`Flavour::of_image`]): `Mysql::new("mysql:8")`, `Mysql::new("mariadb:11")`.
    pub fn new(image: impl Into<String>) -> Self {
        let image = image.into();
        Mysql {
            flavour: Flavour::of_image(&image),
            image,
            user: "test".to_string(),
            password: Secret::new("test"),
            root_password: None,
            database: "test".to_string(),
            init: Vec::new(),
            migrations: None,
            durable: false,
            ahead: 20,
            port: None,
            settings: Vec::new(),
            startup_timeout: crate::container::DEFAULT_STARTUP_TIMEOUT,
            edits: RequestEdits::new(),
        }
    }

    /// Says which server the image runs, for an image whose name does not.
    pub fn flavour(mut self, flavour: Flavour) -> Self {
        self.flavour = flavour;
        self
    }

    /// The user the image creates, with every right on the main database
    /// (`MYSQL_USER` / `MARIADB_USER`; default `test`). `root` creates none.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// The user's password (`MYSQL_PASSWORD` / `MARIADB_PASSWORD`; default `test`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Secret::new(password.into());
        self
    }

    /// Root's password (`MYSQL_ROOT_PASSWORD` / `MARIADB_ROOT_PASSWORD`; default: the
    /// user's password). Empty allows root without a password.
    pub fn root_password(mut self, password: impl Into<String>) -> Self {
        self.root_password = Some(Secret::new(password.into()));
        self
    }

    /// The main database, created at initialisation (`MYSQL_DATABASE` /
    /// `MARIADB_DATABASE`; default `test`).
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = database.into();
        self
    }

    /// An init script given inline: SQL run once into the main database when the data
    /// directory is initialised; a `name` ending in `.sh` makes it a shell script. Scripts
    /// run in the order added; a failing one fails [`start`](Mysql::start) with its name.
    pub fn init_sql(mut self, name: impl Into<String>, sql: impl Into<String>) -> Self {
        self.init.push(InitScript::Sql {
            name: name.into(),
            sql: sql.into(),
        });
        self
    }

    /// An init script from a host file, run as the image runs it: `.sql`, `.sql.gz`,
    /// `.sql.xz`, `.sql.zst` through the client, `.sh` with the shell.
    pub fn init_script(mut self, path: impl Into<PathBuf>) -> Self {
        self.init.push(InitScript::File(path.into()));
        self
    }

    /// Migrations to apply once the server is ready (a folder's files as root, or your
    /// tool with [`connection_url`](MysqlContainer::connection_url)); the migrated
    /// database is what [`MysqlContainer::fresh_database`] copies.
    pub fn migrations(mut self, migrations: Migrations) -> Self {
        self.migrations = Some(migrations);
        self
    }

    /// How many fresh databases to keep made ahead (default 20; 0 makes each when asked).
    /// The first ones are made before [`start`](Mysql::start) returns: about 30 ms each for
    /// a 20-table schema on two cores, two at a time.
    pub fn fresh_databases_ahead(mut self, count: usize) -> Self {
        self.ahead = count;
        self
    }

    /// Whether the data should survive what a real database must survive. Off (the
    /// default): the data directory on tmpfs, and the server options and
    /// `*_INITDB_SKIP_TZINFO` of the module docs. On: the image's volume (removed with the
    /// container) and the server's own settings.
    pub fn durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// The port the server listens on inside the container (default 3306, [`PORT`]).
    ///
    /// The module tells the server (`--port=…`), exposes that port, and connects to it for
    /// readiness, URLs and fresh databases. The host port stays random; for a fixed one as
    /// well, add `.with_request(|r| r.exposed_port_at(3307, 3307))`.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// A server option, passed as `--key=value`: `.setting("max_connections", "500")`,
    /// `.setting("character-set-server", "utf8mb4")` (dashes and underscores alike, as
    /// the servers read them).
    ///
    /// Options come after the module's own fast-mode ones (see [`durable`](Mysql::durable)),
    /// in the order added, so a later one wins: `.setting("innodb-flush-log-at-trx-commit",
    /// "1")` undoes the module's. An option the server does not know stops it at start,
    /// and the error quotes its log. The port is not a setting here: use
    /// [`port`](Mysql::port), which the module must know to connect.
    pub fn setting(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((key.into(), value.into()));
        self
    }

    /// The port the server listens on inside the container.
    fn container_port(&self) -> u16 {
        self.port.unwrap_or(PORT)
    }

    /// The server command: the fast options unless durable, the port, the settings; `None`
    /// when there is nothing to add to the image's own.
    fn command(&self) -> Option<Vec<String>> {
        let fast: &[&str] = if self.durable {
            &[]
        } else {
            self.flavour.fast_options()
        };
        let mut options: Vec<String> = fast.iter().map(|o| o.to_string()).collect();
        options.extend(self.port.map(|port| format!("--port={port}")));
        options.extend(self.settings.iter().map(|(k, v)| format!("--{k}={v}")));
        if options.is_empty() {
            return None;
        }
        Some(
            std::iter::once(self.flavour.command().to_string())
                .chain(options)
                .collect(),
        )
    }

    /// How long the container may take until the user can log in (default 60 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// The escape hatch: adjust the container request the module built. Runs after the
    /// module's settings, so it can also override them.
    pub fn with_request(
        mut self,
        customize: impl Fn(ContainerRequest) -> ContainerRequest + Send + Sync + 'static,
    ) -> Self {
        self.edits.push(customize);
        self
    }

    fn root_password_or_default(&self) -> &Secret {
        self.root_password.as_ref().unwrap_or(&self.password)
    }

    fn is_root(&self) -> bool {
        self.user == "root"
    }

    /// The account readiness logs in with.
    fn login_password(&self) -> Secret {
        if self.is_root() {
            self.root_password_or_default().clone()
        } else {
            self.password.clone()
        }
    }

    /// The container request for this server.
    fn build_request(&self) -> ContainerRequest {
        let f = self.flavour;
        let root_password = self.root_password_or_default();
        let mut request = ContainerRequest::new(&self.image)
            .exposed_port(self.container_port())
            .env(f.var(Setting::Database), &self.database)
            .startup_timeout(self.startup_timeout)
            .wait_for(logs_in(
                f,
                self.container_port(),
                self.user.clone(),
                self.login_password(),
                self.database.clone(),
            ));
        // Passwords go in files the image reads (`…_PASSWORD_FILE`), not in the
        // environment: the create body and every inspection of the container would show
        // them, and the engine client logs both.
        let secret = |request: ContainerRequest, setting: Setting, value: &Secret| {
            let path = format!("{SECRETS_DIR}/{}", f.var(setting).to_ascii_lowercase());
            request
                .env(format!("{}_FILE", f.var(setting)), &path)
                .copy_bytes(value.expose(), path)
        };
        request = if root_password.is_empty() {
            request.env(f.var(Setting::AllowEmptyRootPassword), "yes")
        } else {
            secret(request, Setting::RootPassword, root_password)
        };
        if !self.is_root() {
            request = request.env(f.var(Setting::User), &self.user);
            request = secret(request, Setting::Password, &self.password);
        }
        if !self.durable {
            // On a mount of its own, the image's VOLUME makes no anonymous volume.
            request = request.tmpfs(DATADIR).env(f.var(Setting::SkipTzinfo), "1");
        }
        if let Some(cmd) = self.command() {
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
        for setting in [Setting::RootPassword, Setting::Password] {
            if request.env.contains_key(f.var(setting)) {
                request.env.remove(&format!("{}_FILE", f.var(setting)));
            }
        }
        request
    }

    /// Starts the server and returns once the user can log in and query, with init
    /// scripts run, migrations applied and the first fresh databases made.
    ///
    /// # Errors
    /// - [`ErrorKind::ContainerExited`]: the server stopped while starting (an init script
    ///   failed: the message names it and quotes the client first, then the last lines).
    /// - [`ErrorKind::Service`]: the server refused the login, or a migration failed.
    /// - [`ErrorKind::WaitTimeout`]: not ready within the startup timeout.
    /// - [`ErrorKind::InvalidRequest`] / [`ErrorKind::Io`]: settings or files that cannot
    ///   work, found before anything starts.
    /// - Anything [`ContainerRequest::start`] returns.
    pub async fn start(self) -> Result<MysqlContainer> {
        kit::start(self).await
    }
}

impl Module for Mysql {
    type Started = MysqlContainer;

    fn request(&self) -> Result<ContainerRequest> {
        if self.user.is_empty() || self.database.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!("{}: the user and the database need names", self.image),
            ));
        }
        if !self.is_root() && self.password.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "{}: user '{}' needs a password (the image creates no user without one); \
                     set one, or use user(\"root\")",
                    self.image, self.user
                ),
            ));
        }
        for (key, _) in &self.settings {
            let key_name = key.trim_start_matches('-').replace('_', "-");
            let why = if key_name.is_empty() || key.contains(['=', ' ']) {
                Some("is not an option name: give the name alone, such as `max_connections`")
            } else if key_name.eq_ignore_ascii_case("port") {
                Some("would move the server without the module knowing: use Mysql::port")
            } else {
                None
            };
            if let Some(why) = why {
                return Err(Error::new(
                    ErrorKind::InvalidRequest,
                    format!(
                        "the {} option '{key}' for {} {why}",
                        self.flavour.name(),
                        self.image
                    ),
                ));
            }
        }
        for script in &self.init {
            script.validate(&self.image)?;
        }
        let mut request = self.build_request();
        if let Some(migrations) = &self.migrations {
            // Processes share a container only if they migrate alike.
            request = request.label(
                "org.throwaway.mysql.migrations",
                migrations.load(&self.image)?.fingerprint(),
            );
        }
        Ok(request)
    }

    fn explain(&self, error: Error) -> Error {
        initdb::explain_exit(error, &initdb::names(&self.init), initdb::Client::Mysql)
    }

    async fn ready(self, container: Container) -> Result<MysqlContainer> {
        let began = Instant::now();
        let migrations = self
            .migrations
            .as_ref()
            .map(|m| m.load(&self.image))
            .transpose()?;
        let who = format!("{} in {}", self.flavour.name(), container.describe());
        let container_port = self.container_port();
        let port = container.host_port(container_port)?;
        let root = Endpoint {
            host: container.host().to_string(),
            port,
            user: "root".to_string(),
            password: self.root_password_or_default().clone(),
        };
        let user = Endpoint {
            user: self.user.clone(),
            password: self.login_password(),
            ..root.clone()
        };
        let preparation = Arc::new(Preparation::new(
            &container,
            &kit::session_id().await?,
            self.database.clone(),
            (!self.is_root()).then(|| self.user.clone()),
            migrations,
            who.clone(),
        ));
        let prepared = preparation.run(&root, &user).await?;
        let admin = admin::Admin::new(
            root.clone(),
            container.published(container_port),
            prepared,
            self.ahead,
            who.clone(),
            container.docker().clone(),
            container.id().to_string(),
        );
        admin.fill().await?;
        prepare_after_restarts(&container, container_port, preparation, &admin, root, user);
        tracing::info!(
            container = %container.describe(),
            port,
            user = %self.user,
            database = %self.database,
            elapsed = ?began.elapsed(),
            "{} ready", self.flavour.name()
        );
        let password = self.login_password();
        Ok(MysqlContainer {
            container,
            container_port,
            ready_port: port,
            flavour: self.flavour,
            user: self.user,
            password,
            database: self.database,
            admin,
        })
    }
}

/// A restarted container lost its in-memory data: prepare it again before its start
/// counts as done, and follow it to its new host port.
fn prepare_after_restarts(
    container: &Container,
    container_port: u16,
    preparation: Arc<Preparation>,
    admin: &Arc<admin::Admin>,
    root: Endpoint,
    user: Endpoint,
) {
    let admin = Arc::downgrade(admin);
    container.on_restart(move |endpoints: Endpoints| {
        let (preparation, admin, root, user) = (
            preparation.clone(),
            admin.clone(),
            root.clone(),
            user.clone(),
        );
        async move {
            let port = endpoints.host_port(container_port)?;
            let root = Endpoint { port, ..root };
            let user = Endpoint { port, ..user };
            let prepared = preparation.run(&root, &user).await?;
            if let Some(admin) = admin.upgrade() {
                admin.restarted(prepared);
                admin.fill().await?;
            }
            Ok(())
        }
    });
}

/// The readiness probe: a login as the user over the published port, and `SELECT 1`. The
/// entrypoint's temporary server has networking off, so only the real server answers. A
/// refused login is final; anything else is tried again.
fn logs_in(
    flavour: Flavour,
    container_port: u16,
    user: String,
    password: Secret,
    database: String,
) -> Wait {
    let what = format!("a login as '{user}' over TCP and SELECT 1");
    Wait::probe(what, move |endpoints: Endpoints| {
        let (user, password, database) = (user.clone(), password.clone(), database.clone());
        async move {
            let endpoint = Endpoint {
                host: endpoints.host().to_string(),
                port: endpoints
                    .host_port(container_port)
                    .map_err(ProbeFailure::fatal)?,
                user,
                password,
            };
            let attempt = match connect_on_engine(endpoint.opts(Some(&database))).await {
                Ok(mut conn) => {
                    use mysql_async::prelude::Queryable;
                    let answer = conn.query_drop("SELECT 1").await;
                    let _ = conn.disconnect().await;
                    match answer {
                        Ok(()) => return Ok(()),
                        Err(err) => ConnectError::Driver(err),
                    }
                }
                Err(err) => err,
            };
            if attempt.is_transient() {
                // No answer at all (refused, reset, closed) is what a server on another
                // port looks like: the last attempt's words end up in the timeout's error.
                let hint = match &attempt {
                    ConnectError::Driver(mysql_async::Error::Io(_)) => format!(
                        "; nothing answers on container port {container_port} yet: if the \
                         server's configuration sets another port, tell the module with \
                         Mysql::port"
                    ),
                    _ => String::new(),
                };
                return Err(ProbeFailure::not_yet(format!(
                    "{} ({}){hint}",
                    attempt.detail(),
                    endpoint.describe(&database)
                )));
            }
            let hint = match attempt.server_code() {
                Some(code::ACCESS_DENIED | code::DATABASE_DENIED | code::UNKNOWN_DATABASE) => {
                    "; the image sets up users and databases only when it initialises an \
                     empty data directory"
                }
                _ => "",
            };
            let message = format!(
                "{} in {} refused the login to {}: {}{hint}",
                flavour.name(),
                endpoints.container(),
                endpoint.describe(&database),
                attempt.detail()
            );
            let error = Error::new(ErrorKind::Service, message);
            Err(ProbeFailure::fatal(match attempt.into_source() {
                Some(source) => error.with_source(source),
                None => error,
            }))
        }
    })
}

impl fmt::Debug for Mysql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let init: Vec<String> = self.init.iter().map(InitScript::shown).collect();
        f.debug_struct("Mysql")
            .field("image", &self.image)
            .field("flavour", &self.flavour)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("root_password", self.root_password_or_default())
            .field("database", &self.database)
            .field("init", &init)
            .field("migrations", &self.migrations)
            .field("durable", &self.durable)
            .field("fresh_databases_ahead", &self.ahead)
            .field("port", &self.container_port())
            .field("settings", &self.settings)
            .field("startup_timeout", &self.startup_timeout)
            .field("edits", &self.edits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_and_settings_follow_the_fast_options() {
        let my = Mysql::new("mariadb:11")
            .port(3307)
            .setting("max_connections", "500");
        let made = body(&my);
        assert_eq!(made.exposed_ports, Some(vec!["3307/tcp".to_string()]));
        assert_eq!(
            made.cmd.unwrap().join(" "),
            "mariadbd --skip-innodb-doublewrite --innodb-flush-log-at-trx-commit=0 \
             --port=3307 --max_connections=500"
        );
        assert!(format!("{my:?}").contains("max_connections"), "{my:?}");
        let durable = Mysql::new("mysql:8")
            .durable(true)
            .setting("sql_mode", "ANSI");
        assert_eq!(body_cmd(&durable), "mysqld --sql_mode=ANSI");
        assert!(body(&Mysql::new("mysql:8").durable(true)).cmd.is_none());
        for bad in ["port", "--port", "a=b", ""] {
            let err = Mysql::new("mysql:8")
                .setting(bad, "1")
                .request()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{bad}");
        }
    }

    fn body_cmd(mysql: &Mysql) -> String {
        body(mysql).cmd.unwrap().join(" ")
    }

    fn body(mysql: &Mysql) -> bollard::models::ContainerCreateBody {
        mysql
            .build_request()
            .create_body(&mysql.image, [], Some("127.0.0.1"))
    }

    fn env(mysql: &Mysql) -> Vec<String> {
        body(mysql).env.unwrap_or_default()
    }

    #[test]
    fn mysql_gets_the_mysql_family_and_its_fast_options() {
        let my = Mysql::new("mysql:8");
        let env = env(&my);
        assert_eq!(secret(&my, "MYSQL_ROOT_PASSWORD").as_deref(), Some("test"));
        assert_eq!(secret(&my, "MYSQL_PASSWORD").as_deref(), Some("test"));
        for expected in [
            "MYSQL_USER=test",
            "MYSQL_DATABASE=test",
            "MYSQL_INITDB_SKIP_TZINFO=1",
        ] {
            assert!(env.contains(&expected.to_string()), "{env:?}");
        }
        assert!(!env.iter().any(|e| e.starts_with("MARIADB_")), "{env:?}");
        let body = body(&my);
        assert_eq!(
            body.cmd.unwrap().join(" "),
            "mysqld --innodb-doublewrite=OFF --innodb-flush-log-at-trx-commit=0 --skip-log-bin"
        );
        assert_eq!(body.exposed_ports, Some(vec!["3306/tcp".to_string()]));
        let mounts = body.host_config.unwrap().mounts.unwrap();
        assert_eq!(mounts[0].typ, Some(bollard::models::MountType::TMPFS));
        assert_eq!(mounts[0].target.as_deref(), Some(DATADIR));
    }

    #[test]
    fn mariadb_gets_the_mariadb_family_and_its_spelling() {
        let maria = Mysql::new("mariadb:11").user("app").password("pw");
        let env = env(&maria);
        assert_eq!(
            secret(&maria, "MARIADB_ROOT_PASSWORD").as_deref(),
            Some("pw")
        );
        assert_eq!(secret(&maria, "MARIADB_PASSWORD").as_deref(), Some("pw"));
        for expected in [
            "MARIADB_USER=app",
            "MARIADB_DATABASE=test",
            "MARIADB_INITDB_SKIP_TZINFO=1",
        ] {
            assert!(env.contains(&expected.to_string()), "{env:?}");
        }
        assert!(!env.iter().any(|e| e.starts_with("MYSQL_")), "{env:?}");
        assert_eq!(
            body(&maria).cmd.unwrap().join(" "),
            "mariadbd --skip-innodb-doublewrite --innodb-flush-log-at-trx-commit=0"
        );
        // An image named otherwise, said to be MariaDB.
        let custom = Mysql::new("registry.local/db:1").flavour(Flavour::MariaDb);
        assert!(env_has(&custom, "MARIADB_USER=test"));
    }

    fn env_has(mysql: &Mysql, var: &str) -> bool {
        env(mysql).contains(&var.to_string())
    }

    /// The value the image reads from `{var}_FILE`, checking that `var` itself is unset.
    fn secret(mysql: &Mysql, var: &str) -> Option<String> {
        let env = env(mysql);
        assert!(
            !env.iter().any(|e| e.starts_with(&format!("{var}="))),
            "{env:?}"
        );
        let path = env
            .iter()
            .find_map(|e| e.strip_prefix(&format!("{var}_FILE=")))?
            .to_string();
        let request = mysql.build_request();
        let data = request.copied_bytes(&path).expect("the file is copied in");
        Some(String::from_utf8(data.to_vec()).unwrap())
    }

    #[test]
    fn root_creates_no_user_and_an_empty_root_password_is_allowed() {
        let root = Mysql::new("mysql:8").user("root").password("r00t");
        let vars = env(&root);
        assert_eq!(
            secret(&root, "MYSQL_ROOT_PASSWORD").as_deref(),
            Some("r00t")
        );
        assert!(
            !vars.iter().any(|e| e.starts_with("MYSQL_USER")),
            "{vars:?}"
        );
        let open = Mysql::new("mariadb:11").root_password("");
        assert!(env_has(&open, "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=yes"));
        assert_eq!(secret(&open, "MARIADB_ROOT_PASSWORD"), None);
        let separate = Mysql::new("mysql:8").password("u").root_password("r");
        assert_eq!(
            secret(&separate, "MYSQL_ROOT_PASSWORD").as_deref(),
            Some("r")
        );
        assert_eq!(secret(&separate, "MYSQL_PASSWORD").as_deref(), Some("u"));
    }

    #[test]
    fn durable_keeps_the_images_volume_and_settings() {
        let body = body(&Mysql::new("mysql:8").durable(true));
        assert!(body.cmd.is_none());
        assert!(body.host_config.unwrap().mounts.is_none());
        assert!(!body.env.unwrap().iter().any(|e| e.contains("SKIP_TZINFO")));
    }

    #[test]
    fn init_scripts_are_copied_in_the_order_added() {
        let request = Mysql::new("mysql:8")
            .init_sql("schema", "CREATE TABLE t (id int)")
            .init_script("./sql/seed.sql.gz")
            .build_request();
        // The password files go first; the scripts follow in the order added.
        let paths: Vec<&str> = request
            .copies
            .iter()
            .map(|(p, _)| p.as_str())
            .filter(|p| !p.starts_with(SECRETS_DIR))
            .collect();
        assert_eq!(
            paths,
            [
                "/docker-entrypoint-initdb.d/001-schema.sql",
                "/docker-entrypoint-initdb.d/002-seed.sql.gz"
            ]
        );
    }

    #[test]
    fn settings_that_cannot_work_are_refused_before_any_container() {
        let err = Mysql::new("mysql:8").password("").request().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert!(err.to_string().contains("needs a password"), "{err}");
        assert!(Mysql::new("mysql:8")
            .user("root")
            .password("")
            .request()
            .is_ok());
        let err = Mysql::new("mysql:8")
            .init_script("notes.txt")
            .request()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn readiness_is_a_login_over_tcp() {
        let shown = Mysql::new("mariadb:11")
            .user("app")
            .build_request()
            .wait
            .to_string();
        assert!(
            shown.contains("a login as 'app' over TCP and SELECT 1"),
            "{shown}"
        );
    }

    #[test]
    fn the_escape_hatch_runs_last() {
        let my = Mysql::new("mysql:8").with_request(|r| r.env("MYSQL_DATABASE", "other"));
        assert!(env_has(&my, "MYSQL_DATABASE=other"));
    }

    #[test]
    fn debug_never_shows_a_password() {
        let my = Mysql::new("mysql:8")
            .password("s3cr3t-user")
            .root_password("s3cr3t-root")
            .init_sql("a.sql", "SELECT 1");
        for shown in [format!("{my:?}"), format!("{:?}", my.build_request())] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
        }
        assert!(format!("{my:?}").contains("***"));
    }
}

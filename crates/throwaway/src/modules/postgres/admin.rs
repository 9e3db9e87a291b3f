//! The template database and the fresh databases cloned from it.

use std::sync::Mutex;

use tokio::sync::Semaphore;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::connect::{connect_on_engine, driver_detail, quote_ident, ConnectError, Endpoint};
use crate::container::PublishedPort;
use crate::error::{Error, ErrorKind, Result};
use crate::modules::sql::names::unique_name;
use crate::modules::sql::state::container_state;

/// The database that fresh databases are cloned from: a copy of the main database taken
/// when the container started, after init scripts and migrations.
pub(crate) const TEMPLATE: &str = "throwaway_template";

/// Connections kept open between calls, ready for the next `CREATE DATABASE`.
const MAX_IDLE: usize = 2;

/// Statements run at once. Cloning is disk-bound on the server; more at once only adds
/// connections, and tests may need those for themselves (`max_connections` is 100).
const MAX_BUSY: usize = 4;

/// A key for `pg_advisory_lock`: held while one process prepares the template, so that
/// processes sharing a container (a nextest run) neither migrate twice nor replace the
/// template while another one clones it.
const SETUP_LOCK: i64 = 0x7468_726f_7761_7779; // "throwawy"

/// What the one-time preparation of a container leaves behind for [`Admin`].
pub(crate) struct Template {
    /// How to clone the template.
    pub strategy: Strategy,
    /// The database the admin connections use: any but the template will do.
    pub admin_database: String,
    /// The connection that made the template, if it can serve as an admin connection.
    pub client: Option<Client>,
}

/// The preparation of the template, under [`SETUP_LOCK`]: begun once the server is ready,
/// finished once migrations ran and the template is made, or at once when another process
/// (or an earlier run, for a reused container) already did both for the same container.
pub(crate) struct Setup {
    client: Client,
    maintenance: &'static str,
    main: String,
    who: String,
    strategy: Strategy,
    /// The marker the template carries, if there is a template.
    found: Option<String>,
}

/// The databases to work from, in order of preference, while the template is copied from
/// `main`: `postgres`, which initdb always creates, unless that is the main one (or an init
/// script dropped it), then `template1`. A session left on `template1` would break
/// `CREATE DATABASE` without an explicit template for everyone, so a connection there is
/// closed once the template is made.
pub(crate) fn maintenance_databases(main: &str) -> &'static [&'static str] {
    if main == "postgres" {
        &["template1"]
    } else {
        &["postgres", "template1"]
    }
}

impl Setup {
    /// Waits for the lock on `client`, a connection to `maintenance` (one of
    /// [`maintenance_databases`]), and looks at the main database and the template.
    /// `fsync` says whether the server flushes to disk (see [`Strategy`]).
    pub async fn begin(
        client: Client,
        maintenance: &'static str,
        main: &str,
        who: &str,
        fsync: bool,
    ) -> Result<Self> {
        let failed = |what: &str, err| setup_failed(who, what, err);
        client
            .query("SELECT pg_advisory_lock($1)", &[&SETUP_LOCK])
            .await
            .map_err(|e| failed("to take the setup lock", e))?;
        let main_exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&main])
            .await
            .map_err(|e| failed("to look for the main database", e))?
            .is_some();
        if !main_exists {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "{who} has no database '{main}': the image creates POSTGRES_DB only when \
                     it initialises an empty data directory, so a data volume initialised \
                     earlier must be used with the database it was created with"
                ),
            ));
        }
        let version: i32 = client
            .query_one("SELECT current_setting('server_version_num')::int", &[])
            .await
            .map_err(|e| failed("to tell its version", e))?
            .get(0);
        let found: Option<String> = client
            .query_opt(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database \
                 WHERE datname = $1 AND datistemplate",
                &[&TEMPLATE],
            )
            .await
            .map_err(|e| failed("to look for the template", e))?
            .and_then(|row| row.get(0));
        Ok(Setup {
            client,
            maintenance,
            main: main.to_string(),
            who: who.to_string(),
            strategy: Strategy::choose(version, fsync),
            found,
        })
    }

    /// Whether the template was made with `marker`: by another process sharing this
    /// container, with the same migrations, in this session.
    pub fn is_done(&self, marker: &str) -> bool {
        self.found.as_deref() == Some(marker)
    }

    /// Makes the template from the main database, labelled with `marker`.
    ///
    /// Every session still on the main database (leftovers of a migration tool) is ended
    /// first: PostgreSQL refuses to copy a database that anyone is connected to. A template
    /// left by an earlier container on the same data volume, or made with other migrations,
    /// is replaced.
    pub async fn make_template(&mut self, marker: &str) -> Result<()> {
        let (client, main, who) = (&self.client, &self.main, &self.who);
        let failed = |what: &str, err| setup_failed(who, what, err);
        client
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[main],
            )
            .await
            .map_err(|e| failed(&format!("to end the sessions left on '{main}'"), e))?;
        let template = quote_ident(TEMPLATE);
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&TEMPLATE])
            .await
            .map_err(|e| failed("to look for an earlier template", e))?
            .is_some();
        if exists {
            // A template database cannot be dropped until it is an ordinary one again.
            for sql in [
                format!("ALTER DATABASE {template} WITH IS_TEMPLATE false"),
                format!("DROP DATABASE {template}"),
            ] {
                client
                    .batch_execute(&sql)
                    .await
                    .map_err(|e| failed("to drop an earlier template", e))?;
            }
        }
        // No connections allowed: a session on the template would make every clone fail.
        let statements = [
            format!(
                "CREATE DATABASE {template} TEMPLATE {}{} IS_TEMPLATE true \
                 ALLOW_CONNECTIONS false",
                quote_ident(main),
                self.strategy.clause()
            ),
            format!(
                "COMMENT ON DATABASE {template} IS '{}'",
                marker.replace('\'', "''")
            ),
        ];
        for sql in statements {
            client
                .batch_execute(&sql)
                .await
                .map_err(|e| failed(&format!("to copy database '{main}'"), e))?;
        }
        self.found = Some(marker.to_string());
        Ok(())
    }

    /// Lets the next process in, and hands the connection on if it can serve [`Admin`].
    pub async fn finish(self) -> Result<Template> {
        self.client
            .query("SELECT pg_advisory_unlock($1)", &[&SETUP_LOCK])
            .await
            .map_err(|e| setup_failed(&self.who, "to release the setup lock", e))?;
        Ok(if self.maintenance == "postgres" {
            Template {
                strategy: self.strategy,
                admin_database: self.maintenance.to_string(),
                client: Some(self.client),
            }
        } else {
            Template {
                strategy: self.strategy,
                admin_database: self.main,
                client: None,
            }
        })
    }
}

fn setup_failed(who: &str, what: &str, err: tokio_postgres::Error) -> Error {
    Error::new(
        ErrorKind::Service,
        format!(
            "{who} failed {what}, for the template of fresh databases: {}",
            driver_detail(&err)
        ),
    )
    .with_source(err)
}

/// How `CREATE DATABASE` copies the template.
///
/// PostgreSQL 15 added a choice and made `WAL_LOG` (copy through the write-ahead log) the
/// default, which suits a server that flushes to disk. Without `fsync`, the older
/// `FILE_COPY` (copy the files, around two checkpoints that then cost next to nothing) is
/// about twice as fast on its own and five times as fast with 20 clones at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// The server's default: the only way before 15, `WAL_LOG` from 15 on.
    Default,
    FileCopy,
}

impl Strategy {
    fn choose(server_version_num: i32, fsync: bool) -> Self {
        if !fsync && server_version_num >= 150_000 {
            Strategy::FileCopy
        } else {
            Strategy::Default
        }
    }

    fn clause(self) -> &'static str {
        match self {
            Strategy::Default => "",
            Strategy::FileCopy => " STRATEGY FILE_COPY",
        }
    }
}

/// The connections that create and drop fresh databases.
///
/// Every method runs on the library's runtime (callers wrap them in `on_engine`), so the
/// connections outlive the runtime of whichever test opened them.
pub(crate) struct Admin {
    /// Where the server is; the port is read afresh, since a restarted container may be on
    /// another host port.
    endpoint: Endpoint,
    port: PublishedPort,
    /// The database the connections are on.
    database: String,
    /// The container as messages name it: `postgres:15 (0123456789ab)`.
    container: String,
    docker: bollard::Docker,
    id: String,
    strategy: Strategy,
    idle: Mutex<Vec<Client>>,
    permits: Semaphore,
}

/// `text` as an SQL string literal: in single quotes, inner quotes doubled.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Why a statement did not run.
enum Failure {
    /// No connection could be made: the error says why, container state included.
    Unreachable(Error),
    /// The server answered with an error.
    Refused(tokio_postgres::Error),
}

impl Admin {
    pub fn new(
        endpoint: Endpoint,
        port: PublishedPort,
        template: Template,
        container: String,
        docker: bollard::Docker,
        id: String,
    ) -> Self {
        Admin {
            endpoint,
            port,
            database: template.admin_database,
            container,
            docker,
            id,
            strategy: template.strategy,
            idle: Mutex::new(template.client.into_iter().collect()),
            permits: Semaphore::new(MAX_BUSY),
        }
    }

    /// Creates a database cloned from the template under a new random name and returns
    /// the name.
    pub async fn create_database(&self) -> Result<String> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let name = unique_name();
            let sql = format!(
                "CREATE DATABASE {} TEMPLATE {}{}",
                quote_ident(&name),
                quote_ident(TEMPLATE),
                self.strategy.clause()
            );
            match self.execute(&sql).await {
                Ok(()) => return Ok(name),
                // 64 random bits make this all but impossible; all but is not never.
                Err(Failure::Refused(err))
                    if err.code() == Some(&SqlState::DUPLICATE_DATABASE) && attempts < 3 =>
                {
                    continue
                }
                Err(Failure::Refused(err)) => {
                    return Err(Error::new(
                        ErrorKind::Service,
                        format!(
                            "PostgreSQL in {} could not create a fresh database from template \
                             '{TEMPLATE}': {}",
                            self.container,
                            driver_detail(&err)
                        ),
                    )
                    .with_source(err))
                }
                Err(Failure::Unreachable(err)) => return Err(err),
            }
        }
    }

    /// Drops database `name`, ending the sessions still connected to it.
    pub async fn drop_database(&self, name: &str) -> Result<()> {
        let name = quote_ident(name);
        // `WITH (FORCE)` (PostgreSQL 13+) ends the sessions left on the database; older
        // servers do not know it, and drop only a database nobody uses.
        let forced = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let result = match self.execute(&forced).await {
            Err(Failure::Refused(err)) if err.code() == Some(&SqlState::SYNTAX_ERROR) => {
                self.execute(&format!("DROP DATABASE IF EXISTS {name}"))
                    .await
            }
            other => other,
        };
        match result {
            Ok(()) => Ok(()),
            Err(Failure::Unreachable(err)) => Err(err),
            Err(Failure::Refused(err)) => Err(Error::new(
                ErrorKind::Service,
                format!(
                    "PostgreSQL in {} could not drop database {name}: {}",
                    self.container,
                    driver_detail(&err)
                ),
            )
            .with_source(err)),
        }
    }

    /// Renames database `name` to `kept` and notes `note` on it, for a look after a failed
    /// test: the sessions still on it are ended first (a database in use cannot be renamed).
    pub async fn keep_database(&self, name: &str, kept: &str, note: &str) -> Result<()> {
        let sql = format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = {literal} AND pid <> pg_backend_pid(); \
             ALTER DATABASE {name} RENAME TO {kept}; \
             COMMENT ON DATABASE {kept} IS {note}",
            literal = quote_literal(name),
            name = quote_ident(name),
            kept = quote_ident(kept),
            note = quote_literal(note),
        );
        // Ended sessions take a moment to go; until then the rename is refused.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.execute(&sql).await {
                Ok(()) => return Ok(()),
                Err(Failure::Refused(err))
                    if err.code() == Some(&SqlState::OBJECT_IN_USE) && attempts < 50 =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(Failure::Unreachable(err)) => return Err(err),
                Err(Failure::Refused(err)) => {
                    return Err(Error::new(
                        ErrorKind::Service,
                        format!(
                            "PostgreSQL in {} could not keep database {name} as {kept}: {}",
                            self.container,
                            driver_detail(&err)
                        ),
                    )
                    .with_source(err))
                }
            }
        }
    }

    /// The kept databases (`kept_…`) and the notes on them.
    pub async fn kept_databases(&self) -> Result<Vec<(String, String)>> {
        let client = match self.take_idle() {
            Some(client) => client,
            None => self.connect().await?,
        };
        let rows = client
            .query(
                "SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '') \
                 FROM pg_database WHERE datname LIKE 'kept\\_%'",
                &[],
            )
            .await
            .map_err(|err| {
                Error::new(
                    ErrorKind::Service,
                    format!(
                        "PostgreSQL in {} could not list its kept databases: {}",
                        self.container,
                        driver_detail(&err)
                    ),
                )
                .with_source(err)
            })?;
        self.park(client);
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    /// Follows the container through a restart: the connection that prepared it again
    /// replaces the kept ones, which died with the old server.
    pub fn restarted(&self, template: Template) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
        if let Some(client) = template.client {
            self.park(client);
        }
    }

    /// Where the server is now.
    fn endpoint(&self) -> Endpoint {
        Endpoint {
            port: self.port.current().unwrap_or(self.endpoint.port),
            ..self.endpoint.clone()
        }
    }

    /// Keeps `client` for the next call.
    pub fn park(&self, client: Client) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE && !client.is_closed() {
            idle.push(client);
        }
    }

    /// Runs one statement on a kept connection, or on a new one if none is left or the kept
    /// one turns out to be dead (the server restarted, the network dropped it).
    async fn execute(&self, sql: &str) -> std::result::Result<(), Failure> {
        let _permit = self.permits.acquire().await;
        let mut reused = true;
        loop {
            let client = match self.take_idle() {
                Some(client) => client,
                None => {
                    reused = false;
                    self.connect().await.map_err(Failure::Unreachable)?
                }
            };
            match client.batch_execute(sql).await {
                Ok(()) => {
                    self.park(client);
                    return Ok(());
                }
                // A kept connection that died while idle: try once more on a new one.
                Err(_) if reused && client.is_closed() => {
                    reused = false;
                    self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
                    continue;
                }
                Err(err) if client.is_closed() => {
                    return Err(Failure::Unreachable(self.unreachable(&err.into()).await))
                }
                Err(err) => {
                    self.park(client);
                    return Err(Failure::Refused(err));
                }
            }
        }
    }

    fn take_idle(&self) -> Option<Client> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(client) = idle.pop() {
            if !client.is_closed() {
                return Some(client);
            }
        }
        None
    }

    async fn connect(&self) -> Result<Client> {
        match connect_on_engine(self.endpoint().config(&self.database)).await {
            Ok(client) => Ok(client),
            Err(err) => Err(self.unreachable(&err).await),
        }
    }

    /// The error for a server that cannot be reached, saying what became of its container.
    async fn unreachable(&self, err: &ConnectError) -> Error {
        let state = container_state(&self.docker, &self.id).await;
        Error::new(
            ErrorKind::Service,
            format!(
                "the PostgreSQL container {} is not reachable ({}): {state}; {}",
                self.container,
                self.endpoint().describe(&self.database),
                err.detail()
            ),
        )
    }
}

impl From<tokio_postgres::Error> for ConnectError {
    fn from(err: tokio_postgres::Error) -> Self {
        ConnectError::Driver(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_copy_only_without_fsync_on_15_and_later() {
        assert_eq!(Strategy::choose(150_004, false), Strategy::FileCopy);
        assert_eq!(Strategy::choose(170_000, false), Strategy::FileCopy);
        assert_eq!(Strategy::choose(150_004, true), Strategy::Default);
        assert_eq!(Strategy::choose(140_010, false), Strategy::Default);
        assert_eq!(Strategy::Default.clause(), "");
    }
}

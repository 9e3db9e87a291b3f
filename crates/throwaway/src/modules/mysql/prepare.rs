//! The one-time preparation of a ready server: migrations on the main database, a frozen
//! copy of it to take rows from, and its schema read for the fresh databases. Run once per
//! container (by the first of the processes that share it), and again after a restart.

use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::admin::Prepared;
use super::connect::{
    connect_failed, connect_on_engine, driver_detail, quote_ident, quote_literal, Endpoint,
};
use super::schema::Schema;
use crate::container::Container;
use crate::error::{Error, ErrorKind, Result};
use crate::modules::sql::migrations::{run_step, Loaded};

/// The copy of the migrated main database that fresh databases take their rows from, so
/// that what a test writes into the main database never reaches them.
pub(crate) const SOURCE: &str = "throwaway_source";

/// Where the marker of a finished preparation lives.
const META: &str = "throwaway_meta";

/// The table in the main database that records the applied files of a `Migrations::dir`.
const TRACKING_TABLE: &str = "_throwaway_migrations";

/// The named lock (`GET_LOCK`) held while one process prepares, so that processes sharing
/// the container (a nextest run) migrate once.
const LOCK: &str = "throwaway_prepare";

/// Fresh databases are named `test_…`; the user gets every right on them at once.
const FRESH_PATTERN: &str = "test\\_%";

pub(super) struct Preparation {
    /// Says which container, session and migrations prepared it.
    marker: String,
    database: String,
    /// The user to grant the fresh databases to (not root, who has every right).
    user: Option<String>,
    migrations: Option<Loaded>,
    who: String,
}

fn failed(who: &str, what: &str, err: mysql_async::Error) -> Error {
    Error::new(
        ErrorKind::Service,
        format!("{who} failed {what}: {}", driver_detail(&err)),
    )
    .with_source(err)
}

impl Preparation {
    pub(super) fn new(
        container: &Container,
        session_id: &str,
        database: String,
        user: Option<String>,
        migrations: Option<Loaded>,
        who: String,
    ) -> Self {
        let marker = format!(
            "{} {session_id} {}",
            container.id(),
            migrations
                .as_ref()
                .map_or_else(|| "none".to_string(), Loaded::fingerprint)
        );
        Preparation {
            marker,
            database,
            user,
            migrations,
            who,
        }
    }

    /// Migrates and freezes the source, unless another process already did for this
    /// container, session and migrations; then reads the schema to replay.
    ///
    /// `root` is the account the module works with; `user` the one a migration step gets
    /// the URL of.
    pub(super) async fn run(&self, root: &Endpoint, user: &Endpoint) -> Result<Prepared> {
        let who = self.who.as_str();
        let mut conn = connect_on_engine(root.opts(None))
            .await
            .map_err(|err| connect_failed(err, who, root, ""))?;
        let locked: Option<Option<i64>> = conn
            .query_first(format!("SELECT GET_LOCK({}, 300)", quote_literal(LOCK)))
            .await
            .map_err(|e| failed(who, "to take the preparation lock", e))?;
        if locked.flatten() != Some(1) {
            return Err(Error::new(
                ErrorKind::Service,
                format!("{who}: another process held the preparation lock for 300 s"),
            ));
        }
        let outcome = self.prepare_locked(&mut conn, root, user).await;
        let _ = conn
            .query_drop(format!("DO RELEASE_LOCK({})", quote_literal(LOCK)))
            .await;
        outcome?;
        let schema = Schema::read(&mut conn, SOURCE, who).await?;
        tracing::debug!(objects = schema.len(), container = %who, "schema read for fresh databases");
        Ok(Prepared {
            schema,
            source: SOURCE.to_string(),
        })
    }

    async fn prepare_locked(
        &self,
        conn: &mut Conn,
        root: &Endpoint,
        user: &Endpoint,
    ) -> Result<()> {
        let who = self.who.as_str();
        let marker_table = format!("{}.prepared", quote_ident(META));
        let found: Option<String> = match conn
            .query_first(format!("SELECT marker FROM {marker_table}"))
            .await
        {
            Ok(found) => found,
            // No such database or table yet: nobody prepared this server.
            Err(mysql_async::Error::Server(e)) if e.code == 1049 || e.code == 1146 => None,
            Err(e) => return Err(failed(who, "to look for an earlier preparation", e)),
        };
        if found.as_deref() == Some(self.marker.as_str()) {
            return Ok(());
        }
        self.migrate(root, user).await?;
        let main = Schema::read(conn, &self.database, who).await?;
        conn.query_drop(format!("DROP DATABASE IF EXISTS {}", quote_ident(SOURCE)))
            .await
            .map_err(|e| failed(who, "to drop an earlier source copy", e))?;
        main.replay(conn, SOURCE, &self.database)
            .await
            .map_err(|e| e.prefixed(who))?;
        let mut statements = vec![
            format!("CREATE DATABASE IF NOT EXISTS {}", quote_ident(META)),
            format!("CREATE TABLE IF NOT EXISTS {marker_table} (marker varchar(500) NOT NULL)"),
            format!("DELETE FROM {marker_table}"),
            format!(
                "INSERT INTO {marker_table} VALUES ({})",
                quote_literal(&self.marker)
            ),
        ];
        if let Some(user) = &self.user {
            statements.push(format!(
                "GRANT ALL ON `{FRESH_PATTERN}`.* TO {}@'%'",
                quote_literal(user)
            ));
        }
        conn.query_drop(statements.join(";\n"))
            .await
            .map_err(|e| failed(who, "to record the preparation", e))
    }

    async fn migrate(&self, root: &Endpoint, user: &Endpoint) -> Result<()> {
        let on = format!("{}, database '{}'", self.who, self.database);
        match &self.migrations {
            // As root: routines and triggers under binary logging need rights that the
            // image's user lacks.
            Some(Loaded::Files(files)) => {
                let mut conn = connect_on_engine(root.opts(Some(&self.database)))
                    .await
                    .map_err(|err| connect_failed(err, &self.who, root, &self.database))?;
                apply_files(&mut conn, files, &on).await
            }
            Some(Loaded::Run(step, _)) => {
                let url = user.url(&self.database);
                let masked = user.masked_url(&self.database);
                run_step(step, url, &masked, user.password.expose(), &on).await
            }
            None => Ok(()),
        }
    }
}

/// Applies the files not yet recorded in [`TRACKING_TABLE`], in order. Each file is sent
/// as one multi-statement query; MySQL commits DDL at once, so a file that fails may leave
/// its first statements applied (the start fails either way). Client commands such as
/// `DELIMITER` are not SQL and do not belong in them.
async fn apply_files(conn: &mut Conn, files: &[(String, String)], on: &str) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let failed = |what: &str, err| failed(on, what, err);
    conn.query_drop(format!(
        "CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} (\
         name varchar(255) PRIMARY KEY, \
         applied_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    ))
    .await
    .map_err(|e| failed("creating the migrations table", e))?;
    let applied: Vec<String> = conn
        .query(format!("SELECT name FROM {TRACKING_TABLE}"))
        .await
        .map_err(|e| failed("reading the migrations table", e))?;
    for (name, sql) in files {
        if applied.contains(name) {
            continue;
        }
        if let Err(err) = conn.query_drop(sql.as_str()).await {
            return Err(Error::new(
                ErrorKind::Service,
                format!("migration {name} failed on {on}: {}", driver_detail(&err)),
            )
            .with_source(err));
        }
        conn.query_drop(format!(
            "INSERT INTO {TRACKING_TABLE} (name) VALUES ({})",
            quote_literal(name)
        ))
        .await
        .map_err(|e| failed(&format!("recording migration {name}"), e))?;
        tracing::debug!(migration = %name, "applied");
    }
    Ok(())
}

//! PostgreSQL: the facts served and their view counts, through a small pool of
//! connections.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use crate::fact::{Fact, FactId, StoredFact};

/// The service's migrations, in the order they apply: `migrations/*.sql`, built into the
/// binary. A test checks that this list and the folder agree.
pub const MIGRATIONS: &[(&str, &str)] =
    &[("001_facts.sql", include_str!("../migrations/001_facts.sql"))];

/// The table that records which [`MIGRATIONS`] were applied.
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

/// The key of the advisory lock that keeps two instances from migrating at once.
const MIGRATION_LOCK: i64 = 0x6661_6374_735f_6d69; // "facts_mi"

/// How many connections the pool keeps at most.
pub const POOL_SIZE: usize = 16;

/// How long making a new connection may take before the database counts as unavailable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a request may wait for a free connection.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(5);

/// Upserts a served fact and counts the view, in one statement: concurrent servings of the
/// same fact queue on its row, and none is lost.
const RECORD_VIEW: &str = "\
INSERT INTO facts (id, text, source, source_url, language, permalink)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO UPDATE SET
    views = facts.views + 1,
    last_seen = now(),
    text = EXCLUDED.text,
    source = EXCLUDED.source,
    source_url = EXCLUDED.source_url,
    language = EXCLUDED.language,
    permalink = EXCLUDED.permalink
RETURNING views";

const FIND: &str = "\
SELECT id, text, source, source_url, language, permalink, views,
       to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
       to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
FROM facts WHERE id = $1";

/// The service's database. Cheap to clone: clones share the pool.
///
/// Connections are made when first needed, so a `Db` exists even while PostgreSQL is down;
/// requests then fail with [`DbError::is_unavailable`], and work again once it is back.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// Where the database is, without credentials: `127.0.0.1:5432/facts`.
    target: String,
}

impl Db {
    /// A pool of at most [`POOL_SIZE`] connections to the database at `url`
    /// (`postgres://user:password@host:port/database`). Connects nothing yet.
    ///
    /// # Errors
    /// [`DbError`] if `url` is not a PostgreSQL connection URL.
    pub fn new(url: &str) -> Result<Db, DbError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| DbError::new("reading DATABASE_URL", false, e))?;
        let target = describe(&config);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("facts-service");
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A broken connection shows itself on the next query; checking each one
                // with a query before handing it out would double the round trips.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(CONNECT_TIMEOUT))
            .wait_timeout(Some(WAIT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| DbError::new("setting up the connection pool", false, e))?;
        Ok(Db { pool, target })
    }

    /// Where the database is, without credentials: `127.0.0.1:5432/facts`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Applies the [`MIGRATIONS`] this database has not seen, each in a transaction with its
    /// record in [`MIGRATIONS_TABLE`], and returns the names of those it applied.
    ///
    /// Safe to run from several instances at once: they take turns (an advisory lock).
    ///
    /// # Errors
    /// [`DbError`] if PostgreSQL is unavailable or a migration fails; a failed migration
    /// leaves nothing behind.
    pub async fn migrate(&self) -> Result<Vec<&'static str>, DbError> {
        let mut client = self.connection("migrating").await?;
        let mut applied = Vec::new();
        for (name, sql) in MIGRATIONS {
            let what = format!("applying migration {name}");
            let fail = |e| DbError::new(&what, false, e);
            let transaction = client.transaction().await.map_err(fail)?;
            transaction
                .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(fail)?;
            transaction
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (\
                        name text PRIMARY KEY, \
                        applied_at timestamptz NOT NULL DEFAULT now())"
                ))
                .await
                .map_err(fail)?;
            let seen = transaction
                .query_opt(
                    &format!("SELECT 1 FROM {MIGRATIONS_TABLE} WHERE name = $1"),
                    &[name],
                )
                .await
                .map_err(fail)?;
            if seen.is_some() {
                continue;
            }
            transaction.batch_execute(sql).await.map_err(fail)?;
            transaction
                .execute(
                    &format!("INSERT INTO {MIGRATIONS_TABLE} (name) VALUES ($1)"),
                    &[name],
                )
                .await
                .map_err(fail)?;
            transaction.commit().await.map_err(fail)?;
            tracing::info!(migration = name, "applied");
            applied.push(*name);
        }
        Ok(applied)
    }

    /// Stores `fact` (or updates it, if it was served before) and counts one view of it;
    /// returns its views, this one included.
    ///
    /// # Errors
    /// [`DbError`]: PostgreSQL is unavailable, or refused the row.
    pub async fn record_view(&self, fact: &Fact) -> Result<i64, DbError> {
        let what = "recording a view";
        let client = self.connection(what).await?;
        let statement = client
            .prepare_cached(RECORD_VIEW)
            .await
            .map_err(|e| DbError::from_query(what, e))?;
        let row = client
            .query_one(
                &statement,
                &[
                    &fact.id.as_str(),
                    &fact.text,
                    &fact.source,
                    &fact.source_url,
                    &fact.language,
                    &fact.permalink,
                ],
            )
            .await
            .map_err(|e| DbError::from_query(what, e))?;
        Ok(row.get(0))
    }

    /// The stored fact with id `id`, if it was ever served.
    ///
    /// # Errors
    /// [`DbError`]: PostgreSQL is unavailable.
    pub async fn fact(&self, id: &FactId) -> Result<Option<StoredFact>, DbError> {
        let what = "looking up a fact";
        let client = self.connection(what).await?;
        let statement = client
            .prepare_cached(FIND)
            .await
            .map_err(|e| DbError::from_query(what, e))?;
        let Some(row) = client
            .query_opt(&statement, &[&id.as_str()])
            .await
            .map_err(|e| DbError::from_query(what, e))?
        else {
            return Ok(None);
        };
        let id: &str = row.get(0);
        Ok(Some(StoredFact {
            fact: Fact {
                // The table's CHECK keeps ids well formed.
                id: FactId::parse(id).map_err(|e| DbError::new(what, false, e))?,
                text: row.get(1),
                source: row.get(2),
                source_url: row.get(3),
                language: row.get(4),
                permalink: row.get(5),
            },
            views: row.get(6),
            first_seen: row.get(7),
            last_seen: row.get(8),
        }))
    }

    /// Checks that PostgreSQL answers a query.
    ///
    /// # Errors
    /// [`DbError`]: it does not.
    pub async fn ping(&self) -> Result<(), DbError> {
        let what = "checking PostgreSQL";
        let client = self.connection(what).await?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(|e| DbError::from_query(what, e))?;
        Ok(())
    }

    async fn connection(&self, what: &str) -> Result<deadpool_postgres::Object, DbError> {
        self.pool.get().await.map_err(|e| match e {
            // Making a connection failed: whatever the reason (refused, wrong password,
            // no such database), the service cannot use PostgreSQL now.
            PoolError::Backend(e) => DbError::new(what, true, e),
            other => DbError::new(what, true, other),
        })
    }
}

/// The first host, its port and the database of `config`, for messages.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(name)) => name.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{database}")
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("Db")
            .field("target", &self.target)
            .field("size", &status.size)
            .field("available", &status.available)
            .finish()
    }
}

/// A database operation that failed.
#[derive(Debug)]
pub struct DbError {
    what: String,
    unavailable: bool,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl DbError {
    fn new(
        what: &str,
        unavailable: bool,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> DbError {
        DbError {
            what: what.to_string(),
            unavailable,
            source: source.into(),
        }
    }

    fn from_query(what: &str, error: tokio_postgres::Error) -> DbError {
        let unavailable = match error.code() {
            // No server error: the connection broke, or timed out.
            None => true,
            Some(code) => is_unavailable(code),
        };
        DbError::new(what, unavailable, error)
    }

    /// Whether PostgreSQL could not be used at all (unreachable, refusing connections,
    /// shutting down), rather than refusing one statement.
    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }
}

/// SQLSTATE classes that mean the server, not the statement, is the problem: connection
/// exceptions (08), insufficient resources (53), operator intervention (57: shutdown,
/// cancelled), and a database or login that does not exist (3D, 28).
fn is_unavailable(code: &SqlState) -> bool {
    let code = code.code();
    ["08", "53", "57", "3D", "28"]
        .iter()
        .any(|class| code.starts_with(class))
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.source)?;
        let mut cause = self.source.source();
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

impl std::error::Error for DbError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_built_in_in_name_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut on_disk: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "sql"))
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        on_disk.sort();
        let built_in: Vec<(String, String)> = MIGRATIONS
            .iter()
            .map(|(name, sql)| (name.to_string(), sql.to_string()))
            .collect();
        assert_eq!(
            built_in, on_disk,
            "db::MIGRATIONS must list migrations/*.sql, in name order"
        );
    }

    #[test]
    fn a_url_that_is_not_postgres_is_refused_before_connecting() {
        assert!(Db::new("not a url at all://").is_err());
    }

    #[tokio::test]
    async fn the_target_leaves_out_the_credentials() {
        let db = Db::new("postgres://facts:s3cret@db.internal:6543/facts").unwrap();
        assert_eq!(db.target(), "db.internal:6543/facts");
        assert!(!format!("{db:?}").contains("s3cret"));
    }

    #[test]
    fn connection_trouble_counts_as_unavailable_and_a_bad_row_does_not() {
        assert!(is_unavailable(&SqlState::CONNECTION_FAILURE));
        assert!(is_unavailable(&SqlState::ADMIN_SHUTDOWN));
        assert!(is_unavailable(&SqlState::TOO_MANY_CONNECTIONS));
        assert!(is_unavailable(&SqlState::INVALID_CATALOG_NAME));
        assert!(!is_unavailable(&SqlState::CHECK_VIOLATION));
        assert!(!is_unavailable(&SqlState::UNDEFINED_TABLE));
    }
}

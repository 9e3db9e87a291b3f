//! Schema migrations shared by the SQL modules: a folder of SQL files or a step of the
//! caller's, read before a container exists, fingerprinted, and applied once per container
//! by the module (each with its own driver).

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use crate::error::{Error, ErrorKind, Result};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
type Migrate = Arc<dyn Fn(String) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// How to bring the database schema up to date once the server is ready: a folder of SQL
/// files, or your own migration tool. The same type serves every SQL module
/// (`throwaway::postgres::Migrations` and `throwaway::mysql::Migrations` are this one).
///
/// Migrations run against the main database when the container starts; the migrated
/// database is then what each module's `fresh_database()` copies (PostgreSQL clones it as a
/// template, MySQL and MariaDB replay its schema), so they run once per container, not once
/// per test.
///
/// ```no_run
/// # #[cfg(feature = "postgres")] {
/// use throwaway::postgres::{Migrations, Postgres};
///
/// // Plain SQL files, applied in name order:
/// let from_files = Postgres::default().migrations(Migrations::dir("./migrations"));
///
/// // Any tool that takes a URL (sqlx, refinery, diesel, …):
/// let from_a_tool = Postgres::default().migrations(Migrations::run(|url: String| async move {
///     // e.g. sqlx::migrate!().run(&sqlx::PgPool::connect(&url).await?).await?;
///     let _ = url;
///     Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// }));
/// # let _ = (from_files, from_a_tool);
/// # }
/// ```
#[derive(Clone)]
pub struct Migrations(Kind);

#[derive(Clone)]
enum Kind {
    Dir(PathBuf),
    /// The step, and the type name of the closure: different closures, different names.
    Run(Migrate, &'static str),
}

impl Migrations {
    /// The `*.sql` files of folder `path` (not its subfolders), applied in file-name order,
    /// each in a transaction of its own: name them so that they sort, e.g. `001_users.sql`,
    /// `002_orders.sql`.
    ///
    /// The folder is read when the container starts; a missing folder fails the start before
    /// any container is created. Applied files are recorded in a table
    /// `_throwaway_migrations` of the main database, so a data directory kept on a volume
    /// only gets the files it has not seen. A file that fails stops the start with its name
    /// and the server's message.
    ///
    /// On PostgreSQL a statement that cannot run in a transaction (`CREATE INDEX
    /// CONCURRENTLY`, …) does not belong here; use [`Migrations::run`] with a tool that knows
    /// how to run it. MySQL and MariaDB commit every DDL statement at once, so a file that
    /// fails halfway leaves its first statements applied (the start fails either way).
    pub fn dir(path: impl Into<PathBuf>) -> Self {
        Migrations(Kind::Dir(path.into()))
    }

    /// Your own migration step: `migrate` gets the main database's connection URL (the
    /// module's `connection_url()`) and returns once the schema is up to date; an `Err`
    /// fails the start with its message.
    ///
    /// Close the connections it opened before returning: the copy that fresh databases are
    /// made from is taken right after (PostgreSQL ends by force any session still connected
    /// to the main database then).
    pub fn run<F, Fut, E>(migrate: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let name = std::any::type_name::<F>();
        let migrate: Migrate =
            Arc::new(move |url| migrate(url).map(|r| r.map_err(Into::into)).boxed());
        Migrations(Kind::Run(migrate, name))
    }

    /// Reads what can be read before a container exists: the folder's files.
    pub(crate) fn load(&self, image: &str) -> Result<Loaded> {
        match &self.0 {
            Kind::Dir(dir) => read_dir(dir, image).map(Loaded::Files),
            Kind::Run(migrate, name) => Ok(Loaded::Run(migrate.clone(), name)),
        }
    }
}

impl fmt::Debug for Migrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Dir(path) => f.debug_tuple("Migrations::dir").field(path).finish(),
            Kind::Run(..) => f.write_str("Migrations::run(..)"),
        }
    }
}

/// Migrations ready to apply.
#[derive(Clone)]
pub(crate) enum Loaded {
    /// File name and contents, in the order to apply them.
    Files(Vec<(String, String)>),
    Run(Migrate, &'static str),
}

impl Loaded {
    /// What the migrations are, in a few characters: for a folder, a hash of its files; for
    /// a step of the caller's, a hash of the closure's type name, which tells closures
    /// apart by the function or static they are written in (not by what they do).
    ///
    /// Processes that share containers (a nextest run) share one only when their requests
    /// match, so this goes into the request: two test binaries with different migrations
    /// get a container each, rather than fight over one migrated database.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let kind = match self {
            Loaded::Files(files) => {
                for (name, sql) in files {
                    for part in [name, sql] {
                        hasher.update((part.len() as u64).to_le_bytes());
                        hasher.update(part.as_bytes());
                    }
                }
                "files"
            }
            Loaded::Run(_, name) => {
                hasher.update(name.as_bytes());
                "run"
            }
        };
        let digest = hasher.finalize();
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("{kind}:{hex}")
    }
}

fn read_dir(dir: &Path, image: &str) -> Result<Vec<(String, String)>> {
    let io_error = |what: String, err: std::io::Error| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read {what} (migrations for {image}): {err}"),
        )
        .with_source(err)
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| io_error(format!("folder {}", dir.display()), e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(format!("folder {}", dir.display()), e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".sql") || !path.is_file() {
            continue;
        }
        let sql = std::fs::read_to_string(&path)
            .map_err(|e| io_error(format!("file {}", path.display()), e))?;
        files.push((name, sql));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Runs a [`Migrations::run`] step against `url`. `masked_url` replaces the URL in the
/// step's error, which becomes part of the message only, never a `source()`: a tool's
/// error may quote the URL, password and all.
pub(crate) async fn run_step(
    migrate: &Migrate,
    url: String,
    masked_url: &str,
    password: &str,
    who: &str,
) -> Result<()> {
    let Err(err) = migrate(url.clone()).await else {
        return Ok(());
    };
    let mut detail = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        detail.push_str(": ");
        detail.push_str(&c.to_string());
        cause = c.source();
    }
    let detail = redact(&detail, &url, masked_url, password);
    Err(Error::new(
        ErrorKind::Service,
        format!("migrations (Migrations::run) failed on {who}: {detail}"),
    ))
}

/// `text` without the URL and without the password where it reads like the password
/// part of a URL (`:password@`).
pub(crate) fn redact(text: &str, url: &str, masked_url: &str, password: &str) -> String {
    let mut text = text.replace(url, masked_url);
    if !password.is_empty() {
        let escaped = crate::kit::ServiceUrl::escape(password);
        for shown in [password, escaped.as_str()] {
            text = text.replace(&format!(":{shown}@"), ":***@");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_read_in_name_order_sql_files_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("002_b.sql"), "B").unwrap();
        std::fs::write(dir.path().join("001_a.sql"), "A").unwrap();
        std::fs::write(dir.path().join("README.md"), "not SQL").unwrap();
        std::fs::create_dir(dir.path().join("003_dir.sql")).unwrap();
        let Loaded::Files(files) = Migrations::dir(dir.path()).load("postgres:15").unwrap() else {
            panic!("a folder loads as files");
        };
        assert_eq!(
            files,
            [
                ("001_a.sql".to_string(), "A".to_string()),
                ("002_b.sql".to_string(), "B".to_string())
            ]
        );
    }

    fn one_step() -> Migrations {
        Migrations::run(|_url| async { Ok::<(), std::io::Error>(()) })
    }

    fn another_step() -> Migrations {
        Migrations::run(|_url| async { Ok::<(), std::io::Error>(()) })
    }

    fn files_of_nothing() -> Migrations {
        Migrations::dir(tempfile::tempdir().unwrap().keep())
    }

    #[test]
    fn the_fingerprint_follows_the_files_or_the_closure() {
        let files = |sql: &str| Loaded::Files(vec![("001.sql".to_string(), sql.to_string())]);
        assert_eq!(files("A").fingerprint(), files("A").fingerprint());
        assert_ne!(files("A").fingerprint(), files("B").fingerprint());
        assert!(files("A").fingerprint().starts_with("files:"));
        let run = |m: Migrations| m.load("postgres:15").ok().unwrap().fingerprint();
        assert!(run(one_step()).starts_with("run:"));
        assert_eq!(run(one_step()), run(one_step()));
        assert_ne!(run(one_step()), run(another_step()));
        assert_ne!(run(one_step()), run(files_of_nothing()));
    }

    #[test]
    fn a_missing_folder_is_an_io_error_naming_it() {
        let err = Migrations::dir("/no/such/migrations")
            .load("postgres:15")
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.to_string().contains("/no/such/migrations"), "{err}");
    }

    #[test]
    fn urls_and_url_passwords_are_redacted() {
        let url = "postgres://u:p%40ss@127.0.0.1:5/db";
        let masked = "postgres://u:***@127.0.0.1:5/db";
        let text = format!("cannot reach {url}; also u:p@ss@host and u:p%40ss@other");
        let clean = redact(&text, url, masked, "p@ss");
        assert!(
            !clean.contains("p@ss") && !clean.contains("p%40ss"),
            "{clean}"
        );
        assert!(clean.contains(masked), "{clean}");
    }

    #[test]
    fn debug_says_which_kind() {
        assert_eq!(
            format!("{:?}", Migrations::dir("m")),
            "Migrations::dir(\"m\")"
        );
        let run = Migrations::run(|_url| async { Ok::<(), std::io::Error>(()) });
        assert_eq!(format!("{run:?}"), "Migrations::run(..)");
    }
}

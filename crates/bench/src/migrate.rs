//! Migrations by hand, for the `testcontainers` crate, which has none: what a user of it
//! writes (or gets from sqlx or refinery), applying the same files throwaway's
//! `Migrations::dir` applies, each in a transaction of its own.

use std::path::Path;

use throwaway::postgres::tokio_postgres::{self, Client, NoTls};

use crate::Result;

/// The migration files of `dir`, in name order.
///
/// # Errors
/// When the folder or a file cannot be read.
pub fn load(dir: impl AsRef<Path>) -> Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.as_ref())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "sql") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, std::fs::read_to_string(&path)?));
        }
    }
    files.sort();
    Ok(files)
}

/// A client for `url`, its connection driven on the current runtime.
///
/// # Errors
/// When the server cannot be reached or refuses the login.
pub async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Applies `files` in order, each in a transaction.
///
/// # Errors
/// Naming the file that failed.
pub async fn apply(client: &mut Client, files: &[(String, String)]) -> Result<()> {
    for (name, sql) in files {
        let transaction = client.transaction().await?;
        transaction
            .batch_execute(sql)
            .await
            .map_err(|e| format!("migration {name}: {e}"))?;
        transaction.commit().await?;
    }
    Ok(())
}

/// Applies `files` in order over a MySQL or MariaDB connection, each file as one
/// multi-statement query (DDL commits at once there, so there is no transaction to use).
///
/// # Errors
/// Naming the file that failed.
pub async fn apply_mysql(
    conn: &mut throwaway::mysql::mysql_async::Conn,
    files: &[(String, String)],
) -> Result<()> {
    use throwaway::mysql::mysql_async::prelude::Queryable;
    for (name, sql) in files {
        conn.query_drop(sql.as_str())
            .await
            .map_err(|e| format!("migration {name}: {e}"))?;
    }
    Ok(())
}

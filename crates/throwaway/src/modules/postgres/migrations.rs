//! Applying a [`Migrations::dir`] folder to PostgreSQL: each file in a transaction with
//! its record in a tracking table.

use tokio_postgres::error::ErrorPosition;
use tokio_postgres::Client;

use super::connect::driver_detail;
use crate::error::{Error, ErrorKind, Result};

pub use crate::modules::sql::migrations::Migrations;
pub(crate) use crate::modules::sql::migrations::{run_step, Loaded};

/// The table in the main database that records which files of a [`Migrations::dir`]
/// were applied, so that a data directory kept on a volume is not migrated twice.
pub(crate) const TRACKING_TABLE: &str = "_throwaway_migrations";

/// Applies the files not yet recorded in [`TRACKING_TABLE`], each in a transaction with its
/// record. `who` names the container and database in messages.
pub(crate) async fn apply_files(
    client: &mut Client,
    files: &[(String, String)],
    who: &str,
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let failed = |what: &str, err: tokio_postgres::Error| {
        Error::new(
            ErrorKind::Service,
            format!("{what} on {who}: {}", driver_detail(&err)),
        )
        .with_source(err)
    };
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} (\
                name text PRIMARY KEY, \
                applied_at timestamptz NOT NULL DEFAULT now())"
        ))
        .await
        .map_err(|e| failed("creating the migrations table", e))?;
    let applied: Vec<String> = client
        .query(&format!("SELECT name FROM {TRACKING_TABLE}"), &[])
        .await
        .map_err(|e| failed("reading the migrations table", e))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for (name, sql) in files {
        if applied.contains(name) {
            tracing::debug!(migration = %name, "already applied");
            continue;
        }
        let transaction = client
            .transaction()
            .await
            .map_err(|e| failed(&format!("starting migration {name}"), e))?;
        if let Err(err) = transaction.batch_execute(sql).await {
            let at = line_of(&err, sql).map_or_else(String::new, |l| format!(" (line {l})"));
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "migration {name} failed{at} on {who}: {}",
                    driver_detail(&err)
                ),
            )
            .with_source(err));
        }
        transaction
            .execute(
                &format!("INSERT INTO {TRACKING_TABLE} (name) VALUES ($1)"),
                &[name],
            )
            .await
            .map_err(|e| failed(&format!("recording migration {name}"), e))?;
        transaction
            .commit()
            .await
            .map_err(|e| failed(&format!("committing migration {name}"), e))?;
        tracing::debug!(migration = %name, "applied");
    }
    Ok(())
}

/// The line of `sql` that a server error points at, when it does.
fn line_of(err: &tokio_postgres::Error, sql: &str) -> Option<usize> {
    let Some(ErrorPosition::Original(position)) = err.as_db_error()?.position() else {
        return None;
    };
    // The position counts characters from 1.
    let before = (*position as usize).saturating_sub(1);
    Some(sql.chars().take(before).filter(|c| *c == '\n').count() + 1)
}

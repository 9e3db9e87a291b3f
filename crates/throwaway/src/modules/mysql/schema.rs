//! Copying a database without template databases: read the migrated database's
//! definitions once (`SHOW CREATE …`), then replay them, and copy its rows, into each new
//! database.
//!
//! What is copied: tables (with their indexes, foreign keys and `AUTO_INCREMENT` counters),
//! their rows, views, stored procedures and functions, and triggers. Events are not.
//! Triggers are created after the rows are copied, so that copying fires none of them.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::connect::{driver_detail, quote_ident, quote_literal};
use crate::error::{Error, ErrorKind, Result};

/// A database's definitions, in the order to replay them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Schema {
    /// `CREATE TABLE` statements, with the columns to copy rows through (all but
    /// generated ones, which the server computes).
    tables: Vec<Table>,
    /// `CREATE VIEW` statements, names unqualified; replayed until all are in, since a
    /// view may read another.
    views: Vec<String>,
    /// `CREATE PROCEDURE` / `CREATE FUNCTION` / `CREATE TRIGGER` statements, as written.
    routines: Vec<String>,
    triggers: Vec<String>,
}

#[derive(Clone, Debug)]
struct Table {
    name: String,
    create: String,
    columns: Vec<String>,
    has_rows: bool,
}

/// Column `index` of a `SHOW CREATE …` row, as text. Read by position and checked, not
/// converted into a tuple: the servers differ in how many columns they return, and a
/// tuple of the wrong size panics in the driver.
fn column(row: Option<Row>, index: usize) -> Option<String> {
    row?.get_opt::<Option<String>, _>(index)?.ok().flatten()
}

fn failed(who: &str, what: &str, err: mysql_async::Error) -> Error {
    Error::new(
        ErrorKind::Service,
        format!(
            "{who} failed {what}, for the copies handed out by fresh_database(): {}",
            driver_detail(&err)
        ),
    )
    .with_source(err)
}

impl Schema {
    /// Reads the definitions of `database` over `conn` (an account that may read them all).
    pub async fn read(conn: &mut Conn, database: &str, who: &str) -> Result<Schema> {
        let db = quote_literal(database);
        let qualified = |name: &str| format!("{}.{}", quote_ident(database), quote_ident(name));
        let err = |what: String| move |e| failed(who, &what, e);
        let listed: Vec<(String, String)> = conn
            .query(format!(
                "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = {db} ORDER BY TABLE_NAME"
            ))
            .await
            .map_err(err(format!("to list the tables of '{database}'")))?;
        let mut schema = Schema::default();
        let mut view_names = Vec::new();
        for (name, kind) in listed {
            if kind == "VIEW" {
                view_names.push(name);
                continue;
            }
            let row: Option<Row> = conn
                .query_first(format!("SHOW CREATE TABLE {}", qualified(&name)))
                .await
                .map_err(err(format!("to read table '{name}'")))?;
            let Some(create) = column(row, 1) else {
                continue;
            };
            let columns: Vec<String> = conn
                .query(format!(
                    "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
                     WHERE TABLE_SCHEMA = {db} AND TABLE_NAME = {} \
                     AND EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION",
                    quote_literal(&name)
                ))
                .await
                .map_err(err(format!("to read the columns of '{name}'")))?;
            let has_rows: Option<u8> = conn
                .query_first(format!("SELECT 1 FROM {} LIMIT 1", qualified(&name)))
                .await
                .map_err(err(format!("to look into '{name}'")))?;
            schema.tables.push(Table {
                name,
                create,
                columns,
                has_rows: has_rows.is_some(),
            });
        }
        // A view's definition names its tables with the database in front; a copy must
        // read its own tables.
        let prefix = format!("{}.", quote_ident(database));
        for name in view_names {
            let row: Option<Row> = conn
                .query_first(format!("SHOW CREATE VIEW {}", qualified(&name)))
                .await
                .map_err(err(format!("to read view '{name}'")))?;
            if let Some(create) = column(row, 1) {
                schema.views.push(create.replace(&prefix, ""));
            }
        }
        let routines: Vec<(String, String)> = conn
            .query(format!(
                "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES \
                 WHERE ROUTINE_SCHEMA = {db} ORDER BY ROUTINE_NAME"
            ))
            .await
            .map_err(err("to list the routines".to_string()))?;
        for (kind, name) in routines {
            let sql = format!("SHOW CREATE {kind} {}", qualified(&name));
            let row: Option<Row> = conn
                .query_first(sql)
                .await
                .map_err(err(format!("to read {} '{name}'", kind.to_lowercase())))?;
            // Columns: name, sql_mode, the statement, character sets.
            if let Some(create) = column(row, 2) {
                schema.routines.push(create);
            }
        }
        let triggers: Vec<String> = conn
            .query(format!(
                "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS \
                 WHERE TRIGGER_SCHEMA = {db} ORDER BY TRIGGER_NAME"
            ))
            .await
            .map_err(err("to list the triggers".to_string()))?;
        for name in triggers {
            let row: Option<Row> = conn
                .query_first(format!("SHOW CREATE TRIGGER {}", qualified(&name)))
                .await
                .map_err(err(format!("to read trigger '{name}'")))?;
            if let Some(create) = column(row, 2) {
                schema.triggers.push(create);
            }
        }
        Ok(schema)
    }

    /// How many objects there are, for logs.
    pub fn len(&self) -> usize {
        self.tables.len() + self.views.len() + self.routines.len() + self.triggers.len()
    }

    /// Creates database `name` as a copy: the definitions, and the rows of `rows_from`.
    /// Leaves `conn` on database `name`.
    pub async fn replay(&self, conn: &mut Conn, name: &str, rows_from: &str) -> Result<()> {
        let target = quote_ident(name);
        let mut batch = vec![
            format!("CREATE DATABASE {target}"),
            format!("USE {target}"),
            // In any order, whatever the foreign keys say.
            "SET FOREIGN_KEY_CHECKS = 0".to_string(),
        ];
        batch.extend(self.tables.iter().map(|t| t.create.clone()));
        for table in self.tables.iter().filter(|t| t.has_rows) {
            let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(c)).collect();
            let columns = columns.join(", ");
            batch.push(format!(
                "INSERT INTO {} ({columns}) SELECT {columns} FROM {}.{}",
                quote_ident(&table.name),
                quote_ident(rows_from),
                quote_ident(&table.name)
            ));
        }
        batch.push("SET FOREIGN_KEY_CHECKS = 1".to_string());
        // One round trip for the tables and rows: the statements need no answers.
        conn.query_drop(batch.join(";\n"))
            .await
            .map_err(|e| self.replay_failed(name, e))?;
        let mut views: Vec<&String> = self.views.iter().collect();
        while !views.is_empty() {
            let mut left = Vec::new();
            let mut last = None;
            for view in &views {
                if let Err(e) = conn.query_drop(view.as_str()).await {
                    left.push(*view);
                    last = Some(e);
                }
            }
            if left.len() == views.len() {
                let err = last.expect("a failed view has an error");
                return Err(self.replay_failed(name, err));
            }
            views = left;
        }
        // Compound bodies (BEGIN … END) go one statement per query.
        for create in self.routines.iter().chain(&self.triggers) {
            conn.query_drop(create.as_str())
                .await
                .map_err(|e| self.replay_failed(name, e))?;
        }
        Ok(())
    }

    fn replay_failed(&self, name: &str, err: mysql_async::Error) -> Error {
        Error::new(
            ErrorKind::Service,
            format!(
                "could not make fresh database '{name}' from the migrated schema: {}",
                driver_detail(&err)
            ),
        )
        .with_source(err)
    }
}

//! cargo run -p throwaway-examples --example mysql_users
//!
//! A users table on MySQL, then the same on MariaDB: each server started with user `app`,
//! password `password` and database `users`, its mapped port printed, the schema migrated,
//! users saved and read back, and a fresh database shown to have the schema but none of
//! the rows. The tests at the bottom check the same as assertions, each in a fresh
//! database of one shared MariaDB server.
//!
//! Uses `mysql:8` and `mariadb:11`; on an engine that cannot pull, build the local
//! stand-ins first with `ci/images/build mariadb mysql`. Run the tests with
//! `cargo test -p throwaway-examples --example mysql_users`.

use throwaway::mysql::mysql_async::prelude::Queryable;
use throwaway::mysql::mysql_async::{self, Conn};
use throwaway::mysql::{Migrations, Mysql};

/// The images, pinned so that every run tests against the same servers.
const IMAGES: [&str; 2] = ["mysql:8", "mariadb:11"];

/// The schema the application's migration creates.
const SCHEMA: &str = "CREATE TABLE users (
        id    int AUTO_INCREMENT PRIMARY KEY,
        email varchar(255) NOT NULL UNIQUE,
        name  varchar(255) NOT NULL
    )";

/// The server as the application's tests configure it, migrated once it is ready.
fn server(image: &str) -> Mysql {
    Mysql::new(image)
        .user("app")
        .password("password")
        .database("users")
        .migrations(Migrations::run(|url: String| async move {
            // Any migration tool that takes a URL fits here.
            let mut conn = Conn::from_url(&url).await?;
            conn.query_drop(SCHEMA).await?;
            conn.disconnect().await
        }))
}

/// What the application does when someone signs up; returns the new user's id.
async fn sign_up(conn: &mut Conn, email: &str, name: &str) -> Result<u64, mysql_async::Error> {
    conn.exec_drop(
        "INSERT INTO users (email, name) VALUES (?, ?)",
        (email, name),
    )
    .await?;
    Ok(conn.last_insert_id().unwrap_or_default())
}

/// The name stored for `email`, if anyone signed up with it.
async fn name_of(conn: &mut Conn, email: &str) -> Result<Option<String>, mysql_async::Error> {
    conn.exec_first("SELECT name FROM users WHERE email = ?", (email,))
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    for image in IMAGES {
        let db = server(image).start().await?;
        println!(
            "1. {image} is ready: container port 3306 is mapped to {}:{}",
            db.host(),
            db.host_port()
        );
        let mut conn = db.client().await?;
        let id = sign_up(&mut conn, "ada@example.com", "Ada Lovelace").await?;
        println!("2. signed up user {id}");
        println!(
            "3. read back: {:?}",
            name_of(&mut conn, "ada@example.com").await?
        );
        let fresh = db.fresh_database().await?;
        let mut isolated = fresh.client().await?;
        println!(
            "4. fresh database {:?} has the table but not the row: {:?}",
            fresh.name(),
            name_of(&mut isolated, "ada@example.com").await?
        );
        drop((isolated, fresh, conn));
        db.remove().await?;
        println!("   {image} container removed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use throwaway::mysql::TestDatabase;
    use throwaway::Shared;

    /// One server for every test of this file, started by the first test that asks.
    static DB: Shared<Mysql> = Shared::new(|| server("mariadb:11"));

    /// A database of this test's own, and a connection to it. Without a Docker engine the
    /// test is skipped with the reason printed, unless `CI` is set: there it fails.
    async fn fresh_database() -> Option<(TestDatabase, Conn)> {
        if throwaway::skip_without_engine() {
            return None;
        }
        let db = DB
            .get()
            .await
            .unwrap_or_else(|err| panic!("could not start MariaDB: {err:?}"));
        let database = db.fresh_database().await.expect("a fresh database");
        let conn = database.client().await.expect("a connection");
        Some((database, conn))
    }

    #[tokio::test]
    async fn a_signed_up_user_is_found_by_email() {
        let Some((_database, mut conn)) = fresh_database().await else {
            return;
        };
        sign_up(&mut conn, "grace@example.com", "Grace Hopper")
            .await
            .unwrap();
        assert_eq!(
            name_of(&mut conn, "grace@example.com").await.unwrap(),
            Some("Grace Hopper".to_string())
        );
        assert_eq!(
            name_of(&mut conn, "nobody@example.com").await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn an_email_signs_up_once() {
        let Some((_database, mut conn)) = fresh_database().await else {
            return;
        };
        sign_up(&mut conn, "linus@example.com", "Linus")
            .await
            .unwrap();
        let again = sign_up(&mut conn, "linus@example.com", "Linus again").await;
        assert!(again.is_err(), "the unique email refuses a second sign-up");
        // Each test starts from an empty table: the other test's user is not here.
        assert_eq!(name_of(&mut conn, "grace@example.com").await.unwrap(), None);
    }
}

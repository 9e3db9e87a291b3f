//! The Redis, PostgreSQL and MariaDB images of `testcontainers-modules` 0.15, restated for
//! `testcontainers` 0.28.
//!
//! Why restated: `testcontainers-modules` 0.15 (its latest release) builds on
//! `testcontainers` 0.27, whose bollard 0.20 pins `bollard-stubs` 1.52 exactly, while
//! throwaway's bollard 0.21 pins 1.53; Cargo allows one 1.x `bollard-stubs` per build, so
//! the modules crate and throwaway cannot be linked into one bench. `testcontainers` 0.28
//! uses bollard 0.21, so both libraries talk to the engine through the same client. The
//! two images below say what the modules' `redis::Redis` and `postgres::Postgres` say:
//! the image name, the environment, the command and the readiness lines; nothing more.
//! Use them as the modules are used: `Redis.with_tag("7.0").start().await`.

use std::borrow::Cow;

use testcontainers::core::WaitFor;
use testcontainers::Image;

/// `testcontainers_modules::redis::Redis`: the `redis` image, ready once it logs "Ready to
/// accept connections" on stdout.
#[derive(Debug, Default, Clone)]
pub struct Redis;

impl Image for Redis {
    fn name(&self) -> &str {
        "redis"
    }

    fn tag(&self) -> &str {
        "5.0"
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        vec![WaitFor::message_on_stdout("Ready to accept connections")]
    }
}

/// `testcontainers_modules::postgres::Postgres` with its defaults: user, password and
/// database `postgres`, `fsync=off`, ready once "database system is ready to accept
/// connections" appeared on stderr, then on stdout.
#[derive(Debug, Default, Clone)]
pub struct Postgres;

/// The user, password and database of [`Postgres`].
pub const POSTGRES_CREDENTIALS: &str = "postgres";

impl Image for Postgres {
    fn name(&self) -> &str {
        "postgres"
    }

    fn tag(&self) -> &str {
        "11-alpine"
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        vec![
            WaitFor::message_on_stderr("database system is ready to accept connections"),
            WaitFor::message_on_stdout("database system is ready to accept connections"),
        ]
    }

    fn env_vars(
        &self,
    ) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        [
            ("POSTGRES_DB", POSTGRES_CREDENTIALS),
            ("POSTGRES_USER", POSTGRES_CREDENTIALS),
            ("POSTGRES_PASSWORD", POSTGRES_CREDENTIALS),
        ]
    }

    fn cmd(&self) -> impl IntoIterator<Item = impl Into<Cow<'_, str>>> {
        ["-c", "fsync=off"]
    }
}

/// The URL of database `database` of a started [`Postgres`], as its users build it.
///
/// # Errors
/// When the container has no port 5432 published.
pub async fn postgres_url(
    container: &testcontainers::ContainerAsync<Postgres>,
    database: &str,
) -> crate::Result<String> {
    let host = container.get_host().await?;
    let port = container.get_host_port_ipv4(5432).await?;
    Ok(format!(
        "postgres://{POSTGRES_CREDENTIALS}:{POSTGRES_CREDENTIALS}@{host}:{port}/{database}"
    ))
}

/// The URL of a started [`Redis`], as its users build it.
///
/// # Errors
/// When the container has no port 6379 published.
pub async fn redis_url(container: &testcontainers::ContainerAsync<Redis>) -> crate::Result<String> {
    let host = container.get_host().await?;
    let port = container.get_host_port_ipv4(6379).await?;
    Ok(format!("redis://{host}:{port}"))
}

/// `testcontainers_modules::mariadb::Mariadb`: root without a password, database `test`,
/// ready once stderr has shown "mariadbd: ready for connections." and then "port: 3306"
/// (the temporary init server says `port: 0`). Its MySQL module waits for MySQL's X
/// Plugin line instead, which the offline stand-in (MariaDB) never prints, so workload 6
/// compares on MariaDB.
#[derive(Debug, Default, Clone)]
pub struct Mariadb;

impl Image for Mariadb {
    fn name(&self) -> &str {
        "mariadb"
    }

    fn tag(&self) -> &str {
        "11.3"
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        vec![
            WaitFor::message_on_stderr("mariadbd: ready for connections."),
            WaitFor::message_on_stderr("port: 3306"),
        ]
    }

    fn env_vars(
        &self,
    ) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        [
            ("MARIADB_DATABASE", "test"),
            ("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "1"),
        ]
    }
}

/// The URL of database `database` of a started [`Mariadb`], as root, as its users build it.
///
/// # Errors
/// When the container has no port 3306 published.
pub async fn mariadb_url(
    container: &testcontainers::ContainerAsync<Mariadb>,
    database: &str,
) -> crate::Result<String> {
    let host = container.get_host().await?;
    let port = container.get_host_port_ipv4(3306).await?;
    Ok(format!("mysql://root@{host}:{port}/{database}"))
}

//! The benchmark of throwaway against the `testcontainers` crate and the engine's floor.
//!
//! `cargo run --release -p throwaway-bench` runs every workload several times and writes
//! `results/latest.md` and `results/latest.svg`; `-- --quick` runs each once. See the
//! crate's README for what each workload does and which targets it reports against.
//!
//! Everything here is shared by the bench binary and the two nextest suites in `tests/`.

pub mod cleanup;
pub mod floor;
pub mod migrate;
pub mod report;
pub mod stats;
pub mod tc;
pub mod work;
pub mod workloads;

/// Errors of the bench: anything that can explain itself.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type of the bench.
pub type Result<T, E = BoxError> = std::result::Result<T, E>;

/// The migrations every PostgreSQL workload applies: about 20 files, tables, indexes and a
/// seed of 1,000 rows.
pub const MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");

/// The same schema for MySQL and MariaDB (workload 6): the PostgreSQL files rewritten
/// for their dialect, file by file.
pub const MIGRATIONS_MYSQL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations-mysql");

/// The image tags both libraries start: the local stand-ins on an engine that cannot pull.
pub const REDIS_IMAGE: &str = "redis:7.0";
/// See [`REDIS_IMAGE`].
pub const POSTGRES_IMAGE: &str = "postgres:15";
/// See [`REDIS_IMAGE`].
pub const MARIADB_IMAGE: &str = "mariadb:11";

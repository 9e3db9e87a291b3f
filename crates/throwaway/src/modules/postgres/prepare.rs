//! The one-time preparation of a ready server: migrations on the main database, then the
//! template that fresh databases are cloned from. Run once per container, and again after a
//! restart (a no-op when the template survived it).

use super::admin::{self, Setup, Template};
use super::connect::{connect_failed, connect_on_engine, ConnectError, Endpoint};
use super::migrations::{self, Loaded};
use crate::container::Container;
use crate::error::Result;
use crate::kit::Secret;

/// What preparing a container takes, kept for a restart.
pub(super) struct Preparation {
    /// Says which container, session and migrations made the template (or which snapshot
    /// it came with), so that processes sharing the container (a nextest run) find it
    /// prepared.
    marker: String,
    database: String,
    password: Secret,
    migrations: Option<Loaded>,
    /// Whether the server flushes to disk (see `admin::Strategy`).
    fsync: bool,
    /// `PostgreSQL in postgres:15 (0123456789ab)`, for messages.
    who: String,
}

impl Preparation {
    pub(super) fn new(
        container: &Container,
        session_id: &str,
        database: String,
        password: Secret,
        migrations: Option<Loaded>,
        fsync: bool,
        snapshot: Option<&str>,
    ) -> Self {
        // A template that came with a snapshot was made for exactly this configuration (the
        // key says so), in whichever container or session built it.
        let marker = match snapshot {
            Some(key) => format!("throwaway snapshot {key}"),
            None => format!(
                "throwaway {} {session_id} {}",
                container.id(),
                migrations
                    .as_ref()
                    .map_or_else(|| "none".to_string(), Loaded::fingerprint)
            ),
        };
        Preparation {
            marker,
            database,
            password,
            migrations,
            fsync,
            who: format!("PostgreSQL in {}", container.describe()),
        }
    }

    /// Migrates and makes the template, unless another process already did for this
    /// container, session and migrations.
    ///
    /// # Errors
    /// [`ErrorKind::Service`](crate::ErrorKind::Service): the server refused a statement, or
    /// a migration failed (with its name and PostgreSQL's message).
    pub(super) async fn run(&self, endpoint: &Endpoint) -> Result<Template> {
        let (client, maintenance) = self.connect_maintenance(endpoint).await?;
        let mut setup =
            Setup::begin(client, maintenance, &self.database, &self.who, self.fsync).await?;
        if !setup.is_done(&self.marker) {
            self.migrate(endpoint).await?;
            setup.make_template(&self.marker).await?;
        }
        setup.finish().await
    }

    /// A connection to the first maintenance database that exists. The readiness probe
    /// logged in a moment ago, so one pass over the candidates is enough.
    async fn connect_maintenance(
        &self,
        endpoint: &Endpoint,
    ) -> Result<(tokio_postgres::Client, &'static str)> {
        let candidates = admin::maintenance_databases(&self.database);
        let mut last = None;
        for database in candidates {
            match connect_on_engine(endpoint.config(database)).await {
                Ok(client) => return Ok((client, database)),
                Err(err) if err.is_missing_database() => last = Some((err, *database)),
                Err(err) => return Err(connect_failed(err, &self.who, endpoint, database)),
            }
        }
        let (err, database) = last.unwrap_or((ConnectError::TimedOut, "postgres"));
        Err(connect_failed(err, &self.who, endpoint, database))
    }

    async fn migrate(&self, endpoint: &Endpoint) -> Result<()> {
        let on = format!("{}, database '{}'", self.who, self.database);
        match &self.migrations {
            Some(Loaded::Files(files)) => {
                let mut client = connect_on_engine(endpoint.config(&self.database))
                    .await
                    .map_err(|err| connect_failed(err, &self.who, endpoint, &self.database))?;
                migrations::apply_files(&mut client, files, &on).await
            }
            Some(Loaded::Run(step, _)) => {
                let url = endpoint.url(&self.database);
                let masked = endpoint.masked_url(&self.database);
                migrations::run_step(step, url, &masked, self.password.expose(), &on).await
            }
            None => Ok(()),
        }
    }
}

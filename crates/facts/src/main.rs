//! `cargo run -p facts-service`: serves the facts API on 127.0.0.1:8080. Without
//! `DATABASE_URL` or `REDIS_URL` it starts PostgreSQL and Redis through throwaway (dev mode)
//! and removes them on Ctrl-C or SIGTERM. `facts-service --help` lists the settings.

mod dev;

use std::error::Error;
use std::io::IsTerminal;
use std::process::ExitCode;

use facts_service::cache::Cache;
use facts_service::config::{Config, HELP};
use facts_service::db::Db;
use facts_service::upstream::FactSource;
use facts_service::{app, AppState};
use tracing_subscriber::EnvFilter;

type BoxError = Box<dyn Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            "-V" | "--version" => {
                println!("facts-service {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("facts-service: unknown argument {other:?}; see --help");
                return ExitCode::from(2);
            }
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("facts-service: {error}");
            return ExitCode::from(2);
        }
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), BoxError> {
    // Listen for signals before anything starts, so that none goes unhandled.
    let mut shutdown = Shutdown::listen()?;
    let want_postgres = config.database_url.is_none();
    let want_redis = config.redis_url.is_none();
    let services = if want_postgres || want_redis {
        tracing::info!("dev mode: starting what is missing (no DATABASE_URL/REDIS_URL)");
        let start = dev::Services::start(want_postgres, want_redis);
        tokio::pin!(start);
        tokio::select! {
            started = &mut start => Some(started?),
            signal = shutdown.wait() => {
                // Let the start finish, so that its containers are removed here and now.
                tracing::info!("{signal}: stopping once the containers are up, to remove them");
                tokio::select! {
                    started = &mut start => {
                        if let Ok(services) = started {
                            services.remove().await;
                        }
                    }
                    signal = shutdown.wait() => {
                        tracing::warn!("{signal} again: leaving the containers to the reaper");
                    }
                }
                return Ok(());
            }
        }
    } else {
        None
    };
    let database_url = config
        .database_url
        .clone()
        .or_else(|| services.as_ref()?.postgres_url())
        .ok_or("dev mode started no PostgreSQL")?;
    let redis_url = config
        .redis_url
        .clone()
        .or_else(|| services.as_ref()?.redis_url())
        .ok_or("dev mode started no Redis")?;
    let served = serve(&config, &database_url, &redis_url, shutdown).await;
    if let Some(services) = services {
        services.remove().await;
    }
    served
}

async fn serve(
    config: &Config,
    database_url: &str,
    redis_url: &str,
    mut shutdown: Shutdown,
) -> Result<(), BoxError> {
    let db = Db::new(database_url)?;
    let applied = db
        .migrate()
        .await
        .map_err(|e| format!("PostgreSQL at {}: {e}", db.target()))?;
    tracing::info!(
        "PostgreSQL at {} is ready; {} migration(s) applied now",
        db.target(),
        applied.len()
    );
    let cache = Cache::new(redis_url)?;
    if let Err(error) = cache.ping().await {
        tracing::warn!("Redis: {error}; /facts/today works without its cache until it is up");
    }
    let facts = match &config.upstream_url {
        Some(url) => FactSource::upstream(url, config.upstream_timeout)?,
        None => FactSource::catalog(),
    };
    tracing::info!("facts from {facts:?}");
    let listener = tokio::net::TcpListener::bind(config.bind_address)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind_address))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(AppState::new(db, cache, facts)))
        .with_graceful_shutdown(async move {
            let signal = shutdown.wait().await;
            tracing::info!("{signal}: finishing the requests under way, then stopping");
        })
        .await?;
    Ok(())
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM (what `docker stop` and `kill` send).
struct Shutdown {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn listen() -> std::io::Result<Shutdown> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Shutdown {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Shutdown {})
    }

    /// Waits for the next signal and names it.
    async fn wait(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

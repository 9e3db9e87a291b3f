//! A small facts API on PostgreSQL and Redis, and the showcase of how its tests use
//! [throwaway](https://docs.rs/throwaway): real containers, shared by every test, with a
//! fresh database per test.
//!
//! ```no_run
//! use facts_service::{app, cache::Cache, db::Db, upstream::FactSource, AppState};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Db::new("postgres://facts:facts@127.0.0.1:5432/facts")?;
//! db.migrate().await?;
//! let cache = Cache::new("redis://127.0.0.1:6379/0")?;
//! let state = AppState::new(db, cache, FactSource::catalog());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app(state)).await?;
//! # Ok(()) }
//! ```
//!
//! | route | answers |
//! |---|---|
//! | `GET /facts/random` | a random fact, stored in PostgreSQL with its view count |
//! | `GET /facts/today` | today's fact, cached in Redis until the next UTC midnight, also counted |
//! | `GET /facts/{id}` | a fact served before, with its views; 404 if unknown, 400 if `id` is not 32 hex digits |
//! | `GET /health` | `{"postgres":"up","redis":"up"}`; 503 while PostgreSQL is down |
//!
//! Facts come from an upstream in the shape of the useless-facts API
//! ([`FactSource::upstream`](upstream::FactSource::upstream)) or from the [`catalog`]
//! bundled with the service. Errors are JSON, `{"error": "…"}` (see [`error::AppError`]).
//!
//! The layout follows sqlx's axum example: [`app`] builds the router from an [`AppState`],
//! so tests drive it with `tower::ServiceExt::oneshot` and the binary serves it.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cache;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod fact;
pub mod routes;
pub mod upstream;

use axum::routing::get;
use axum::Router;

/// What every handler needs: the database, the cache and where facts come from. Cheap to
/// clone.
#[derive(Clone, Debug)]
pub struct AppState {
    db: db::Db,
    cache: cache::Cache,
    facts: upstream::FactSource,
}

impl AppState {
    /// The state of a service that counts in `db`, caches in `cache` and serves facts from
    /// `facts`.
    pub fn new(db: db::Db, cache: cache::Cache, facts: upstream::FactSource) -> AppState {
        AppState { db, cache, facts }
    }
}

/// The service's router: every route, with `state`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/facts/random", get(routes::random))
        .route("/facts/today", get(routes::today))
        .route("/facts/{id}", get(routes::by_id))
        .route("/health", get(routes::health))
        .fallback(routes::no_route)
        .layer(axum::middleware::from_fn(routes::log_request))
        .with_state(state)
}

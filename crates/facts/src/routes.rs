//! The handlers: one function per route.

use std::time::{Duration, Instant};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::clock::UtcDate;
use crate::error::AppError;
use crate::fact::{FactId, MalformedId, ServedFact, StoredFact};
use crate::AppState;

/// How long `/health` waits for each service before calling it down.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /facts/random`: a fact from the source, stored and counted.
pub async fn random(State(state): State<AppState>) -> Result<Json<ServedFact>, AppError> {
    let fact = state.facts.random().await?;
    let views = state.db.record_view(&fact).await?;
    Ok(Json(ServedFact { fact, views }))
}

/// `GET /facts/today`: today's fact, from the Redis cache when it has it, else from the
/// source; stored and counted either way.
///
/// The order keeps the stores consistent: nothing is written unless the source gave a fact,
/// and Redis only gets a fact once PostgreSQL has it. Without Redis, the fact still comes
/// from the source and is counted.
pub async fn today(State(state): State<AppState>) -> Result<Json<ServedFact>, AppError> {
    let date = UtcDate::today();
    let (cached, cache_works) = match state.cache.today(date).await {
        Ok(cached) => (cached, true),
        Err(error) => {
            tracing::warn!("Redis: {error}; serving today's fact without the cache");
            (None, false)
        }
    };
    let from_cache = cached.is_some();
    let fact = match cached {
        Some(fact) => fact,
        None => state.facts.today(date).await?,
    };
    let views = state.db.record_view(&fact).await?;
    if !from_cache && cache_works {
        if let Err(error) = state.cache.remember_today(date, &fact).await {
            tracing::warn!("Redis: {error}; today's fact stays uncached");
        }
    }
    Ok(Json(ServedFact { fact, views }))
}

/// `GET /facts/{id}`: a fact served before, with its views. Looking a fact up does not
/// count as a view.
pub async fn by_id(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<StoredFact>, AppError> {
    let id = match id {
        Ok(Path(id)) => FactId::parse(&id)?,
        // Only a path segment that is not UTF-8 once percent-decoded gets here.
        Err(_) => return Err(MalformedId::not_utf8().into()),
    };
    match state.db.fact(&id).await? {
        Some(fact) => Ok(Json(fact)),
        None => Err(AppError::NotFound(id)),
    }
}

/// What `/health` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// `"up"` or `"down"`.
    pub postgres: &'static str,
    /// `"up"` or `"down"`.
    pub redis: &'static str,
}

/// `GET /health`: whether PostgreSQL and Redis answer, checked at once. 200 while
/// PostgreSQL is up (the service works without Redis), 503 when it is down.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (postgres, redis) = tokio::join!(
        tokio::time::timeout(HEALTH_TIMEOUT, state.db.ping()),
        tokio::time::timeout(HEALTH_TIMEOUT, state.cache.ping()),
    );
    let postgres_up = matches!(postgres, Ok(Ok(())));
    let redis_up = matches!(redis, Ok(Ok(())));
    let status = if postgres_up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |up| if up { "up" } else { "down" };
    (
        status,
        Json(Health {
            postgres: word(postgres_up),
            redis: word(redis_up),
        }),
    )
}

/// Any other path: a 404 in JSON, like every other error.
pub async fn no_route(method: Method, uri: Uri) -> AppError {
    AppError::NoRoute(method, uri)
}

/// Logs each request with its status and how long it took.
pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let began = Instant::now();
    let response = next.run(request).await.into_response();
    tracing::info!(
        status = response.status().as_u16(),
        elapsed_ms = began.elapsed().as_millis() as u64,
        "{method} {path}"
    );
    response
}

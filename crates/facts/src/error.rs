//! What the API answers when something fails: a status and `{"error": "…"}`.

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::db::DbError;
use crate::fact::{FactId, MalformedId};
use crate::upstream::UpstreamError;

/// A request that could not be served. Each kind has its status:
///
/// | kind | status |
/// |---|---|
/// | [`MalformedId`](AppError::MalformedId) | 400 |
/// | [`NotFound`](AppError::NotFound), [`NoRoute`](AppError::NoRoute) | 404 |
/// | [`Upstream`](AppError::Upstream) | 502 |
/// | [`Database`](AppError::Database) | 503 if PostgreSQL is unavailable, else 500 |
#[derive(Debug)]
pub enum AppError {
    /// The path names something that is not a fact id.
    MalformedId(MalformedId),
    /// No fact with this id was ever served.
    NotFound(FactId),
    /// No route matches.
    NoRoute(Method, Uri),
    /// The upstream gave no fact.
    Upstream(UpstreamError),
    /// PostgreSQL failed.
    Database(DbError),
}

/// The body of every error answer.
#[derive(Debug, serde::Serialize)]
struct ErrorBody {
    error: String,
}

impl AppError {
    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::MalformedId(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) | AppError::NoRoute(..) => StatusCode::NOT_FOUND,
            AppError::Upstream(_) => StatusCode::BAD_GATEWAY,
            AppError::Database(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message for the client. Server-side details (URLs, driver messages) go to the
    /// log instead.
    pub fn message(&self) -> String {
        match self {
            AppError::MalformedId(e) => e.to_string(),
            AppError::NotFound(id) => format!("no fact with id {id} has been served"),
            AppError::NoRoute(method, uri) => format!(
                "no route for {method} {}; try /facts/random, /facts/today, /facts/{{id}} \
                 or /health",
                uri.path()
            ),
            AppError::Upstream(e) => e.public_message(),
            AppError::Database(e) if e.is_unavailable() => {
                "PostgreSQL is unavailable, so facts cannot be served or looked up now; \
                 try again later"
                    .to_string()
            }
            AppError::Database(_) => "PostgreSQL refused the request".to_string(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            AppError::Upstream(e) => tracing::warn!("upstream: {e}"),
            AppError::Database(e) => tracing::error!("PostgreSQL: {e}"),
            _ => {}
        }
        let body = ErrorBody {
            error: self.message(),
        };
        (status, Json(body)).into_response()
    }
}

impl From<UpstreamError> for AppError {
    fn from(error: UpstreamError) -> Self {
        AppError::Upstream(error)
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        AppError::Database(error)
    }
}

impl From<MalformedId> for AppError {
    fn from(error: MalformedId) -> Self {
        AppError::MalformedId(error)
    }
}

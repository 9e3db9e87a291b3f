//! PostgreSQL or Redis unreachable: what still works, what fails and how, and what
//! `/health` says.

use axum::http::StatusCode;
use facts_service::cache::Cache;
use facts_service::db::Db;
use facts_service::upstream::FactSource;
use facts_service::{app, AppState};
use serde_json::json;
use throwaway::postgres::TestDatabase;
use throwaway::redis::RedisDatabase;

use crate::support::{closed_port, get, Service, PG, REDIS, UNKNOWN_ID};

#[throwaway::test(skip_without_engine)]
async fn health_says_up_when_both_answer(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let service = Service::new(db, redis, FactSource::catalog());
    let (status, body) = service.get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"postgres": "up", "redis": "up"}));
}

#[throwaway::test(skip_without_engine)]
async fn without_redis_today_still_answers_and_health_says_redis_is_down(
    #[from(PG)] db: TestDatabase,
) {
    let no_redis = format!("redis://127.0.0.1:{}/0", closed_port());
    let app = app(AppState::new(
        Db::new(db.url()).unwrap(),
        Cache::new(&no_redis).unwrap(),
        FactSource::catalog(),
    ));

    for views in 1..=2 {
        let (status, body) = get(&app, "/facts/today").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["views"], views, "counted in PostgreSQL all the same");
    }
    let (status, body) = get(&app, "/facts/random").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = get(&app, "/health").await;
    assert_eq!(status, StatusCode::OK, "the service works without Redis");
    assert_eq!(body, json!({"postgres": "up", "redis": "down"}));
}

#[throwaway::test(skip_without_engine)]
async fn without_postgres_facts_are_503_with_a_clear_error_and_nothing_is_cached(
    #[from(REDIS)] redis: RedisDatabase,
) {
    let no_postgres = format!("postgres://facts:facts@127.0.0.1:{}/facts", closed_port());
    let app = app(AppState::new(
        Db::new(&no_postgres).unwrap(),
        Cache::new(redis.url()).unwrap(),
        FactSource::catalog(),
    ));

    for path in [
        "/facts/random",
        "/facts/today",
        &format!("/facts/{UNKNOWN_ID}"),
    ] {
        let (status, body) = get(&app, path).await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "GET {path}: {body}"
        );
        let message = body["error"].as_str().unwrap_or_default();
        assert!(
            message.contains("PostgreSQL is unavailable"),
            "GET {path}: {body}"
        );
    }
    let keys: i64 = redis::cmd("DBSIZE")
        .query_async(&mut redis.async_connection().await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        keys, 0,
        "a fact that could not be counted is not cached either"
    );

    let (status, body) = get(&app, "/facts/nonsense").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "ids are checked first: {body}"
    );

    let (status, body) = get(&app, "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, json!({"postgres": "down", "redis": "up"}));
}

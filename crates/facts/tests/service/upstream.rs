//! Facts from an upstream HTTP API, a real server on 127.0.0.1, and what happens when it
//! fails: a 502 with a JSON error, and nothing written to PostgreSQL or Redis.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{json, Value};

use throwaway::postgres::TestDatabase;
use throwaway::redis::RedisDatabase;

use crate::require_engine;
use crate::support::{service, upstream_fact, Answer, FakeUpstream, Service, PG, REDIS};

const ID: &str = "ce4eb6da8e4e5b43e407326254446615";
const PATHS: [&str; 2] = ["/facts/random", "/facts/today"];

/// Asks both fact routes, expects a 502 with a JSON error from each, and checks that
/// nothing was stored or cached. Returns the error messages.
async fn expect_bad_gateway(service: &Service) -> Vec<String> {
    let mut messages = Vec::new();
    for path in PATHS {
        let (status, body) = service.get(path).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "GET {path}: {body}");
        let message = body["error"].as_str().unwrap_or_else(|| {
            panic!("GET {path}: the body should be {{\"error\": …}}, is {body}")
        });
        messages.push(message.to_string());
    }
    assert_eq!(service.stored_facts().await, 0, "nothing in PostgreSQL");
    assert_eq!(service.cached_keys().await, 0, "nothing in Redis");
    messages
}

#[throwaway::test(skip_without_engine)]
async fn facts_come_from_the_upstream_and_are_stored_as_it_sent_them(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let fact = upstream_fact(ID);
    let upstream = FakeUpstream::start(Answer::Json(fact.clone())).await;
    let service = Service::new(db, redis, upstream.source(Duration::from_secs(5)));

    for path in PATHS {
        let (status, body) = service.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        let mut served = body.clone();
        served.as_object_mut().unwrap().remove("views");
        assert_eq!(
            served, fact,
            "GET {path} serves the upstream's fact as it is"
        );
    }
    assert_eq!(
        upstream.requests(),
        [
            "/api/v2/facts/random?language=en",
            "/api/v2/facts/today?language=en"
        ]
    );
    let row = service
        .pg()
        .await
        .query_one(
            "SELECT text, source, source_url, language, permalink, views FROM facts \
             WHERE id = $1",
            &[&ID],
        )
        .await
        .unwrap();
    let stored = json!({
        "id": ID,
        "text": row.get::<_, &str>(0),
        "source": row.get::<_, &str>(1),
        "source_url": row.get::<_, &str>(2),
        "language": row.get::<_, &str>(3),
        "permalink": row.get::<_, &str>(4),
    });
    assert_eq!(stored, fact);
    assert_eq!(row.get::<_, i64>(5), 2);
}

#[throwaway::test(skip_without_engine)]
async fn an_upstream_500_is_a_502_and_nothing_is_written(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let upstream = FakeUpstream::start(Answer::Status(StatusCode::INTERNAL_SERVER_ERROR)).await;
    let service = Service::new(db, redis, upstream.source(Duration::from_secs(5)));

    for message in expect_bad_gateway(&service).await {
        assert!(message.contains("500"), "{message}");
        assert!(
            !message.contains("127.0.0.1"),
            "clients do not learn the upstream's address"
        );
    }
    assert_eq!(upstream.requests().len(), 2);
}

#[throwaway::test(skip_without_engine)]
async fn an_upstream_that_takes_too_long_is_a_502_and_nothing_is_written(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let slow = Answer::Slowly(Duration::from_secs(30), upstream_fact(ID));
    let upstream = FakeUpstream::start(slow).await;
    let service = Service::new(db, redis, upstream.source(Duration::from_millis(300)));

    let began = Instant::now();
    for message in expect_bad_gateway(&service).await {
        assert!(
            message.contains("did not answer within 300 ms"),
            "{message}"
        );
    }
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "the timeout cut the wait short: {:?}",
        began.elapsed()
    );
}

#[tokio::test]
async fn malformed_upstream_answers_are_502s_and_nothing_is_written() {
    require_engine!();
    let answers: [(&str, Answer); 7] = [
        ("cut short", Answer::Body(r#"{"id": "ce4eb6da8e4e5b43e4"#)),
        ("not JSON", Answer::Body("<html>Service Unavailable</html>")),
        ("a list", Answer::Json(json!([upstream_fact(ID)]))),
        (
            "no id",
            Answer::Json(json!({"text": "A fact without an id."})),
        ),
        (
            "a short id",
            Answer::Json(json!({"id": "42", "text": "Too short."})),
        ),
        ("no text", Answer::Json(json!({"id": ID}))),
        ("blank text", Answer::Json(json!({"id": ID, "text": "  "}))),
    ];
    for (what, answer) in answers {
        let upstream = FakeUpstream::start(answer).await;
        let service = service(upstream.source(Duration::from_secs(5))).await;
        for message in expect_bad_gateway(&service).await {
            assert!(
                message.contains("not a fact"),
                "an upstream answer with {what}: {message}"
            );
        }
    }
}

#[throwaway::test(skip_without_engine)]
async fn an_upstream_that_cannot_be_reached_is_a_502_and_nothing_is_written(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let url = format!("http://127.0.0.1:{}", crate::support::closed_port());
    let source =
        facts_service::upstream::FactSource::upstream(&url, Duration::from_secs(5)).unwrap();
    let service = Service::new(db, redis, source);
    for message in expect_bad_gateway(&service).await {
        assert!(message.contains("cannot be reached"), "{message}");
    }
}

#[tokio::test]
async fn a_cached_fact_is_served_even_while_the_upstream_fails() {
    require_engine!();
    let good = FakeUpstream::start(Answer::Json(upstream_fact(ID))).await;
    let service_with_good = service(good.source(Duration::from_secs(5))).await;
    let (status, first) = service_with_good.get("/facts/today").await;
    assert_eq!(status, StatusCode::OK, "{first}");

    // The same databases, now with an upstream that fails.
    let failing = FakeUpstream::start(Answer::Status(StatusCode::SERVICE_UNAVAILABLE)).await;
    let state = facts_service::AppState::new(
        facts_service::db::Db::new(service_with_good.db.url()).unwrap(),
        facts_service::cache::Cache::new(service_with_good.redis.url()).unwrap(),
        failing.source(Duration::from_secs(5)),
    );
    let app = facts_service::app(state);
    let (status, second) = crate::support::get(&app, "/facts/today").await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["views"], Value::from(2));
    assert!(
        failing.requests().is_empty(),
        "today's fact came from Redis"
    );
    let (status, _) = crate::support::get(&app, "/facts/random").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
}

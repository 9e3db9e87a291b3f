//! The seed's two tests: what `/facts/random` and `/facts/today` leave in PostgreSQL and
//! Redis.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use facts_service::cache::today_key;
use facts_service::catalog;
use facts_service::clock::UtcDate;
use facts_service::upstream::FactSource;
use serde_json::Value;

use throwaway::postgres::TestDatabase;
use throwaway::redis::RedisDatabase;

use crate::support::{Service, PG, REDIS};

#[throwaway::test(skip_without_engine)]
async fn random_returns_a_fact_that_is_a_row_in_postgres(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let service = Service::new(db, redis, FactSource::catalog());

    let (status, body) = service.get("/facts/random").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["id"].as_str().expect("an id");

    let row = service
        .pg()
        .await
        .query_opt("SELECT text, views FROM facts WHERE id = $1", &[&id])
        .await
        .unwrap()
        .expect("a row for the fact served");
    assert_eq!(row.get::<_, &str>(0), body["text"]);
    assert_eq!(row.get::<_, i64>(1), 1);
    assert_eq!(body["views"], 1);
}

#[throwaway::test(skip_without_engine)]
async fn today_is_in_postgres_and_in_redis_until_the_next_utc_midnight(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let service = Service::new(db, redis, FactSource::catalog());

    let before = UtcDate::today();
    let (status, body) = service.get("/facts/today").await;
    let date = UtcDate::today();
    assert_eq!(status, StatusCode::OK, "{body}");
    // A run that crosses midnight cannot know which day the service saw.
    if before != date {
        eprintln!("midnight passed during the request: not checking the day");
        return;
    }
    let id = body["id"].as_str().expect("an id");
    assert_eq!(
        id,
        catalog::for_date(date).id.as_str(),
        "the catalog's fact of the day"
    );

    let stored = service
        .pg()
        .await
        .query_opt("SELECT views FROM facts WHERE id = $1", &[&id])
        .await
        .unwrap()
        .expect("a row for today's fact");
    assert_eq!(stored.get::<_, i64>(0), 1);

    let key = today_key(date);
    let mut redis = service.redis().await;
    let cached: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap_or_else(|e| panic!("{key} is not cached: {e}"));
    let cached: Value = serde_json::from_str(&cached).unwrap();
    let mut served = body.clone();
    served.as_object_mut().unwrap().remove("views");
    assert_eq!(
        cached, served,
        "Redis holds the fact served (views change, so not them)"
    );

    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    let expires_at: i64 = redis::cmd("EXPIRETIME")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let midnight = date.next_midnight();
    assert!(ttl > 0, "TTL {ttl}");
    assert!(
        (now + ttl - midnight).abs() <= 5,
        "TTL {ttl} s from {now} should end at the next UTC midnight, {midnight}"
    );
    assert_eq!(expires_at, midnight, "the key expires at midnight exactly");
}

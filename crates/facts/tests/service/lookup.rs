//! `/facts/{id}`: stored facts with their views, unknown ids, malformed ids, and paths that
//! are no route at all.

use axum::http::StatusCode;
use facts_service::upstream::FactSource;

use throwaway::postgres::TestDatabase;
use throwaway::redis::RedisDatabase;

use crate::support::{Service, PG, REDIS, UNKNOWN_ID};

/// Whether `text` reads like `2026-11-21T09:14:03.123456Z`.
fn is_utc_timestamp(text: &str) -> bool {
    text.len() == 27 && text.ends_with('Z') && text.as_bytes()[10] == b'T'
}

#[throwaway::test(skip_without_engine)]
async fn a_served_fact_is_found_by_its_id_in_either_case(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let service = Service::new(db, redis, FactSource::catalog());
    let (_, served) = service.get("/facts/random").await;
    let id = served["id"].as_str().unwrap();

    for asked in [id.to_string(), id.to_ascii_uppercase()] {
        let (status, stored) = service.get(&format!("/facts/{asked}")).await;
        assert_eq!(status, StatusCode::OK, "{stored}");
        assert_eq!(stored["id"], id);
        assert_eq!(stored["text"], served["text"]);
        assert_eq!(stored["permalink"], served["permalink"]);
        assert_eq!(stored["views"], 1);
        for field in ["first_seen", "last_seen"] {
            let at = stored[field].as_str().unwrap_or_default();
            assert!(is_utc_timestamp(at), "{field}: {at:?}");
        }
    }
}

#[throwaway::test(skip_without_engine)]
async fn an_unknown_id_is_a_404(#[from(PG)] db: TestDatabase, #[from(REDIS)] redis: RedisDatabase) {
    let service = Service::new(db, redis, FactSource::catalog());
    let (status, body) = service.get(&format!("/facts/{UNKNOWN_ID}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let message = body["error"].as_str().unwrap();
    assert!(message.contains(UNKNOWN_ID), "{message}");
}

#[throwaway::test(skip_without_engine)]
async fn a_malformed_id_is_a_400(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let service = Service::new(db, redis, FactSource::catalog());
    for id in [
        "42",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "3b7d57857519845b3252510257792f7d0",
        "3b7d5785-7519-845b-3252-510257792f7d",
        "%27%20OR%201=1",
        "%FF",
    ] {
        let (status, body) = service.get(&format!("/facts/{id}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "/facts/{id}: {body}");
        let message = body["error"].as_str().unwrap();
        assert!(message.contains("32 hexadecimal digits"), "{message}");
    }
}

#[throwaway::test(skip_without_engine)]
async fn a_path_that_is_no_route_is_a_json_404(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let service = Service::new(db, redis, FactSource::catalog());
    for path in ["/", "/facts", "/facts/random/more"] {
        let (status, body) = service.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("no route"),
            "{body}"
        );
    }
}

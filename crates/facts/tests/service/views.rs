//! View counts: every serving counts once, also when many come at once.

use std::time::Duration;

use axum::http::StatusCode;

use throwaway::postgres::TestDatabase;
use throwaway::redis::RedisDatabase;

use crate::require_engine;
use crate::support::{get, service, upstream_fact, Answer, FakeUpstream, Service, PG, REDIS};

const ID: &str = "3b7d57857519845b3252510257792f7d";

#[throwaway::test(skip_without_engine)]
async fn serving_the_same_fact_n_times_counts_n(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let upstream = FakeUpstream::start(Answer::Json(upstream_fact(ID))).await;
    let service = Service::new(db, redis, upstream.source(Duration::from_secs(5)));

    for n in 1..=5 {
        let (status, body) = service.get("/facts/today").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["id"], ID);
        assert_eq!(body["views"], n, "serving {n}");
    }
    assert_eq!(
        upstream.requests(),
        ["/api/v2/facts/today?language=en"],
        "the first serving asked the upstream; the others came from Redis"
    );

    let (status, stored) = service.get(&format!("/facts/{ID}")).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["views"], 5);
    let (_, again) = service.get(&format!("/facts/{ID}")).await;
    assert_eq!(again["views"], 5, "looking a fact up is not a view");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_servings_lose_no_view() {
    require_engine!();
    let upstream = FakeUpstream::start(Answer::Json(upstream_fact(ID))).await;
    let service = service(upstream.source(Duration::from_secs(10))).await;

    let servings: Vec<_> = (0..50)
        .map(|_| {
            let app = service.app.clone();
            tokio::spawn(async move { get(&app, "/facts/random").await })
        })
        .collect();
    let mut views = Vec::new();
    for serving in servings {
        let (status, body) = serving.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        views.push(body["views"].as_i64().unwrap());
    }
    views.sort_unstable();
    assert_eq!(
        views,
        (1..=50).collect::<Vec<i64>>(),
        "each serving saw its own count: none was lost or counted twice"
    );

    let row = service
        .pg()
        .await
        .query_one("SELECT views FROM facts WHERE id = $1", &[&ID])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 50);
    assert_eq!(upstream.requests().len(), 50);
}

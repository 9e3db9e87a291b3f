//! The one test through a real socket: the router served by axum on 127.0.0.1, asked by a
//! real HTTP client.

use std::time::Duration;

use facts_service::upstream::FactSource;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use throwaway::postgres::TestDatabase;
use throwaway::redis::RedisDatabase;

use crate::support::{Service, PG, REDIS};

#[throwaway::test(skip_without_engine)]
async fn serves_over_a_real_socket(
    #[from(PG)] db: TestDatabase,
    #[from(REDIS)] redis: RedisDatabase,
) {
    let service = Service::new(db, redis, FactSource::catalog());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = service.app.clone();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let get = |path: String| {
        let client = client.clone();
        async move {
            let uri = format!("http://{address}{path}").parse().unwrap();
            let response = tokio::time::timeout(Duration::from_secs(10), client.get(uri))
                .await
                .expect("an answer within 10 s")
                .expect("an answer");
            let status = response.status().as_u16();
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(content_type, "application/json", "GET {path}");
            (status, serde_json::from_slice::<Value>(&body).unwrap())
        }
    };

    let (status, health) = get("/health".into()).await;
    assert_eq!(
        (status, health.to_string()),
        (200, r#"{"postgres":"up","redis":"up"}"#.into())
    );

    let (status, served) = get("/facts/today".into()).await;
    assert_eq!(status, 200, "{served}");
    let id = served["id"].as_str().unwrap().to_string();

    let (status, stored) = get(format!("/facts/{id}")).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["views"], 1);
    assert_eq!(stored["text"], served["text"]);

    let (status, missing) = get("/facts/ffffffffffffffffffffffffffffffff".into()).await;
    assert_eq!(status, 404, "{missing}");

    server.abort();
}

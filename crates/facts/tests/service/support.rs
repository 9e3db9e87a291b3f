//! Shared helpers: the engine check, the shared containers, a service per test, a fake
//! upstream, and requests through the router.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use facts_service::cache::Cache;
use facts_service::db::Db;
use facts_service::upstream::FactSource;
use facts_service::{app, AppState};
use http_body_util::BodyExt;
use redis::aio::MultiplexedConnection;
use serde_json::{json, Value};
use throwaway::postgres::tokio_postgres::Client;
use throwaway::postgres::{Migrations, Postgres, TestDatabase};
use throwaway::redis::{Redis, RedisDatabase};
use throwaway::Shared;
use tower::ServiceExt;

/// One PostgreSQL for the whole test binary, migrated once with the service's own
/// migrations; every test clones a fresh database from it.
pub static PG: Shared<Postgres> = Shared::new(|| {
    Postgres::new("postgres:15")
        .user("facts")
        .password("facts")
        .database("facts")
        .migrations(Migrations::dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations"
        )))
});

/// One Redis for the whole test binary; every test gets a logical database of its own.
pub static REDIS: Shared<Redis> = Shared::new(|| Redis::new("redis:7.0"));

/// A fact id no test stores.
pub const UNKNOWN_ID: &str = "00000000000000000000000000000000";

/// Whether an engine answers, for the tests that are not `#[throwaway::test]`s; with `CI` set, a missing engine is a failure, not a skip
/// (the library's own rule: [`throwaway::skip_without_engine`]).
pub fn engine_available() -> bool {
    !throwaway::skip_without_engine()
}

/// Returns early from a test (printing why) when no engine is reachable outside CI.
#[macro_export]
macro_rules! require_engine {
    () => {
        if !$crate::support::engine_available() {
            return;
        }
    };
}

/// The service of one test, on databases of its own.
pub struct Service {
    /// The router, to drive with [`get`] (or serve on a socket).
    pub app: Router,
    /// This test's PostgreSQL database; dropped with the test.
    pub db: TestDatabase,
    /// This test's Redis database.
    pub redis: RedisDatabase,
    /// The test's own client of its database, made on first use: each new connection
    /// costs a SCRAM login, which is slow in a debug build.
    checker: tokio::sync::OnceCell<Client>,
}

/// A service whose facts come from `facts`, on a fresh PostgreSQL database and a fresh Redis
/// database, both on the shared containers (started by the first test that asks), for a
/// test that needs several services; a `#[throwaway::test]` that needs one is handed its
/// databases and calls [`Service::new`].
pub async fn service(facts: FactSource) -> Service {
    let (pg, redis) = tokio::try_join!(PG.get(), REDIS.get()).expect("starting the containers");
    let (db, redis) =
        tokio::try_join!(pg.fresh_database(), redis.fresh_database()).expect("fresh databases");
    Service::new(db, redis, facts)
}

impl Service {
    /// The service on the test's own databases, with facts from `facts`.
    pub fn new(db: TestDatabase, redis: RedisDatabase, facts: FactSource) -> Service {
        let state = AppState::new(
            Db::new(db.url()).unwrap(),
            Cache::new(redis.url()).unwrap(),
            facts,
        );
        Service {
            app: app(state),
            db,
            redis,
            checker: tokio::sync::OnceCell::new(),
        }
    }

    /// `GET path` through the router: the status and the JSON body.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        get(&self.app, path).await
    }

    /// A client of this test's PostgreSQL database, to check what the service stored.
    pub async fn pg(&self) -> &Client {
        self.checker
            .get_or_init(|| async {
                self.db
                    .client()
                    .await
                    .expect("a client of the test database")
            })
            .await
    }

    /// A connection to this test's Redis database.
    pub async fn redis(&self) -> MultiplexedConnection {
        self.redis
            .async_connection()
            .await
            .expect("a Redis connection")
    }

    /// How many facts PostgreSQL holds.
    pub async fn stored_facts(&self) -> i64 {
        self.pg()
            .await
            .query_one("SELECT count(*) FROM facts", &[])
            .await
            .unwrap()
            .get(0)
    }

    /// How many keys the test's Redis database holds.
    pub async fn cached_keys(&self) -> i64 {
        redis::cmd("DBSIZE")
            .query_async(&mut self.redis().await)
            .await
            .unwrap()
    }
}

/// `GET path` through `app`, without a socket: the status and the JSON body. Panics if the
/// body is not JSON: every answer of the service is.
pub async fn get(app: &Router, path: &str) -> (StatusCode, Value) {
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "GET {path}: {status} with a body that is not JSON ({e}): {:?}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "GET {path}"
    );
    (status, body)
}

/// A port on 127.0.0.1 that nothing listens on (it was free a moment ago).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A fact in the useless-facts shape, with id `id`.
pub fn upstream_fact(id: &str) -> Value {
    json!({
        "id": id,
        "text": format!("Fact {id} is true."),
        "source": "djtech.net",
        "source_url": "http://www.djtech.net/humor/useless_facts.htm",
        "language": "en",
        "permalink": format!("https://uselessfacts.jsph.pl/api/v2/facts/{id}"),
    })
}

/// What the fake upstream answers, to every request.
#[derive(Clone)]
pub enum Answer {
    /// 200 with this JSON.
    Json(Value),
    /// This status, with a body that is not a fact.
    Status(StatusCode),
    /// 200 with this body, whatever it is.
    Body(&'static str),
    /// The JSON, but only after this long.
    Slowly(Duration, Value),
}

/// A real HTTP server on 127.0.0.1, in the shape of the useless-facts API, that answers
/// every request alike and records what it was asked. Stops when dropped.
pub struct FakeUpstream {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeUpstream {
    /// Starts one on a free port.
    pub async fn start(answer: Answer) -> FakeUpstream {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let router = Router::new().fallback(move |uri: Uri| {
            let answer = answer.clone();
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(uri.to_string());
                match answer {
                    Answer::Json(json) => axum::Json(json).into_response(),
                    Answer::Status(status) => (status, "upstream trouble").into_response(),
                    Answer::Body(body) => body.into_response(),
                    Answer::Slowly(after, json) => {
                        tokio::time::sleep(after).await;
                        axum::Json(json).into_response()
                    }
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        FakeUpstream {
            url: format!("http://{address}"),
            requests,
            server,
        }
    }

    /// The paths and queries asked so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// A fact source that asks this upstream, allowing `timeout` per request.
    pub fn source(&self, timeout: Duration) -> FactSource {
        FactSource::upstream(&self.url, timeout).unwrap()
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

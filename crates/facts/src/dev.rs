//! Dev mode: PostgreSQL and Redis in throwaway containers, for a service started without
//! `DATABASE_URL` or `REDIS_URL`.

use throwaway::postgres::{Postgres, PostgresContainer};
use throwaway::redis::{Redis, RedisContainer};

/// The PostgreSQL image dev mode starts.
pub const POSTGRES_IMAGE: &str = "postgres:15";

/// The Redis image dev mode starts.
pub const REDIS_IMAGE: &str = "redis:7.0";

/// The containers dev mode started: those whose URL was missing.
pub struct Services {
    postgres: Option<PostgresContainer>,
    redis: Option<RedisContainer>,
}

impl Services {
    /// Starts PostgreSQL if `postgres`, Redis if `redis`, both at once, and logs where they
    /// listen. If one fails, the other is removed (dropping a container removes it).
    ///
    /// # Errors
    /// Whatever starting a container returned: no Docker engine, a missing image, ….
    pub async fn start(postgres: bool, redis: bool) -> throwaway::Result<Services> {
        let start_postgres = async {
            if !postgres {
                return Ok(None);
            }
            Postgres::new(POSTGRES_IMAGE)
                .user("facts")
                .password("facts")
                .database("facts")
                .start()
                .await
                .map(Some)
        };
        let start_redis = async {
            if !redis {
                return Ok(None);
            }
            Redis::new(REDIS_IMAGE).start().await.map(Some)
        };
        let (postgres, redis) = tokio::try_join!(start_postgres, start_redis)?;
        if let Some(pg) = &postgres {
            tracing::info!(
                "dev mode: PostgreSQL at {} (container {})",
                pg.connection_url(),
                short(pg.container().id())
            );
        }
        if let Some(redis) = &redis {
            tracing::info!(
                "dev mode: Redis at {} (container {})",
                redis.connection_url(),
                short(redis.container().id())
            );
        }
        Ok(Services { postgres, redis })
    }

    /// The URL of the PostgreSQL dev mode started, if it started one.
    pub fn postgres_url(&self) -> Option<String> {
        self.postgres
            .as_ref()
            .map(PostgresContainer::connection_url)
    }

    /// The URL of the Redis dev mode started, if it started one.
    pub fn redis_url(&self) -> Option<String> {
        self.redis.as_ref().map(RedisContainer::connection_url)
    }

    /// Removes the containers, both at once, and logs how it went.
    pub async fn remove(self) {
        let remove_postgres = async {
            if let Some(pg) = self.postgres {
                let id = short(pg.container().id()).to_string();
                report("PostgreSQL", &id, pg.remove().await);
            }
        };
        let remove_redis = async {
            if let Some(redis) = self.redis {
                let id = short(redis.container().id()).to_string();
                report("Redis", &id, redis.remove().await);
            }
        };
        tokio::join!(remove_postgres, remove_redis);
    }
}

fn report(what: &str, id: &str, result: throwaway::Result<()>) {
    match result {
        Ok(()) => tracing::info!("dev mode: removed {what} (container {id})"),
        Err(error) => tracing::error!(
            "dev mode: could not remove {what} (container {id}): {error}; the reaper will"
        ),
    }
}

/// A container id as `docker ps` shows it.
fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

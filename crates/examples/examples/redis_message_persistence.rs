//! cargo run -p throwaway-examples --example redis_message_persistence
//!
//! Messages kept in a Redis list stay there until something removes them: reading them does
//! not, and neither does reconnecting. `main` shows it step by step against a Redis server
//! in a throwaway container; the tests at the bottom check the same as assertions, each in
//! a fresh logical database of one shared server.
//!
//! Uses `redis:7.0`; on an engine that cannot pull, build the local stand-in first with
//! `ci/images/build`. Run the tests with
//! `cargo test -p throwaway-examples --example redis_message_persistence`.

use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use throwaway::redis::Redis;

/// The Redis image, pinned so that every run tests against the same server.
const IMAGE: &str = "redis:7.0";

/// The list the messages are kept in.
const QUEUE: &str = "message_queue";

/// Appends `messages` to the end of the queue, in order (`RPUSH`).
async fn publish(
    connection: &mut MultiplexedConnection,
    messages: &[&str],
) -> redis::RedisResult<()> {
    let _length: usize = connection.rpush(QUEUE, messages).await?;
    Ok(())
}

/// Every message in the queue, oldest first, leaving them in place (`LRANGE 0 -1`).
async fn read_all(connection: &mut MultiplexedConnection) -> redis::RedisResult<Vec<String>> {
    connection.lrange(QUEUE, 0, -1).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let redis = Redis::new(IMAGE).start().await?;
    println!("Redis is ready at {}", redis.connection_url());

    let mut connection = redis.async_connection().await?;
    publish(&mut connection, &["Message 1", "Message 2", "Message 3"]).await?;
    println!("1. published 3 messages to {QUEUE:?}");

    let messages = read_all(&mut connection).await?;
    println!("2. read them back:      {messages:?}");
    let messages = read_all(&mut connection).await?;
    println!("3. read them again:     {messages:?} (reading removes nothing)");

    // A new client and connection: the messages live in the server, not in the connection.
    drop(connection);
    let client = redis::Client::open(redis.connection_url())?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let messages = read_all(&mut connection).await?;
    println!("4. after reconnecting:  {messages:?}");

    // Only an explicit removal takes messages away: LPOP takes the oldest, DEL the rest.
    let oldest: Option<String> = connection.lpop(QUEUE, None).await?;
    let messages = read_all(&mut connection).await?;
    println!("5. popped the oldest:   {oldest:?}, left: {messages:?}");
    let _deleted: usize = connection.del(QUEUE).await?;
    let messages = read_all(&mut connection).await?;
    println!("6. deleted the queue:   {messages:?}");

    redis.remove().await?;
    println!("Redis container removed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use throwaway::Shared;

    /// One server for every test of this file, started by the first test that asks.
    static REDIS: Shared<Redis> = Shared::new(|| Redis::new(IMAGE));

    const MESSAGES: [&str; 2] = ["Message 1", "Message 2"];

    /// A connection to a logical database of this test's own on the shared server, and a
    /// client for reconnecting to it. Without a Docker engine the test is skipped, with the
    /// reason printed, unless `CI` is set: there it fails.
    async fn fresh_queue() -> Option<(redis::Client, MultiplexedConnection)> {
        if throwaway::skip_without_engine() {
            return None;
        }
        let redis = REDIS
            .get()
            .await
            .unwrap_or_else(|err| panic!("could not start Redis: {err:?}"));
        let database = redis.fresh_database().await.expect("a fresh database");
        let client = database.client().expect("a client");
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .expect("a connection");
        Some((client, connection))
    }

    #[tokio::test]
    async fn messages_are_read_back_in_the_order_they_were_published() {
        let Some((_, mut connection)) = fresh_queue().await else {
            return;
        };
        publish(&mut connection, &MESSAGES[..1]).await.unwrap();
        publish(&mut connection, &MESSAGES[1..]).await.unwrap();
        assert_eq!(read_all(&mut connection).await.unwrap(), MESSAGES);
    }

    #[tokio::test]
    async fn reading_leaves_the_messages_in_place() {
        let Some((_, mut connection)) = fresh_queue().await else {
            return;
        };
        publish(&mut connection, &MESSAGES).await.unwrap();
        assert_eq!(read_all(&mut connection).await.unwrap(), MESSAGES);
        assert_eq!(read_all(&mut connection).await.unwrap(), MESSAGES);
    }

    #[tokio::test]
    async fn messages_outlive_the_connection_that_published_them() {
        let Some((client, mut connection)) = fresh_queue().await else {
            return;
        };
        publish(&mut connection, &MESSAGES).await.unwrap();
        drop(connection);
        let mut reconnected = client.get_multiplexed_async_connection().await.unwrap();
        assert_eq!(read_all(&mut reconnected).await.unwrap(), MESSAGES);
    }

    #[tokio::test]
    async fn messages_are_gone_only_once_explicitly_removed() {
        let Some((_, mut connection)) = fresh_queue().await else {
            return;
        };
        publish(&mut connection, &MESSAGES).await.unwrap();

        let oldest: Option<String> = connection.lpop(QUEUE, None).await.unwrap();
        assert_eq!(oldest.as_deref(), Some("Message 1"));
        assert_eq!(read_all(&mut connection).await.unwrap(), ["Message 2"]);

        let deleted: usize = connection.del(QUEUE).await.unwrap();
        assert_eq!(deleted, 1);
        assert!(read_all(&mut connection).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn each_test_has_a_queue_of_its_own() {
        let Some((_, mut mine)) = fresh_queue().await else {
            return;
        };
        let Some((_, mut theirs)) = fresh_queue().await else {
            return;
        };
        publish(&mut mine, &MESSAGES).await.unwrap();
        assert!(read_all(&mut theirs).await.unwrap().is_empty());
    }
}

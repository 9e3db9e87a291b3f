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
    use throwaway::redis::RedisDatabase;
    use throwaway::Shared;

    /// One server for every test of this file, started by the first test that asks. Each
    /// `#[from(REDIS)] queue: RedisDatabase` is a logical database of the test's own.
    /// Without a Docker engine the tests skip, with the reason printed, unless `CI` is
    /// set: there they fail.
    static REDIS: Shared<Redis> = Shared::new(|| Redis::new(IMAGE));

    const MESSAGES: [&str; 2] = ["Message 1", "Message 2"];

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[throwaway::test(skip_without_engine)]
    async fn messages_are_read_back_in_the_order_they_were_published(
        #[from(REDIS)] queue: RedisDatabase,
    ) -> TestResult {
        let mut connection = queue.async_connection().await?;
        publish(&mut connection, &MESSAGES[..1]).await?;
        publish(&mut connection, &MESSAGES[1..]).await?;
        assert_eq!(read_all(&mut connection).await?, MESSAGES);
        Ok(())
    }

    #[throwaway::test(skip_without_engine)]
    async fn reading_leaves_the_messages_in_place(
        #[from(REDIS)] queue: RedisDatabase,
    ) -> TestResult {
        let mut connection = queue.async_connection().await?;
        publish(&mut connection, &MESSAGES).await?;
        assert_eq!(read_all(&mut connection).await?, MESSAGES);
        assert_eq!(read_all(&mut connection).await?, MESSAGES);
        Ok(())
    }

    #[throwaway::test(skip_without_engine)]
    async fn messages_outlive_the_connection_that_published_them(
        #[from(REDIS)] queue: RedisDatabase,
    ) -> TestResult {
        let mut connection = queue.async_connection().await?;
        publish(&mut connection, &MESSAGES).await?;
        drop(connection);
        let mut reconnected = queue.async_connection().await?;
        assert_eq!(read_all(&mut reconnected).await?, MESSAGES);
        Ok(())
    }

    #[throwaway::test(skip_without_engine)]
    async fn messages_are_gone_only_once_explicitly_removed(
        #[from(REDIS)] queue: RedisDatabase,
    ) -> TestResult {
        let mut connection = queue.async_connection().await?;
        publish(&mut connection, &MESSAGES).await?;

        let oldest: Option<String> = connection.lpop(QUEUE, None).await?;
        assert_eq!(oldest.as_deref(), Some("Message 1"));
        assert_eq!(read_all(&mut connection).await?, ["Message 2"]);

        let deleted: usize = connection.del(QUEUE).await?;
        assert_eq!(deleted, 1);
        assert!(read_all(&mut connection).await?.is_empty());
        Ok(())
    }

    #[throwaway::test(skip_without_engine)]
    async fn each_test_has_a_queue_of_its_own(
        #[from(REDIS)] mine: RedisDatabase,
        #[from(REDIS)] theirs: RedisDatabase,
    ) -> TestResult {
        publish(&mut mine.async_connection().await?, &MESSAGES).await?;
        assert!(read_all(&mut theirs.async_connection().await?)
            .await?
            .is_empty());
        Ok(())
    }
}

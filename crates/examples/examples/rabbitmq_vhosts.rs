//! cargo run -p throwaway-examples --example rabbitmq_vhosts
//!
//! Orders queued in RabbitMQ wait in their queue until a consumer takes them, oldest
//! first, and each test's queue is its own: every test gets a vhost (with a user) of its
//! own from one shared broker. The example talks to the broker through its management
//! HTTP API (declare a queue, publish, get), so it needs no AMQP client crate.
//!
//! Uses `rabbitmq:3`; on an engine that cannot pull, build the local stand-in first with
//! `ci/images/build rabbitmq`. Run the tests with
//! `cargo test -p throwaway-examples --example rabbitmq_vhosts`.

use base64::Engine as _;
use throwaway::rabbitmq::{RabbitMq, TestVhost};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The RabbitMQ image, pinned so that every run tests against the same server.
const IMAGE: &str = "rabbitmq:3";

/// A queue in one vhost, reached through the management API as the vhost's own user.
struct Queue {
    port: u16,
    login: String,
    vhost: String,
}

impl Queue {
    /// Declares the queue `orders` in `vhost`.
    async fn declare(port: u16, vhost: &TestVhost) -> std::io::Result<Queue> {
        let queue = Queue {
            port,
            login: format!("{}:{}", vhost.user(), vhost.password()),
            vhost: vhost.name().to_string(),
        };
        let path = format!("/api/queues/{}/orders", queue.vhost);
        queue.call("PUT", &path, r#"{"durable":false}"#).await?;
        Ok(queue)
    }

    async fn call(&self, method: &str, path: &str, body: &str) -> std::io::Result<String> {
        let basic = base64::engine::general_purpose::STANDARD.encode(&self.login);
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let request = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        match response.split_once("\r\n\r\n") {
            Some((head, body)) if head.contains(" 20") => Ok(body.to_string()),
            _ => Err(std::io::Error::other(format!(
                "{method} {path}: {response}"
            ))),
        }
    }

    /// Publishes `order` to the queue (through the default exchange).
    async fn publish(&self, order: &str) -> std::io::Result<()> {
        let path = format!("/api/exchanges/{}/amq.default/publish", self.vhost);
        let body = format!(
            r#"{{"properties":{{}},"routing_key":"orders","payload":"{order}","payload_encoding":"string"}}"#
        );
        let answer = self.call("POST", &path, &body).await?;
        match answer.contains(r#""routed":true"#) {
            true => Ok(()),
            false => Err(std::io::Error::other(answer)),
        }
    }

    /// Takes up to `count` orders off the queue, oldest first.
    async fn take(&self, count: usize) -> std::io::Result<Vec<String>> {
        let path = format!("/api/queues/{}/orders/get", self.vhost);
        let body =
            format!(r#"{{"count":{count},"ackmode":"ack_requeue_false","encoding":"auto"}}"#);
        let answer = self.call("POST", &path, &body).await?;
        Ok(payloads(&answer))
    }
}

/// Just enough reading of the API's JSON for this example: the `payload` of each message
/// (the example's payloads hold no quotes).
fn payloads(json: &str) -> Vec<String> {
    json.split(r#""payload":""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rabbit = RabbitMq::new(IMAGE).start().await?;
    println!("RabbitMQ is ready at {rabbit:?}");
    let vhost = rabbit.fresh_vhost().await?;
    println!("a vhost of our own: {}", vhost.name());

    let port = rabbit
        .management_port()
        .expect("the module enables the management API");
    let queue = Queue::declare(port, &vhost).await?;
    queue.publish("2 x tea").await?;
    queue.publish("1 x coffee").await?;
    println!("1. took the oldest:   {:?}", queue.take(1).await?);
    println!("2. took the rest:     {:?}", queue.take(10).await?);
    println!("3. nothing is left:   {:?}", queue.take(10).await?);

    drop(vhost);
    rabbit.remove().await?;
    println!("RabbitMQ container removed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use throwaway::Shared;

    /// One broker for every test of this file, started by the first test that asks.
    static RABBIT: Shared<RabbitMq> = Shared::new(|| RabbitMq::new(IMAGE));

    /// The queue `orders` in a vhost of this test's own (dropped with the vhost). Without a
    /// Docker engine the test is skipped, with the reason printed, unless `CI` is set.
    async fn own_queue() -> Option<(Queue, TestVhost)> {
        if throwaway::skip_without_engine() {
            return None;
        }
        let rabbit = RABBIT
            .get()
            .await
            .unwrap_or_else(|err| panic!("could not start RabbitMQ: {err:?}"));
        let vhost = rabbit.fresh_vhost().await.expect("a vhost");
        let port = rabbit.management_port().expect("a management port");
        let queue = Queue::declare(port, &vhost).await.expect("a queue");
        Some((queue, vhost))
    }

    #[tokio::test]
    async fn orders_are_taken_oldest_first() {
        let Some((queue, _vhost)) = own_queue().await else {
            return;
        };
        queue.publish("first").await.unwrap();
        queue.publish("second").await.unwrap();
        assert_eq!(queue.take(10).await.unwrap(), ["first", "second"]);
    }

    #[tokio::test]
    async fn a_taken_order_is_gone() {
        let Some((queue, _vhost)) = own_queue().await else {
            return;
        };
        queue.publish("only").await.unwrap();
        assert_eq!(queue.take(1).await.unwrap(), ["only"]);
        assert!(queue.take(10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn every_test_has_its_own_orders_queue() {
        let Some((queue, _vhost)) = own_queue().await else {
            return;
        };
        // The other tests publish to a queue of the same name, in their own vhosts.
        assert!(queue.take(10).await.unwrap().is_empty());
    }
}

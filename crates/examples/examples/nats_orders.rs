//! cargo run -p throwaway-examples --example nats_orders
//!
//! Orders published on NATS reach every subscriber of their subject, and nobody else: a
//! shop publishes `orders.new`, a warehouse listens. `main` shows it against a NATS server
//! with a token, in a throwaway container; the tests at the bottom check the same as
//! assertions, each under a subject prefix of its own on one shared server.
//!
//! Uses `nats:2`; on an engine that cannot pull, build the local stand-in first with
//! `ci/images/build nats`. Run the tests with
//! `cargo test -p throwaway-examples --example nats_orders`.

use std::time::Duration;

use throwaway::nats::Nats;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The NATS image, pinned so that every run tests against the same server.
const IMAGE: &str = "nats:2";

/// The token clients log in with.
const TOKEN: &str = "shop-secret";

/// The smallest NATS client that does the job: CONNECT, SUB, PUB and MSG of the text
/// protocol, with a PING after each command so that the server has it when it returns.
struct Connection {
    stream: BufReader<TcpStream>,
}

impl Connection {
    async fn open(host: &str, port: u16, token: &str) -> std::io::Result<Connection> {
        let mut connection = Connection {
            stream: BufReader::new(TcpStream::connect((host, port)).await?),
        };
        connection.line().await?; // INFO {…}
        let connect = format!("CONNECT {{\"verbose\":false,\"auth_token\":\"{token}\"}}");
        connection.command(&connect).await?;
        Ok(connection)
    }

    async fn line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        Ok(line.trim_end().to_string())
    }

    async fn command(&mut self, command: &str) -> std::io::Result<()> {
        let text = format!("{command}\r\nPING\r\n");
        self.stream.get_mut().write_all(text.as_bytes()).await?;
        match self.line().await?.as_str() {
            "PONG" => Ok(()),
            other => Err(std::io::Error::other(format!("{command}: {other}"))),
        }
    }

    async fn subscribe(&mut self, subject: &str) -> std::io::Result<()> {
        self.command(&format!("SUB {subject} 1")).await
    }

    async fn publish(&mut self, subject: &str, order: &str) -> std::io::Result<()> {
        self.command(&format!("PUB {subject} {}\r\n{order}", order.len()))
            .await
    }

    /// The next order, or `None` if none comes within half a second.
    async fn next_order(&mut self) -> std::io::Result<Option<String>> {
        match tokio::time::timeout(Duration::from_millis(500), self.line()).await {
            Err(_) => Ok(None),
            Ok(header) => {
                header?; // MSG <subject> <sid> <size>
                Ok(Some(self.line().await?))
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nats = Nats::new(IMAGE).token(TOKEN).start().await?;
    println!(
        "NATS is ready at {:?} (monitoring: {})",
        nats,
        nats.monitoring_url()
    );

    let mut warehouse = Connection::open(nats.host(), nats.host_port(), TOKEN).await?;
    warehouse.subscribe("orders.new").await?;
    let mut shop = Connection::open(nats.host(), nats.host_port(), TOKEN).await?;
    shop.publish("orders.new", "2 x tea").await?;
    println!(
        "1. the warehouse got:          {:?}",
        warehouse.next_order().await?
    );
    shop.publish("orders.cancelled", "2 x tea").await?;
    println!(
        "2. ...and of a cancellation:   {:?}",
        warehouse.next_order().await?
    );

    nats.remove().await?;
    println!("NATS container removed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use throwaway::nats::SubjectPrefix;
    use throwaway::Shared;

    /// One server for every test of this file, started by the first test that asks.
    static NATS: Shared<Nats> = Shared::new(|| Nats::new(IMAGE).token(TOKEN));

    /// A shop and a warehouse connection, and this test's own subject prefix. Without a
    /// Docker engine the test is skipped, with the reason printed, unless `CI` is set.
    async fn shop_and_warehouse() -> Option<(Connection, Connection, SubjectPrefix)> {
        if throwaway::skip_without_engine() {
            return None;
        }
        let nats = NATS
            .get()
            .await
            .unwrap_or_else(|err| panic!("could not start NATS: {err:?}"));
        let own = nats.fresh_prefix().await.expect("a subject prefix");
        let open = || Connection::open(nats.host(), nats.host_port(), TOKEN);
        Some((open().await.unwrap(), open().await.unwrap(), own))
    }

    #[tokio::test]
    async fn a_published_order_reaches_the_subscriber() {
        let Some((mut shop, mut warehouse, own)) = shop_and_warehouse().await else {
            return;
        };
        warehouse
            .subscribe(&own.subject("orders.new"))
            .await
            .unwrap();
        shop.publish(&own.subject("orders.new"), "1 x coffee")
            .await
            .unwrap();
        let order = warehouse.next_order().await.unwrap();
        assert_eq!(order.as_deref(), Some("1 x coffee"));
    }

    #[tokio::test]
    async fn other_subjects_do_not_reach_the_subscriber() {
        let Some((mut shop, mut warehouse, own)) = shop_and_warehouse().await else {
            return;
        };
        warehouse
            .subscribe(&own.subject("orders.new"))
            .await
            .unwrap();
        shop.publish(&own.subject("orders.cancelled"), "1 x coffee")
            .await
            .unwrap();
        assert_eq!(warehouse.next_order().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_wildcard_subscriber_gets_every_order_of_its_prefix() {
        let Some((mut shop, mut warehouse, own)) = shop_and_warehouse().await else {
            return;
        };
        warehouse.subscribe(&own.all_subjects()).await.unwrap();
        shop.publish(&own.subject("orders.new"), "a").await.unwrap();
        shop.publish(&own.subject("orders.cancelled"), "b")
            .await
            .unwrap();
        assert_eq!(warehouse.next_order().await.unwrap().as_deref(), Some("a"));
        assert_eq!(warehouse.next_order().await.unwrap().as_deref(), Some("b"));
    }
}

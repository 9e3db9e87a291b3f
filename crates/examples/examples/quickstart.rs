//! cargo run -p throwaway-examples --example quickstart
//!
//! Starts a web server and a client container on a private network, waits until the server
//! answers HTTP, fetches a page from the host and from the client (by the server's alias),
//! then removes everything.
//!
//! Uses `throwaway-test/tools:1`, a small local image; build it first with `ci/images/build`
//! (the engine may not be able to pull anything).

use std::time::Instant;

use throwaway::{ContainerRequest, Network, Wait};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const IMAGE: &str = "throwaway-test/tools:1";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let began = Instant::now();
    let network = Network::new().await?;
    let web = ContainerRequest::new(IMAGE)
        .cmd([
            "sh",
            "-c",
            "echo starting; sleep 1; exec busybox httpd -f -p 8080 -h /www",
        ])
        .exposed_port(8080)
        .network(&network)
        .network_alias("web")
        .wait_for(Wait::http("/health").port(8080).status(200))
        .start()
        .await?;
    let url = format!("http://{}:{}/health", web.host(), web.host_port(8080)?);
    println!("web server ready at {url} after {:.2?}", began.elapsed());

    // From the host, through the published port on 127.0.0.1.
    let mut stream = tokio::net::TcpStream::connect((web.host(), web.host_port(8080)?)).await?;
    stream.write_all(b"GET /health HTTP/1.0\r\n\r\n").await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    println!("host  -> {}", response.lines().next().unwrap_or_default());

    // From another container, by the alias on the private network.
    let client = ContainerRequest::new(IMAGE)
        .cmd(["sleep", "300"])
        .network(&network)
        .start()
        .await?;
    let fetched = client
        .exec(["busybox", "wget", "-q", "-O", "-", "http://web:8080/health"])
        .await?;
    println!(
        "client -> exit {} body {:?}",
        fetched.exit_code,
        fetched.stdout_text().trim()
    );

    client.remove().await?;
    web.remove().await?;
    network.remove().await?;
    println!("removed everything after {:.2?}", began.elapsed());
    Ok(())
}

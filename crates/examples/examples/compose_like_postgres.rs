//! cargo run -p throwaway-examples --example compose_like_postgres
//!
//! A PostgreSQL described by a project's `docker-compose.yml`, reproduced with throwaway: the
//! shape a driver's own test suite often expects (the `rust-postgres` driver's is like it).
//! In compose terms:
//!
//! ```yaml
//! services:
//!   postgres:
//!     image: postgres:15
//!     ports: ["55433:5433"]                 # a fixed host port; the server listens on 5433
//!     environment: { POSTGRES_PASSWORD: postgres }
//!     volumes: ["./setup.sh:/docker-entrypoint-initdb.d/setup.sh"]   # users, TLS-only rule
//!     command: postgres -c ssl=on -c ssl_cert_file=… -c ssl_key_file=…
//! ```
//!
//! and the key file at `0600`, owned by the server's `postgres` user (PostgreSQL refuses a
//! key that others can read). The certificate is made at run time with `openssl` in a
//! short-lived container of the same image, so nothing secret is kept in the repository.
//! Then the example connects from the host and checks that `SHOW ssl` is `on`, that
//! `pass_user` logs in with its password, that `ssl_user` is refused without TLS, and
//! (with `psql` inside the container) that `ssl_user` gets in over TLS.
//!
//! The host port is fixed, as the suite's configuration expects: `55433` unless
//! `THROWAWAY_EXAMPLE_PG_PORT` names another. A fixed port is the exception in throwaway
//! (two runs at once collide; random ports keep tests parallel-safe), and a port already
//! taken fails the start with `ErrorKind::PortTaken`, naming it.
//!
//! Uses `postgres:15`; on an engine that cannot pull, build the local stand-in first with
//! `ci/images/build`. Run the tests with
//! `cargo test -p throwaway-examples --example compose_like_postgres`.

use throwaway::postgres::tokio_postgres::{self, NoTls};
use throwaway::postgres::{Postgres, PostgresContainer};
use throwaway::{ContainerRequest, FileMode};

/// The PostgreSQL image, pinned so that every run tests against the same server.
const IMAGE: &str = "postgres:15";

/// The port the server listens on inside the container, as the compose file's setup sets.
const CONTAINER_PORT: u16 = 5433;

/// The host port unless `THROWAWAY_EXAMPLE_PG_PORT` says otherwise: high, so that no local
/// PostgreSQL on 5432 or 5433 is in the way.
const DEFAULT_HOST_PORT: u16 = 55433;

/// The variable that moves the host port.
const PORT_VARIABLE: &str = "THROWAWAY_EXAMPLE_PG_PORT";

/// Where the certificate and its key go in the container.
const CERT_PATH: &str = "/etc/throwaway-ssl/server.crt";
const KEY_PATH: &str = "/etc/throwaway-ssl/server.key";

/// The setup script, run once by the image's entrypoint as the `postgres` user against a
/// server reachable only through its socket: two users, and a rule that `ssl_user` may log
/// in over TLS only. Sourced by the entrypoint (it is not executable), so no `set -e`.
const SETUP: &str = r#"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE pass_user LOGIN PASSWORD 'password';
CREATE ROLE ssl_user LOGIN PASSWORD 'password';
SQL
# The first matching line decides, so these go before the image's own.
hba="$PGDATA/pg_hba.conf"
{
    echo 'hostssl   all ssl_user all scram-sha-256'
    echo 'hostnossl all ssl_user all reject'
    cat "$hba"
} > "$hba.new"
mv "$hba.new" "$hba"
"#;

/// The host port to publish on: `value` of [`PORT_VARIABLE`], or the default.
fn host_port_from(value: Option<&str>) -> Result<u16, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(DEFAULT_HOST_PORT),
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|port| *port != 0)
            .ok_or_else(|| format!("{PORT_VARIABLE}={text:?} is not a port: give 1 to 65535")),
    }
}

/// A self-signed certificate for `localhost` and its key, both PEM, made by `openssl` in a
/// container of `IMAGE` (the official image and our stand-in both ship it).
async fn self_signed_certificate() -> Result<(Vec<u8>, Vec<u8>), Box<dyn std::error::Error>> {
    let tools = ContainerRequest::new(IMAGE)
        .entrypoint(["sleep"])
        .cmd(["300"])
        .start()
        .await?;
    let made = tools
        .exec([
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "/tmp/server.key",
            "-out",
            "/tmp/server.crt",
        ])
        .await?;
    if !made.success() {
        return Err(format!(
            "openssl could not make a certificate: {}",
            made.stderr_text()
        )
        .into());
    }
    let certificate = tools.copy_file_from("/tmp/server.crt").await?;
    let key = tools.copy_file_from("/tmp/server.key").await?;
    tools.remove().await?;
    Ok((certificate, key))
}

/// The server as the compose file describes it, on `host_port`.
fn postgres(host_port: u16, certificate: Vec<u8>, key: Vec<u8>) -> Postgres {
    Postgres::new(IMAGE)
        .password("postgres")
        .port(CONTAINER_PORT)
        .init_sql("setup.sh", SETUP)
        .setting("ssl", "on")
        .setting("ssl_cert_file", CERT_PATH)
        .setting("ssl_key_file", KEY_PATH)
        .with_request(move |request| {
            request
                .exposed_port_at(CONTAINER_PORT, host_port)
                .copy_bytes(certificate.clone(), CERT_PATH)
                // The image's `postgres` user has another id in each image: by name, the
                // library looks it up in the container.
                .copy_bytes_with(
                    key.clone(),
                    KEY_PATH,
                    FileMode::new(0o600).owner_name("postgres"),
                )
        })
}

/// Starts the server on `host_port`.
async fn start(host_port: u16) -> Result<PostgresContainer, Box<dyn std::error::Error>> {
    let (certificate, key) = self_signed_certificate().await?;
    Ok(postgres(host_port, certificate, key).start().await?)
}

/// What a suite written for the compose file would see, from the host, without TLS: the
/// URL it has in its configuration, `SHOW ssl`, whether this connection uses TLS, and how
/// `ssl_user` fares without it.
struct Seen {
    ssl: String,
    this_connection_uses_tls: bool,
    ssl_user_without_tls: String,
}

async fn look(host_port: u16) -> Result<Seen, Box<dyn std::error::Error>> {
    let url = format!("postgres://pass_user:password@127.0.0.1:{host_port}/postgres");
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    let ssl: String = client.query_one("SHOW ssl", &[]).await?.get(0);
    let this_connection_uses_tls: bool = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await?
        .get(0);
    let refused = format!("postgres://ssl_user:password@127.0.0.1:{host_port}/postgres");
    let ssl_user_without_tls = match tokio_postgres::connect(&refused, NoTls).await {
        Ok(_) => "logged in".to_string(),
        Err(err) => err
            .as_db_error()
            .map(|db| db.message().to_string())
            .unwrap_or_else(|| err.to_string()),
    };
    Ok(Seen {
        ssl,
        this_connection_uses_tls,
        ssl_user_without_tls,
    })
}

/// `ssl_user` over TLS, with `psql` inside the container (this example's client has no
/// TLS): what `pg_stat_ssl` says of that connection, `t` for TLS.
async fn ssl_user_over_tls(pg: &PostgresContainer) -> Result<String, Box<dyn std::error::Error>> {
    let conninfo = format!(
        "host=127.0.0.1 port={CONTAINER_PORT} user=ssl_user password=password dbname=postgres \
         sslmode=require"
    );
    let out = pg
        .container()
        .exec([
            "psql",
            &conninfo,
            "-tAc",
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ])
        .await?;
    if !out.success() {
        return Err(format!("psql as ssl_user over TLS failed: {}", out.stderr_text()).into());
    }
    Ok(out.stdout_text().trim().to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let host_port = host_port_from(std::env::var(PORT_VARIABLE).ok().as_deref())?;
    let pg = start(host_port).await?;
    println!("PostgreSQL with TLS at 127.0.0.1:{host_port} (container port {CONTAINER_PORT})");
    println!("as the suite connects: postgres://pass_user:password@127.0.0.1:{host_port}/postgres");
    let seen = look(host_port).await?;
    println!("SHOW ssl: {}", seen.ssl);
    println!(
        "this connection (no TLS) uses TLS: {}",
        seen.this_connection_uses_tls
    );
    println!("ssl_user without TLS: {}", seen.ssl_user_without_tls);
    println!(
        "ssl_user over TLS (psql in the container): {}",
        ssl_user_over_tls(&pg).await?
    );
    pg.remove().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test starts the server: its host port is fixed, so two at once would collide.
    #[tokio::test]
    async fn the_server_is_set_up_as_the_compose_file_says() {
        if throwaway::skip_without_engine() {
            return;
        }
        let host_port = host_port_from(std::env::var(PORT_VARIABLE).ok().as_deref()).unwrap();
        let pg = start(host_port)
            .await
            .unwrap_or_else(|err| panic!("could not start PostgreSQL: {err:?}"));
        assert_eq!(pg.host_port(), host_port);

        let seen = look(host_port).await.unwrap();
        assert_eq!(seen.ssl, "on");
        assert!(!seen.this_connection_uses_tls);
        assert!(
            seen.ssl_user_without_tls.contains("pg_hba.conf"),
            "{}",
            seen.ssl_user_without_tls
        );
        assert_eq!(ssl_user_over_tls(&pg).await.unwrap(), "t");

        let stat = pg
            .container()
            .exec(["stat", "-c", "%a %U", KEY_PATH])
            .await
            .unwrap();
        assert_eq!(stat.stdout_text().trim(), "600 postgres");
        pg.remove().await.unwrap();
    }

    #[test]
    fn the_host_port_comes_from_the_environment_or_the_default() {
        assert_eq!(host_port_from(None), Ok(DEFAULT_HOST_PORT));
        assert_eq!(host_port_from(Some(" ")), Ok(DEFAULT_HOST_PORT));
        assert_eq!(host_port_from(Some("6543")), Ok(6543));
        for bad in ["0", "65536", "five"] {
            let err = host_port_from(Some(bad)).unwrap_err();
            assert!(err.contains(PORT_VARIABLE) && err.contains(bad), "{err}");
        }
    }
}

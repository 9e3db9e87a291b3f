//! Readiness: the broker answers a real MQTT CONNECT through its published port.

use std::time::Duration;

use throwaway::kit::{Endpoints, ProbeFailure};
use throwaway::{Error, ErrorKind, Wait};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::Credentials;
use crate::packet::{self, Connack};
use crate::PORT;

/// How long one attempt may take: connecting, sending CONNECT, reading CONNACK.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(2);

/// What the probe is called in messages.
pub(crate) const WHAT: &str = "Mosquitto answering an MQTT CONNECT with CONNACK";

/// Ready means a client gets a CONNACK through the published port: the "running" line
/// comes first, and the engine's port forwarding may lag behind it by a moment.
pub(crate) fn accepts_connect(credentials: Option<Credentials>) -> Wait {
    Wait::probe(WHAT, move |endpoints: Endpoints| {
        let credentials = credentials.clone();
        async move { attempt(&endpoints, credentials.as_ref()).await }
    })
}

async fn attempt(
    endpoints: &Endpoints,
    credentials: Option<&Credentials>,
) -> Result<(), ProbeFailure> {
    let port = endpoints.host_port(PORT).map_err(ProbeFailure::fatal)?;
    let who = endpoints.container();
    let client_id = format!("throwaway-probe-{:016x}", fastrand::u64(..));
    let login = credentials.map(|c| (c.user.as_str(), c.password.expose()));
    let connect = packet::connect(&client_id, login).map_err(|e| {
        ProbeFailure::fatal(Error::new(ErrorKind::InvalidRequest, format!("{who}: {e}")))
    })?;

    let exchange = async {
        let mut stream = TcpStream::connect((endpoints.host(), port)).await?;
        stream.write_all(&connect).await?;
        let mut answer = [0u8; 4];
        stream.read_exact(&mut answer).await?;
        // Best effort: the verdict is in already.
        let _ = stream.write_all(&packet::DISCONNECT).await;
        Ok::<_, std::io::Error>(answer)
    };
    let at = format!("{}:{port}", endpoints.host());
    let answer = match tokio::time::timeout(ATTEMPT_LIMIT, exchange).await {
        Err(_) => {
            return Err(ProbeFailure::not_yet(format!(
                "no CONNACK from {at} within 2 s"
            )))
        }
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            // The engine's port forwarding accepts connections before the broker listens;
            // a broker left in local only mode (no `listener` in its config) never does.
            return Err(ProbeFailure::not_yet(format!(
                "{at} closed the connection before a CONNACK (is a `listener 1883` configured?)"
            )));
        }
        Ok(Err(error)) => return Err(ProbeFailure::not_yet(format!("{error} (at {at})"))),
        Ok(Ok(answer)) => answer,
    };
    match packet::connack(answer) {
        Ok(Connack::Accepted) => Ok(()),
        Ok(Connack::Refused(code)) if code.is_temporary() => {
            Err(ProbeFailure::not_yet(format!("the broker answered {code}")))
        }
        Ok(Connack::Refused(code)) if code.is_login() => {
            let tried = match credentials {
                Some(login) => format!("as user {:?}", login.user),
                None => "anonymously".to_string(),
            };
            Err(ProbeFailure::fatal(Error::new(
                ErrorKind::Service,
                format!(
                    "{who} refused the module's MQTT CONNECT {tried} with {code}. Set the \
                     login with Mosquitto::credentials(…) rather than in a configuration or \
                     password file of your own, so that the readiness check, \
                     connection_url() and the clients use it"
                ),
            )))
        }
        Ok(Connack::Refused(code)) => Err(ProbeFailure::fatal(Error::new(
            ErrorKind::Service,
            format!(
                "{who} refused the module's MQTT 3.1.1 CONNECT with {code}; waiting cannot \
                 change that. Is the image a Mosquitto 2 broker?"
            ),
        ))),
        Err(what) => Err(ProbeFailure::not_yet(format!("{at} sent {what}"))),
    }
}

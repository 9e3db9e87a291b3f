//! The reaper: a Ryuk-compatible container that removes this session's containers, networks
//! and volumes once every test process of the session has gone, however it ended.
//!
//! The protocol: the reaper listens on port 8080; a client keeps one TCP connection open for
//! as long as its process lives and sends a filter line,
//! `label=org.testcontainers.session-id=<id>\n`, which the reaper acknowledges with `ACK\n`.
//! When the last connection has closed and none came back within the reaper's reconnection
//! timeout (10 s by default), it removes everything matching the filters and exits.
//!
//! The connection lives on the library's runtime, so it closes exactly when the process ends:
//! normally, on a panic, on SIGINT or on SIGKILL alike. If the reaper itself goes away
//! mid-run, the connection breaks; the library notices and starts (or finds) another one.
//!
//! All processes of a session share one reaper: its container name is derived from the
//! session id, so the processes of one `cargo nextest` run find the same reaper instead of
//! racing to create their own.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{watch, OnceCell};

use super::launch::{launch, Role};
use super::{Container, ContainerRequest, Mount};
use crate::engine::{labels, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{resolve, ImageRef};
use crate::wait::Wait;

/// The reaper image used unless `TESTCONTAINERS_RYUK_CONTAINER_IMAGE` names another.
pub const DEFAULT_REAPER_IMAGE: &str = "testcontainers/ryuk:0.14.0";

/// The port the reaper listens on inside its container.
const REAPER_PORT: u16 = 8080;

/// Labels the reaper container; Testcontainers tooling uses it to tell reapers apart.
const REAPER_LABEL: &str = labels::REAPER;

/// How long to wait for the reaper to acknowledge the filter.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether this process holds a connection to a reaper right now; set up once.
static GUARD: OnceCell<watch::Receiver<bool>> = OnceCell::const_new();

/// Where the reaper this process last connected to listens, and the session it guards.
static CONNECTED_TO: std::sync::Mutex<Option<(String, u16, String)>> = std::sync::Mutex::new(None);

/// The label throwaway's own reaper image carries: it understands `remove=` lines. The
/// official Ryuk would store such a line as one more filter, and one filter that its engine
/// listing refuses can make it remove nothing at the end of the session: never send it one.
const TAKES_REMOVALS_LABEL: &str = "org.throwaway.reaper.takes-removals";

/// Whether the session's reaper is throwaway's own (see [`TAKES_REMOVALS_LABEL`]).
static TAKES_REMOVALS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Reads whether the reaper container `name` runs an image that takes `remove=` lines.
async fn note_whether_it_takes_removals(engine: &Engine, name: &str) {
    let takes = match crate::engine::inspect::inspect_container(engine.docker(), name).await {
        Ok(inspected) => inspected
            .config
            .and_then(|c| c.labels)
            .is_some_and(|labels| {
                labels.get(TAKES_REMOVALS_LABEL).map(String::as_str) == Some("true")
            }),
        Err(_) => false,
    };
    TAKES_REMOVALS.store(takes, std::sync::atomic::Ordering::SeqCst);
}

/// Makes sure this session is guarded by a reaper: starts or finds one and connects, once per
/// process; later calls return at once. Does nothing when the reaper is disabled.
///
/// # Errors
/// When the reaper cannot be started or does not acknowledge; the message says how to turn
/// it off (`TESTCONTAINERS_RYUK_DISABLED=true`) where the engine cannot run it.
pub(crate) async fn guard(engine: &'static Engine) -> Result<()> {
    // What ended sessions left is removed in the background, whatever this one does.
    super::sweep::start_once(engine);
    if engine.settings().ryuk_disabled()? {
        return Ok(());
    }
    let connected = GUARD
        .get_or_try_init(|| async {
            let stream = connect(engine).await?;
            let (tx, rx) = watch::channel(true);
            crate::engine::runtime::runtime().spawn(keep_alive(engine, stream, tx));
            Ok::<_, Error>(rx)
        })
        .await?;
    if *connected.borrow() {
        return Ok(());
    }
    // The reaper went away and a new one is being found: nothing of the session may be
    // created unguarded meanwhile.
    let mut connected = connected.clone();
    let reconnected = tokio::time::timeout(CONNECT_PATIENCE * 2, connected.wait_for(|c| *c)).await;
    match reconnected {
        Ok(Ok(_)) => Ok(()),
        _ => Err(reaper_error(
            "the connection to the reaper was lost and no reaper could be reached since"
                .to_string(),
        )),
    }
}

/// Holds the connection for the life of the process; if it breaks (the reaper was killed or
/// removed), connects to a new reaper, retrying until it succeeds.
async fn keep_alive(
    engine: &'static Engine,
    mut stream: TcpStream,
    connected: watch::Sender<bool>,
) {
    loop {
        // The reaper never writes after the ACK: a read returns only when the connection ends.
        let mut buffer = [0u8; 64];
        let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buffer).await;
        connected.send_replace(false);
        tracing::warn!("lost the connection to the reaper; starting or finding another");
        let mut delay = Duration::from_millis(200);
        stream = loop {
            match connect(engine).await {
                Ok(stream) => break stream,
                Err(err) => {
                    tracing::warn!("could not reconnect to a reaper: {err}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        };
        connected.send_replace(true);
        tracing::info!("reconnected to a reaper");
    }
}

/// What a reaper's container name starts with; the session id follows.
pub(super) const NAME_PREFIX: &str = "throwaway-reaper-";

/// The name of the session's reaper container.
fn reaper_name(engine: &Engine) -> String {
    format!("{NAME_PREFIX}{}", engine.session_id())
}

/// How long to keep trying to connect to a reaper that another process of the session has
/// just started, and which may not listen yet.
const CONNECT_PATIENCE: Duration = Duration::from_secs(15);

/// Starts the session's reaper, or finds the one another process started, and connects.
async fn connect(engine: &'static Engine) -> Result<TcpStream> {
    let deadline = tokio::time::Instant::now() + CONNECT_PATIENCE;
    loop {
        let (host, port) = start_or_find(engine).await?;
        match handshake(engine, &host, port).await {
            Ok(stream) => return Ok(stream),
            Err(err) if tokio::time::Instant::now() < deadline => {
                tracing::debug!("reaper not ready yet ({err}); trying again");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Connects to the reaper at `host:port` and registers the session's filter.
async fn handshake(engine: &Engine, host: &str, port: u16) -> Result<TcpStream> {
    let mut stream = TcpStream::connect((host, port)).await.map_err(|e| {
        reaper_error(format!(
            "cannot connect to the reaper at {host}:{port}: {e}"
        ))
    })?;
    let filter = session_filter(engine.session_id());
    stream
        .write_all(filter.as_bytes())
        .await
        .map_err(|e| reaper_error(format!("cannot send the session filter to the reaper: {e}")))?;
    let mut reply = String::new();
    let mut reader = BufReader::new(&mut stream);
    match tokio::time::timeout(ACK_TIMEOUT, reader.read_line(&mut reply)).await {
        Ok(Ok(_)) if reply.trim() == "ACK" => {}
        Ok(Ok(_)) => {
            return Err(reaper_error(format!(
                "the reaper answered {:?} instead of ACK",
                reply.trim()
            )))
        }
        Ok(Err(e)) => return Err(reaper_error(format!("reading the reaper's answer: {e}"))),
        Err(_) => {
            return Err(reaper_error(format!(
                "the reaper did not acknowledge within {} s",
                ACK_TIMEOUT.as_secs()
            )))
        }
    }
    tracing::debug!(session = %engine.session_id(), "connected to the reaper");
    *CONNECTED_TO.lock().unwrap_or_else(|p| p.into_inner()) =
        Some((host.to_string(), port, engine.session_id().to_string()));
    Ok(stream)
}

/// How long the exit hook waits for the reaper to take over removals.
const HAND_OVER_TIMEOUT: Duration = Duration::from_secs(2);

/// Ids per line handed over: far below the reaper's 64 KiB line limit.
const IDS_PER_LINE: usize = 200;

/// Whether the reaper took over removals; see [`hand_over`].
pub(crate) enum HandOver {
    /// It answered `REMOVING` to every line: it removes them now, whether this process
    /// lives on or not.
    Taken,
    /// Not taken over, and why (no reaper, a reaper that does not know the line, no answer).
    Refused(String),
}

/// Asks the session's reaper to remove the session's containers and networks with these
/// `ids` now, containers first, on a connection of its own: the exit hook's way to end the
/// process without waiting for the engine. The line is the session filter plus one
/// `remove=<id>` pair per object (`crates/reaper`'s protocol); our reaper answers it with
/// `REMOVING`. Sent only to a reaper whose image carries [`TAKES_REMOVALS_LABEL`]: the
/// official Ryuk would keep the line as one more filter, and a filter its engine listing
/// refuses can make it remove nothing at the end of the session. Otherwise the caller waits
/// for the removals itself.
pub(crate) async fn hand_over(ids: &[String]) -> HandOver {
    let connected = GUARD.get().is_some_and(|connected| *connected.borrow());
    let address = CONNECTED_TO
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let (Some((host, port, session)), true) = (address, connected) else {
        return HandOver::Refused("no reaper is connected".to_string());
    };
    if !TAKES_REMOVALS.load(std::sync::atomic::Ordering::SeqCst) {
        return HandOver::Refused(format!(
            "the reaper's image does not carry {TAKES_REMOVALS_LABEL}=true (the official Ryuk \
             takes no removal lines)"
        ));
    }
    let lines: Vec<String> = ids
        .chunks(IDS_PER_LINE)
        .map(|chunk| {
            let mut line = session_filter(&session);
            line.pop(); // the line end, put back after the ids
            for id in chunk {
                line.push_str(&format!("&remove={id}"));
            }
            line.push('\n');
            line
        })
        .collect();
    let exchange = async {
        let mut stream = TcpStream::connect((host.as_str(), port)).await?;
        let (read, mut write) = stream.split();
        let mut reader = BufReader::new(read);
        for line in &lines {
            write.write_all(line.as_bytes()).await?;
            let mut reply = String::new();
            reader.read_line(&mut reply).await?;
            if reply.trim() != "REMOVING" {
                return Ok(Some(format!("the reaper answered {:?}", reply.trim())));
            }
        }
        Ok::<_, std::io::Error>(None)
    };
    match tokio::time::timeout(HAND_OVER_TIMEOUT, exchange).await {
        Ok(Ok(None)) => HandOver::Taken,
        Ok(Ok(Some(why))) => HandOver::Refused(why),
        Ok(Err(err)) => HandOver::Refused(format!("talking to the reaper at {host}:{port}: {err}")),
        Err(_) => HandOver::Refused(format!(
            "the reaper at {host}:{port} did not answer within {} s",
            HAND_OVER_TIMEOUT.as_secs()
        )),
    }
}

/// The one line sent to a reaper: a filter pinned to this session, the only kind our reaper
/// accepts, so that the reaper never removes what other sessions own.
fn session_filter(session_id: &str) -> String {
    format!("label={}={session_id}\n", labels::SESSION_ID)
}

/// Where the session's reaper listens, starting it if no process of the session has.
async fn start_or_find(engine: &'static Engine) -> Result<(String, u16)> {
    let address = start_or_find_address(engine).await?;
    note_whether_it_takes_removals(engine, &reaper_name(engine)).await;
    Ok(address)
}

async fn start_or_find_address(engine: &'static Engine) -> Result<(String, u16)> {
    for _ in 0..20 {
        match start(engine).await {
            Ok(reaper) => {
                let address = (reaper.host().to_string(), reaper.host_port(REAPER_PORT)?);
                // The reaper outlives this handle: it removes itself when its work is done.
                drop(reaper.kept());
                return Ok(address);
            }
            Err(err) if is_name_conflict(&err) => {
                if let Some(address) = find(engine).await? {
                    return Ok(address);
                }
                // The existing one is on its way out; try again in a moment.
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(err) => return Err(err),
        }
    }
    Err(reaper_error(format!(
        "another process keeps a reaper named {} that never becomes reachable",
        reaper_name(engine)
    )))
}

fn is_name_conflict(err: &Error) -> bool {
    err.is_name_conflict()
}

/// The published address of the session's running reaper, if there is one.
async fn find(engine: &Engine) -> Result<Option<(String, u16)>> {
    let name = reaper_name(engine);
    let inspected = match crate::engine::inspect::inspect_container(engine.docker(), &name).await {
        Ok(inspected) => inspected,
        Err(err) if crate::error::is_not_found(&err) => return Ok(None),
        Err(err) => return Err(Error::engine(format!("inspecting reaper {name}"), err)),
    };
    if inspected.state.and_then(|s| s.running) != Some(true) {
        return Ok(None);
    }
    let bindings = inspected
        .network_settings
        .and_then(|n| n.ports)
        .and_then(|mut ports| ports.remove(&format!("{REAPER_PORT}/tcp")))
        .flatten()
        .unwrap_or_default();
    Ok(crate::engine::port::pick_binding(&bindings).map(|port| (engine.host().to_string(), port)))
}

async fn start(engine: &'static Engine) -> Result<Container> {
    let settings = engine.settings();
    let image = settings
        .ryuk_image()
        .unwrap_or_else(|| DEFAULT_REAPER_IMAGE.to_string());
    let socket = settings
        .docker_socket_override()
        .or_else(|| engine.socket_path().filter(|path| mountable(path)))
        .unwrap_or_else(|| "/var/run/docker.sock".to_string());
    let mut request = ContainerRequest::new(image)
        .exposed_port(REAPER_PORT)
        .mount(Mount::bind(socket, "/var/run/docker.sock"))
        .label(REAPER_LABEL, "true")
        .privileged(settings.ryuk_privileged()?)
        // Ryuk prints "Started" once it listens (older ones "Started!").
        .wait_for(Wait::log("Started").and(Wait::port(REAPER_PORT)))
        .startup_timeout(Duration::from_secs(30))
        .with_create_body(|body| {
            let host = body.host_config.get_or_insert_with(Default::default);
            host.auto_remove = Some(true);
        });
    if let Some(timeout) = settings.ryuk_connection_timeout()? {
        request = request.env(
            "RYUK_CONNECTION_TIMEOUT",
            format!("{}ms", timeout.as_millis()),
        );
    }
    if let Some(timeout) = settings.ryuk_reconnection_timeout()? {
        request = request.env(
            "RYUK_RECONNECTION_TIMEOUT",
            format!("{}ms", timeout.as_millis()),
        );
    }
    let name = reaper_name(engine);
    let started = async {
        let image = ImageRef::parse(request.image())?;
        request.validate()?;
        let reference = resolve(engine, image, request.pull_policy).await?;
        // Not through `ContainerRequest::start`: that would wait for a reaper guarding it.
        launch(engine, &request, reference, Role::Reaper(name)).await
    };
    started.await.map_err(|err| {
        if is_name_conflict(&err) {
            return err;
        }
        let advice = "If this engine cannot run the reaper (it needs the engine's socket \
                      mounted), set TESTCONTAINERS_RYUK_DISABLED=true: containers are then \
                      removed only by Drop and at normal exit";
        let message = format!("could not start the reaper: {err}. {advice}");
        Error::new(err.kind(), message).with_source(err)
    })
}

/// Whether the engine's socket path on this machine is also a path on the engine's host,
/// so that the reaper can mount it. Engines in a VM (Docker Desktop, Colima, Podman
/// machine, Rancher Desktop) forward a socket under the user's home directory; inside
/// their VM the engine listens on `/var/run/docker.sock`, as Testcontainers assumes.
fn mountable(path: &str) -> bool {
    let home = std::env::var("HOME").unwrap_or_default();
    home.is_empty() || !path.starts_with(&home)
}

fn reaper_error(message: String) -> Error {
    Error::new(
        ErrorKind::Engine,
        format!(
            "{message}. Set TESTCONTAINERS_RYUK_DISABLED=true to run without a reaper \
             (containers are then removed only by Drop and at normal exit)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_only_filter_sent_pins_the_session() {
        assert_eq!(
            session_filter("0123456789abcdef0123456789abcdef"),
            "label=org.testcontainers.session-id=0123456789abcdef0123456789abcdef\n"
        );
    }
}

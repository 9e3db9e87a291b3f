//! The reaper's life: reach the engine, listen, serve clients while the tracker says wait,
//! then prune once and return.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::Docker;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::clock;
use crate::config::Config;
use crate::error::Error;
use crate::log;
use crate::protocol::{self, Line};
use crate::prune::{self, Report};
use crate::tracker::{self, Event, Recent, Tracker};

/// Every distinct filter set received, from any connection.
#[derive(Debug, Default)]
struct FilterBook(Mutex<BTreeSet<protocol::FilterSet>>);

impl FilterBook {
    /// Whether the set is new.
    fn add(&self, filters: protocol::FilterSet) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(filters)
    }

    fn snapshot(&self) -> Vec<protocol::FilterSet> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// Runs the reaper: connects to the engine, listens on the configured port, and once the
/// timeouts say the session is over, removes what the received filters match and returns what
/// it did.
///
/// # Errors
///
/// When the engine cannot be reached or the port cannot be listened on. What goes wrong while
/// pruning is logged and counted in the [`Report`] instead.
pub async fn run(config: Config) -> Result<Report, Error> {
    log::set_verbose(config.verbose);
    let described = config.describe();
    let fields: Vec<log::Field<'_>> = described
        .iter()
        .map(|(key, value)| (*key, value as &dyn Display))
        .collect();
    log::info("starting", &fields);

    let docker = connect(config.request_timeout).await?;
    let listener = listen(config.port).await?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::with_source("cannot tell the listening address", e))?;
    // Testcontainers clients wait for a log line matching `.*Started.*` before connecting.
    log::info("Started", &[("address", &address)]);

    let book = Arc::new(FilterBook::default());
    let remover = Remover {
        docker: docker.clone(),
        retries: config.remove_retries,
        request_timeout: config.request_timeout,
    };
    let (events_tx, mut events) = mpsc::channel(64);
    let accept = tokio::spawn(accept_clients(
        listener,
        book.clone(),
        remover,
        events_tx.clone(),
    ));
    let signals = tokio::spawn(forward_signals(accept.abort_handle(), events_tx));

    let mut tracker = Tracker::new(Instant::now(), config.timeouts);
    let found = loop {
        tracker::wait_until_due(&mut tracker, &mut events).await;
        let clients = tracker.clients();
        if clients > 0 {
            log::warn(
                "shutdown timeout reached, pruning anyway",
                &[("clients", &clients)],
            );
        } else {
            log::info("prune check", &[("clients", &clients)]);
        }
        let cutoff = clock::now() + config.retry_offset.as_nanos();
        let found = prune::find(&docker, &book.snapshot(), cutoff, config.request_timeout).await;
        if found.recent == 0 {
            break found;
        }
        match tracker.recent_objects(Instant::now()) {
            Recent::CheckAgain => log::warn(
                "recently created objects match, checking again later",
                &[("count", &found.recent)],
            ),
            Recent::PruneAnyway => break found,
        }
    };
    // No new clients from here on: one arriving now gets its connection closed without an
    // ACK, which tells it to start a reaper of its own.
    accept.abort();
    signals.abort();
    log::info("client processing stopped", &[]);

    let report = prune::remove(
        &docker,
        found,
        config.remove_retries,
        config.request_timeout,
    )
    .await;
    log::info("done", &[]);
    Ok(report)
}

/// The engine named by `DOCKER_HOST`, or the socket mounted at `/var/run/docker.sock`, at the
/// newest API version both sides speak.
async fn connect(request_timeout: Duration) -> Result<Docker, Error> {
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string());
    let hint = if host.starts_with("unix://") {
        " (is the engine's socket mounted into this container, e.g. -v /var/run/docker.sock:/var/run/docker.sock?)"
    } else {
        ""
    };
    let unreachable = |e: prune::RequestError| {
        Error::with_source(format!("cannot reach the Docker engine at {host}{hint}"), e)
    };
    let docker = Docker::connect_with_defaults()
        .map_err(|e| Error::with_source(format!("cannot use DOCKER_HOST={host}"), e))?;
    let docker = prune::bounded(request_timeout, docker.negotiate_version())
        .await
        .map_err(unreachable)?;
    prune::bounded(request_timeout, docker.ping())
        .await
        .map_err(unreachable)?;
    log::debug(
        "engine reachable",
        &[("host", &host), ("api_version", &docker.client_version())],
    );
    Ok(docker)
}

/// All addresses: IPv6 and IPv4 where the kernel allows both on one socket, IPv4 where IPv6
/// is unavailable.
async fn listen(port: u16) -> Result<TcpListener, Error> {
    match TcpListener::bind((Ipv6Addr::UNSPECIFIED, port)).await {
        Ok(listener) => Ok(listener),
        Err(_) => TcpListener::bind((Ipv4Addr::UNSPECIFIED, port))
            .await
            .map_err(|e| Error::with_source(format!("cannot listen on port {port}"), e)),
    }
}

/// What serving a `remove` line needs: the engine and the limits of the final prune.
#[derive(Clone)]
struct Remover {
    docker: Docker,
    retries: u32,
    request_timeout: Duration,
}

impl Remover {
    /// Removes what `filters` match among containers and networks, in that order, in the
    /// background. No creation-time check: the client asked for exactly these objects. The
    /// final prune may meet them too; an object already gone counts as done there.
    fn remove_now(&self, filters: protocol::FilterSet, address: SocketAddr) {
        let remover = self.clone();
        tokio::spawn(async move {
            let found = prune::find_kinds(
                &remover.docker,
                &[filters],
                &[prune::Kind::Container, prune::Kind::Network],
                clock::UnixNanos::MAX,
                remover.request_timeout,
            )
            .await;
            let report = prune::remove(
                &remover.docker,
                found,
                remover.retries,
                remover.request_timeout,
            )
            .await;
            log::info(
                "removed on request",
                &[
                    ("address", &address),
                    ("containers", &report.containers),
                    ("networks", &report.networks),
                    ("left", &report.left),
                ],
            );
        });
    }
}

async fn accept_clients(
    listener: TcpListener,
    book: Arc<FilterBook>,
    remover: Remover,
    events: mpsc::Sender<Event>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, address)) => {
                // Counted before it is served, so its disconnection can never arrive first.
                if events.send(Event::Connected(address)).await.is_err() {
                    return;
                }
                let (book, remover, events) = (book.clone(), remover.clone(), events.clone());
                tokio::spawn(async move {
                    serve(stream, address, &book, &remover).await;
                    let _ = events.send(Event::Disconnected(address)).await;
                });
            }
            Err(error) => {
                log::error("accept failed", &[("error", &error)]);
                // Out of file descriptors, most likely: give the connections time to close.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Reads filter lines from one client until it closes, answering each with `ACK` when it was
/// stored, `REMOVING` when it asked for objects to be removed now, and one `ERROR …` line
/// when it was refused.
///
/// A refused line leaves the connection open: Python and Node write their lines without
/// reading the answers and never reconnect, so closing would leave their session unguarded
/// and get it pruned while its tests still run. The connection still counts as a client.
async fn serve(stream: TcpStream, address: SocketAddr, book: &FilterBook, remover: &Remover) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let line = match protocol::read_line(&mut reader).await {
            Ok(Some(Line::Text(line))) => line,
            Ok(Some(Line::TooLong)) => {
                log::error(
                    "line too long, closing the connection",
                    &[("address", &address), ("limit_bytes", &protocol::MAX_LINE)],
                );
                return;
            }
            Ok(None) => return,
            Err(error) => {
                log::warn(
                    "connection lost",
                    &[("address", &address), ("error", &error)],
                );
                return;
            }
        };
        if line.trim_ascii().is_empty() {
            log::warn("empty filter received", &[("address", &address)]);
            continue;
        }
        let answer = match protocol::read_any_request(&line) {
            Ok(protocol::Request::RemoveNow { filters, ids }) => {
                log::info(
                    "removing on request",
                    &[("address", &address), ("filter", &filters), ("ids", &ids)],
                );
                remover.remove_now(filters, address);
                protocol::REMOVING.to_vec()
            }
            Ok(protocol::Request::Filter(filters)) => {
                let shown = filters.to_string();
                if book.add(filters) {
                    log::info(
                        "adding filter",
                        &[("address", &address), ("filter", &shown)],
                    );
                } else {
                    log::debug("filter already known", &[("filter", &shown)]);
                }
                protocol::ACK.to_vec()
            }
            Err(refusal) => {
                let text = String::from_utf8_lossy(&line);
                log::warn(
                    "filter refused",
                    &[("address", &address), ("line", &text), ("reason", &refusal)],
                );
                refusal.answer()
            }
        };
        if let Err(error) = write.write_all(&answer).await {
            log::warn(
                "answer not sent",
                &[("address", &address), ("error", &error)],
            );
        }
    }
}

/// SIGTERM (`docker stop`) and SIGINT: stop accepting clients and tell the tracker. Without a
/// handler, SIGTERM would be ignored, since the reaper is PID 1 in its container.
async fn forward_signals(accept: AbortHandle, events: mpsc::Sender<Event>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut terminate, mut interrupt) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(terminate), Ok(interrupt)) => (terminate, interrupt),
        (Err(error), _) | (_, Err(error)) => {
            log::warn("cannot watch for signals", &[("error", &error)]);
            return;
        }
    };
    loop {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        accept.abort();
        if events.send(Event::Shutdown).await.is_err() {
            return;
        }
    }
}

//! Waiting for listening ports, from the host and inside the container.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::target::Target;
use super::{Progress, DEFAULT_POLL_INTERVAL};
use crate::engine::{ContainerPort, Protocol};
use crate::error::{ErrorKind, Result};

/// How long one connection attempt from the host may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long to watch a fresh connection for being closed at once (see [`probe_host`]).
const CLOSE_WATCH: Duration = Duration::from_millis(50);

/// How long reading `/proc/net/*` in the container may take.
const INSIDE_TIMEOUT: Duration = Duration::from_secs(5);

/// The socket state of a listening TCP socket in `/proc/net/tcp*` (`TCP_LISTEN`).
const TCP_LISTEN: u8 = 0x0A;

/// The socket state of a bound, unconnected UDP socket in `/proc/net/udp*` (`TCP_CLOSE`).
const UDP_BOUND: u8 = 0x07;

/// The state behind [`Wait::port`](super::Wait::port) and
/// [`Wait::exposed_ports`](super::Wait::exposed_ports), whose docs say what is checked.
#[derive(Clone, Debug)]
pub(super) struct PortWait {
    ports: Ports,
    poll_interval: Duration,
}

#[derive(Clone, Debug)]
enum Ports {
    One(ContainerPort),
    Exposed,
}

impl PortWait {
    pub(super) fn one(port: ContainerPort) -> Self {
        PortWait {
            ports: Ports::One(port),
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    pub(super) fn exposed() -> Self {
        PortWait {
            ports: Ports::Exposed,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// How often to look again. The default is 100 ms.
    pub(super) fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    pub(super) async fn run(&self, target: &dyn Target, progress: &Progress) -> Result<()> {
        let ports = match self.ports {
            Ports::One(port) => vec![port],
            Ports::Exposed => target.exposed_ports(),
        };
        // Resolve every mapping first: a port the request did not expose fails at once.
        let mapped = ports
            .into_iter()
            .map(|port| Ok((port, target.host_port(port)?)))
            .collect::<Result<Vec<_>>>()?;
        let mut inside = Inside::Unknown;
        loop {
            match attempt(target, &mapped, &mut inside).await {
                Ok(()) => return Ok(()),
                Err(note) => progress.note(note),
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}

impl fmt::Display for PortWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ports {
            Ports::One(port) => write!(f, "port {port} listening"),
            Ports::Exposed => f.write_str("every exposed port listening"),
        }
    }
}

/// Whether the container can show its sockets (it has `cat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inside {
    Unknown,
    Unavailable,
}

/// One round of checks; `Err` says why the ports are not ready yet.
async fn attempt(
    target: &dyn Target,
    mapped: &[(ContainerPort, u16)],
    inside: &mut Inside,
) -> Result<(), String> {
    // From the host first: it is cheap, and it is what the test will use.
    for &(port, host_port) in mapped {
        if port.protocol() == Protocol::Tcp {
            probe_host(target.host(), host_port).await.map_err(|why| {
                format!("{port} (published on {}:{host_port}) {why}", target.host())
            })?;
        }
    }
    for protocol in [Protocol::Tcp, Protocol::Udp] {
        let wanted: Vec<ContainerPort> = mapped
            .iter()
            .map(|&(port, _)| port)
            .filter(|port| port.protocol() == protocol)
            .collect();
        if wanted.is_empty() || *inside == Inside::Unavailable {
            continue;
        }
        let Some(listening) = listening_inside(target, protocol, inside).await else {
            continue;
        };
        if let Some(port) = wanted
            .iter()
            .find(|port| !listening.contains(&port.number()))
        {
            return Err(format!(
                "nothing listens on {port} inside the container yet"
            ));
        }
    }
    Ok(())
}

/// Connects from the host; `Err` completes "5432/tcp (published on …) …".
///
/// Docker's userland proxy (and rootlesskit's) accepts on the host port whatever happens
/// inside, then connects to the container and, if that is refused, closes the client's
/// connection. So a connection that reaches end-of-file within [`CLOSE_WATCH`] is not a
/// listener. A connection that stays open, or on which the server speaks first (SSH, SMTP,
/// MySQL), is.
async fn probe_host(host: &str, port: u16) -> Result<(), String> {
    let mut stream =
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port))).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => return Err(format!("refused the connection: {err}")),
            Err(_) => return Err("did not accept a connection within 1 s".to_owned()),
        };
    let mut byte = [0u8; 1];
    match tokio::time::timeout(CLOSE_WATCH, stream.read(&mut byte)).await {
        Err(_still_open) => Ok(()),
        Ok(Ok(0)) => Err(
            "accepted the connection and closed it at once: the port is \
                          published, but nothing listens in the container yet"
                .to_owned(),
        ),
        Ok(Ok(_greeting)) => Ok(()),
        Ok(Err(err)) => Err(format!("accepted the connection and then failed: {err}")),
    }
}

/// The ports with a listening (TCP) or bound (UDP) socket in the container, or `None` when
/// that cannot be found out this time.
async fn listening_inside(
    target: &dyn Target,
    protocol: Protocol,
    inside: &mut Inside,
) -> Option<BTreeSet<u16>> {
    let (files, state) = match protocol {
        Protocol::Tcp => (["/proc/net/tcp", "/proc/net/tcp6"], TCP_LISTEN),
        Protocol::Udp => (["/proc/net/udp", "/proc/net/udp6"], UDP_BOUND),
        Protocol::Sctp => return None,
    };
    let cmd = std::iter::once("cat")
        .chain(files)
        .map(String::from)
        .collect();
    let outcome = match tokio::time::timeout(INSIDE_TIMEOUT, target.exec(cmd)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(err)) => {
            if err.kind() == ErrorKind::Exec {
                // The command could not be started at all: the image has no `cat`.
                skip_inside(target, inside, &err.to_string());
            }
            return None;
        }
        Err(_) => return None,
    };
    // 126 and 127 are what Docker and shells use for "cannot execute" and "not found".
    if matches!(outcome.exit_code, Some(126 | 127)) {
        skip_inside(
            target,
            inside,
            String::from_utf8_lossy(&outcome.stdout).trim(),
        );
        return None;
    }
    // Look at the output whatever the exit code: without IPv6, `/proc/net/tcp6` is missing
    // and `cat` fails after printing `/proc/net/tcp` just fine.
    let text = String::from_utf8_lossy(&outcome.stdout);
    if !text.contains("local_address") {
        return None;
    }
    Some(ports_in_state(&text, state))
}

fn skip_inside(target: &dyn Target, inside: &mut Inside, why: &str) {
    tracing::debug!(
        container = %target.describe(),
        why,
        "cannot list sockets inside the container (no `cat`?); checking ports from the host only"
    );
    *inside = Inside::Unavailable;
}

/// The local ports of the sockets in `state` in the text of `/proc/net/{tcp,tcp6,udp,udp6}`
/// (several files concatenated is fine).
///
/// A line reads `sl local_address rem_address st …`, with the local address as
/// `<hex IP>:<hex port>`; the IPv6 files only have longer addresses.
fn ports_in_state(text: &str, state: u8) -> BTreeSet<u16> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _slot = fields.next()?;
            let local = fields.next()?;
            let _remote = fields.next()?;
            let st = u8::from_str_radix(fields.next()?, 16).ok()?;
            let (_ip, port) = local.rsplit_once(':')?;
            let port = u16::from_str_radix(port, 16).ok()?;
            (st == state).then_some(port)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    use super::super::fake::{exec_exits, FakeTarget};
    use super::super::{wait_until_ready, Wait};
    use super::*;
    use crate::error::{Error, ErrorKind};

    /// Real text from a container running PostgreSQL on 5432 (0x1538) for IPv4 and IPv6,
    /// with one established client connection, plus one listener on 127.0.0.1:6379 and a UDP
    /// socket on 53.
    const PROC_NET_TCP: &str = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 2471036 1 0000000000000000 100 0 0 10 0
   1: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 2471040 1 0000000000000000 100 0 0 10 0
   2: 020011AC:1538 010011AC:D2F4 01 00000000:00000000 00:00000000 00000000   999        0 2475101 1 0000000000000000 20 4 30 10 -1
   3: 020011AC:A1B2 010011AC:1F90 01 00000000:00000000 00:00000000 00000000   999        0 2475102 1 0000000000000000 20 4 30 10 -1
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 2471037 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:2382 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 2471038 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF0000020011AC:0BB8 0000000000000000FFFF0000010011AC:C350 01 00000000:00000000 00:00000000 00000000     0        0 2475200 1 0000000000000000 20 4 30 10 -1
";

    const PROC_NET_UDP: &str = "\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2480001 2 0000000000000000 0
  456: 020011AC:D431 08080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 2480002 2 0000000000000000 0
";

    #[test]
    fn proc_net_parsing_finds_listeners_not_connections() {
        let listening = ports_in_state(PROC_NET_TCP, TCP_LISTEN);
        // 5432 (IPv4 and IPv6), 6379 (IPv4 loopback), 9090 (IPv6 only).
        assert_eq!(
            listening.into_iter().collect::<Vec<_>>(),
            [5432, 6379, 9090]
        );
        // 0xA1B2 and 0x0BB8 are only ever seen as established connections.
        let established = ports_in_state(PROC_NET_TCP, 0x01);
        assert!(established.contains(&0xA1B2) && established.contains(&3000));
        assert!(!ports_in_state(PROC_NET_TCP, TCP_LISTEN).contains(&3000));

        let bound = ports_in_state(PROC_NET_UDP, UDP_BOUND);
        assert_eq!(bound.into_iter().collect::<Vec<_>>(), [53]);
        assert!(ports_in_state("cat: /proc/net/tcp6: No such file", TCP_LISTEN).is_empty());
    }

    /// A fake whose `cat /proc/net/tcp*` shows PostgreSQL listening (5432 inside).
    fn postgres_inside(host_port: u16) -> FakeTarget {
        FakeTarget::new().port(5432, host_port).exec(|cmd| {
            exec_exits(
                0,
                if cmd[1].contains("tcp") {
                    PROC_NET_TCP
                } else {
                    ""
                },
            )
        })
    }

    async fn holding_listener() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        port
    }

    #[tokio::test]
    async fn a_real_listener_is_ready() {
        let port = holding_listener().await;
        wait_until_ready(
            &Wait::port(5432),
            &postgres_inside(port),
            Duration::from_secs(2),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_server_that_speaks_first_is_ready() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket.write_all(b"220 smtp ready\r\n").await;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        wait_until_ready(
            &Wait::port(5432),
            &postgres_inside(port),
            Duration::from_secs(2),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_proxy_that_closes_at_once_is_not_ready() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                drop(socket);
            }
        });
        let err = wait_until_ready(
            &Wait::port(5432),
            &postgres_inside(port),
            Duration::from_millis(400),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(err.message().contains("closed it at once"), "{err}");
        assert!(
            err.message()
                .contains(&format!("5432/tcp (published on 127.0.0.1:{port})")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn nothing_listening_is_not_ready() {
        // Bind and drop to get a port nobody listens on.
        let port = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = wait_until_ready(
            &Wait::port(5432),
            &postgres_inside(port),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(err.message().contains("refused the connection"), "{err}");
    }

    #[tokio::test]
    async fn the_host_check_alone_is_not_enough_when_the_inside_says_no() {
        let port = holding_listener().await;
        // Inside, 8080 is not listening (the host listener stands in for a proxy that keeps
        // connections open).
        let target = FakeTarget::new()
            .port(8080, port)
            .exec(|_| exec_exits(0, PROC_NET_TCP));
        let err = wait_until_ready(&Wait::port(8080), &target, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(
            err.message()
                .contains("nothing listens on 8080/tcp inside the container yet"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn without_cat_the_host_check_decides() {
        let port = holding_listener().await;
        let not_found = FakeTarget::new()
            .port(5432, port)
            .exec(|_| exec_exits(127, "exec: \"cat\": executable file not found in $PATH"));
        let cannot_start = FakeTarget::new()
            .port(5432, port)
            .exec(|_| Err(Error::new(ErrorKind::Exec, "cannot start cat")));
        for target in [not_found, cannot_start] {
            wait_until_ready(&Wait::port(5432), &target, Duration::from_secs(2))
                .await
                .unwrap();
            assert_eq!(target.exec_calls().len(), 1);
        }
    }

    #[tokio::test]
    async fn udp_is_checked_inside_only() {
        let target = FakeTarget::new()
            .port(ContainerPort::udp(53), 1)
            .exec(|cmd| {
                exec_exits(
                    0,
                    if cmd[1].contains("udp") {
                        PROC_NET_UDP
                    } else {
                        ""
                    },
                )
            });
        wait_until_ready(
            &Wait::port(ContainerPort::udp(53)),
            &target,
            Duration::from_secs(2),
        )
        .await
        .unwrap();
        assert_eq!(
            target.exec_calls(),
            [["cat", "/proc/net/udp", "/proc/net/udp6"]]
        );
    }

    #[tokio::test]
    async fn exposed_ports_waits_for_all_of_them() {
        let port = holding_listener().await;
        let target = FakeTarget::new()
            .port(5432, port)
            .port(9090, port)
            .port(8080, port)
            .exec(|_| exec_exits(0, PROC_NET_TCP));
        let err = wait_until_ready(&Wait::exposed_ports(), &target, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(
            err.message().contains("nothing listens on 8080/tcp"),
            "{err}"
        );

        let none = FakeTarget::new();
        wait_until_ready(&Wait::exposed_ports(), &none, Duration::from_millis(300))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_port_not_exposed_fails_at_once() {
        let target = FakeTarget::new().port(5432, 1);
        let started = std::time::Instant::now();
        let err = wait_until_ready(&Wait::port(6379), &target, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PortNotExposed);
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn display() {
        assert_eq!(Wait::port(5432).to_string(), "port 5432/tcp listening");
        assert_eq!(
            Wait::port(ContainerPort::udp(53)).to_string(),
            "port 53/udp listening"
        );
        assert_eq!(
            Wait::exposed_ports().to_string(),
            "every exposed port listening"
        );
    }
}

//! What a failed start says about the container: how it ended and its last lines. One place
//! writes it, for a container that exits while a strategy waits and for one whose start
//! call itself fails.

use std::collections::BTreeMap;
use std::time::Duration;

use super::target::{ExitInfo, Target};
use crate::engine::ContainerPort;
use crate::error::{Error, ErrorKind};

/// How many lines of output an error message shows.
const TAIL_LINES: usize = 20;

/// How long an error message may take to fetch the last lines of output.
const TAIL_TIMEOUT: Duration = Duration::from_secs(2);

/// The error for a container that stopped `during` something ("while waiting for …",
/// "while starting: …"), with what the engine said, `progress` (what the wait saw last), a
/// hint and the last lines of output.
pub(crate) async fn exited(
    target: &dyn Target,
    exit: &ExitInfo,
    during: &str,
    progress: Option<String>,
) -> Error {
    let how = match (exit.oom_killed, exit.code) {
        (true, Some(code)) => format!("was killed for running out of memory (exit code {code})"),
        (true, None) => "was killed for running out of memory".to_owned(),
        (false, Some(code)) => format!("exited with code {code}"),
        (false, None) => "exited".to_owned(),
    };
    if let Some(taken) = exit
        .error
        .as_deref()
        .and_then(|e| port_taken(e, &BTreeMap::new()))
    {
        return port_taken_error(target, &taken).await;
    }
    let mut message = format!("{} {how} {during}", target.describe());
    if let Some(error) = exit
        .error
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        message.push_str("; the engine reported: ");
        message.push_str(error);
    }
    if let Some(progress) = progress {
        message.push_str("; ");
        message.push_str(&progress);
    }
    message.push_str(if exit.oom_killed {
        "; raise the container's memory limit or make the service use less"
    } else {
        "; check the image's command and entrypoint, and the environment and files it expects"
    });
    message.push_str(&last_lines(target).await);
    Error::new(ErrorKind::ContainerExited, message)
}

/// The error for a container whose start call the engine refused (`detail` says why): a
/// command that cannot run, a host port taken, a mount source missing. `exit` is what the
/// container's state says, if it ran at all; `fixed` the host ports the request fixed.
pub(crate) async fn failed_to_start(
    target: &dyn Target,
    exit: &ExitInfo,
    detail: &str,
    fixed: &BTreeMap<ContainerPort, u16>,
) -> Error {
    if let Some(taken) = port_taken(detail, fixed) {
        return port_taken_error(target, &taken).await;
    }
    let mut message = format!("{} could not be started: {detail}", target.describe());
    if let Some(code) = exit.code.filter(|code| *code != 0) {
        message.push_str(&format!(" (exit code {code})"));
    }
    let lowered = detail.to_ascii_lowercase();
    let command = [
        "executable file not found",
        "no such file or directory",
        "permission denied",
    ]
    .iter()
    .any(|sign| lowered.contains(sign))
        || matches!(exit.code, Some(126 | 127));
    message.push_str(if command {
        "; check the request's command and entrypoint, and that the image has them"
    } else {
        "; check the request's ports, mounts and networks"
    });
    message.push_str(&last_lines(target).await);
    Error::new(ErrorKind::ContainerExited, message)
}

/// A host port the engine could not bind, as far as its message and the request tell.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Taken {
    /// The host port, when the message names it.
    host_port: Option<u16>,
    /// The container port the request fixed it for.
    container_port: Option<ContainerPort>,
    /// The engine's words.
    detail: String,
}

/// Whether the engine's `detail` says a host port is taken: Docker says "port is already
/// allocated" (its proxy) or "address already in use" (the kernel), Podman "bind: address
/// already in use".
pub(crate) fn port_taken(detail: &str, fixed: &BTreeMap<ContainerPort, u16>) -> Option<Taken> {
    let lowered = detail.to_ascii_lowercase();
    if !["address already in use", "port is already allocated"]
        .iter()
        .any(|sign| lowered.contains(sign))
    {
        return None;
    }
    // The port is the one after the last colon of an address: "127.0.0.1:5433",
    // "[::]:5433", "0.0.0.0:5433:". Prefer one the request fixed.
    let named: Vec<u16> = detail
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|word| {
            let word = word.trim_end_matches([':', ',', ';', '.']);
            let (_, port) = word.rsplit_once(':')?;
            port.parse::<u16>().ok().filter(|port| *port != 0)
        })
        .collect();
    let fixed_for = |host: u16| fixed.iter().find(|(_, h)| **h == host).map(|(c, _)| *c);
    let host_port = named
        .iter()
        .copied()
        .find(|port| fixed_for(*port).is_some())
        .or_else(|| named.first().copied())
        .or_else(|| (fixed.len() == 1).then(|| *fixed.values().next().unwrap_or(&0)));
    Some(Taken {
        host_port,
        container_port: host_port.and_then(fixed_for),
        detail: detail.trim().to_owned(),
    })
}

/// The error for a host port that something else holds.
async fn port_taken_error(target: &dyn Target, taken: &Taken) -> Error {
    let port = match (taken.host_port, taken.container_port) {
        (Some(host), Some(container)) => {
            format!("host port {host} (asked for container port {container})")
        }
        (Some(host), None) => format!("host port {host}"),
        (None, _) => "a host port it asked for".to_owned(),
    };
    let what_to_do = match (taken.host_port, taken.container_port) {
        (Some(host), Some(_)) => format!(
            "choose another host port in exposed_port_at, stop what holds {host} \
             (`ss -ltnp 'sport = :{host}'`, `docker ps --filter publish={host}`), or use \
             exposed_port to let the engine pick a free one, which also lets tests run at once"
        ),
        (Some(host), None) => {
            format!("stop what holds {host}, or let the engine pick a free port (exposed_port)")
        }
        (None, _) => {
            "choose other host ports, or let the engine pick free ones (exposed_port)".to_owned()
        }
    };
    let message = format!(
        "{} could not be started: {port} is already in use by another process or container \
         (the engine reported: {}); {what_to_do}{}",
        target.describe(),
        taken.detail,
        last_lines(target).await
    );
    Error::new(ErrorKind::PortTaken, message)
}

/// "; last log lines:\n  …" for an error message, or a note that there were none.
pub(crate) async fn last_lines(target: &dyn Target) -> String {
    match tokio::time::timeout(TAIL_TIMEOUT, target.tail_logs(TAIL_LINES)).await {
        Ok(tail) if tail.trim().is_empty() => "; the container wrote no output".to_owned(),
        Ok(tail) => {
            let mut out = String::from("; last log lines:");
            for line in tail.lines() {
                out.push_str("\n  ");
                out.push_str(line);
            }
            out
        }
        Err(_) => "; the last log lines could not be read in time".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(pairs: &[(u16, u16)]) -> BTreeMap<ContainerPort, u16> {
        pairs
            .iter()
            .map(|(c, h)| (ContainerPort::tcp(*c), *h))
            .collect()
    }

    #[test]
    fn docker_and_podman_words_for_a_taken_port_are_recognised() {
        let docker = "the engine answered 500: driver failed programming external connectivity \
                      on endpoint peaceful_x (3f2a): Bind for 127.0.0.1:5433 failed: port is \
                      already allocated";
        let taken = port_taken(docker, &fixed(&[(5432, 5433)])).unwrap();
        assert_eq!(taken.host_port, Some(5433));
        assert_eq!(taken.container_port, Some(ContainerPort::tcp(5432)));

        let kernel = "the engine answered 500: driver failed programming external connectivity \
                      on endpoint x: Error starting userland proxy: listen tcp4 \
                      127.0.0.1:6380: bind: address already in use";
        let taken = port_taken(kernel, &fixed(&[(5432, 5433), (6379, 6380)])).unwrap();
        assert_eq!(taken.host_port, Some(6380));
        assert_eq!(taken.container_port, Some(ContainerPort::tcp(6379)));

        let podman = "the engine answered 500: rootlessport listen tcp [::]:8080: bind: address \
                      already in use";
        let taken = port_taken(podman, &BTreeMap::new()).unwrap();
        assert_eq!(taken.host_port, Some(8080));
        assert_eq!(taken.container_port, None);
    }

    #[test]
    fn a_message_without_a_port_falls_back_to_the_one_fixed() {
        let taken = port_taken("bind: address already in use", &fixed(&[(80, 8081)])).unwrap();
        assert_eq!(taken.host_port, Some(8081));
        assert_eq!(taken.container_port, Some(ContainerPort::tcp(80)));
    }

    #[test]
    fn other_start_failures_are_not_a_taken_port() {
        for detail in [
            "exec: \"nope\": executable file not found in $PATH",
            "error mounting \"/x\" to rootfs: no such file or directory",
        ] {
            assert_eq!(port_taken(detail, &fixed(&[(80, 8081)])), None, "{detail}");
        }
    }
}

//! Container ports: a number and a protocol, as the engine names them (`6379/tcp`).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// The transport protocol of a container port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP, the default.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl Protocol {
    fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

/// A port inside a container, such as `5432` (TCP) or `53/udp`.
///
/// Anything that takes a port accepts a `u16` (meaning TCP) or a `ContainerPort`; a string
/// like `"53/udp"` parses with [`str::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    number: u16,
    protocol: Protocol,
}

impl ContainerPort {
    /// A TCP port.
    pub const fn tcp(number: u16) -> Self {
        ContainerPort {
            number,
            protocol: Protocol::Tcp,
        }
    }

    /// A UDP port.
    pub const fn udp(number: u16) -> Self {
        ContainerPort {
            number,
            protocol: Protocol::Udp,
        }
    }

    /// The port number.
    pub fn number(&self) -> u16 {
        self.number
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }
}

impl From<u16> for ContainerPort {
    fn from(number: u16) -> Self {
        ContainerPort::tcp(number)
    }
}

impl fmt::Display for ContainerPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.number, self.protocol.as_str())
    }
}

impl FromStr for ContainerPort {
    type Err = Error;

    /// Parses `"8080"`, `"8080/tcp"`, `"53/udp"` or `"9/sctp"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "'{s}' is not a container port: write a number from 1 to 65535, \
                     optionally followed by /tcp, /udp or /sctp"
                ),
            )
        };
        let (number, protocol) = match s.split_once('/') {
            Some((n, p)) => (n, p),
            None => (s, "tcp"),
        };
        let protocol = match protocol.to_ascii_lowercase().as_str() {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "sctp" => Protocol::Sctp,
            _ => return Err(bad()),
        };
        let number: u16 = number.trim().parse().map_err(|_| bad())?;
        if number == 0 {
            return Err(bad());
        }
        Ok(ContainerPort { number, protocol })
    }
}

/// The host port to use among an exposed port's bindings.
///
/// Engines may publish one port twice, on an IPv4 and an IPv6 address, and with different
/// host ports; tests connect over IPv4, so prefer that binding.
pub(crate) fn pick_binding(bindings: &[bollard::models::PortBinding]) -> Option<u16> {
    let port = |b: &bollard::models::PortBinding| b.host_port.as_deref()?.parse::<u16>().ok();
    let is_ipv4 = |b: &&bollard::models::PortBinding| {
        b.host_ip
            .as_deref()
            .is_none_or(|ip| ip.is_empty() || ip.parse::<std::net::Ipv4Addr>().is_ok())
    };
    bindings
        .iter()
        .filter(is_ipv4)
        .find_map(port)
        .or_else(|| bindings.iter().find_map(port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::PortBinding;

    fn binding(ip: &str, port: &str) -> PortBinding {
        PortBinding {
            host_ip: Some(ip.to_string()),
            host_port: Some(port.to_string()),
        }
    }

    #[test]
    fn prefers_the_ipv4_binding_when_the_engine_reports_two() {
        let bindings = [binding("::", "49154"), binding("0.0.0.0", "49153")];
        assert_eq!(pick_binding(&bindings), Some(49153));
        assert_eq!(pick_binding(&[binding("::", "49154")]), Some(49154));
        assert_eq!(pick_binding(&[binding("127.0.0.1", "")]), None);
        assert_eq!(pick_binding(&[]), None);
    }

    #[test]
    fn parses_and_displays_like_the_engine() {
        assert_eq!(
            "6379".parse::<ContainerPort>().unwrap(),
            ContainerPort::tcp(6379)
        );
        assert_eq!(
            "53/udp".parse::<ContainerPort>().unwrap(),
            ContainerPort::udp(53)
        );
        assert_eq!(ContainerPort::tcp(5432).to_string(), "5432/tcp");
        assert_eq!(ContainerPort::from(80), ContainerPort::tcp(80));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "0", "65536", "80/http", "abc", "-1"] {
            let err = bad.parse::<ContainerPort>().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{bad}");
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}

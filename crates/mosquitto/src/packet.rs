//! The two MQTT 3.1.1 packets the readiness probe needs: CONNECT, and the CONNACK that
//! answers it (OASIS MQTT 3.1.1, sections 3.1 and 3.2).
//!
//! Hand-written rather than taken from a client crate: they are a few bytes each, and the
//! probe then works without the `client` feature.

use std::fmt;

/// The DISCONNECT packet: a clean goodbye, so the broker does not log the probe's client
/// as lost.
pub(crate) const DISCONNECT: [u8; 2] = [0xe0, 0x00];

/// How long the broker may keep the probe's session without hearing from it. Only a bound:
/// the probe disconnects right after the CONNACK.
const KEEP_ALIVE_SECONDS: u16 = 10;

/// A field that does not fit the two-byte length of an MQTT string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooLong(pub(crate) &'static str);

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} is longer than MQTT's limit of 65535 bytes",
            self.0
        )
    }
}

/// A CONNECT packet for a clean session of `client_id`, with a user name and password if
/// given.
pub(crate) fn connect(client_id: &str, login: Option<(&str, &str)>) -> Result<Vec<u8>, TooLong> {
    // Variable header: protocol name, level 4 (3.1.1), flags, keep-alive.
    let mut flags = 0b0000_0010; // clean session
    if login.is_some() {
        flags |= 0b1100_0000; // user name and password follow in the payload
    }
    let mut body = Vec::with_capacity(32);
    string(&mut body, "MQTT", "protocol name")?;
    body.push(4);
    body.push(flags);
    body.extend_from_slice(&KEEP_ALIVE_SECONDS.to_be_bytes());
    string(&mut body, client_id, "client id")?;
    if let Some((user, password)) = login {
        string(&mut body, user, "user name")?;
        string(&mut body, password, "password")?;
    }

    let mut packet = Vec::with_capacity(body.len() + 5);
    packet.push(0x10); // CONNECT, no flags
    remaining_length(&mut packet, body.len());
    packet.extend_from_slice(&body);
    Ok(packet)
}

/// A length-prefixed UTF-8 string.
fn string(out: &mut Vec<u8>, value: &str, what: &'static str) -> Result<(), TooLong> {
    let length = u16::try_from(value.len()).map_err(|_| TooLong(what))?;
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(value.as_bytes());
    Ok(())
}

/// The fixed header's remaining length: seven bits a byte, the high bit saying "more".
/// Three strings of at most 65535 bytes keep it far below the four-byte limit.
fn remaining_length(out: &mut Vec<u8>, mut length: usize) {
    loop {
        let mut byte = (length % 128) as u8;
        length /= 128;
        if length > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if length == 0 {
            break;
        }
    }
}

/// What the broker answered to a CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Connack {
    /// Return code 0: the client is connected.
    Accepted,
    /// Any other return code.
    Refused(RefusedCode),
}

/// A CONNACK's non-zero return code (MQTT 3.1.1, table 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RefusedCode(pub(crate) u8);

impl RefusedCode {
    /// Whether the broker refused the client's credentials (4: bad user name or password;
    /// 5: not authorised, which Mosquitto answers to both a wrong password and a missing
    /// one): no later attempt with the same ones can succeed.
    pub(crate) fn is_login(self) -> bool {
        matches!(self.0, 4 | 5)
    }

    /// Whether the broker may accept the same CONNECT later (3: server unavailable).
    pub(crate) fn is_temporary(self) -> bool {
        self.0 == 3
    }
}

impl fmt::Display for RefusedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meaning = match self.0 {
            1 => "unacceptable protocol version",
            2 => "client identifier rejected",
            3 => "server unavailable",
            4 => "bad user name or password",
            5 => "not authorised",
            _ => "not defined by MQTT 3.1.1",
        };
        write!(f, "return code {} ({meaning})", self.0)
    }
}

/// Reads a CONNACK from the first four bytes of the broker's answer.
///
/// # Errors
/// A description of what came instead, when the bytes are not a CONNACK.
pub(crate) fn connack(answer: [u8; 4]) -> Result<Connack, String> {
    match answer {
        [0x20, 0x02, _, 0] => Ok(Connack::Accepted),
        [0x20, 0x02, _, code] => Ok(Connack::Refused(RefusedCode(code))),
        other => Err(format!("an answer that is not a CONNACK: {other:02x?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anonymous_connect_is_the_3_1_1_packet_byte_for_byte() {
        let packet = connect("probe", None).unwrap();
        #[rustfmt::skip]
        let expected = [
            0x10, 17,                                   // CONNECT, remaining length
            0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04,   // protocol name, level 4
            0b0000_0010,                                // clean session only
            0x00, 10,                                   // keep-alive, seconds
            0x00, 0x05, b'p', b'r', b'o', b'b', b'e',   // client id
        ];
        assert_eq!(packet, expected);
    }

    #[test]
    fn a_login_sets_both_flags_and_follows_the_client_id() {
        let packet = connect("c", Some(("app", "pw"))).unwrap();
        assert_eq!(packet[9], 0b1100_0010, "user name, password, clean session");
        assert_eq!(
            &packet[12..],
            [0, 1, b'c', 0, 3, b'a', b'p', b'p', 0, 2, b'p', b'w']
        );
        assert_eq!(usize::from(packet[1]), packet.len() - 2);
    }

    #[test]
    fn a_long_packet_has_a_multi_byte_remaining_length() {
        let password = "x".repeat(300);
        let packet = connect("c", Some(("u", &password))).unwrap();
        // 10 (header) + 3 + 3 + 302 = 318 = 0b10_0111110: 0xbe, then 0x02.
        assert_eq!(&packet[..3], [0x10, 0xbe, 0x02]);
        assert_eq!(packet.len(), 3 + 318);
    }

    #[test]
    fn a_field_over_65535_bytes_is_refused_not_cut() {
        let password = "x".repeat(65_536);
        let err = connect("c", Some(("u", &password))).unwrap_err();
        assert_eq!(err, TooLong("password"));
        assert!(err.to_string().contains("65535"), "{err}");
    }

    #[test]
    fn connack_return_codes_are_read_and_named() {
        assert_eq!(connack([0x20, 2, 0, 0]), Ok(Connack::Accepted));
        // The session-present flag does not change the verdict.
        assert_eq!(connack([0x20, 2, 1, 0]), Ok(Connack::Accepted));
        let Ok(Connack::Refused(code)) = connack([0x20, 2, 0, 5]) else {
            panic!("code 5 is a refusal")
        };
        assert!(code.is_login() && !code.is_temporary());
        assert_eq!(code.to_string(), "return code 5 (not authorised)");
        let Ok(Connack::Refused(code)) = connack([0x20, 2, 0, 4]) else {
            panic!("code 4 is a refusal")
        };
        assert!(code.is_login());
        let Ok(Connack::Refused(code)) = connack([0x20, 2, 0, 3]) else {
            panic!("code 3 is a refusal")
        };
        assert!(code.is_temporary() && !code.is_login());
        let err = connack([0x30, 2, 0, 0]).unwrap_err();
        assert!(err.contains("not a CONNACK"), "{err}");
    }
}

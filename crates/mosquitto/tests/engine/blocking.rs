//! A broker from a plain `#[test]`, through the blocking facade.

use std::io::{Read, Write};

use throwaway::blocking::StartBlocking;
use throwaway_mosquitto::Mosquitto;

use crate::require_engine;
use crate::support::{connect_packet, LIMIT};

#[test]
fn a_plain_test_starts_a_broker_and_connects() {
    require_engine!();
    let broker = Mosquitto::default().start_blocking().unwrap();
    let mut stream = std::net::TcpStream::connect((broker.host(), broker.host_port())).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    stream
        .write_all(&connect_packet("plain-test", None))
        .unwrap();
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack).unwrap();
    assert_eq!(connack, [0x20, 2, 0, 0]);
}

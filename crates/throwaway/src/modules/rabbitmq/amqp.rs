//! Just enough AMQP 0-9-1 to log in: the protocol header, then Connection.Start →
//! Start-Ok (PLAIN), Tune → Tune-Ok, Open → Open-Ok, and a polite Close. A broker that
//! refuses the login answers Start-Ok with Connection.Close (403), because the client says
//! it wants that (the `authentication_failure_close` capability) rather than a bare hang-up.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// What a client sends first: "AMQP", then 0, 0, 9, 1.
pub(super) const PROTOCOL_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";

const FRAME_METHOD: u8 = 1;
const FRAME_END: u8 = 0xCE;
/// The class of every method here.
const CONNECTION: u16 = 10;
const START: u16 = 10;
const START_OK: u16 = 11;
const TUNE: u16 = 30;
const TUNE_OK: u16 = 31;
const OPEN: u16 = 40;
const OPEN_OK: u16 = 41;
const CLOSE: u16 = 50;

/// How a login ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Login {
    /// Open-Ok: the user is in, on the vhost.
    Open,
    /// Connection.Close from the broker: its reply code (403 for a refused login, 530 for
    /// a vhost the user may not open) and text.
    Closed { code: u16, text: String },
}

/// A field-table value: only the kinds a client's properties need.
enum Field<'a> {
    Text(&'a str),
    Bool(bool),
    Table(Vec<(&'a str, Field<'a>)>),
}

fn short_string(out: &mut Vec<u8>, text: &str) -> std::io::Result<()> {
    let length = u8::try_from(text.len()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{text:?} is longer than AMQP's 255-byte short strings"),
        )
    })?;
    out.push(length);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

fn long_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn table(out: &mut Vec<u8>, fields: &[(&str, Field)]) -> std::io::Result<()> {
    let mut body = Vec::new();
    for (name, value) in fields {
        short_string(&mut body, name)?;
        match value {
            Field::Text(text) => {
                body.push(b'S');
                long_bytes(&mut body, text.as_bytes());
            }
            Field::Bool(flag) => {
                body.push(b't');
                body.push(u8::from(*flag));
            }
            Field::Table(inner) => {
                body.push(b'F');
                table(&mut body, inner)?;
            }
        }
    }
    long_bytes(out, &body);
    Ok(())
}

/// A method frame on channel 0 with `arguments`.
fn method_frame(method: u16, arguments: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(4 + arguments.len());
    payload.extend_from_slice(&CONNECTION.to_be_bytes());
    payload.extend_from_slice(&method.to_be_bytes());
    payload.extend_from_slice(arguments);
    let mut frame = vec![FRAME_METHOD, 0, 0];
    long_bytes(&mut frame, &payload);
    frame.push(FRAME_END);
    frame
}

/// Connection.Start-Ok: PLAIN with `user` and `password`, asking to be told of a refusal.
pub(super) fn start_ok(user: &str, password: &str) -> std::io::Result<Vec<u8>> {
    let mut arguments = Vec::new();
    table(
        &mut arguments,
        &[
            ("product", Field::Text("throwaway")),
            ("version", Field::Text(env!("CARGO_PKG_VERSION"))),
            (
                "capabilities",
                Field::Table(vec![("authentication_failure_close", Field::Bool(true))]),
            ),
        ],
    )?;
    short_string(&mut arguments, "PLAIN")?;
    long_bytes(&mut arguments, format!("\0{user}\0{password}").as_bytes());
    short_string(&mut arguments, "en_US")?;
    Ok(method_frame(START_OK, &arguments))
}

/// Connection.Tune-Ok with the broker's limits, and no heartbeats (the connection lives for
/// a moment).
pub(super) fn tune_ok(channel_max: u16, frame_max: u32) -> Vec<u8> {
    let mut arguments = Vec::new();
    arguments.extend_from_slice(&channel_max.to_be_bytes());
    arguments.extend_from_slice(&frame_max.to_be_bytes());
    arguments.extend_from_slice(&0u16.to_be_bytes());
    method_frame(TUNE_OK, &arguments)
}

/// Connection.Open of `vhost`.
pub(super) fn open(vhost: &str) -> std::io::Result<Vec<u8>> {
    let mut arguments = Vec::new();
    short_string(&mut arguments, vhost)?;
    short_string(&mut arguments, "")?; // reserved
    arguments.push(0); // reserved bit
    Ok(method_frame(OPEN, &arguments))
}

/// Connection.Close, reply code 200: done.
pub(super) fn close() -> Vec<u8> {
    let mut arguments = Vec::new();
    arguments.extend_from_slice(&200u16.to_be_bytes());
    arguments.extend_from_slice(&[0, 0, 0, 0, 0]); // empty text, class 0, method 0
    method_frame(CLOSE, &arguments)
}

fn invalid(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what)
}

/// The next connection method: its method id and arguments.
async fn read_method(stream: &mut (impl AsyncRead + Unpin)) -> std::io::Result<(u16, Vec<u8>)> {
    let mut header = [0u8; 7];
    stream.read_exact(&mut header).await?;
    if &header[..4] == b"AMQP" {
        // A broker that does not speak 0-9-1 answers with the header it does speak.
        return Err(invalid(format!(
            "the broker wants protocol {:?}",
            &header[4..]
        )));
    }
    let size = u32::from_be_bytes([header[3], header[4], header[5], header[6]]) as usize;
    if size > 1 << 20 {
        return Err(invalid(format!("a frame of {size} bytes")));
    }
    let mut payload = vec![0u8; size + 1];
    stream.read_exact(&mut payload).await?;
    if header[0] != FRAME_METHOD || payload.pop() != Some(FRAME_END) || payload.len() < 4 {
        return Err(invalid(format!(
            "a frame of type {} that is no method",
            header[0]
        )));
    }
    let class = u16::from_be_bytes([payload[0], payload[1]]);
    let method = u16::from_be_bytes([payload[2], payload[3]]);
    if class != CONNECTION {
        return Err(invalid(format!(
            "method {class}.{method} before the connection is open"
        )));
    }
    Ok((method, payload.split_off(4)))
}

/// The reply code and text of Connection.Close's arguments.
fn closed(arguments: &[u8]) -> Login {
    let code = arguments
        .get(..2)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    let length = arguments.get(2).copied().unwrap_or(0) as usize;
    let text = arguments
        .get(3..3 + length)
        .map(|b| String::from_utf8_lossy(b).to_string())
        .unwrap_or_default();
    Login::Closed { code, text }
}

/// Logs in as `user` on `vhost` over `stream`, then closes.
pub(super) async fn login(
    stream: &mut (impl AsyncRead + AsyncWrite + Unpin),
    user: &str,
    password: &str,
    vhost: &str,
) -> std::io::Result<Login> {
    stream.write_all(PROTOCOL_HEADER).await?;
    match read_method(stream).await? {
        (START, _) => {}
        (CLOSE, arguments) => return Ok(closed(&arguments)),
        (other, _) => return Err(invalid(format!("method 10.{other} instead of Start"))),
    }
    stream.write_all(&start_ok(user, password)?).await?;
    let (channel_max, frame_max) = match read_method(stream).await? {
        (TUNE, arguments) if arguments.len() >= 6 => (
            u16::from_be_bytes([arguments[0], arguments[1]]),
            u32::from_be_bytes([arguments[2], arguments[3], arguments[4], arguments[5]]),
        ),
        (CLOSE, arguments) => return Ok(closed(&arguments)),
        (other, _) => return Err(invalid(format!("method 10.{other} instead of Tune"))),
    };
    stream.write_all(&tune_ok(channel_max, frame_max)).await?;
    stream.write_all(&open(vhost)?).await?;
    let login = match read_method(stream).await? {
        (OPEN_OK, _) => Login::Open,
        (CLOSE, arguments) => return Ok(closed(&arguments)),
        (other, _) => return Err(invalid(format!("method 10.{other} instead of Open-Ok"))),
    };
    // Best effort: the verdict is in already.
    let _ = stream.write_all(&close()).await;
    Ok(login)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_framed_as_the_spec_says() {
        let frame = open("/").unwrap();
        // type 1, channel 0, size 8: class 10, method 40, "/" , "", bit 0; frame end.
        assert_eq!(
            frame,
            [1, 0, 0, 0, 0, 0, 8, 0, 10, 0, 40, 1, b'/', 0, 0, 0xCE]
        );
        assert_eq!(
            tune_ok(2047, 131072),
            [1, 0, 0, 0, 0, 0, 12, 0, 10, 0, 31, 0x07, 0xFF, 0, 2, 0, 0, 0, 0, 0xCE]
        );
        assert_eq!(close()[7..11], [0, 10, 0, 50]);
    }

    #[test]
    fn start_ok_carries_plain_credentials_and_the_capability() {
        let frame = start_ok("app", "p\0w").unwrap();
        let payload = &frame[7..frame.len() - 1];
        assert_eq!(payload[..4], [0, 10, 0, 11]);
        let text = String::from_utf8_lossy(payload);
        assert!(text.contains("authentication_failure_close"), "{text}");
        assert!(text.contains("\u{5}PLAIN"), "{text}");
        assert!(text.contains("\0app\0p\0w"), "{text}");
        assert!(text.ends_with("\u{5}en_US"), "{text}");
        assert_eq!(*frame.last().unwrap(), 0xCE);
    }

    #[test]
    fn a_vhost_longer_than_a_short_string_is_refused() {
        let err = open(&"v".repeat(256)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }

    /// A broker's side of the conversation, written out: Start, then `after_start_ok`.
    async fn broker(after_start_ok: Vec<u8>) -> std::io::Result<Login> {
        let (mut client, mut server) = tokio::io::duplex(4096);
        let serve = async move {
            let mut header = [0u8; 8];
            server.read_exact(&mut header).await.unwrap();
            assert_eq!(&header, PROTOCOL_HEADER);
            // Start: version 0-9, an empty table, mechanisms, locales.
            let mut start = vec![0, 9, 0, 0, 0, 0];
            long_bytes(&mut start, b"PLAIN AMQPLAIN");
            long_bytes(&mut start, b"en_US");
            server
                .write_all(&method_frame(START, &start))
                .await
                .unwrap();
            server.write_all(&after_start_ok).await.unwrap();
            // Keep the pipe open while the client reads.
            let mut rest = Vec::new();
            let _ = server.read_to_end(&mut rest).await;
        };
        let (login, ()) = tokio::join!(login(&mut client, "guest", "guest", "/"), async {
            tokio::spawn(serve);
        });
        login
    }

    #[tokio::test]
    async fn a_refused_login_is_the_brokers_close_with_403() {
        let mut arguments = 403u16.to_be_bytes().to_vec();
        short_string(&mut arguments, "ACCESS_REFUSED - Login was refused").unwrap();
        arguments.extend_from_slice(&[0, 10, 0, 11]);
        let login = broker(method_frame(CLOSE, &arguments)).await.unwrap();
        assert_eq!(
            login,
            Login::Closed {
                code: 403,
                text: "ACCESS_REFUSED - Login was refused".into()
            }
        );
    }

    #[tokio::test]
    async fn tune_and_open_ok_mean_logged_in() {
        let mut tune = Vec::new();
        tune.extend_from_slice(&2047u16.to_be_bytes());
        tune.extend_from_slice(&131072u32.to_be_bytes());
        tune.extend_from_slice(&60u16.to_be_bytes());
        let mut answers = method_frame(TUNE, &tune);
        answers.extend(method_frame(OPEN_OK, &[0]));
        assert_eq!(broker(answers).await.unwrap(), Login::Open);
    }
}

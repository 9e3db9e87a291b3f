//! The wire format: one filter set per line, written like a URL query string and read the way
//! Go's `url.ParseQuery` reads it; a line that pins one session is answered with `ACK\n`, any
//! other with one `ERROR …\n` line that says what a line must look like. A pinned line that
//! also names objects with `remove=<id>` asks for those to be removed now, and is answered
//! `REMOVING\n` (see [`Request::RemoveNow`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// The reply to a line that was stored.
pub(crate) const ACK: &[u8] = b"ACK\n";

/// The reply to a line that asked for objects to be removed now: not `ACK`, so that a client
/// can tell this reaper (which removes them now) from Ryuk (which would store the line as one
/// more filter, answer `ACK`, and remove nothing before the session ends).
pub(crate) const REMOVING: &[u8] = b"REMOVING\n";

/// The key of a line's pairs that name objects to remove now.
pub(crate) const REMOVE_KEY: &str = "remove";

/// The session labels the Testcontainers clients filter on, each spelling one client family
/// uses; a filter set must pin one of them to a session id before the reaper accepts it. Where
/// each comes from is in the crate docs ("Which lines are accepted").
pub(crate) const SESSION_LABELS: [&str; 4] = [
    // Python, Node, and this project's library.
    "org.testcontainers.session-id",
    // Java and Go.
    "org.testcontainers.sessionId",
    // .NET.
    "org.testcontainers.resource-reaper-session",
    // Go before its labels moved under org.testcontainers.
    "org.testcontainers.golang.sessionId",
];

/// The longest line accepted, as Go's line scanner allows by default; a longer one ends the
/// connection.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The filters of one line: Docker list filters, each key with its values. An object matches
/// when it matches every value of every key.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FilterSet(BTreeMap<String, BTreeSet<String>>);

impl FilterSet {
    /// The session this set is limited to, if one of its `label` values pins a session label
    /// of [`SESSION_LABELS`] to a plausible id. Every pair of a set must match, so the other
    /// pairs (Java's and Go's `org.testcontainers=true`, `…lang=…`) only narrow it further.
    pub(crate) fn session(&self) -> Option<&str> {
        self.0.get("label")?.iter().find_map(|label| {
            let (key, id) = label.split_once('=')?;
            (SESSION_LABELS.contains(&key) && is_session_id(id)).then_some(id)
        })
    }

    /// The `filters` parameter of the engine's list endpoints.
    pub(crate) fn to_engine(&self) -> HashMap<String, Vec<String>> {
        self.0
            .iter()
            .map(|(key, values)| (key.clone(), values.iter().cloned().collect()))
            .collect()
    }
}

/// `label=a=b&label=c`, unescaped: for people reading the log, not for parsing.
impl fmt::Display for FilterSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (key, values) in &self.0 {
            for value in values {
                if !first {
                    f.write_str("&")?;
                }
                first = false;
                write!(f, "{key}={value}")?;
            }
        }
        Ok(())
    }
}

/// A session id as the clients make them (UUIDs, hex digests): not empty, and no whitespace
/// or control characters, which no client puts in one and which would only make a filter
/// that matches nothing.
fn is_session_id(id: &str) -> bool {
    !id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// What an accepted line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// Remove what the set matches once the session is over: every client's line.
    Filter(FilterSet),
    /// Remove the session's containers and networks with these ids now, containers first:
    /// a client at normal exit hands over what it was still removing, so that its process
    /// can end without waiting for the engine. The line is the session pin (with any
    /// narrowing labels) and one `remove=<id>` pair per object; `filters` is what the
    /// engine is asked to list: the pin, the labels and the ids, so an id of another
    /// session's object, or of nothing, matches nothing. Reapers, reused containers and
    /// snapshots stay, as at the end of a session.
    RemoveNow {
        /// The engine filters: the line's labels plus `id=<each id>`.
        filters: FilterSet,
        /// How many ids the line named.
        ids: usize,
    },
}

/// Why a line was refused: answered with [`Refusal::answer`], and nothing stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a query string Go's `url.ParseQuery` would accept.
    Invalid(ParseError),
    /// A valid filter set, but it does not pin one session, so it could match what other
    /// sessions, reused containers' owners or anybody else created.
    Unpinned,
    /// A `remove` line with a value that is not a full engine id, or with pairs other than
    /// `label` ones.
    BadRemoval(String),
}

impl Refusal {
    /// The one-line answer a client gets instead of `ACK`.
    pub(crate) fn answer(&self) -> Vec<u8> {
        format!("ERROR {self}\n").into_bytes()
    }
}

/// What the client reads after `ERROR `: what was wrong, and what a line must look like.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Invalid(error) => write!(f, "invalid filter: {error}; ")?,
            Refusal::Unpinned => f.write_str("filter refused: it does not pin one session; ")?,
            Refusal::BadRemoval(why) => {
                return write!(
                    f,
                    "removal refused: {why}; send label={}=<session id>&{REMOVE_KEY}=<id>\
                     &{REMOVE_KEY}=<id>… with each id a container's or network's full id \
                     (64 hex digits); nothing was removed",
                    SESSION_LABELS[0]
                )
            }
        }
        write!(
            f,
            "send label={}=<session id> (or the sessionId or resource-reaper-session \
             spelling), optionally with more pairs joined by '&'; nothing was stored",
            SESSION_LABELS[0]
        )
    }
}

/// Why a line is not a valid query string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// A `;` in a pair: Go 1.17 and later refuse it rather than guess whether it separates.
    Semicolon,
    /// A `%` not followed by two hex digits.
    BadEscape(String),
    /// Percent-decoding produced bytes that are not UTF-8 text.
    NotUtf8,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Semicolon => f.write_str("';' is not a separator; use '&' between pairs"),
            ParseError::BadEscape(escape) => {
                write!(f, "invalid escape {escape:?}: '%' needs two hex digits")
            }
            ParseError::NotUtf8 => f.write_str("decoded filter is not UTF-8 text"),
        }
    }
}

/// Reads one line (without its line end) into a filter set that pins one session, or says why
/// it is refused. Spaces, tabs and carriage returns around the line are dropped first: a
/// client's `\r\n` or a stray space typed into `nc` would otherwise become part of the session
/// id and make a filter that matches nothing.
pub(crate) fn read_request(line: &[u8]) -> Result<FilterSet, Refusal> {
    let filters = parse_line(line.trim_ascii()).map_err(Refusal::Invalid)?;
    match filters.session() {
        Some(_) => Ok(filters),
        None => Err(Refusal::Unpinned),
    }
}

/// Reads one line (without its line end) into what it asks for: a filter set to keep for the
/// end of the session, or objects to remove now. Either must pin one session.
pub(crate) fn read_any_request(line: &[u8]) -> Result<Request, Refusal> {
    let mut filters = read_request(line)?;
    let Some(ids) = filters.0.remove(REMOVE_KEY) else {
        return Ok(Request::Filter(filters));
    };
    if let Some(key) = filters.0.keys().find(|key| key.as_str() != "label") {
        return Err(Refusal::BadRemoval(format!(
            "only label pairs may come with {REMOVE_KEY}, not {key:?}"
        )));
    }
    if let Some(id) = ids.iter().find(|id| !is_full_id(id)) {
        return Err(Refusal::BadRemoval(format!("{id:?} is not a full id")));
    }
    let count = ids.len();
    filters.0.insert("id".to_string(), ids);
    Ok(Request::RemoveNow {
        filters,
        ids: count,
    })
}

/// A full container or network id: 64 lowercase hex digits. The engine's `id` filter
/// matches prefixes, so a short one could match more than the client meant (of its own
/// session only, but still).
fn is_full_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Reads one line (without its line end) into a filter set, as Ryuk does: pairs split at `&`,
/// each pair at its first `=`, both halves percent-decoded with `+` as a space, empty pairs
/// skipped. Any bad pair rejects the whole line: keeping the rest would widen the filter, and
/// a wider filter removes more.
pub(crate) fn parse_line(line: &[u8]) -> Result<FilterSet, ParseError> {
    let mut filters: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for pair in line.split(|&b| b == b'&') {
        if pair.contains(&b';') {
            return Err(ParseError::Semicolon);
        }
        if pair.is_empty() {
            continue;
        }
        let (key, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        filters
            .entry(unescape(key)?)
            .or_default()
            .insert(unescape(value)?);
    }
    Ok(FilterSet(filters))
}

/// Go's `url.QueryUnescape`.
fn unescape(text: &[u8]) -> Result<String, ParseError> {
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        match text[at] {
            b'%' => {
                let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16));
                match (hex(text.get(at + 1)), hex(text.get(at + 2))) {
                    (Some(high), Some(low)) => out.push((high * 16 + low) as u8),
                    _ => {
                        let end = (at + 3).min(text.len());
                        let escape = String::from_utf8_lossy(&text[at..end]).into_owned();
                        return Err(ParseError::BadEscape(escape));
                    }
                }
                at += 3;
            }
            b'+' => {
                out.push(b' ');
                at += 1;
            }
            b => {
                out.push(b);
                at += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ParseError::NotUtf8)
}

/// One line read from a client.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line, without `\n` or `\r\n`; also the last bytes before the client closed.
    Text(Vec<u8>),
    /// More than [`MAX_LINE`] bytes without a line end.
    TooLong,
}

/// The next line, or `None` once the client has closed its side.
///
/// # Errors
///
/// When reading from the connection fails.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> io::Result<Option<Line>> {
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .await?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if line.len() > MAX_LINE {
        return Ok(Some(Line::TooLong));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(Line::Text(line)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> FilterSet {
        let mut filters: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (key, value) in pairs {
            filters
                .entry(key.to_string())
                .or_default()
                .insert(value.to_string());
        }
        FilterSet(filters)
    }

    fn parse(line: &str) -> Result<FilterSet, ParseError> {
        parse_line(line.as_bytes())
    }

    #[test]
    fn raw_and_encoded_labels_mean_the_same() {
        let want = set(&[("label", "org.testcontainers.session-id=abc")]);
        // Node, Python, Go: the '=' inside the value as is.
        assert_eq!(
            parse("label=org.testcontainers.session-id=abc"),
            Ok(want.clone())
        );
        // Java: URL-encoded key and value.
        assert_eq!(
            parse("label=org.testcontainers.session-id%3Dabc"),
            Ok(want.clone())
        );
        assert_eq!(
            parse("label=org.testcontainers.session-id%3dabc"),
            Ok(want.clone())
        );
        assert_eq!(
            parse("%6Cabel=org.testcontainers.session-id%3Dabc"),
            Ok(want)
        );
    }

    #[test]
    fn pairs_of_one_line_form_one_set() {
        assert_eq!(
            parse("label=org.testcontainers%3Dtrue&label=org.testcontainers.sessionId%3Dabc"),
            Ok(set(&[
                ("label", "org.testcontainers=true"),
                ("label", "org.testcontainers.sessionId=abc"),
            ]))
        );
        // Ryuk's README example: two keys.
        assert_eq!(
            parse("label=testing=true&health=unhealthy"),
            Ok(set(&[("label", "testing=true"), ("health", "unhealthy")]))
        );
        // A value repeated is one value; order does not matter.
        assert_eq!(parse("label=b&label=a&label=b"), parse("label=a&label=b"));
    }

    #[test]
    fn query_string_details_follow_go() {
        assert_eq!(parse("label"), Ok(set(&[("label", "")])));
        assert_eq!(parse("label="), Ok(set(&[("label", "")])));
        assert_eq!(parse("label=a+b%20c"), Ok(set(&[("label", "a b c")])));
        assert_eq!(parse("label=%C3%A9t%C3%A9"), Ok(set(&[("label", "été")])));
        assert_eq!(parse("&&label=x&&"), Ok(set(&[("label", "x")])));
        assert_eq!(parse("=x"), Ok(set(&[("", "x")])));
        assert_eq!(parse("label=a%26b"), Ok(set(&[("label", "a&b")])));
    }

    fn request(line: &str) -> Result<FilterSet, Refusal> {
        read_request(line.as_bytes())
    }

    fn pinned(line: &str) -> Option<String> {
        request(line)
            .ok()
            .and_then(|set| set.session().map(str::to_string))
    }

    #[test]
    fn every_clients_session_line_is_accepted() {
        let uuid = "8d2a6ac1-5b1e-4c3e-9a4f-0e6f1d2c3b4a";
        let hex = "0123456789abcdef0123456789abcdef";
        for (line, id) in [
            // Python (testcontainers 4.15 sends exactly this, \r\n included) and Node.
            (format!("label=org.testcontainers.session-id={uuid}\r"), uuid),
            // This project's library: 32 hex digits.
            (format!("label=org.testcontainers.session-id={hex}"), hex),
            // Java: all its marker labels in one line, percent-encoded, sessionId spelling.
            (
                "label=org.testcontainers%3Dtrue&label=org.testcontainers.lang%3Djava\
                 &label=org.testcontainers.version%3D1.21.3&label=org.testcontainers.sessionId%3Dabc"
                    .to_string(),
                "abc",
            ),
            // Go: the same labels raw, in map order.
            (
                "label=org.testcontainers.lang=go&label=org.testcontainers.sessionId=abc\
                 &label=org.testcontainers=true&label=org.testcontainers.version=0.38.0"
                    .to_string(),
                "abc",
            ),
            // Older Go.
            (
                "label=org.testcontainers.golang=true&label=org.testcontainers.golang.sessionId=abc"
                    .to_string(),
                "abc",
            ),
            // .NET.
            (
                "label=org.testcontainers.resource-reaper-session=abc".to_string(),
                "abc",
            ),
            // Every pair must match, so unpinned pairs next to a pin only narrow it.
            (
                "label=org.testcontainers=true&label=org.testcontainers.session-id=abc".to_string(),
                "abc",
            ),
            (
                "name=redis&label=org.testcontainers.session-id=abc".to_string(),
                "abc",
            ),
        ] {
            assert_eq!(pinned(&line).as_deref(), Some(id), "{line:?}");
        }
    }

    #[test]
    fn broad_filters_are_refused() {
        for line in [
            // The line of the issue: every session's objects, reused ones included.
            "label=org.testcontainers=true",
            "label=org.testcontainers",
            // Has the session label, whatever its value: every session again.
            "label=org.testcontainers.session-id",
            "label=org.testcontainers.session-id=",
            // Other keys, and labels the clients do not use for sessions.
            "name=redis",
            "health=unhealthy",
            "label=com.docker.compose.project=myapp",
            "label=org.testcontainers.sessionid=abc",
            "label=org.testcontainers.session-id.x=abc",
            "label!=org.testcontainers.session-id=abc",
            "label=x.org.testcontainers.session-id=abc",
            // Several pairs, none of them a pin.
            "label=org.testcontainers=true&label=org.testcontainers.lang=java",
            // Nothing but separators: Ryuk would store an empty set, which matches everything.
            "&",
            "&&&",
            "=",
        ] {
            assert_eq!(request(line), Err(Refusal::Unpinned), "{line:?}");
        }
    }

    #[test]
    fn a_bad_pair_next_to_a_pin_still_rejects_the_line() {
        assert_eq!(
            request("label=org.testcontainers.session-id=abc&label=a%zz"),
            Err(Refusal::Invalid(ParseError::BadEscape("%zz".into())))
        );
    }

    #[test]
    fn session_ids_carry_no_whitespace_or_control_characters() {
        for line in [
            "label=org.testcontainers.session-id=a b",
            "label=org.testcontainers.session-id=a+b",
            "label=org.testcontainers.session-id=a%20b",
            "label=org.testcontainers.session-id=a%09b",
            "label=org.testcontainers.session-id=abc%0D",
            "label=org.testcontainers.session-id=%00",
        ] {
            assert_eq!(request(line), Err(Refusal::Unpinned), "{line:?}");
        }
    }

    #[test]
    fn whitespace_around_the_line_is_dropped() {
        for line in [
            "label=org.testcontainers.session-id=abc",
            "  label=org.testcontainers.session-id=abc",
            "label=org.testcontainers.session-id=abc \t",
            "label=org.testcontainers.session-id=abc\r",
            "label=org.testcontainers.session-id=abc\r\r",
            "\tlabel=org.testcontainers.session-id=abc \r",
        ] {
            assert_eq!(pinned(line), Some("abc".into()), "{line:?}");
        }
        // Inside the line it stays: a key with a space is another key.
        assert_eq!(
            request("label =org.testcontainers.session-id=abc"),
            Err(Refusal::Unpinned)
        );
    }

    #[test]
    fn a_refusal_says_what_to_send_on_one_line() {
        for refusal in [Refusal::Unpinned, Refusal::Invalid(ParseError::Semicolon)] {
            let answer = String::from_utf8(refusal.answer()).unwrap();
            assert!(answer.starts_with("ERROR "), "{answer}");
            assert!(
                answer.contains("label=org.testcontainers.session-id=<session id>"),
                "{answer}"
            );
            assert_eq!(answer.matches('\n').count(), 1, "{answer}");
            assert!(answer.ends_with('\n'), "{answer}");
            assert_ne!(answer.as_bytes(), ACK);
        }
        assert!(
            String::from_utf8(Refusal::Invalid(ParseError::Semicolon).answer())
                .unwrap()
                .contains("';' is not a separator")
        );
    }

    #[test]
    fn a_long_pinned_line_is_accepted_whole() {
        // Up to the line limit, any number of narrowing pairs may come with the pin.
        let mut line = String::from("label=org.testcontainers.session-id=abc");
        while line.len() < MAX_LINE - 20 {
            line.push_str(&format!("&label=k{}=v", line.len()));
        }
        let set = read_request(line.as_bytes()).unwrap();
        assert_eq!(set.session(), Some("abc"));
        assert!(set.to_engine()["label"].len() > 1000);
        // A long line without a pin is refused like a short one.
        let unpinned = line.replace("session-id", "session");
        assert_eq!(request(&unpinned), Err(Refusal::Unpinned));
    }

    const ID_A: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const ID_B: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    #[test]
    fn a_pinned_remove_line_asks_for_its_ids_now() {
        let line = format!("label=org.testcontainers.session-id=abc&remove={ID_A}&remove={ID_B}");
        let Ok(Request::RemoveNow { filters, ids }) = read_any_request(line.as_bytes()) else {
            panic!("not a removal: {line}");
        };
        assert_eq!(ids, 2);
        let engine = filters.to_engine();
        // Listed by session and id: an id of another session's object matches nothing.
        assert_eq!(engine["label"], vec!["org.testcontainers.session-id=abc"]);
        assert_eq!(engine["id"], vec![ID_A, ID_B]);
        assert!(!engine.contains_key(REMOVE_KEY));
        // A plain line is still a filter for the end of the session.
        assert_eq!(
            read_any_request(b"label=org.testcontainers.session-id=abc"),
            Ok(Request::Filter(set(&[(
                "label",
                "org.testcontainers.session-id=abc"
            )])))
        );
    }

    #[test]
    fn a_remove_line_must_pin_a_session_and_name_full_ids() {
        let unpinned = format!("label=org.testcontainers=true&remove={ID_A}");
        assert_eq!(
            read_any_request(unpinned.as_bytes()),
            Err(Refusal::Unpinned)
        );
        let pin = "label=org.testcontainers.session-id=abc";
        for bad in [
            format!("{pin}&remove=0123456789ab"),
            format!("{pin}&remove={}", ID_A.to_uppercase()),
            format!("{pin}&remove="),
            format!("{pin}&remove={ID_A}&name=x"),
        ] {
            let refused = read_any_request(bad.as_bytes());
            assert!(
                matches!(refused, Err(Refusal::BadRemoval(_))),
                "{bad}: {refused:?}"
            );
            let answer = String::from_utf8(refused.unwrap_err().answer()).unwrap();
            assert!(answer.starts_with("ERROR removal refused: "), "{answer}");
            assert!(answer.ends_with("nothing was removed\n"), "{answer}");
        }
    }

    #[test]
    fn bad_lines_are_rejected_whole() {
        assert_eq!(parse("label=a;label=b"), Err(ParseError::Semicolon));
        assert_eq!(parse("label=x&;"), Err(ParseError::Semicolon));
        assert_eq!(
            parse("label=session%3Dabc&label=a%zz"),
            Err(ParseError::BadEscape("%zz".into()))
        );
        assert_eq!(parse("label=50%"), Err(ParseError::BadEscape("%".into())));
        assert_eq!(parse("label=%4"), Err(ParseError::BadEscape("%4".into())));
        assert_eq!(parse("label=%FF"), Err(ParseError::NotUtf8));
        assert_eq!(parse_line(b"label=\xff"), Err(ParseError::NotUtf8));
    }

    #[test]
    fn engine_filters_and_display() {
        let filters = parse("label=b=2&label=a=1&name=x").unwrap();
        let engine = filters.to_engine();
        assert_eq!(engine["label"], vec!["a=1", "b=2"]);
        assert_eq!(engine["name"], vec!["x"]);
        assert_eq!(filters.to_string(), "label=a=1&label=b=2&name=x");
    }

    async fn lines(input: &[u8]) -> Vec<Line> {
        let mut reader = input;
        let mut out = Vec::new();
        while let Some(line) = read_line(&mut reader).await.unwrap() {
            let stop = line == Line::TooLong;
            out.push(line);
            if stop {
                break;
            }
        }
        out
    }

    fn text(s: &str) -> Line {
        Line::Text(s.as_bytes().to_vec())
    }

    #[tokio::test]
    async fn lines_end_with_lf_or_crlf_or_the_close() {
        assert_eq!(
            lines(b"label=a\nlabel=b\r\n\nlabel=c").await,
            vec![text("label=a"), text("label=b"), text(""), text("label=c")]
        );
        assert_eq!(lines(b"label=a\r").await, vec![text("label=a")]);
        assert_eq!(lines(b"").await, vec![]);
    }

    #[tokio::test]
    async fn overlong_lines_stop_the_reading() {
        let mut input = vec![b'x'; MAX_LINE];
        input.push(b'\n');
        assert_eq!(lines(&input).await, vec![Line::Text(vec![b'x'; MAX_LINE])]);

        let mut input = vec![b'x'; MAX_LINE + 1];
        input.extend_from_slice(b"\nlabel=a\n");
        assert_eq!(lines(&input).await, vec![Line::TooLong]);
    }
}

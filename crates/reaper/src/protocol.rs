//! The wire format: one filter set per line, written like a URL query string and read the way
//! Go's `url.ParseQuery` reads it, each answered with `ACK\n`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// The reply to every non-empty line.
pub(crate) const ACK: &[u8] = b"ACK\n";

/// The longest line accepted, as Go's line scanner allows by default; a longer one ends the
/// connection.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The filters of one line: Docker list filters, each key with its values. An object matches
/// when it matches every value of every key.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FilterSet(BTreeMap<String, BTreeSet<String>>);

impl FilterSet {
    /// A set that would match everything: never stored.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
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

/// Why a line was not stored.
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

    #[test]
    fn nothing_but_separators_is_an_empty_set() {
        assert!(parse("&").unwrap().is_empty());
        assert!(parse("&&&").unwrap().is_empty());
        assert!(!parse("=").unwrap().is_empty());
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

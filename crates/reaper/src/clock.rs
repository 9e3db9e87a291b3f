//! Wall-clock times as the engine writes them (RFC 3339) and as the log shows them. The
//! reaper only needs "nanoseconds since 1970" in both directions; the calendar is `time`'s.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Nanoseconds since the Unix epoch (negative before it).
pub(crate) type UnixNanos = i128;

/// Now, in nanoseconds since the Unix epoch.
pub(crate) fn now() -> UnixNanos {
    OffsetDateTime::now_utc().unix_timestamp_nanos()
}

/// Whole seconds since the epoch (the engine's `Created` of containers and images).
pub(crate) fn from_seconds(seconds: i64) -> UnixNanos {
    seconds as i128 * NANOS_PER_SECOND
}

/// `2024-05-01T10:00:00.123Z`: UTC with milliseconds, for log lines (the layout of Ryuk's
/// own log, which tools may already parse).
pub(crate) fn format_utc_millis(at: UnixNanos) -> String {
    match OffsetDateTime::from_unix_timestamp_nanos(at) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        // Beyond year 9999: no calendar date, but a log line must still say when.
        Err(_) => format!("{at}ns"),
    }
}

/// Parses the RFC 3339 timestamps the engine reports for networks (`Created`, with
/// nanoseconds) and volumes (`CreatedAt`, whole seconds, sometimes with a local offset).
pub(crate) fn parse_rfc3339(text: &str) -> Option<UnixNanos> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i128 = NANOS_PER_SECOND;

    #[test]
    fn parses_what_the_engine_reports() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        // A network's Created: nanoseconds.
        assert_eq!(
            parse_rfc3339("2024-05-01T10:00:00.123456789Z"),
            Some(1_714_557_600 * SECOND + 123_456_789)
        );
        // A volume's CreatedAt: whole seconds, local offset.
        assert_eq!(
            parse_rfc3339("2024-05-01T12:00:00+02:00"),
            Some(1_714_557_600 * SECOND)
        );
        assert_eq!(
            parse_rfc3339("2024-05-01T09:30:00.5-00:30"),
            Some(1_714_557_600 * SECOND + SECOND / 2)
        );
        // More than nine fraction digits: the rest is below a nanosecond.
        assert_eq!(
            parse_rfc3339("2000-02-29T00:00:00.0000000019Z"),
            Some(951_782_400 * SECOND + 1)
        );
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        for text in [
            "",
            "0001-01-01",
            "2024-05-01 10:00",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00+0200",
            "2024-05-01T10:00:00Zjunk",
            "2024-05-01T1a:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?}");
        }
    }

    #[test]
    fn formats_utc_with_milliseconds() {
        assert_eq!(format_utc_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_utc_millis(1_714_557_600 * SECOND + 123_456_789),
            "2024-05-01T10:00:00.123Z"
        );
        assert_eq!(
            format_utc_millis(951_782_400 * SECOND),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(format_utc_millis(-SECOND), "1969-12-31T23:59:59.000Z");
    }

    #[test]
    fn formatting_and_parsing_round_trip_to_the_millisecond() {
        for at in [
            0,
            951_782_400 * SECOND + 7_000_000,
            -86_400 * 365 * 400 * SECOND,
        ] {
            assert_eq!(parse_rfc3339(&format_utc_millis(at)), Some(at));
        }
    }
}

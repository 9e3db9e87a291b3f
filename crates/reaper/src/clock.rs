//! Wall-clock times as the engine writes them (RFC 3339) and as the log shows them, without a
//! date crate: the reaper only needs "seconds since 1970" in both directions.

use std::time::{SystemTime, UNIX_EPOCH};

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Nanoseconds since the Unix epoch (negative before it).
pub(crate) type UnixNanos = i128;

/// Now, in nanoseconds since the Unix epoch.
pub(crate) fn now() -> UnixNanos {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

/// Whole seconds since the epoch (the engine's `Created` of containers and images).
pub(crate) fn from_seconds(seconds: i64) -> UnixNanos {
    seconds as i128 * NANOS_PER_SECOND
}

/// `2024-05-01T10:00:00.123Z`: UTC with milliseconds, for log lines.
pub(crate) fn format_utc_millis(at: UnixNanos) -> String {
    let seconds = at.div_euclid(NANOS_PER_SECOND) as i64;
    let millis = (at.rem_euclid(NANOS_PER_SECOND) / 1_000_000) as u32;
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// Parses the RFC 3339 timestamps the engine reports for networks (`Created`, with
/// nanoseconds) and volumes (`CreatedAt`, whole seconds, sometimes with a local offset).
pub(crate) fn parse_rfc3339(text: &str) -> Option<UnixNanos> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    let separator = |at: usize, allowed: &[u8]| bytes.get(at).is_some_and(|b| allowed.contains(b));
    if !(separator(4, b"-")
        && separator(7, b"-")
        && separator(10, b"Tt ")
        && separator(13, b":")
        && separator(16, b":"))
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // 60 is a leap second; it only shifts the instant by a second, which the reaper tolerates.
    if second > 60 {
        return None;
    }

    let mut rest = &text[19..];
    let mut nanos: i128 = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Only the first nine digits matter (nanoseconds); pad shorter fractions.
        let kept = &fraction[..digits.min(9)];
        nanos = kept.parse::<i128>().ok()? * 10i128.pow(9 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_seconds: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let offset = rest.get(1..)?.as_bytes();
            if offset.len() != 5 || offset[2] != b':' {
                return None;
            }
            let hours: i64 = std::str::from_utf8(&offset[..2]).ok()?.parse().ok()?;
            let minutes: i64 = std::str::from_utf8(&offset[3..]).ok()?.parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };

    let days = days_from_civil(year, month as u32, day as u32);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(seconds as i128 * NANOS_PER_SECOND + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the well-known era/day-of-era method).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month as i64 + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    fn calendar_round_trips() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}

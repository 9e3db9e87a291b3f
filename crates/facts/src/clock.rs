//! Calendar days in UTC: which day's fact `/facts/today` serves, and when its cache entry
//! expires. The calendar itself is the `time` crate's.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use time::{Date, Month, OffsetDateTime};

/// A calendar day in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDate(Date);

impl UtcDate {
    /// Today, in UTC.
    pub fn today() -> UtcDate {
        UtcDate::of(SystemTime::now())
    }

    /// The day `time` falls on, in UTC.
    ///
    /// Times beyond the calendar's years (±9999) count as its first or last day.
    pub fn of(time: SystemTime) -> UtcDate {
        let seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        let date = match OffsetDateTime::from_unix_timestamp(seconds) {
            Ok(at) => at.date(),
            Err(_) if seconds < 0 => Date::MIN,
            Err(_) => Date::MAX,
        };
        UtcDate(date)
    }

    /// The day `year`-`month`-`day`, if there is one.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<UtcDate> {
        let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
        let date =
            Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?);
        date.ok().map(UtcDate)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        (self.0 - OffsetDateTime::UNIX_EPOCH.date()).whole_days()
    }

    /// Year, month (1–12) and day (1–31).
    pub fn ymd(self) -> (i64, u32, u32) {
        (
            i64::from(self.0.year()),
            u32::from(u8::from(self.0.month())),
            u32::from(self.0.day()),
        )
    }

    /// The following day (the last day of the calendar, 9999-12-31, has none: it stays).
    pub fn next(self) -> UtcDate {
        UtcDate(self.0.next_day().unwrap_or(self.0))
    }

    /// The Unix time of this day's midnight (its first second).
    pub fn midnight(self) -> i64 {
        self.0.midnight().assume_utc().unix_timestamp()
    }

    /// The Unix time of the midnight that ends this day: when a cache entry for this day
    /// should expire.
    pub fn next_midnight(self) -> i64 {
        self.midnight() + 86_400
    }
}

impl fmt::Display for UtcDate {
    /// ISO 8601: `2026-11-21`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(unix: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(unix)
    }

    #[test]
    fn known_days() {
        assert_eq!(UtcDate::of(UNIX_EPOCH).to_string(), "1970-01-01");
        assert_eq!(UtcDate::of(UNIX_EPOCH).days_since_epoch(), 0);
        // 2000-02-29T12:00:00Z, a leap day in a year divisible by 400.
        assert_eq!(UtcDate::of(at(951_825_600)).to_string(), "2000-02-29");
        // 2026-11-21T23:59:59Z and one second later.
        assert_eq!(UtcDate::of(at(1_795_305_599)).to_string(), "2026-11-21");
        assert_eq!(UtcDate::of(at(1_795_305_600)).to_string(), "2026-11-22");
        // Before 1970.
        assert_eq!(
            UtcDate::of(UNIX_EPOCH - Duration::from_secs(1)).to_string(),
            "1969-12-31"
        );
        assert_eq!(
            UtcDate::of(UNIX_EPOCH - Duration::from_secs(1)).days_since_epoch(),
            -1
        );
    }

    #[test]
    fn next_midnight_ends_the_day() {
        let day = UtcDate::from_ymd(2026, 11, 21).unwrap();
        assert_eq!(day.midnight(), 1_795_219_200);
        assert_eq!(day.next_midnight(), 1_795_305_600);
        assert_eq!(
            UtcDate::of(at(1_795_305_599)).next_midnight(),
            1_795_305_600
        );
        let new_year = UtcDate::from_ymd(2026, 12, 31).unwrap();
        assert_eq!(new_year.next().to_string(), "2027-01-01");
    }

    #[test]
    fn conversions_round_trip_for_every_day_of_many_years() {
        let mut expected = UtcDate::from_ymd(1896, 1, 1).unwrap();
        let mut days = expected.days_since_epoch();
        for year in 1896..2404 {
            for month in 1..=12u8 {
                let length = time::util::days_in_month(Month::try_from(month).unwrap(), year);
                for day in 1..=u32::from(length) {
                    let month = u32::from(month);
                    let date = UtcDate::from_ymd(i64::from(year), month, day).unwrap();
                    assert_eq!(date, expected, "{year}-{month}-{day}");
                    assert_eq!(date.ymd(), (i64::from(year), month, day));
                    assert_eq!(date.days_since_epoch(), days);
                    expected = expected.next();
                    days += 1;
                }
            }
        }
    }

    #[test]
    fn impossible_days_are_refused() {
        assert!(UtcDate::from_ymd(2026, 2, 29).is_none());
        assert!(UtcDate::from_ymd(2100, 2, 29).is_none());
        assert!(UtcDate::from_ymd(2000, 2, 29).is_some());
        assert!(UtcDate::from_ymd(2026, 13, 1).is_none());
        assert!(UtcDate::from_ymd(2026, 4, 31).is_none());
        assert!(UtcDate::from_ymd(2026, 4, 0).is_none());
        assert!(UtcDate::from_ymd(2026, 0, 1).is_none());
        assert!(UtcDate::from_ymd(1 << 40, 1, 1).is_none());
    }
}

//! Calendar days in UTC: which day's fact `/facts/today` serves, and when its cache entry
//! expires.
//!
//! Two conversions (days since 1970 ↔ year, month, day) are all the service needs, so they
//! are written out here rather than pulled in with a date crate.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

const SECONDS_PER_DAY: i64 = 86_400;

/// A calendar day in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDate {
    /// Days since 1970-01-01.
    days: i64,
}

impl UtcDate {
    /// Today, in UTC.
    pub fn today() -> UtcDate {
        UtcDate::of(SystemTime::now())
    }

    /// The day `time` falls on, in UTC.
    pub fn of(time: SystemTime) -> UtcDate {
        let seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        UtcDate {
            days: seconds.div_euclid(SECONDS_PER_DAY),
        }
    }

    /// The day `year`-`month`-`day`, if there is one.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<UtcDate> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(UtcDate {
            days: days_from_civil(year, month, day),
        })
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        self.days
    }

    /// Year, month (1–12) and day (1–31).
    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.days)
    }

    /// The following day.
    pub fn next(self) -> UtcDate {
        UtcDate {
            days: self.days + 1,
        }
    }

    /// The Unix time of this day's midnight (its first second).
    pub fn midnight(self) -> i64 {
        self.days * SECONDS_PER_DAY
    }

    /// The Unix time of the midnight that ends this day: when a cache entry for this day
    /// should expire.
    pub fn next_midnight(self) -> i64 {
        self.next().midnight()
    }
}

impl fmt::Display for UtcDate {
    /// ISO 8601: `2026-11-21`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// The two conversions below are Howard Hinnant's `days_from_civil` and `civil_from_days`
// (public domain): the proleptic Gregorian calendar in eras of 400 years (146 097 days),
// with years that start on 1 March so that the leap day comes last.

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both fit: a month is 1 to 12, a day 1 to 31.
    (year, month as u32, day as u32)
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
    }

    #[test]
    fn next_midnight_ends_the_day() {
        let day = UtcDate::from_ymd(2026, 11, 21).unwrap();
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
        for year in 1896..2404 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let date = UtcDate::from_ymd(year, month, day).unwrap();
                    assert_eq!(date, expected, "{year}-{month}-{day}");
                    assert_eq!(date.ymd(), (year, month, day));
                    expected = expected.next();
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
    }
}

//! Times the engine reports (creation of volumes and networks), read the same way whatever
//! bollard features the build turns on.

use std::time::SystemTime;

/// A time from the engine: text in RFC 3339, or already parsed when another crate in the
/// build turns on bollard's `time` feature.
pub(crate) trait EngineTime {
    /// The time as a `SystemTime`, if it can be read.
    fn to_system_time(&self) -> Option<SystemTime>;
}

impl EngineTime for String {
    fn to_system_time(&self) -> Option<SystemTime> {
        rfc3339(Some(self))
    }
}

impl EngineTime for time::OffsetDateTime {
    fn to_system_time(&self) -> Option<SystemTime> {
        Some(SystemTime::from(*self))
    }
}

/// An RFC 3339 time from the engine.
pub(crate) fn rfc3339(text: Option<&str>) -> Option<SystemTime> {
    use time::format_description::well_known::Rfc3339;
    let parsed = time::OffsetDateTime::parse(text?, &Rfc3339).ok()?;
    Some(SystemTime::from(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_times_parse() {
        let t = rfc3339(Some("2026-12-02T02:33:10.123456789Z")).unwrap();
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs % 60, 10);
        assert_eq!(rfc3339(Some("yesterday")), None);
        assert_eq!(rfc3339(None), None);
    }
}

//! The labels every container, network and volume we create carries, so that Testcontainers
//! tooling and a Ryuk-compatible reaper recognise them.

use std::collections::HashMap;

/// Marks an object as created by a Testcontainers library.
pub(crate) const MARKER: &str = "org.testcontainers";
/// The language of the library that created it.
pub(crate) const LANG: &str = "org.testcontainers.lang";
/// The version of the library that created it.
pub(crate) const VERSION: &str = "org.testcontainers.version";
/// The session (one per process) that owns it; the reaper filters on this one.
pub(crate) const SESSION_ID: &str = "org.testcontainers.session-id";

/// The standard labels for an object owned by `session_id`.
pub(crate) fn standard(session_id: &str) -> HashMap<String, String> {
    HashMap::from([
        (MARKER.to_string(), "true".to_string()),
        (LANG.to_string(), "rust".to_string()),
        (VERSION.to_string(), env!("CARGO_PKG_VERSION").to_string()),
        (SESSION_ID.to_string(), session_id.to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_labels_follow_the_testcontainers_contract() {
        let labels = standard("abc");
        assert_eq!(labels["org.testcontainers"], "true");
        assert_eq!(labels["org.testcontainers.lang"], "rust");
        assert_eq!(labels["org.testcontainers.session-id"], "abc");
        assert_eq!(
            labels["org.testcontainers.version"],
            env!("CARGO_PKG_VERSION")
        );
    }
}

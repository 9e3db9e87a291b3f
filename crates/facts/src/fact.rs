//! Facts, their ids, and the shapes the API serves them in.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A fact's id: 32 hexadecimal digits, as the useless-facts API issues them
/// (`"2d2a0ab9e3b3c4d0a1f5a7e6c9b8d7f0"`).
///
/// Case does not matter on the way in; ids are stored and served in lowercase, so
/// `GET /facts/2D2A…` and `GET /facts/2d2a…` name the same fact. Anything else (another
/// length, a character outside `0-9a-fA-F`) is malformed: the API answers 400 without
/// asking the database.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct FactId(String);

/// How many hexadecimal digits an id has.
pub const ID_LEN: usize = 32;

impl FactId {
    /// Checks `text` and returns it as an id, in lowercase.
    ///
    /// # Errors
    /// [`MalformedId`] unless `text` is exactly [`ID_LEN`] hexadecimal digits.
    pub fn parse(text: &str) -> Result<FactId, MalformedId> {
        if text.len() == ID_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(FactId(text.to_ascii_lowercase()))
        } else {
            Err(MalformedId {
                shown: shorten(text),
            })
        }
    }

    /// The id, in lowercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for FactId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        FactId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Text that is not a [`FactId`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedId {
    /// The text, cut short if it is long: it goes into messages.
    shown: String,
}

impl fmt::Display for MalformedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a fact id: ids are {ID_LEN} hexadecimal digits",
            self.shown
        )
    }
}

impl std::error::Error for MalformedId {}

impl MalformedId {
    /// A path segment that is not UTF-8 once percent-decoded.
    pub(crate) fn not_utf8() -> MalformedId {
        MalformedId {
            shown: "(not UTF-8)".to_string(),
        }
    }
}

/// At most 40 characters of `text`, for a message that quotes what a client sent.
fn shorten(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// A fact, in the shape of the useless-facts API (`/api/v2/facts/random`):
///
/// ```json
/// { "id": "…32 hex digits…", "text": "…", "source": "djtech.net",
///   "source_url": "http://…", "language": "en", "permalink": "https://…" }
/// ```
///
/// `id` and `text` are required (and `text` must not be blank); the other fields default to
/// empty strings when an upstream leaves them out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// The fact's id.
    pub id: FactId,
    /// The fact itself.
    pub text: String,
    /// Where it comes from, as a name (`"djtech.net"`).
    #[serde(default)]
    pub source: String,
    /// Where it comes from, as a URL.
    #[serde(default)]
    pub source_url: String,
    /// The language of `text` (`"en"`).
    #[serde(default)]
    pub language: String,
    /// Where the fact can be fetched again.
    #[serde(default)]
    pub permalink: String,
}

/// A fact as `/facts/random` and `/facts/today` serve it: the fact, and how often the service
/// has served it, this time included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServedFact {
    /// The fact.
    #[serde(flatten)]
    pub fact: Fact,
    /// How often the service has served it, this time included.
    pub views: i64,
}

/// A fact as PostgreSQL keeps it, served by `/facts/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredFact {
    /// The fact, as it was last served.
    #[serde(flatten)]
    pub fact: Fact,
    /// How often the service has served it.
    pub views: i64,
    /// When it was first served: RFC 3339, UTC, microseconds (`2026-11-21T09:14:03.123456Z`).
    pub first_seen: String,
    /// When it was last served, in the same form.
    pub last_seen: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "f2e23856bb43e0ee89a2af01b50ed403";

    #[test]
    fn an_id_is_32_hex_digits_in_any_case_served_in_lowercase() {
        assert_eq!(FactId::parse(ID).unwrap().as_str(), ID);
        let upper = ID.to_ascii_uppercase();
        assert_eq!(FactId::parse(&upper).unwrap().as_str(), ID);
        for bad in [
            "",
            "f2e23856",
            &format!("{ID}0"),
            "g2e23856bb43e0ee89a2af01b50ed403",
            "f2e23856-b43e0ee89a2af01b50ed403",
            "f2e23856bb43e0ee89a2af01b50ed40é",
        ] {
            assert!(FactId::parse(bad).is_err(), "{bad:?} passed");
        }
    }

    #[test]
    fn a_malformed_id_is_quoted_short_in_its_message() {
        let long = "x".repeat(500);
        let message = FactId::parse(&long).unwrap_err().to_string();
        assert!(message.len() < 120, "{message}");
        assert!(message.contains("32 hexadecimal digits"), "{message}");
    }

    #[test]
    fn a_fact_reads_the_useless_facts_shape() {
        let json = format!(
            r#"{{"id":"{ID}","text":"Honey keeps.","source":"djtech.net",
                "source_url":"http://www.djtech.net/humor/useless_facts.htm",
                "language":"en","permalink":"https://uselessfacts.jsph.pl/api/v2/facts/{ID}"}}"#
        );
        let fact: Fact = serde_json::from_str(&json).unwrap();
        assert_eq!(fact.id.as_str(), ID);
        assert_eq!(fact.source, "djtech.net");
        assert_eq!(fact.language, "en");
    }

    #[test]
    fn a_fact_needs_an_id_and_text_and_a_well_formed_id() {
        assert!(serde_json::from_str::<Fact>(r#"{"text":"no id"}"#).is_err());
        assert!(serde_json::from_str::<Fact>(&format!(r#"{{"id":"{ID}"}}"#)).is_err());
        assert!(serde_json::from_str::<Fact>(r#"{"id":"42","text":"short id"}"#).is_err());
        let minimal: Fact =
            serde_json::from_str(&format!(r#"{{"id":"{ID}","text":"t"}}"#)).unwrap();
        assert_eq!(minimal.source, "");
    }

    #[test]
    fn a_served_fact_is_the_fact_and_its_views_side_by_side() {
        let fact = Fact {
            id: FactId::parse(ID).unwrap(),
            text: "t".into(),
            source: "s".into(),
            source_url: "u".into(),
            language: "en".into(),
            permalink: "p".into(),
        };
        let json = serde_json::to_value(ServedFact { fact, views: 3 }).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": ID, "text": "t", "source": "s", "source_url": "u",
                               "language": "en", "permalink": "p", "views": 3})
        );
    }
}

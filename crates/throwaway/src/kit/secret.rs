//! A value that must not show up in `Debug` output, logs or error messages.

use std::fmt;

/// A password, token or key: `Debug` shows it as `"***"`, and only
/// [`expose`](Secret::expose) hands out the value itself.
///
/// ```
/// use throwaway::kit::Secret;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password:?}"), r#""***""#);
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the few places that must send it: a client's login, the
    /// environment variable or file the image reads it from, a connection URL.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty, which most services read as "no password".
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "\"***\"");
        assert_eq!(format!("{:?}", Some(secret.clone())), r#"Some("***")"#);
        assert_eq!(secret.expose(), "hunter2");
        assert!(Secret::new("").is_empty());
    }
}

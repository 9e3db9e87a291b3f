//! Image references (`redis:7.0`, `ghcr.io/org/app@sha256:…`), checked before any engine call.
//!
//! The grammar is Docker's (the `distribution/reference` package the engine uses):
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [ registry "/" ] path            at most 255 characters
//! registry   := host [ ":" port ]                the first component, if it has '.' or ':'
//!                                                or is `localhost`
//! path       := component ( "/" component )*
//! component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//! tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//! digest     := algorithm ":" hex                sha256 (64 hex digits), sha384, sha512
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};

/// The longest name (registry and path, without tag or digest) Docker accepts.
const NAME_MAX_LEN: usize = 255;

/// The longest tag Docker accepts.
const TAG_MAX_LEN: usize = 128;

/// Registry names that mean Docker Hub. `docker.io` and `index.docker.io` are Docker's own;
/// `registry-1.docker.io` is Hub's API host; `registry.hub.docker.com` is treated as Hub by
/// Testcontainers' image name prefix.
const DOCKER_HUB_REGISTRIES: &[&str] = &[
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// A validated image reference: `[registry/]repository[:tag][@digest]`.
///
/// Parsing checks the reference against Docker's grammar, so a typo fails at once with a
/// message saying what is wrong, instead of as an engine error after a pull attempt.
///
/// The reference is kept as written: `redis:7.0` stays `redis:7.0`, not
/// `docker.io/library/redis:7.0` (Docker Hub's normalised form), because that is how the
/// engine lists images and how users recognise them in messages.
///
/// ```
/// use throwaway::ImageRef;
///
/// let image: ImageRef = "ghcr.io/acme/api:1.4".parse()?;
/// assert_eq!(image.registry(), Some("ghcr.io"));
/// assert_eq!(image.repository(), "acme/api");
/// assert_eq!(image.tag(), Some("1.4"));
///
/// let err = "Redis:7".parse::<ImageRef>().unwrap_err();
/// assert!(err.to_string().contains("must be lowercase"));
/// # Ok::<(), throwaway::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: Option<String>,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImageRef {
    /// Parses and validates an image reference.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidImageReference`] if `reference` does not follow Docker's grammar;
    /// the message says which part is wrong and why, e.g. `'Redis:7' is not a valid image
    /// reference: repository names must be lowercase ('Redis')`.
    pub fn parse(reference: &str) -> Result<ImageRef> {
        parse(reference).map_err(|why| {
            Error::new(
                ErrorKind::InvalidImageReference,
                format!("'{reference}' is not a valid image reference: {why}"),
            )
        })
    }

    /// The registry host (and port), if the reference names one: `ghcr.io`,
    /// `localhost:5000`. `None` means Docker Hub.
    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// The repository path as written, without registry, tag or digest: `redis`,
    /// `bitnami/redis`. Docker Hub stores official images under `library/`, so `redis` is
    /// `library/redis` there; this returns what was written.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if the reference has one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest (`sha256:…`), if the reference has one.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The tag, or `latest` when there is none, as the engine assumes.
    ///
    /// A pull without a tag or digest would fetch every tag of the repository, so pull with
    /// this tag, or with the digest when there is one.
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// The name without tag and digest: `[registry/]repository`.
    pub fn name(&self) -> String {
        match &self.registry {
            Some(registry) => format!("{registry}/{}", self.repository),
            None => self.repository.clone(),
        }
    }

    /// Whether the image comes from Docker Hub: no registry, or one of Hub's names
    /// (`docker.io`, `index.docker.io`, `registry-1.docker.io`, `registry.hub.docker.com`).
    pub fn is_docker_hub(&self) -> bool {
        match &self.registry {
            None => true,
            Some(registry) => DOCKER_HUB_REGISTRIES.contains(&registry.as_str()),
        }
    }

    /// The fully qualified name Docker Hub normalises to: `docker.io/library/redis` for
    /// `redis`, `docker.io/bitnami/redis` for `bitnami/redis`; other registries unchanged.
    #[allow(dead_code)] // For matching against engine-reported names and registry auth.
    pub(crate) fn normalized_name(&self) -> String {
        if !self.is_docker_hub() {
            return self.name();
        }
        if self.repository.contains('/') {
            format!("docker.io/{}", self.repository)
        } else {
            format!("docker.io/library/{}", self.repository)
        }
    }

    /// Applies Testcontainers' `hub.image.name.prefix` (`TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX`)
    /// for a registry mirror.
    ///
    /// Only Docker Hub images are changed (see [`ImageRef::is_docker_hub`]): an explicit Hub
    /// registry is dropped and `prefix` is put in front of the repository as written, with one
    /// `/` between them whether or not the prefix ends in `/`. `library/` is not added, as in
    /// Testcontainers for Java and Go: with prefix `mirror.example.com/hub/`, `redis:7`
    /// becomes `mirror.example.com/hub/redis:7` and `bitnami/redis:7` becomes
    /// `mirror.example.com/hub/bitnami/redis:7`. Write `library/redis` if the mirror needs it.
    /// Tag and digest are kept; an empty prefix changes nothing.
    ///
    /// (Testcontainers for Java also prefixes `docker.io/…` references; Go leaves them alone.
    /// We follow Java: a reference naming Hub explicitly still comes from Hub.)
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidImageReference`] if the prefixed reference is not valid (a prefix
    /// with uppercase letters or spaces, or a name longer than 255 characters).
    pub(crate) fn with_registry_prefix(&self, prefix: &str) -> Result<ImageRef> {
        let prefix = prefix.trim().trim_end_matches('/');
        if prefix.is_empty() || !self.is_docker_hub() {
            return Ok(self.clone());
        }
        let mut prefixed = format!("{prefix}/{}", self.repository);
        if let Some(tag) = &self.tag {
            prefixed.push(':');
            prefixed.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            prefixed.push('@');
            prefixed.push_str(digest);
        }
        ImageRef::parse(&prefixed).map_err(|e| {
            Error::new(
                ErrorKind::InvalidImageReference,
                format!(
                    "the Docker Hub image name prefix '{prefix}' (hub.image.name.prefix) cannot \
                     be applied to '{self}': {}",
                    e.message()
                ),
            )
        })
    }
}

impl fmt::Display for ImageRef {
    /// The reference as the engine takes it: `[registry/]repository[:tag][@digest]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(registry) = &self.registry {
            write!(f, "{registry}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for ImageRef {
    type Err = Error;

    /// Same as [`ImageRef::parse`].
    fn from_str(s: &str) -> Result<ImageRef> {
        ImageRef::parse(s)
    }
}

impl TryFrom<&str> for ImageRef {
    type Error = Error;

    /// Same as [`ImageRef::parse`].
    fn try_from(s: &str) -> Result<ImageRef> {
        ImageRef::parse(s)
    }
}

impl TryFrom<String> for ImageRef {
    type Error = Error;

    /// Same as [`ImageRef::parse`].
    fn try_from(s: String) -> Result<ImageRef> {
        ImageRef::parse(&s)
    }
}

/// Parses a reference; the error completes "'…' is not a valid image reference: {error}".
fn parse(reference: &str) -> std::result::Result<ImageRef, String> {
    if reference.is_empty() {
        return Err("it is empty".into());
    }
    if reference.trim() != reference {
        return Err("it has leading or trailing whitespace".into());
    }

    if reference.matches('@').count() > 1 {
        return Err("it has more than one '@'".into());
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => {
            check_digest(digest)?;
            (rest, Some(digest))
        }
        None => (reference, None),
    };
    if rest.is_empty() {
        return Err(format!(
            "the name before '@{}' is missing",
            digest.unwrap_or("")
        ));
    }

    // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
    let last_slash = rest.rfind('/');
    let (name, tag) = match rest.rfind(':') {
        Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
            (&rest[..colon], Some(&rest[colon + 1..]))
        }
        _ => (rest, None),
    };
    if name.is_empty() {
        return Err(format!(
            "the repository name before ':{}' is missing",
            tag.unwrap_or("")
        ));
    }
    if let Some(tag) = tag {
        check_tag(tag)?;
    }
    if name.len() > NAME_MAX_LEN {
        return Err(format!(
            "the name is {} characters long; at most {NAME_MAX_LEN} are allowed",
            name.len()
        ));
    }

    let (registry, repository) = match name.split_once('/') {
        Some((first, path))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            check_registry(first)?;
            (Some(first), path)
        }
        _ => (None, name),
    };
    if repository.is_empty() {
        return Err(format!(
            "the repository name after '{}/' is missing",
            registry.unwrap_or("")
        ));
    }
    for component in repository.split('/') {
        check_path_component(component, repository)?;
    }
    if registry.is_none()
        && repository.len() == 64
        && repository.bytes().all(|b| b.is_ascii_hexdigit())
    {
        // The engine would take it for an image id.
        return Err("64-character hexadecimal names are reserved for image ids".into());
    }

    Ok(ImageRef {
        registry: registry.map(str::to_string),
        repository: repository.to_string(),
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    })
}

/// `component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*`
fn check_path_component(component: &str, path: &str) -> std::result::Result<(), String> {
    if component.is_empty() {
        return Err(format!(
            "the repository path '{path}' has an empty component (a leading, trailing or \
             doubled '/')"
        ));
    }
    if component.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "repository names must be lowercase ('{component}')"
        ));
    }
    if let Some(bad) = component
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "'{component}' contains {}; repository names may contain only lowercase letters, \
             digits and the separators '.', '_', '__' and '-'",
            describe_char(bad)
        ));
    }
    let is_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !component.starts_with(is_alnum) {
        return Err(format!(
            "'{component}' must start with a lowercase letter or digit"
        ));
    }
    if !component.ends_with(is_alnum) {
        return Err(format!(
            "'{component}' must end with a lowercase letter or digit"
        ));
    }
    // Every run of separators between letters and digits must be '.', '_', '__' or dashes.
    for separator in component.split(is_alnum).filter(|s| !s.is_empty()) {
        let allowed = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !allowed {
            return Err(format!(
                "'{component}' has '{separator}' between letters or digits; separators are \
                 '.', '_', '__' or one or more '-'"
            ));
        }
    }
    Ok(())
}

/// `tag := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}`
fn check_tag(tag: &str) -> std::result::Result<(), String> {
    if tag.is_empty() {
        return Err("the tag after ':' is empty".into());
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if let Some(bad) = tag.chars().find(|&c| !(word(c) || c == '.' || c == '-')) {
        return Err(format!(
            "the tag '{tag}' contains {}; tags may contain only letters, digits, '_', '.' and '-'",
            describe_char(bad)
        ));
    }
    if !tag.starts_with(word) {
        return Err(format!(
            "the tag '{tag}' must start with a letter, digit or '_'"
        ));
    }
    if tag.len() > TAG_MAX_LEN {
        return Err(format!(
            "the tag is {} characters long; at most {TAG_MAX_LEN} are allowed",
            tag.len()
        ));
    }
    Ok(())
}

/// `algorithm:hex`, for the algorithms the engine verifies.
fn check_digest(digest: &str) -> std::result::Result<(), String> {
    if digest.is_empty() {
        return Err("the digest after '@' is empty".into());
    }
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(format!(
            "the digest '{digest}' must look like sha256:<64 hex digits>"
        ));
    };
    let expected_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "the digest algorithm '{algorithm}' is not supported; use sha256, sha384 or \
                 sha512"
            ))
        }
    };
    if let Some(bad) = hex
        .chars()
        .find(|&c| !(c.is_ascii_digit() || ('a'..='f').contains(&c)))
    {
        return Err(format!(
            "the digest '{digest}' contains {} after '{algorithm}:'; only lowercase hex digits \
             (0-9, a-f) are allowed",
            describe_char(bad)
        ));
    }
    if hex.len() != expected_len {
        return Err(format!(
            "the digest '{digest}' has {} hex digits after '{algorithm}:'; {algorithm} \
             digests have {expected_len}",
            hex.len()
        ));
    }
    Ok(())
}

/// `host[:port]`, host being DNS labels, an IPv4 address or a bracketed IPv6 address.
fn check_registry(registry: &str) -> std::result::Result<(), String> {
    let (host, port) = if let Some(inner) = registry.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err(format!("the registry '{registry}' has '[' without ']'"));
        };
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!(
                "the registry '{registry}' has '{host}' in brackets, which is not an IPv6 address"
            ));
        }
        match after {
            "" => (None, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return Err(format!("the registry '{registry}' has '{after}' after ']'")),
            },
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        for label in host.split('.') {
            let valid = !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !valid {
                return Err(format!(
                    "the registry '{registry}' is not a valid host name (each part between \
                     dots needs letters, digits or inner '-')"
                ));
            }
        }
    }
    if let Some(port) = port {
        if port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err()
        {
            return Err(format!(
                "the registry '{registry}' has port '{port}', which is not a number from 0 to \
                 65535"
            ));
        }
    }
    Ok(())
}

/// A character for messages: `' '` is easy to miss, so whitespace is named.
fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        c if c.is_whitespace() => "whitespace".to_string(),
        c if c.is_control() => format!("the control character {c:?}"),
        c => format!("'{c}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parts(s: &str) -> (Option<String>, String, Option<String>, Option<String>) {
        let r = ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (
            r.registry().map(str::to_string),
            r.repository().to_string(),
            r.tag().map(str::to_string),
            r.digest().map(str::to_string),
        )
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn rejected(input: &str) -> String {
        match ImageRef::parse(input) {
            Ok(r) => panic!("{input:?} was accepted as {r:?}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidImageReference);
                let prefix = format!("'{input}' is not a valid image reference: ");
                assert!(e.message().starts_with(&prefix), "{}", e.message());
                e.message()[prefix.len()..].to_string()
            }
        }
    }

    #[test]
    fn parses_the_common_forms() {
        assert_eq!(parts("redis"), (None, "redis".into(), None, None));
        assert_eq!(parts("redis:7.0"), (None, "redis".into(), s("7.0"), None));
        assert_eq!(
            parts("bitnami/redis:7.0.15-debian-12-r0"),
            (None, "bitnami/redis".into(), s("7.0.15-debian-12-r0"), None)
        );
        assert_eq!(
            parts("docker.io/library/postgres:15"),
            (s("docker.io"), "library/postgres".into(), s("15"), None)
        );
        assert_eq!(
            parts("ghcr.io/acme/team/api:v1"),
            (s("ghcr.io"), "acme/team/api".into(), s("v1"), None)
        );
        assert_eq!(
            parts("localhost:5000/redis"),
            (s("localhost:5000"), "redis".into(), None, None)
        );
        assert_eq!(
            parts("localhost/redis:7"),
            (s("localhost"), "redis".into(), s("7"), None)
        );
        assert_eq!(
            parts("127.0.0.1:5000/a/b:c"),
            (s("127.0.0.1:5000"), "a/b".into(), s("c"), None)
        );
        assert_eq!(
            parts("[::1]:5000/redis:7"),
            (s("[::1]:5000"), "redis".into(), s("7"), None)
        );
        assert_eq!(
            parts(&format!("redis@{SHA}")),
            (None, "redis".into(), None, s(SHA))
        );
        assert_eq!(
            parts(&format!("quay.io/org/app:1.2@{SHA}")),
            (s("quay.io"), "org/app".into(), s("1.2"), s(SHA))
        );
    }

    #[test]
    fn a_first_component_without_dot_colon_or_localhost_is_a_hub_user() {
        assert_eq!(
            parts("myuser/app:1"),
            (None, "myuser/app".into(), s("1"), None)
        );
    }

    #[test]
    fn separators_follow_dockers_grammar() {
        for ok in [
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a--b",
            "a---b",
            "a.b-c_d__e",
            "0x1",
            "a1.2",
        ] {
            ImageRef::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["a..b", "a___b", "a.-b", "a-.b", "a_-b"] {
            let why = rejected(bad);
            assert!(why.contains("between letters or digits"), "{bad}: {why}");
        }
    }

    #[test]
    fn display_gives_the_reference_as_written() {
        for r in [
            "redis",
            "redis:7.0",
            "docker.io/library/redis:7.0",
            "localhost:5000/a/b:c",
            &format!("redis:7@{SHA}"),
        ] {
            assert_eq!(ImageRef::parse(r).unwrap().to_string(), r);
        }
    }

    #[test]
    fn from_str_and_try_from_parse() {
        let a: ImageRef = "redis:7".parse().unwrap();
        let b = ImageRef::try_from("redis:7").unwrap();
        let c = ImageRef::try_from(String::from("redis:7")).unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
    }

    #[test]
    fn tag_or_latest_and_name() {
        let plain = ImageRef::parse("redis").unwrap();
        assert_eq!(plain.tag_or_latest(), "latest");
        assert_eq!(plain.name(), "redis");
        let tagged = ImageRef::parse("localhost:5000/redis:7").unwrap();
        assert_eq!(tagged.tag_or_latest(), "7");
        assert_eq!(tagged.name(), "localhost:5000/redis");
    }

    #[test]
    fn docker_hub_normalisation() {
        let hub = |r: &str| ImageRef::parse(r).unwrap();
        assert!(hub("redis").is_docker_hub());
        assert!(hub("docker.io/redis").is_docker_hub());
        assert!(hub("index.docker.io/library/redis").is_docker_hub());
        assert!(!hub("ghcr.io/x/redis").is_docker_hub());
        assert!(!hub("localhost/redis").is_docker_hub());
        assert_eq!(hub("redis:7").normalized_name(), "docker.io/library/redis");
        assert_eq!(
            hub("bitnami/redis").normalized_name(),
            "docker.io/bitnami/redis"
        );
        assert_eq!(
            hub("docker.io/redis").normalized_name(),
            "docker.io/library/redis"
        );
        assert_eq!(hub("ghcr.io/x/redis").normalized_name(), "ghcr.io/x/redis");
    }

    #[test]
    fn rejects_empty_and_whitespace() {
        assert_eq!(rejected(""), "it is empty");
        assert!(rejected(" redis").contains("whitespace"));
        assert!(rejected("redis:7\n").contains("whitespace"));
    }

    #[test]
    fn rejects_uppercase_naming_the_component() {
        assert_eq!(
            rejected("Redis:7"),
            "repository names must be lowercase ('Redis')"
        );
        assert_eq!(
            rejected("ghcr.io/Acme/api"),
            "repository names must be lowercase ('Acme')"
        );
        // Registries are host names: case does not matter there.
        ImageRef::parse("Registry.Example.com/acme/api").unwrap();
    }

    #[test]
    fn rejects_missing_parts() {
        assert_eq!(rejected("redis:"), "the tag after ':' is empty");
        assert_eq!(rejected(":7"), "the repository name before ':7' is missing");
        assert_eq!(rejected("redis@"), "the digest after '@' is empty");
        assert!(rejected(&format!("@{SHA}")).contains("the name before '@sha256:"));
        assert_eq!(
            rejected("docker.io/"),
            "the repository name after 'docker.io/' is missing"
        );
    }

    #[test]
    fn rejects_bad_tags() {
        assert_eq!(
            rejected("redis:tag with space"),
            "the tag 'tag with space' contains a space; tags may contain only letters, digits, \
             '_', '.' and '-'"
        );
        assert!(rejected("redis:-7").contains("must start with a letter, digit or '_'"));
        assert!(rejected("redis:.7").contains("must start with a letter, digit or '_'"));
        assert!(rejected("redis:7+1").contains("contains '+'"));
        let long = format!("redis:{}", "a".repeat(129));
        assert!(rejected(&long).contains("129 characters long; at most 128"));
        ImageRef::parse(&format!("redis:{}", "a".repeat(128))).unwrap();
        ImageRef::parse("redis:_7.0-RC1").unwrap();
    }

    #[test]
    fn rejects_empty_path_components() {
        for bad in ["a//b", "/redis", "redis/", "ghcr.io//x"] {
            let why = rejected(bad);
            assert!(why.contains("has an empty component"), "{bad}: {why}");
        }
    }

    #[test]
    fn rejects_components_with_leading_or_trailing_separators() {
        assert_eq!(
            rejected("-redis"),
            "'-redis' must start with a lowercase letter or digit"
        );
        assert_eq!(
            rejected("org/_app"),
            "'_app' must start with a lowercase letter or digit"
        );
        assert_eq!(
            rejected("redis-:7"),
            "'redis-' must end with a lowercase letter or digit"
        );
    }

    #[test]
    fn rejects_other_characters() {
        assert!(rejected("re$dis").contains("'re$dis' contains '$'"));
        assert!(rejected("my redis").contains("contains a space"));
        assert_eq!(rejected("redis:7@sha256:x@y"), "it has more than one '@'");
    }

    #[test]
    fn rejects_bad_digests() {
        assert!(rejected("redis@sha256:abc")
            .contains("has 3 hex digits after 'sha256:'; sha256 digests have 64"));
        assert!(rejected("redis@md5:0123456789abcdef0123456789abcdef")
            .contains("algorithm 'md5' is not supported"));
        assert!(rejected("redis@0123456789abcdef").contains("must look like sha256:"));
        let upper = format!("redis@sha256:{}", "A".repeat(64));
        assert!(rejected(&upper).contains("only lowercase hex digits"));
        let bad = format!("redis@sha256:{}g", "a".repeat(63));
        assert!(rejected(&bad).contains("contains 'g'"));
        ImageRef::parse(&format!("redis@sha512:{}", "f".repeat(128))).unwrap();
    }

    #[test]
    fn rejects_bad_registries() {
        assert!(rejected("my_registry.com/redis").contains("not a valid host name"));
        assert!(rejected("-bad.com/redis").contains("not a valid host name"));
        assert!(rejected("registry.com:port/redis").contains("port 'port'"));
        assert!(rejected("registry.com:99999/redis").contains("port '99999'"));
        assert!(rejected("[nope]:5000/redis").contains("not an IPv6 address"));
    }

    #[test]
    fn rejects_names_that_are_too_long() {
        let long = format!("{}/{}", "a".repeat(200), "b".repeat(60));
        assert_eq!(
            rejected(&long),
            "the name is 261 characters long; at most 255 are allowed"
        );
        // 255 is fine, and the tag does not count.
        let ok = format!("{}/{}:7", "a".repeat(200), "b".repeat(54));
        ImageRef::parse(&ok).unwrap();
    }

    #[test]
    fn rejects_names_that_look_like_image_ids() {
        let id = "0123456789abcdef".repeat(4);
        assert!(rejected(&id).contains("reserved for image ids"));
    }

    #[test]
    fn registry_prefix_applies_to_docker_hub_images_only() {
        let prefixed = |image: &str, prefix: &str| {
            ImageRef::parse(image)
                .unwrap()
                .with_registry_prefix(prefix)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            prefixed("redis:7", "mirror.example.com/"),
            "mirror.example.com/redis:7"
        );
        assert_eq!(
            prefixed("redis:7", "mirror.example.com"),
            "mirror.example.com/redis:7"
        );
        assert_eq!(
            prefixed("redis", "mirror.example.com:5000/dockerhub/"),
            "mirror.example.com:5000/dockerhub/redis"
        );
        assert_eq!(
            prefixed("bitnami/redis:7", "mirror.example.com/hub"),
            "mirror.example.com/hub/bitnami/redis:7"
        );
        // An explicit Hub registry is replaced, as Testcontainers for Java does.
        assert_eq!(
            prefixed("docker.io/library/redis:7", "mirror.example.com/"),
            "mirror.example.com/library/redis:7"
        );
        assert_eq!(
            prefixed(&format!("redis@{SHA}"), "mirror.example.com"),
            format!("mirror.example.com/redis@{SHA}")
        );
        // Other registries and an empty prefix: unchanged.
        assert_eq!(
            prefixed("ghcr.io/acme/api:1", "mirror.example.com/"),
            "ghcr.io/acme/api:1"
        );
        assert_eq!(
            prefixed("localhost:5000/redis", "mirror.example.com/"),
            "localhost:5000/redis"
        );
        assert_eq!(prefixed("redis:7", ""), "redis:7");
        assert_eq!(prefixed("redis:7", " / "), "redis:7");
    }

    #[test]
    fn a_bad_registry_prefix_is_reported() {
        let err = ImageRef::parse("redis:7")
            .unwrap()
            .with_registry_prefix("Mirror Example/")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidImageReference);
        assert!(
            err.message().starts_with(
                "the Docker Hub image name prefix 'Mirror Example' (hub.image.name.prefix) \
                 cannot be applied to 'redis:7'"
            ),
            "{}",
            err.message()
        );
    }
}

//! Where facts come from: an upstream HTTP API in the shape of the useless-facts API, or the
//! catalog bundled with the service.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::header::{ACCEPT, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::catalog;
use crate::clock::UtcDate;
use crate::fact::Fact;

/// The largest upstream answer the service reads. A fact is a few hundred bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// Where facts come from. Cheap to clone: clones share one HTTP client.
#[derive(Clone)]
pub struct FactSource(Source);

#[derive(Clone)]
enum Source {
    Catalog,
    Upstream(Arc<Upstream>),
}

struct Upstream {
    /// The base URL, without a trailing slash: `https://uselessfacts.jsph.pl`.
    base: String,
    timeout: Duration,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl FactSource {
    /// The facts bundled with the service (see [`catalog`]): no network, no failures.
    pub fn catalog() -> FactSource {
        FactSource(Source::Catalog)
    }

    /// An API in the shape of the useless-facts API at `base_url` (such as
    /// `https://uselessfacts.jsph.pl`): the service asks it for
    /// `{base_url}/api/v2/facts/random?language=en` and `…/today?language=en`.
    ///
    /// Each request, from connecting to the last byte of the answer, must be done within
    /// `timeout`. `https` URLs are checked against the system's CA certificates.
    ///
    /// # Errors
    /// [`InvalidUpstream`] if `base_url` is not an `http` or `https` URL with a host, or if it
    /// is `https` and the system has no CA certificates to check the server with.
    pub fn upstream(base_url: &str, timeout: Duration) -> Result<FactSource, InvalidUpstream> {
        let invalid = |why: &str| InvalidUpstream(format!("{base_url:?}: {why}"));
        let base = base_url.trim_end_matches('/');
        let uri: Uri = base
            .parse()
            .map_err(|e| invalid(&format!("not a URL ({e})")))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(invalid("the URL must start with http:// or https://")),
        };
        if uri.host().is_none_or(str::is_empty) {
            return Err(invalid("the URL has no host"));
        }
        if uri.query().is_some() {
            return Err(invalid("the base URL must not have a query"));
        }
        let roots = if https {
            let roots = system_roots();
            if roots.is_empty() {
                return Err(invalid(
                    "no CA certificates were found on this system to check the server with",
                ));
            }
            roots
        } else {
            rustls::RootCertStore::empty()
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(&format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(FactSource(Source::Upstream(Arc::new(Upstream {
            base: base.to_string(),
            timeout,
            client,
        }))))
    }

    /// A fact chosen at random.
    ///
    /// # Errors
    /// [`UpstreamError`] if the upstream cannot be reached, answers with an error status,
    /// takes too long, or sends something that is not a fact.
    pub async fn random(&self) -> Result<Fact, UpstreamError> {
        match &self.0 {
            Source::Catalog => Ok(catalog::random()),
            Source::Upstream(upstream) => upstream.fetch("random").await,
        }
    }

    /// Today's fact. From the catalog, the fact of `date`; from an upstream, whatever it
    /// calls today's.
    ///
    /// # Errors
    /// As [`random`](FactSource::random).
    pub async fn today(&self, date: UtcDate) -> Result<Fact, UpstreamError> {
        match &self.0 {
            Source::Catalog => Ok(catalog::for_date(date)),
            Source::Upstream(upstream) => upstream.fetch("today").await,
        }
    }
}

impl fmt::Debug for FactSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Catalog => write!(f, "the bundled catalog ({} facts)", catalog::len()),
            Source::Upstream(upstream) => write!(
                f,
                "{} (timeout {} ms)",
                upstream.base,
                upstream.timeout.as_millis()
            ),
        }
    }
}

impl Upstream {
    async fn fetch(&self, which: &str) -> Result<Fact, UpstreamError> {
        let url = format!("{}/api/v2/facts/{which}?language=en", self.base);
        let fail = |kind| UpstreamError {
            kind,
            url: url.clone(),
        };
        let request = Request::get(url.as_str())
            .header(ACCEPT, "application/json")
            .header(
                USER_AGENT,
                concat!("facts-service/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::new())
            .map_err(|e| fail(UpstreamErrorKind::Unreachable(e.to_string())))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| fail(UpstreamErrorKind::Unreachable(error_chain(&e))))?;
            let status = response.status();
            if !status.is_success() {
                return Err(fail(UpstreamErrorKind::Status(status)));
            }
            let body = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| fail(UpstreamErrorKind::Body(e.to_string())))?
                .to_bytes();
            parse(&body).map_err(|why| fail(UpstreamErrorKind::Malformed(why)))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(fail(UpstreamErrorKind::Timeout(self.timeout))),
        }
    }
}

/// A fact from an upstream's answer, or why it is not one.
fn parse(body: &[u8]) -> Result<Fact, String> {
    let fact: Fact = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if fact.text.trim().is_empty() {
        return Err("the fact's text is empty".to_string());
    }
    Ok(fact)
}

/// The system's CA certificates. Certificates that do not load are skipped (and logged):
/// one bad file should not stop the service from checking servers with the others.
fn system_roots() -> rustls::RootCertStore {
    let loaded = rustls_native_certs::load_native_certs();
    for error in &loaded.errors {
        tracing::warn!("loading the system's CA certificates: {error}");
    }
    let mut roots = rustls::RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
    if ignored > 0 {
        tracing::debug!(added, ignored, "system CA certificates");
    }
    roots
}

/// An error and its causes, on one line: hyper's own messages are terse ("client error
/// (Connect)"), the reason is further down.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// A base URL that cannot be an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUpstream(String);

impl fmt::Display for InvalidUpstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid facts upstream {}", self.0)
    }
}

impl std::error::Error for InvalidUpstream {}

/// The upstream did not give a fact.
#[derive(Debug)]
pub struct UpstreamError {
    kind: UpstreamErrorKind,
    url: String,
}

/// What went wrong with the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpstreamErrorKind {
    /// No connection, or it broke before an answer came: the reason.
    Unreachable(String),
    /// No complete answer within the timeout.
    Timeout(Duration),
    /// An answer with a status other than 2xx.
    Status(StatusCode),
    /// The answer's body could not be read, or was larger than [`MAX_BODY`].
    Body(String),
    /// The body was not a fact in the useless-facts shape: the reason.
    Malformed(String),
}

impl UpstreamError {
    /// What went wrong.
    pub fn kind(&self) -> &UpstreamErrorKind {
        &self.kind
    }

    /// The URL the service asked.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What went wrong, without the URL: for clients of the service, who need not learn
    /// where its facts come from.
    pub fn public_message(&self) -> String {
        match &self.kind {
            UpstreamErrorKind::Unreachable(_) => "the facts upstream cannot be reached".into(),
            UpstreamErrorKind::Timeout(after) => format!(
                "the facts upstream did not answer within {} ms",
                after.as_millis()
            ),
            UpstreamErrorKind::Status(status) => {
                format!("the facts upstream answered {status}")
            }
            UpstreamErrorKind::Body(_) => "the facts upstream's answer could not be read".into(),
            UpstreamErrorKind::Malformed(why) => {
                format!("the facts upstream sent something that is not a fact: {why}")
            }
        }
    }
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.url;
        match &self.kind {
            UpstreamErrorKind::Unreachable(why) => write!(f, "GET {url}: {why}"),
            UpstreamErrorKind::Timeout(after) => {
                write!(f, "GET {url}: no answer within {} ms", after.as_millis())
            }
            UpstreamErrorKind::Status(status) => write!(f, "GET {url}: answered {status}"),
            UpstreamErrorKind::Body(why) => write!(f, "GET {url}: reading the answer: {why}"),
            UpstreamErrorKind::Malformed(why) => write!(f, "GET {url}: not a fact: {why}"),
        }
    }
}

impl std::error::Error for UpstreamError {}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn base_urls_are_checked() {
        for good in [
            "http://127.0.0.1:8080",
            "http://facts.internal/",
            "http://facts.internal/prefix/",
        ] {
            assert!(FactSource::upstream(good, SECOND).is_ok(), "{good}");
        }
        for bad in [
            "",
            "127.0.0.1:8080",
            "ftp://host",
            "http://",
            "http://h/?q=1",
        ] {
            let err = FactSource::upstream(bad, SECOND).err();
            assert!(err.is_some(), "{bad:?} passed");
        }
    }

    #[test]
    fn a_trailing_slash_does_not_double() {
        let source = FactSource::upstream("http://facts.internal/v/", SECOND).unwrap();
        let Source::Upstream(upstream) = &source.0 else {
            panic!("an upstream");
        };
        assert_eq!(upstream.base, "http://facts.internal/v");
    }

    #[test]
    fn a_blank_text_is_not_a_fact() {
        let id = "f2e23856bb43e0ee89a2af01b50ed403";
        assert!(parse(format!(r#"{{"id":"{id}","text":"  "}}"#).as_bytes()).is_err());
        assert!(parse(format!(r#"{{"id":"{id}","text":"t"}}"#).as_bytes()).is_ok());
        assert!(parse(b"<html>").is_err());
    }

    #[test]
    fn public_messages_leave_out_the_url() {
        let error = UpstreamError {
            kind: UpstreamErrorKind::Status(StatusCode::INTERNAL_SERVER_ERROR),
            url: "http://secret.internal/api/v2/facts/random".into(),
        };
        assert!(!error.public_message().contains("secret"));
        assert!(error.public_message().contains("500"));
        assert!(error.to_string().contains("secret.internal"));
    }

    #[tokio::test]
    async fn the_catalog_serves_offline() {
        let source = FactSource::catalog();
        let date = UtcDate::from_ymd(2026, 11, 21).unwrap();
        assert_eq!(source.today(date).await.unwrap(), catalog::for_date(date));
        assert!(source.random().await.is_ok());
    }
}

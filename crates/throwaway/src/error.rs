//! The one error type of the crate.

use std::fmt;

/// A boxed error from a dependency, kept behind [`std::error::Error::source`].
pub(crate) type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, in a form a program can match on.
///
/// The message of the [`Error`] carrying the kind says the rest: which container or image,
/// what was tried, and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An image reference that cannot name an image, such as `Redis:7` or `redis:`.
    InvalidImageReference,
    /// A request that cannot be sent as given (a bad port spec, an empty command, …).
    InvalidRequest,
    /// No Docker engine answered at the places that were tried.
    EngineUnavailable,
    /// The engine configuration (environment, properties file, docker context) is unusable.
    EngineConfig,
    /// The image is not present locally and could not be pulled (or the pull policy forbade it).
    ImageUnavailable,
    /// The container stopped (exited or was killed) before it became ready.
    ContainerExited,
    /// The readiness check did not succeed within the startup timeout.
    WaitTimeout,
    /// A container port was asked for that the request never exposed.
    PortNotExposed,
    /// A host port the request asked for (with
    /// [`exposed_port_at`](crate::ContainerRequest::exposed_port_at)) is in use by another
    /// process or container: choose another port, or let the engine pick one.
    PortTaken,
    /// A command run in the container could not be started.
    Exec,
    /// The engine answered a call with an error not covered by a more specific kind.
    Engine,
    /// A local I/O failure (reading a file to copy in, building an archive, …).
    Io,
    /// A module's service (Redis, PostgreSQL, …) could not be reached by its client, or
    /// refused a command the module sent it.
    Service,
}

/// The error returned by every fallible operation of this crate.
///
/// `Display` gives a message meant for a person: what happened, to which container or image,
/// and what to do. [`Error::kind`] gives the category for programs. The underlying error of a
/// dependency, if any, is available through [`std::error::Error::source`].
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Source>,
    /// The engine's HTTP status, for errors from an engine call.
    status: Option<u16>,
}

impl Error {
    /// An error of `kind` with a complete message for a person: what happened, to which
    /// container, image or service, and what to do about it. For modules built with the
    /// [kit](crate::kit); a service that refused something is [`ErrorKind::Service`].
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
            status: None,
        }
    }

    /// Attaches the underlying cause (a client's error), shown by `Debug` and
    /// [`std::error::Error::source`], not by `Display`.
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// An engine call failed: `what` says which call and for which object.
    pub(crate) fn engine(what: impl fmt::Display, err: bollard::errors::Error) -> Self {
        let detail = engine_detail(&err);
        let status = engine_status(&err);
        let mut error = Error::new(ErrorKind::Engine, format!("{what}: {detail}")).with_source(err);
        error.status = status;
        error
    }

    /// The same error with `context` in front of its message ("postgres:15 (a1b2c3), while
    /// waiting for …: …"); kind and source unchanged.
    pub(crate) fn prefixed(mut self, context: &str) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Whether the engine refused to create a container because its name is taken.
    pub(crate) fn is_name_conflict(&self) -> bool {
        self.status == Some(409) || (self.status.is_some() && names_a_conflict(&self.message))
    }

    /// The category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the causes.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The useful part of a bollard error: the engine's own message when it sent one.
pub(crate) fn engine_detail(err: &bollard::errors::Error) -> String {
    match err {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => format!("the engine answered {status_code}: {}", message.trim()),
        other => with_causes(other),
    }
}

/// `err` and every cause behind it, as one line: "client error (Connect): invalid peer
/// certificate: UnknownIssuer". A cause whose text the line already holds is left out.
pub(crate) fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

/// Whether the engine refused a create call because the name is taken: Docker answers 409;
/// Podman answers 500, saying that the name "is already in use". Judged by what the engine
/// said, not only by the status.
pub(crate) fn is_name_conflict(err: &bollard::errors::Error) -> bool {
    match err {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => *status_code == 409 || names_a_conflict(message),
        _ => false,
    }
}

fn names_a_conflict(message: &str) -> bool {
    message.contains("is already in use")
}

/// Whether the engine said that the object asked about does not exist: Docker answers 404;
/// Podman answers 500 for a container removed while it looks it up ("container … does not
/// exist in database: no such container"). Judged by what the engine said, not only by the
/// status.
pub(crate) fn is_not_found(err: &bollard::errors::Error) -> bool {
    match err {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => *status_code == 404 || names_a_missing_object(message),
        _ => false,
    }
}

fn names_a_missing_object(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "no such container",
        "no such volume",
        "no such network",
        "no such image",
    ]
    .iter()
    .any(|phrase| message.contains(phrase))
}

/// The HTTP status of an engine error, if the engine answered at all.
pub(crate) fn engine_status(err: &bollard::errors::Error) -> Option<u16> {
    match err {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Debug` is what `?` in a test prints: make it as readable as `Display`, with causes.
        write!(f, "{:?}: {}", self.kind, self.message)?;
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            write!(f, "\n  caused by: {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_by_status_or_by_what_the_engine_said() {
        let answered =
            |status_code: u16, message: &str| bollard::errors::Error::DockerResponseServerError {
                status_code,
                message: message.to_string(),
            };
        assert!(is_not_found(&answered(404, "No such container: a1b2")));
        assert!(is_not_found(&answered(
            500,
            "container c508a5 does not exist in database: no such container"
        )));
        assert!(is_not_found(&answered(500, "no such volume")));
        assert!(!is_not_found(&answered(500, "is already in use")));
        assert!(!is_not_found(&answered(409, "removal already in progress")));
        assert!(!is_not_found(&bollard::errors::Error::RequestTimeoutError));
    }

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn error_is_send_sync_static() {
        assert_send_sync::<Error>();
    }

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);
    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn causes_are_spelled_out_once_each() {
        let tls = Layer("invalid peer certificate: UnknownIssuer", None);
        let io = Layer(
            "invalid peer certificate: UnknownIssuer",
            Some(Box::new(tls)),
        );
        let hyper = Layer("client error (Connect)", Some(Box::new(io)));
        assert_eq!(
            with_causes(&hyper),
            "client error (Connect): invalid peer certificate: UnknownIssuer"
        );
        assert_eq!(with_causes(&Layer("alone", None)), "alone");
    }

    #[test]
    fn debug_shows_kind_message_and_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err =
            Error::new(ErrorKind::Io, "reading ./x.sql to copy into redis:7.0").with_source(io);
        let debug = format!("{err:?}");
        assert!(debug.starts_with("Io: reading ./x.sql"), "{debug}");
        assert!(debug.contains("caused by: no such file"), "{debug}");
        assert_eq!(err.to_string(), "reading ./x.sql to copy into redis:7.0");
        assert_eq!(err.kind(), ErrorKind::Io);
    }
}

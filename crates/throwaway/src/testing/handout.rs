//! What a `#[throwaway::test]` argument gets, by its type.

use std::any::Any;
use std::future::Future;

use super::aftercare::Aftercare;
use crate::container::Start;
use crate::error::Result;
use crate::kit::{Isolation, IsolationUnit};
use crate::lifecycle::Shared;

/// What a `#[throwaway::test]` argument of this type gets from a `Shared<M>`.
///
/// Implemented for:
///
/// - every **isolation unit** ([`kit::IsolationUnit`](crate::kit::IsolationUnit)) of a
///   service that hands them out ([`kit::Isolation`](crate::kit::Isolation)): a fresh
///   `postgres::TestDatabase`, a `redis::RedisDatabase`, a `mysql::TestDatabase`, a
///   `nats::SubjectPrefix`, a `rabbitmq::TestVhost`, a `memcached::KeyPrefix`, and any
///   module's own from outside this crate;
/// - **`String`**: the URL of such a fresh unit (secrets included), for a client that
///   takes a URL; the unit behind it is the test's, kept or removed as a unit is.
///
/// The shared service itself is an argument of type `&'static` its started type, such as
/// `&'static PostgresContainer`: the attribute sees the reference and hands it out without
/// this trait.
#[diagnostic::on_unimplemented(
    message = "a #[throwaway::test] cannot hand out a `{Self}` from a `Shared<{M}>`",
    label = "not something `Shared<{M}>` hands out",
    note = "an argument `#[from(STATIC)] name: Type` gets, by its type: the isolation unit of \
            the shared service (postgres::TestDatabase, redis::RedisDatabase, \
            mysql::TestDatabase, nats::SubjectPrefix, rabbitmq::TestVhost, \
            memcached::KeyPrefix, or any kit::IsolationUnit of a module whose started type \
            implements kit::Isolation), that unit's URL as a `String`, or the shared service \
            itself as `&'static` its started type (e.g. `&'static PostgresContainer`)"
)]
pub trait Handout<M: Start>: Sized + Send + 'static {
    /// A new value for one test from the started, shared `server`.
    ///
    /// # Errors
    /// The server cannot hand out a unit (it is unreachable, or has none left).
    fn hand_out(server: &'static M::Started) -> impl Future<Output = Result<Handed<Self>>> + Send;
}

/// A value handed out to a test, and what the runner does with it after the test.
pub struct Handed<T> {
    pub(crate) value: T,
    pub(crate) masked_url: Option<String>,
    pub(crate) aftercare: Option<Box<dyn Aftercare>>,
    /// Something that must live as long as the test: the unit behind a `String` URL.
    pub(crate) guard: Option<Box<dyn Any + Send>>,
}

// Errors name `Handout` (whose message lists what can be handed out), not this impl's
// bounds.
#[diagnostic::do_not_recommend]
impl<M, U> Handout<M> for U
where
    M: Start,
    M::Started: Isolation<Unit = U>,
    U: IsolationUnit,
{
    async fn hand_out(server: &'static M::Started) -> Result<Handed<U>> {
        super::run::sweep_once(server).await;
        let mut unit = server.fresh_unit().await?;
        let aftercare = unit.take_aftercare();
        Ok(Handed {
            masked_url: Some(unit.masked_url()),
            value: unit,
            aftercare,
            guard: None,
        })
    }
}

#[diagnostic::do_not_recommend]
impl<M> Handout<M> for String
where
    M: Start,
    M::Started: Isolation,
{
    async fn hand_out(server: &'static M::Started) -> Result<Handed<String>> {
        super::run::sweep_once(server).await;
        let mut unit = server.fresh_unit().await?;
        let aftercare = unit.take_aftercare();
        Ok(Handed {
            value: unit.url(),
            masked_url: Some(unit.masked_url()),
            aftercare,
            guard: Some(Box::new(unit)),
        })
    }
}

/// What `#[from(…)]` names: a `static` [`Shared`].
#[diagnostic::on_unimplemented(
    message = "#[from(…)] names a `static` throwaway::Shared, not a `{Self}`",
    label = "not a throwaway::Shared",
    note = "declare the service once for the whole run, e.g. \
            `static PG: Shared<Postgres> = Shared::new(|| Postgres::new(\"postgres:15\"));`, \
            and write #[from(PG)]"
)]
pub trait Source: Sync + 'static {
    /// The service the `Shared` starts.
    type Module: Start;

    /// The `Shared` itself.
    fn shared(&'static self) -> &'static Shared<Self::Module>;
}

impl<M: Start> Source for Shared<M> {
    type Module = M;

    fn shared(&'static self) -> &'static Shared<M> {
        self
    }
}

/// The `Shared` that `#[from(STATIC)]` names; a compile error for anything else, or for a
/// `Shared` that is not a `static` (a `const` would be a new one at every use).
pub fn source<S: Source>(shared: &'static S) -> &'static Shared<S::Module> {
    shared.shared()
}

//! What `#[throwaway::test]` runs on: the hand-outs, the runner, and what becomes of a
//! test's units afterwards.
//!
//! The attribute (crate `throwaway-macros`, re-exported as [`throwaway::test`](crate::test)
//! with the default feature `macros`) only reads the signature and writes calls into this
//! module. What users may name here: [`Handout`] (which argument types can be handed out),
//! [`Flavor`] (the runtime of an async test),
//! [`Aftercare`] and [`Kept`] (for a module whose units can be kept after a failed test),
//! and [`SKIP_WITHOUT_ENGINE_VAR`].
//!
//! # What each argument gets
//!
//! An argument `#[from(STATIC)] name: Type` takes its value from the `static`
//! [`Shared`](crate::Shared) named `STATIC` (started on first use, once for the whole
//! run), and what it gets follows `Type`:
//!
//! | `Type` | what the test gets |
//! |---|---|
//! | the module's isolation unit: `postgres::TestDatabase`, `redis::RedisDatabase`, `mysql::TestDatabase`, `nats::SubjectPrefix`, `rabbitmq::TestVhost`, `memcached::KeyPrefix`, or any [`kit::IsolationUnit`](crate::kit::IsolationUnit) | a fresh one, its own: [`kit::Isolation::fresh_unit`](crate::kit::Isolation::fresh_unit) |
//! | `String` | the URL (secrets included) of such a fresh unit, which is the test's as above |
//! | `&'static` the started type: `&'static PostgresContainer`, `&'static RedisContainer`, `&'static Container` for a `Shared<ContainerRequest>`, … | the shared service itself, as [`Shared::get`](crate::Shared::get) gives it |
//!
//! Any other type is a compile error that lists these.
//!
//! # After the test
//!
//! - **Passed**: its units are removed (a PostgreSQL database dropped, a Redis database
//!   emptied), in the background.
//! - **Failed** (a panic or an `Err`): its units are kept for a look, renamed or marked
//!   `kept_<test>_<unix seconds>` (a PostgreSQL database of that name; a Redis database
//!   holding the key `throwaway:kept`), and the failure output lists each one: its URL with
//!   the password as `***`, and how to remove it by hand.
//! - **Kept units live as long as their shared container.** A shared container is removed
//!   when the run ends (at process exit, or by the reaper when the last process of a
//!   `cargo nextest` run has ended), and its kept units with it: look at them while the run
//!   is still going (a debugger, a long test), or make the shared container reused across
//!   runs (`TESTCONTAINERS_REUSE_ENABLE=true` and `.reuse(true)` on its request; see
//!   [`ContainerRequest::reuse`](crate::ContainerRequest::reuse)), so that it and the kept
//!   units stay after the run. The library does not keep a container the run would remove:
//!   that would leave containers behind that nothing removes.
//! - **The next run sweeps**: the first test of a process that uses a shared server removes
//!   the units that other runs kept, if they are older than this run. Units kept by this
//!   run, in any of its processes, stay.
//! - Which units can be kept is the module's choice
//!   ([`kit::IsolationUnit::take_aftercare`](crate::kit::IsolationUnit::take_aftercare)):
//!   PostgreSQL's and Redis's can. Others (and a module's that does not say) are cleaned up
//!   as their drop always does; the failure output still shows their URL.
//!
//! # Without an engine
//!
//! A test fails with the engine error, which says where an engine was looked for. Opt in to
//! skipping instead, with the reason printed, per test with
//! `#[throwaway::test(skip_without_engine)]` or for every test with the environment
//! variable `THROWAWAY_SKIP_WITHOUT_ENGINE=1`. Never when `CI` is set: there the test
//! fails, as [`skip_without_engine`](crate::skip_without_engine) has it.
//!
//! # Runtimes
//!
//! An `async fn` test runs on a new current-thread tokio runtime of its own, as
//! `#[tokio::test]` gives, or on a multi-threaded one with
//! `#[throwaway::test(flavor = "multi_thread")]` (and `worker_threads = N` for that many
//! workers; tokio's default is one per core): see [`Flavor`]. A plain `fn` runs with no
//! runtime around it (use
//! [`blocking`](crate::blocking) for async calls). Shared services live on the library's
//! own runtime, so they serve every test, whichever runtime it has.

mod aftercare;
mod handout;
mod run;

pub use aftercare::{Aftercare, AftercareFuture, Kept};
pub use handout::{source, Handed, Handout, Source};
pub use run::{outcome_check, Flavor, Test, TestOutput, SKIP_WITHOUT_ENGINE_VAR};

#[cfg(any(feature = "postgres", feature = "mysql", feature = "rabbitmq"))]
pub(crate) use aftercare::labelled_at;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "rabbitmq"))]
pub(crate) use aftercare::{Cleanup, KeptByTest};

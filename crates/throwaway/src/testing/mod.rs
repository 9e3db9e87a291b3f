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
//! - **Passed**: its units are removed (a PostgreSQL or MySQL database dropped, a Redis
//!   database emptied, a RabbitMQ vhost and its user deleted), in the background, as work
//!   that the shared container's removal waits for.
//! - **Failed** (a panic or an `Err`): its units are kept for a look, under a label that
//!   names the test, `kept_<test>_<unix seconds>`, and the failure output lists each one:
//!   its URL with the password as `***`, and how to remove it by hand. How the label is
//!   put on the unit is the module's:
//!
//!   | unit | kept as |
//!   |---|---|
//!   | `postgres::TestDatabase` | renamed: the database `kept_<test>_<seconds>` |
//!   | `mysql::TestDatabase` | under its own name (MySQL and MariaDB cannot rename a database), with a table `throwaway_kept` in it that holds the label |
//!   | `redis::RedisDatabase` | as it is, with the key `throwaway:kept` holding the label |
//!   | `rabbitmq::TestVhost` | under its own name (vhosts cannot be renamed), its user tagged with the label |
//!   | `nats::SubjectPrefix`, `memcached::KeyPrefix`, a prefix of a module outside the crate | not kept: a prefix is only a name, and neither server has anything under it to rename, mark or find again (memcached's items under it stay until evicted); the output still shows its URL |
//!
//! - **Kept by the test itself**: a unit whose `keep()` the test called
//!   (`TestDatabase::keep`, `TestVhost::keep`) stays under its own name, unmarked, whether
//!   the test passes or fails; a failure's output lists it as kept by the test.
//! - **Kept units live as long as their shared container.** A shared container is removed
//!   when the run ends (at process exit, or by the reaper when the last process of a
//!   `cargo nextest` run has ended), and its kept units with it: look at them while the run
//!   is still going (a debugger, a long test), or make the shared container reused across
//!   runs (`TESTCONTAINERS_REUSE_ENABLE=true` and `.reuse(true)` on its request; see
//!   [`ContainerRequest::reuse`](crate::ContainerRequest::reuse)), so that it and the kept
//!   units stay after the run. The library does not keep a container the run would remove:
//!   that would leave containers behind that nothing removes.
//! - **A later session sweeps**: in each process, the first hand-out from a shared server
//!   removes the units that *other sessions* kept on it before this process's first
//!   `#[throwaway::test]` began (PostgreSQL, MySQL and RabbitMQ units; a Redis database
//!   needs no sweep, since it is emptied when it is handed out again). Units kept by this
//!   session stay. A session is what [`kit::session_id`](crate::kit::session_id) names:
//!   every process of one `cargo nextest` run, one process (one test binary) under
//!   `cargo test`, or whatever `THROWAWAY_SESSION` says. So under `cargo test`, a test
//!   binary that starts after another one on the same reused server sweeps what that one
//!   kept; to keep them apart, give both one `THROWAWAY_SESSION`.
//! - Which units can be kept is the module's choice
//!   ([`kit::IsolationUnit::take_aftercare`](crate::kit::IsolationUnit::take_aftercare)),
//!   and so is the sweep ([`kit::Isolation::sweep_kept`](crate::kit::Isolation::sweep_kept)).
//!   A unit that says nothing is left as its drop leaves it, also after a failed test; the
//!   failure output still shows its URL.
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

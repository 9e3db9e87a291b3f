//! The runner behind `#[throwaway::test]`: the runtime, the hand-outs, the skip rule, and
//! what becomes of the units after the test.

use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use super::aftercare::{label, Aftercare, Kept};
use super::handout::Handout;
use crate::container::Start;
use crate::engine::runtime::{block_on_engine, on_engine};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::Isolation;
use crate::lifecycle::Shared;

/// The environment variable that makes every `#[throwaway::test]` skip when no engine
/// answers, as the attribute's `skip_without_engine` makes one (never with `CI` set).
pub const SKIP_WITHOUT_ENGINE_VAR: &str = "THROWAWAY_SKIP_WITHOUT_ENGINE";

/// How long keeping a failed test's units may take before the runner gives up on them.
const KEEP_TIMEOUT: Duration = Duration::from_secs(30);

/// One run of one `#[throwaway::test]`: what the attribute's code calls into.
///
/// Not for calling by hand: the attribute writes the calls.
#[derive(Clone)]
pub struct Test(Arc<Inner>);

struct Inner {
    /// `crate::module::function`.
    path: &'static str,
    skip_without_engine: bool,
    flavor: Flavor,
    handed: Mutex<Vec<Record>>,
}

/// What the runner remembers of one argument.
struct Record {
    argument: &'static str,
    source: &'static str,
    type_name: &'static str,
    masked_url: Option<String>,
    aftercare: Option<Box<dyn Aftercare>>,
    guard: Option<Box<dyn std::any::Any + Send>>,
}

/// How the test went.
enum Outcome {
    Passed,
    /// It panicked: the payload, to unwind with once the units are seen to.
    Panicked(Box<dyn std::any::Any + Send>),
    /// It returned an error, shown with `Debug`.
    Returned(String),
    /// Setting up its arguments failed; the test did not run.
    NotRun(Error),
}

/// The runtime an `async fn` test runs on: `#[throwaway::test(flavor = "multi_thread",
/// worker_threads = 2)]`, as `#[tokio::test]` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// A current-thread runtime of its own (the default): the test's tasks run on the
    /// test's thread.
    CurrentThread,
    /// A multi-threaded runtime of its own, with `worker_threads` workers (tokio's default,
    /// one per core, when `None`): for tests that need `tokio::task::block_in_place` or
    /// tasks running while the test blocks.
    MultiThread {
        /// How many worker threads; `None` for tokio's default.
        worker_threads: Option<usize>,
    },
}

impl Test {
    /// A run of the test at `path` (`module_path!()::name`), on a runtime of `flavor` if
    /// it is an `async fn`.
    pub fn new(path: &'static str, skip_without_engine: bool, flavor: Flavor) -> Self {
        run_started();
        Test(Arc::new(Inner {
            path,
            skip_without_engine,
            flavor,
            handed: Mutex::new(Vec::new()),
        }))
    }

    /// The value of type `T` for the argument `argument`, from the `Shared` named `source`.
    ///
    /// # Errors
    /// The shared service could not start, or could not hand out a unit; the message names
    /// the argument.
    pub async fn hand_out<T, M>(
        &self,
        shared: &'static Shared<M>,
        source: &'static str,
        argument: &'static str,
    ) -> Result<T>
    where
        M: Start,
        T: Handout<M>,
    {
        let server = self.server(shared, source, argument).await?;
        let handed = T::hand_out(server)
            .await
            .map_err(|err| about(err, argument, source))?;
        self.0
            .handed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Record {
                argument,
                source,
                type_name: short_type_name::<T>(),
                masked_url: handed.masked_url,
                aftercare: handed.aftercare,
                guard: handed.guard,
            });
        Ok(handed.value)
    }

    /// The shared service itself, for an argument of type `&'static S`.
    ///
    /// # Errors
    /// The shared service could not start; the message names the argument.
    pub async fn shared<M, S>(
        &self,
        shared: &'static Shared<M>,
        source: &'static str,
        argument: &'static str,
    ) -> Result<&'static S>
    where
        M: Start<Started = S>,
        S: 'static,
    {
        self.server(shared, source, argument).await
    }

    async fn server<M: Start>(
        &self,
        shared: &'static Shared<M>,
        source: &'static str,
        argument: &'static str,
    ) -> Result<&'static M::Started> {
        shared
            .get()
            .await
            .map_err(|err| about(err, argument, source))
    }

    /// Runs an `async fn` test: `setup` hands out the arguments, `body` is the test, both on
    /// a new tokio runtime of the test's [`Flavor`], as `#[tokio::test]` gives.
    pub fn run_async<A, F, Fut>(self, setup: impl Future<Output = Result<A>>, body: F)
    where
        F: FnOnce(A) -> Fut,
        Fut: Future,
        Fut::Output: TestOutput,
    {
        if self.skips() {
            return;
        }
        let runtime = test_runtime(self.0.flavor);
        let outcome = match runtime.block_on(setup) {
            Err(err) => Outcome::NotRun(err),
            Ok(arguments) => outcome(catch_unwind(AssertUnwindSafe(|| {
                runtime.block_on(body(arguments)).failure()
            }))),
        };
        // The test's own connections end with its runtime, before its units are renamed.
        drop(runtime);
        self.finish(outcome);
    }

    /// Runs a plain `fn` test: `setup` hands out the arguments (on a runtime of its own,
    /// gone before the test starts), `body` is the test, called with no runtime around it.
    pub fn run_plain<A, F, O>(self, setup: impl Future<Output = Result<A>>, body: F)
    where
        F: FnOnce(A) -> O,
        O: TestOutput,
    {
        if self.skips() {
            return;
        }
        let runtime = test_runtime(Flavor::CurrentThread);
        let handed = runtime.block_on(setup);
        drop(runtime);
        let outcome = match handed {
            Err(err) => Outcome::NotRun(err),
            Ok(arguments) => outcome(catch_unwind(AssertUnwindSafe(|| body(arguments).failure()))),
        };
        self.finish(outcome);
    }

    /// Whether the test skips: asked to (by the attribute or the environment) and no engine
    /// answers. [`skip_without_engine`](crate::skip_without_engine) prints why, and panics
    /// when `CI` is set.
    fn skips(&self) -> bool {
        (self.0.skip_without_engine || env_says_skip()) && crate::skip_without_engine()
    }

    /// Removes the units of a test that passed (or never ran), keeps those of one that
    /// failed and says where they are, then fails the test as it failed.
    fn finish(self, outcome: Outcome) {
        let records = std::mem::take(&mut *self.0.handed.lock().unwrap_or_else(|p| p.into_inner()));
        let failure = match outcome {
            Outcome::Passed => None,
            Outcome::NotRun(err) => {
                remove_all(records);
                let hint = if err.kind() == ErrorKind::EngineUnavailable {
                    format!(
                        "\n(to skip instead when no engine answers, except with CI set: \
                         #[throwaway::test(skip_without_engine)], or {SKIP_WITHOUT_ENGINE_VAR}=1)"
                    )
                } else {
                    String::new()
                };
                panic!("{}: {err}{hint}", self.0.path);
            }
            Outcome::Panicked(payload) => Some(Err(payload)),
            Outcome::Returned(error) => Some(Ok(error)),
        };
        let Some(failure) = failure else {
            remove_all(records);
            return;
        };
        if !records.is_empty() {
            let report = keep_all(self.0.path, records);
            // To stderr, which the harness shows with the failed test's output.
            eprint!("{report}");
        }
        match failure {
            Err(payload) => resume_unwind(payload),
            Ok(error) => panic!("{} returned an error: {error}", self.0.path),
        }
    }
}

impl fmt::Debug for Test {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Test").field("path", &self.0.path).finish()
    }
}

fn outcome(result: std::thread::Result<Option<String>>) -> Outcome {
    match result {
        Ok(None) => Outcome::Passed,
        Ok(Some(error)) => Outcome::Returned(error),
        Err(payload) => Outcome::Panicked(payload),
    }
}

/// `err` with the argument it was for: `db (#[from(PG)]): …`.
fn about(err: Error, argument: &str, source: &str) -> Error {
    err.prefixed(&format!("argument `{argument}` (#[from({source})])"))
}

fn remove_all(records: Vec<Record>) {
    for record in records {
        if let Some(aftercare) = record.aftercare {
            aftercare.remove();
        }
        drop(record.guard);
    }
}

/// Keeps every unit of a failed test, and the report that says where they are.
fn keep_all(path: &str, records: Vec<Record>) -> String {
    let now = SystemTime::now();
    let mut report =
        format!("\n#[throwaway::test] {path} failed; its units are kept for a look:\n");
    for (i, record) in records.into_iter().enumerate() {
        let what = format!(
            "{} ({} from {})",
            record.argument, record.type_name, record.source
        );
        let url = record.masked_url.as_deref().unwrap_or("-");
        // Several units of one server need several names.
        let label = label(path, i, now);
        match record.aftercare {
            None => {
                let _ = writeln!(
                    report,
                    "  {what}: {url}\n    not kept under the test's name: its module cannot \
                     keep units, so it was left as dropping it leaves it (see the type's docs)"
                );
            }
            Some(aftercare) => {
                match block_on_engine(on_engine(aftercare.keep(&label)), Some(KEEP_TIMEOUT)) {
                    Some(Ok(kept)) => write_kept(&mut report, &what, &kept),
                    Some(Err(err)) => {
                        let _ = writeln!(report, "  {what}: {url}\n    could not be kept: {err}");
                    }
                    None => {
                        let _ = writeln!(
                            report,
                            "  {what}: {url}\n    could not be kept: the server did not answer \
                             within {} s",
                            KEEP_TIMEOUT.as_secs()
                        );
                    }
                }
            }
        }
        drop(record.guard);
    }
    report.push_str(
        "  Kept units live as long as their shared container: it is removed when the test run \
         ends, unless it is reused (TESTCONTAINERS_REUSE_ENABLE=true and .reuse(true) on its \
         request). A later session (another nextest run, another test binary under cargo test) \
         removes kept units older than itself.\n",
    );
    report
}

fn write_kept(report: &mut String, what: &str, kept: &Kept) {
    let by_the_test = if kept.is_by_the_test() {
        "kept by the test itself (keep()), under its own name\n    "
    } else {
        ""
    };
    let _ = writeln!(
        report,
        "  {what}: {}\n    {by_the_test}remove it with: {}",
        kept.masked_url(),
        kept.remove_with()
    );
}

/// When this process's first `#[throwaway::test]` began: kept units older than that, from
/// other runs, are swept.
fn run_started() -> SystemTime {
    static STARTED: OnceLock<SystemTime> = OnceLock::new();
    *STARTED.get_or_init(SystemTime::now)
}

/// Removes, once per server and process, the units that earlier runs kept.
pub(crate) async fn sweep_once<S: Isolation + Sync + 'static>(server: &'static S) {
    static SWEPT: Mutex<Option<HashSet<usize>>> = Mutex::new(None);
    let key = server as *const S as usize;
    let first = SWEPT
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(key);
    if first {
        if let Err(err) = server.sweep_kept(run_started()).await {
            tracing::warn!("units kept by earlier runs were not removed: {err}");
        }
    }
}

/// `THROWAWAY_SKIP_WITHOUT_ENGINE` set to something that means yes.
fn env_says_skip() -> bool {
    std::env::var(SKIP_WITHOUT_ENGINE_VAR).is_ok_and(|value| {
        let value = value.trim().to_ascii_lowercase();
        !(value.is_empty() || value == "0" || value == "false")
    })
}

/// `TestDatabase` for `throwaway::postgres::TestDatabase`, `&str` as it is.
fn short_type_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    match name.find('<') {
        Some(generic) => name[..generic].rsplit("::").next().unwrap_or(name),
        None => name.rsplit("::").next().unwrap_or(name),
    }
}

/// What a `#[throwaway::test]` may return: `()`, or `Result<(), E>` with `E: Debug`, as a
/// `#[test]` may.
#[diagnostic::on_unimplemented(
    message = "a #[throwaway::test] returns `()` or `Result<(), E>` with `E: Debug`, not `{Self}`",
    label = "not a test's return type",
    note = "as a #[test]: return nothing, or e.g. `Result<(), Box<dyn std::error::Error>>` and use `?`"
)]
pub trait TestOutput {
    /// The failure, shown with `Debug`, or `None` for a pass.
    fn failure(self) -> Option<String>;
}

impl TestOutput for () {
    fn failure(self) -> Option<String> {
        None
    }
}

impl<E: fmt::Debug> TestOutput for std::result::Result<(), E> {
    fn failure(self) -> Option<String> {
        self.err().map(|err| format!("{err:?}"))
    }
}

/// Checks a test's return type where the attribute sees it, so that a wrong one is an
/// error at the signature.
pub fn outcome_check<O: TestOutput>() {}

/// A runtime of `flavor` with every driver, as `#[tokio::test]` gives: the test's own for
/// an async test, the set-up's alone (current-thread) for a plain one.
fn test_runtime(flavor: Flavor) -> tokio::runtime::Runtime {
    let mut builder = match flavor {
        Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Flavor::MultiThread { worker_threads } => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if let Some(count) = worker_threads {
                builder.worker_threads(count);
            }
            builder
        }
    };
    builder
        .enable_all()
        .build()
        .expect("#[throwaway::test] could not build a tokio runtime for the test")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_is_named_by_its_last_segment() {
        assert_eq!(short_type_name::<String>(), "String");
        assert_eq!(short_type_name::<Vec<u8>>(), "Vec");
        assert_eq!(short_type_name::<Test>(), "Test");
    }

    #[test]
    fn a_unit_the_test_kept_itself_is_reported_as_such() {
        let mut report = String::new();
        write_kept(
            &mut report,
            "db (TestDatabase from PG)",
            &Kept::by_the_test("postgres://u:***@h:1/test_1", "DROP DATABASE \"test_1\""),
        );
        assert_eq!(
            report,
            "  db (TestDatabase from PG): postgres://u:***@h:1/test_1\n    kept by the test \
             itself (keep()), under its own name\n    remove it with: DROP DATABASE \"test_1\"\n"
        );
        let mut report = String::new();
        write_kept(&mut report, "db", &Kept::new("u", "r"));
        assert_eq!(report, "  db: u\n    remove it with: r\n");
    }

    #[test]
    fn a_unit_its_module_cannot_keep_is_shown_with_its_url_and_not_called_kept() {
        let report = keep_all(
            "c::m::t",
            vec![Record {
                argument: "prefix",
                source: "MEMCACHED",
                type_name: "KeyPrefix",
                masked_url: Some("memcache://h:1?prefix=t-1:".into()),
                aftercare: None,
                guard: None,
            }],
        );
        assert!(
            report.contains(
                "  prefix (KeyPrefix from MEMCACHED): memcache://h:1?prefix=t-1:\n    not kept \
                 under the test's name: its module cannot keep units"
            ),
            "{report}"
        );
        assert!(!report.contains("remove it with"), "{report}");
    }

    #[test]
    fn a_result_fails_with_its_error_shown_with_debug() {
        assert_eq!(().failure(), None);
        assert_eq!(Ok::<(), &str>(()).failure(), None);
        assert_eq!(Err::<(), _>("no").failure(), Some("\"no\"".to_string()));
    }
}

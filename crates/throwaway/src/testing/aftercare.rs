//! What becomes of a unit after its test: removed when the test passed, kept under a name
//! that says which test failed otherwise.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Result;

/// A future that a unit's [`Aftercare`] returns.
pub type AftercareFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

/// The cleanup of one isolation unit, taken over from the unit by
/// [`IsolationUnit::take_aftercare`](crate::kit::IsolationUnit::take_aftercare) so that
/// `#[throwaway::test]` decides after the test: [`remove`](Aftercare::remove) when it
/// passed, [`keep`](Aftercare::keep) when it failed.
///
/// A module implements it for units whose removal does something (a PostgreSQL database is
/// dropped, a Redis database emptied). Both methods run on the library's runtime.
///
/// A unit that the test kept itself (`TestDatabase::keep`, `TestVhost::keep`) stays as the
/// test left it: [`remove`](Aftercare::remove) does nothing to it, and
/// [`keep`](Aftercare::keep) neither renames nor marks it and says so with
/// [`Kept::by_the_test`].
pub trait Aftercare: Send + 'static {
    /// The test passed: remove the unit, unless the test kept it. Start the work and
    /// return; never make the test wait for it.
    fn remove(self: Box<Self>);

    /// The test failed: leave the unit in place, marked or renamed with `label`
    /// (`kept_<test>_<unix seconds>`, at most 56 characters of `[a-z0-9_]`), and say how to
    /// reach it and how to remove it. A unit the test kept itself is left as it is.
    ///
    /// # Errors
    /// The server cannot be reached or refuses to rename or mark the unit.
    fn keep(self: Box<Self>, label: &str) -> AftercareFuture<Kept>;
}

/// A unit kept after its test failed: where it is, how to get rid of it, and who kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    masked_url: String,
    remove_with: String,
    by: KeptBy,
}

/// Who kept a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeptBy {
    /// `#[throwaway::test]`, under the test's label.
    Runner,
    /// The test itself (`keep()`), under the unit's own name.
    Test,
}

impl Kept {
    /// A kept unit reached at `masked_url` (password as `***`) and removed by doing
    /// `remove_with` (a statement or command, in words a user can follow).
    pub fn new(masked_url: impl Into<String>, remove_with: impl Into<String>) -> Self {
        Kept {
            masked_url: masked_url.into(),
            remove_with: remove_with.into(),
            by: KeptBy::Runner,
        }
    }

    /// A unit that the test kept itself (with the unit's `keep()`), left under its own
    /// name, as [`new`](Kept::new) otherwise.
    pub fn by_the_test(masked_url: impl Into<String>, remove_with: impl Into<String>) -> Self {
        Kept {
            by: KeptBy::Test,
            ..Kept::new(masked_url, remove_with)
        }
    }

    /// Whether the test kept the unit itself ([`by_the_test`](Kept::by_the_test)), rather
    /// than `#[throwaway::test]` under the test's label.
    pub fn is_by_the_test(&self) -> bool {
        self.by == KeptBy::Test
    }

    /// The URL of the kept unit, the password as `***`.
    pub fn masked_url(&self) -> &str {
        &self.masked_url
    }

    /// How to remove it by hand.
    pub fn remove_with(&self) -> &str {
        &self.remove_with
    }
}

/// Who removes a unit whose value has a `keep()`: the value's drop, nobody (the test kept
/// it), or `#[throwaway::test]` after the test (its [`Aftercare`] took the unit over). What
/// the modules with such units (PostgreSQL, MySQL, RabbitMQ) share.
#[derive(Debug, Default)]
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "rabbitmq")),
    allow(dead_code)
)]
pub(crate) enum Cleanup {
    /// Dropping the value removes the unit.
    #[default]
    OnDrop,
    /// `keep()` was called before the unit was handed over: nothing removes it.
    Kept,
    /// An aftercare took it over; the flag, shared with it, says whether the test called
    /// `keep()` after all.
    HandedOver(KeptByTest),
}

/// Whether the test kept a handed-over unit itself: set by the unit's `keep()`, read by its
/// aftercare.
#[derive(Debug, Clone, Default)]
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "rabbitmq")),
    allow(dead_code)
)]
pub(crate) struct KeptByTest(Arc<AtomicBool>);

#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "rabbitmq")),
    allow(dead_code)
)]
impl KeptByTest {
    /// Whether the test called `keep()`.
    pub(crate) fn is_kept(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "rabbitmq")),
    allow(dead_code)
)]
impl Cleanup {
    /// `keep()`: the unit stays, whoever would have removed it.
    pub(crate) fn keep(&mut self) {
        match self {
            Cleanup::HandedOver(kept) => kept.0.store(true, Ordering::SeqCst),
            _ => *self = Cleanup::Kept,
        }
    }

    /// Whether the value's drop removes the unit.
    pub(crate) fn on_drop(&self) -> bool {
        matches!(self, Cleanup::OnDrop)
    }

    /// Hands the unit over to an aftercare: the flag it reads, or `None` when the unit was
    /// kept already (or handed over before), so that nobody takes it over.
    pub(crate) fn hand_over(&mut self) -> Option<KeptByTest> {
        match self {
            Cleanup::OnDrop => {
                let kept = KeptByTest::default();
                *self = Cleanup::HandedOver(kept.clone());
                Some(kept)
            }
            Cleanup::Kept | Cleanup::HandedOver(_) => None,
        }
    }
}

/// The longest a test's part of a label may be: PostgreSQL's names end at 63 bytes.
const MAX_TEST_PART: usize = 40;

/// `kept_<test>_<unix seconds>` for the test at `path` (`crate::module::name`): the crate's
/// name dropped, `::` as `_`, anything but `[a-z0-9_]` as `_`, the test's part cut to 40
/// characters from its end (the function's name is the end). The test's `nth` unit after
/// the first has `_<nth>` after the test's part, so that two units of one server differ.
pub(crate) fn label(path: &str, nth: usize, at: SystemTime) -> String {
    let without_crate = path.split_once("::").map_or(path, |(_, rest)| rest);
    let mut test: String = without_crate
        .replace("::", "_")
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '_',
        })
        .collect();
    if test.len() > MAX_TEST_PART {
        test = test[test.len() - MAX_TEST_PART..].to_string();
    }
    let seconds = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if nth > 0 {
        test = format!("{test}_{nth}");
    }
    format!("kept_{test}_{seconds}")
}

/// The time in a label made by [`label`], if it is one.
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "rabbitmq")),
    allow(dead_code)
)]
pub(crate) fn labelled_at(label: &str) -> Option<SystemTime> {
    let rest = label.strip_prefix("kept_")?;
    let (_, seconds) = rest.rsplit_once('_')?;
    let seconds: u64 = seconds.parse().ok()?;
    Some(UNIX_EPOCH + std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn a_label_names_the_test_without_its_crate() {
        assert_eq!(
            label("facts_service::views::counts_views", 0, at(1_764_650_000)),
            "kept_views_counts_views_1764650000"
        );
    }

    #[test]
    fn a_label_keeps_only_lower_case_letters_digits_and_underscores() {
        assert_eq!(label("c::Tests::ünï", 0, at(7)), "kept_tests__n__7");
    }

    #[test]
    fn a_long_test_path_keeps_its_end_and_fits_a_postgres_name() {
        let path = format!("c::{}::the_test_itself", "module_".repeat(20));
        let label = label(&path, 99, at(1_764_650_000));
        assert!(label.len() <= 63, "{label}");
        assert!(label.ends_with("the_test_itself_99_1764650000"), "{label}");
    }

    #[test]
    fn a_unit_kept_after_it_was_handed_over_is_kept_by_the_test() {
        let mut cleanup = Cleanup::default();
        assert!(cleanup.on_drop());
        let kept = cleanup.hand_over().expect("a fresh unit is handed over");
        assert!(
            !cleanup.on_drop(),
            "the aftercare removes it now, not the drop"
        );
        assert!(cleanup.hand_over().is_none(), "handed over once");
        assert!(!kept.is_kept());
        cleanup.keep();
        assert!(kept.is_kept(), "the aftercare sees the test's keep()");
    }

    #[test]
    fn a_unit_kept_before_it_is_handed_over_is_not_taken_over() {
        let mut cleanup = Cleanup::default();
        cleanup.keep();
        assert!(!cleanup.on_drop());
        assert!(cleanup.hand_over().is_none());
    }

    #[test]
    fn the_time_is_read_back_from_a_label() {
        let label = label("c::m::t", 3, at(1_764_650_000));
        assert_eq!(labelled_at(&label), Some(at(1_764_650_000)));
        assert_eq!(labelled_at("kept_t"), None);
        assert_eq!(labelled_at("test_5f0c3e9a1b2d4c6e"), None);
        assert_eq!(labelled_at("kept_t_soon"), None);
    }
}

//! Log lines on stdout in logfmt, the shape Ryuk's structured logs have
//! (`time=… level=INFO msg="client connected" address=… clients=1`), so that the clients'
//! readiness pattern `.*Started.*` and anyone used to reading Ryuk's output find their way.

use std::fmt::{self, Display, Write as _};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::clock;

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Turns debug lines on or off (`RYUK_VERBOSE`).
pub(crate) fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, Ordering::Relaxed);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        })
    }
}

/// One `key=value` pair of a log line.
pub(crate) type Field<'a> = (&'static str, &'a dyn Display);

pub(crate) fn debug(msg: &str, fields: &[Field<'_>]) {
    if VERBOSE.load(Ordering::Relaxed) {
        emit(Level::Debug, msg, fields);
    }
}

pub(crate) fn info(msg: &str, fields: &[Field<'_>]) {
    emit(Level::Info, msg, fields);
}

pub(crate) fn warn(msg: &str, fields: &[Field<'_>]) {
    emit(Level::Warn, msg, fields);
}

pub(crate) fn error(msg: &str, fields: &[Field<'_>]) {
    emit(Level::Error, msg, fields);
}

fn emit(level: Level, msg: &str, fields: &[Field<'_>]) {
    let mut line = render(clock::now(), level, msg, fields);
    line.push('\n');
    // The test harness captures `print!` only; it would hide nothing else.
    if cfg!(test) {
        print!("{line}");
        return;
    }
    // One write per line, so lines from concurrent connections never interleave. A closed
    // stdout must not take the reaper down (`print!` would panic): it still has to prune.
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// The text of one line, without its newline.
pub(crate) fn render(
    at: clock::UnixNanos,
    level: Level,
    msg: &str,
    fields: &[Field<'_>],
) -> String {
    let mut line = format!("time={} level={level} msg=", clock::format_utc_millis(at));
    push_value(&mut line, msg);
    for (key, value) in fields {
        let _ = write!(line, " {key}=");
        push_value(&mut line, &value.to_string());
    }
    line
}

/// Bare when it is one plain word, quoted (with escapes) otherwise, so a line always splits
/// back into its fields.
fn push_value(line: &mut String, value: &str) {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '=' | '"' | '\\'));
    if plain {
        line.push_str(value);
    } else {
        let _ = write!(line, "{value:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_logfmt_with_the_ready_word_bare() {
        assert_eq!(
            render(0, Level::Info, "Started", &[("address", &"[::]:8080")]),
            "time=1970-01-01T00:00:00.000Z level=INFO msg=Started address=[::]:8080"
        );
    }

    #[test]
    fn quotes_values_that_would_not_split_back() {
        let line = render(
            0,
            Level::Warn,
            "adding filter",
            &[("filter", &"label=a=b"), ("empty", &""), ("n", &3)],
        );
        assert_eq!(
            line,
            r#"time=1970-01-01T00:00:00.000Z level=WARN msg="adding filter" filter="label=a=b" empty="" n=3"#
        );
        assert!(render(0, Level::Error, "x", &[("e", &"a\"b\nc")]).ends_with(r#"e="a\"b\nc""#));
    }
}

//! Container output: snapshots and live line streams.

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::engine::runtime;
use crate::error::{Error, Result};
pub use crate::wait::target::{LogLine, LogSource};

/// A snapshot of a container's output so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logs {
    /// Everything written to standard output.
    pub stdout: Vec<u8>,
    /// Everything written to standard error.
    pub stderr: Vec<u8>,
}

impl Logs {
    /// Standard output as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Splits chunks of output into lines, per stream: the engine frames output by write, not
/// by line.
#[derive(Default)]
pub(crate) struct LineSplitter {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl LineSplitter {
    /// Feeds a chunk; returns the lines it completed.
    pub(crate) fn push(&mut self, source: LogSource, chunk: &[u8]) -> Vec<LogLine> {
        let buffer = match source {
            LogSource::Stdout => &mut self.stdout,
            LogSource::Stderr => &mut self.stderr,
        };
        buffer.extend_from_slice(chunk);
        let mut lines = Vec::new();
        while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            lines.push(to_line(source, &line));
        }
        lines
    }

    /// The unterminated rest of each stream, once the output has ended.
    pub(crate) fn finish(&mut self) -> Vec<LogLine> {
        let mut rest = Vec::new();
        for (source, buffer) in [
            (LogSource::Stdout, &mut self.stdout),
            (LogSource::Stderr, &mut self.stderr),
        ] {
            if !buffer.is_empty() {
                rest.push(to_line(source, buffer));
                buffer.clear();
            }
        }
        rest
    }
}

fn to_line(source: LogSource, raw: &[u8]) -> LogLine {
    let text = String::from_utf8_lossy(raw);
    LogLine {
        source,
        text: text.trim_end_matches(['\n', '\r']).to_string(),
    }
}

fn split_output(output: LogOutput) -> Option<(LogSource, bytes::Bytes)> {
    match output {
        LogOutput::StdOut { message } | LogOutput::Console { message } => {
            Some((LogSource::Stdout, message))
        }
        LogOutput::StdErr { message } => Some((LogSource::Stderr, message)),
        LogOutput::StdIn { .. } => None,
    }
}

/// All output of container `id` so far, or its last `tail` lines.
pub(crate) async fn snapshot(docker: &Docker, id: &str, tail: Option<usize>) -> Result<Logs> {
    let tail = tail.map_or_else(|| "all".to_string(), |n| n.to_string());
    let options = LogsOptionsBuilder::new()
        .stdout(true)
        .stderr(true)
        .tail(&tail)
        .build();
    let mut stream = docker.logs(id, Some(options));
    let mut logs = Logs::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::engine(format!("reading the logs of {id}"), e))?;
        match split_output(chunk) {
            Some((LogSource::Stdout, bytes)) => logs.stdout.extend_from_slice(&bytes),
            Some((LogSource::Stderr, bytes)) => logs.stderr.extend_from_slice(&bytes),
            None => {}
        }
    }
    Ok(logs)
}

/// The last `n` lines of both streams, interleaved in order, for error messages.
///
/// The whole output is read and the last lines kept here: an engine's own `tail` may not
/// keep the order of lines across the two streams (Podman 4.3 returns a line written in
/// parts to standard error after the standard output lines that followed it).
pub(crate) async fn tail_lines(docker: &Docker, id: &str, n: usize) -> String {
    let options = LogsOptionsBuilder::new().stdout(true).stderr(true).build();
    let mut stream = docker.logs(id, Some(options));
    let mut splitter = LineSplitter::default();
    let mut lines = std::collections::VecDeque::with_capacity(n + 1);
    let mut keep = |line: LogLine| {
        lines.push_back(line.text);
        if lines.len() > n {
            lines.pop_front();
        }
    };
    while let Some(Ok(chunk)) = stream.next().await {
        if let Some((source, bytes)) = split_output(chunk) {
            splitter
                .push(source, &bytes)
                .into_iter()
                .for_each(&mut keep);
        }
    }
    splitter.finish().into_iter().for_each(&mut keep);
    Vec::from(lines).join("\n")
}

/// How much output each stream of container `id` holds so far: where the next run's
/// output will begin, read while the container is stopped.
pub(crate) async fn offsets(docker: &Docker, id: &str) -> Result<Offsets> {
    let logs = snapshot(docker, id, None).await?;
    Ok(Offsets {
        stdout: logs.stdout.len(),
        stderr: logs.stderr.len(),
    })
}

/// Where a run's output begins in the container's whole output, per stream, in bytes.
/// Exact whatever precision the engine stamps its log lines with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Offsets {
    stdout: usize,
    stderr: usize,
}

impl Offsets {
    /// Drops what lies before the offsets from `chunk` of `source`, counting down as the
    /// output goes by.
    fn skip<'a>(&mut self, source: LogSource, chunk: &'a [u8]) -> &'a [u8] {
        let left = match source {
            LogSource::Stdout => &mut self.stdout,
            LogSource::Stderr => &mut self.stderr,
        };
        let skipped = (*left).min(chunk.len());
        *left -= skipped;
        &chunk[skipped..]
    }
}

/// Where the current run's output begins, after a restart.
#[derive(Debug, Clone)]
pub(crate) enum RunStart {
    /// After the output the container had when it was started again (the usual case: we
    /// started it, and read how much output it had just before).
    After(Offsets),
    /// At the engine's start time (someone else started it, so the output before the start
    /// is not known).
    Since(Since),
}

/// A moment in the engine's log timestamps and `StartedAt` (RFC 3339, UTC, up to
/// nanoseconds), compared as instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LogTime(OffsetDateTime);

impl LogTime {
    /// Parses `2026-11-21T07:20:27.800992123Z` (the fraction is optional).
    pub(crate) fn parse(text: &str) -> Option<LogTime> {
        OffsetDateTime::parse(text, &Rfc3339).ok().map(LogTime)
    }

    /// The same moment with only the first `digits` digits of its fraction of a second.
    fn cut_to(self, digits: u32) -> LogTime {
        let unit = 10u32.pow(9u32.saturating_sub(digits));
        let nanos = self.0.nanosecond();
        LogTime(
            self.0
                .replace_nanosecond(nanos - nanos % unit)
                .unwrap_or(self.0),
        )
    }
}

/// How many digits the fraction of a second of an RFC 3339 stamp has (0 for none).
fn fraction_digits(stamp: &str) -> u32 {
    stamp.split_once('.').map_or(0, |(_, rest)| {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        u32::try_from(digits.min(9)).unwrap_or(9)
    })
}

/// Where a restarted container's output begins by time: the engine filters by whole
/// seconds, so lines are also compared with the moment the container started, at the
/// precision of each line's stamp.
#[derive(Debug, Clone)]
pub(crate) struct Since {
    /// The engine's `since=`: a unix second before the start.
    unix_seconds: i64,
    /// The engine's `StartedAt` for the run.
    started_at: LogTime,
}

impl Since {
    /// The run that started at `started_at`, by the engine's clock alone: the host's may be
    /// ahead of the engine's, and a `since=` from it would drop the run's first lines.
    pub(crate) fn new(started_at: LogTime) -> Since {
        Since {
            // The second before the start's own: the engine's filter is whole seconds, and
            // the lines are compared with `started_at` anyway, so one second early costs
            // nothing and guards against rounding at the boundary.
            unix_seconds: started_at.0.unix_timestamp() - 1,
            started_at,
        }
    }
}

/// Every line (with `since`, only those of the run that started then), then live lines
/// until the container stops.
///
/// The engine connection is driven on the library's runtime; the stream only reads a channel,
/// so it can be polled from any executor. Dropping it ends the engine request.
pub(crate) fn follow(
    docker: &Docker,
    id: &str,
    run: Option<RunStart>,
) -> BoxStream<'static, Result<LogLine>> {
    let (mut offsets, since) = match run {
        Some(RunStart::After(offsets)) => (offsets, None),
        Some(RunStart::Since(since)) => (Offsets::default(), Some(since)),
        None => (Offsets::default(), None),
    };
    let (tx, rx) = mpsc::channel::<Result<LogLine>>(256);
    let docker = docker.clone();
    let id = id.to_string();
    runtime::runtime().spawn(async move {
        let options = LogsOptionsBuilder::new()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .since(
                since
                    .as_ref()
                    .map_or(0, |s| i32::try_from(s.unix_seconds).unwrap_or(0)),
            )
            .timestamps(since.is_some())
            .build();
        let mut stream = docker.logs(&id, Some(options));
        let mut splitter = LineSplitter::default();
        loop {
            // A quiet service writes nothing for a long time: notice at once that nobody
            // reads any more, and let the engine request go.
            let chunk = tokio::select! {
                _ = tx.closed() => return,
                chunk = stream.next() => match chunk {
                    Some(chunk) => chunk,
                    None => break,
                },
            };
            let lines = match chunk {
                Ok(output) => match split_output(output) {
                    Some((source, bytes)) => {
                        let lines = splitter.push(source, offsets.skip(source, &bytes));
                        match &since {
                            Some(since) => of_the_run(lines, &since.started_at),
                            None => lines,
                        }
                    }
                    None => continue,
                },
                Err(err) => {
                    let _ = tx
                        .send(Err(Error::engine(
                            format!("following the logs of {id}"),
                            err,
                        )))
                        .await;
                    return;
                }
            };
            for line in lines {
                if tx.send(Ok(line)).await.is_err() {
                    return;
                }
            }
        }
        for line in splitter.finish() {
            if tx.send(Ok(line)).await.is_err() {
                return;
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .boxed()
}

/// Keeps the lines stamped at or after `started_at`, without their stamps. A stamp is
/// compared with `started_at` cut to the stamp's own precision: Podman stamps lines to the
/// second while its `StartedAt` has nanoseconds, and a run's first lines must not be lost
/// for that.
fn of_the_run(lines: Vec<LogLine>, started_at: &LogTime) -> Vec<LogLine> {
    lines
        .into_iter()
        .filter_map(|line| {
            let (stamp_text, text) = line.text.split_once(' ').unwrap_or((&line.text, ""));
            let stamp = LogTime::parse(stamp_text)?;
            let start = started_at.cut_to(fraction_digits(stamp_text));
            (stamp >= start).then(|| LogLine {
                source: line.source,
                text: text.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_times_compare_by_instant_whatever_the_fraction_length() {
        let t = |s: &str| LogTime::parse(s).unwrap();
        // As text, ".8Z" sorts after ".80001Z"; as instants it is earlier.
        assert!(t("2026-11-21T07:20:27.8Z") < t("2026-11-21T07:20:27.80001Z"));
        assert!(t("2026-11-21T07:20:28Z") > t("2026-11-21T07:20:27.999999999Z"));
        assert_eq!(
            t("2026-11-21T07:20:27.5Z"),
            t("2026-11-21T07:20:27.500000000Z")
        );
        // The engine writes UTC; a time with an offset is read as the same instant.
        assert_eq!(
            t("2026-11-21T08:20:27.5+01:00"),
            t("2026-11-21T07:20:27.5Z")
        );
        assert!(LogTime::parse("2026-11-31T07:20:27Z").is_none());
        assert!(LogTime::parse("yesterday").is_none());
        assert!(LogTime::parse("2026-11-21T07:20:27.5").is_none());
    }

    #[test]
    fn since_is_the_second_before_the_engines_start_time() {
        let since = |s: &str| Since::new(LogTime::parse(s).unwrap()).unix_seconds;
        // 2026-11-21T07:20:27Z is unix second 1_795_245_627.
        assert_eq!(since("2026-11-21T07:20:27.800992123Z"), 1_795_245_626);
        assert_eq!(since("2026-11-21T07:20:27Z"), 1_795_245_626);
        assert_eq!(since("2026-11-21T07:20:27.999999999Z"), 1_795_245_626);
        assert_eq!(since("1970-01-01T00:00:01Z"), 0);
    }

    #[test]
    fn only_the_lines_of_the_run_are_kept_without_their_stamps() {
        let line = |text: &str| LogLine {
            source: LogSource::Stdout,
            text: text.to_string(),
        };
        let started = LogTime::parse("2026-11-21T07:20:27.5Z").unwrap();
        let kept = of_the_run(
            vec![
                line("2026-11-21T07:20:27.4Z ready (the previous run)"),
                line("2026-11-21T07:20:27.6Z ready"),
                line("2026-11-21T07:20:28.0Z "),
            ],
            &started,
        );
        let texts: Vec<_> = kept.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["ready", ""]);
    }

    #[test]
    fn stamps_to_the_second_keep_the_first_part_second_of_the_run() {
        let line = |text: &str| LogLine {
            source: LogSource::Stderr,
            text: text.to_string(),
        };
        // Podman: StartedAt with nanoseconds, the lines to the whole second.
        let started = LogTime::parse("2026-11-21T07:20:27.815407392Z").unwrap();
        let kept = of_the_run(
            vec![
                line("2026-11-21T07:20:26Z the previous run"),
                line("2026-11-21T07:20:27Z Ready to accept connections"),
                line("2026-11-21T07:20:27.81Z same hundredth"),
                line("2026-11-21T07:20:27.80Z an earlier hundredth"),
                line("2026-11-21T07:20:28Z later"),
            ],
            &started,
        );
        let texts: Vec<_> = kept.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Ready to accept connections", "same hundredth", "later"]
        );
        assert_eq!(fraction_digits("2026-11-21T07:20:27Z"), 0);
        assert_eq!(fraction_digits("2026-11-21T07:20:27.815407392Z"), 9);
        assert_eq!(fraction_digits("2026-11-21T07:20:27.8+01:00"), 1);
    }

    #[test]
    fn offsets_skip_the_previous_runs_bytes_per_stream() {
        let mut offsets = Offsets {
            stdout: 10,
            stderr: 4,
        };
        assert_eq!(offsets.skip(LogSource::Stdout, b"old run\n"), b"");
        assert_eq!(
            offsets.skip(LogSource::Stderr, b"err\nnew err\n"),
            b"new err\n"
        );
        assert_eq!(
            offsets.skip(LogSource::Stdout, b"d\nnew out\n"),
            b"new out\n"
        );
        assert_eq!(offsets.skip(LogSource::Stdout, b"more\n"), b"more\n");
        assert_eq!(offsets, Offsets::default());
    }

    #[test]
    fn lines_are_split_per_stream_across_chunks() {
        let mut splitter = LineSplitter::default();
        assert!(splitter.push(LogSource::Stdout, b"hel").is_empty());
        assert!(splitter.push(LogSource::Stderr, b"oops\r\nhalf").len() == 1);
        let lines = splitter.push(LogSource::Stdout, b"lo\nworld\n");
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["hello", "world"]);
        let rest = splitter.finish();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].source, LogSource::Stderr);
        assert_eq!(rest[0].text, "half");
    }
}

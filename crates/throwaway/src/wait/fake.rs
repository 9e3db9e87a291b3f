//! A scripted [`Target`] for specifying the strategies without an engine.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use tokio::time::Instant;

use super::target::{ExecOutcome, ExitInfo, Health, LogLine, LogSource, Target};
use crate::engine::ContainerPort;
use crate::error::{Error, ErrorKind, Result};

type ExecFn = Arc<dyn Fn(&[String]) -> Result<ExecOutcome> + Send + Sync>;

/// A container that writes scripted output at set times after the fake was made, may exit at
/// a set time, answers health queries from a script and commands with a function.
pub(crate) struct FakeTarget {
    created: Instant,
    ports: Vec<(ContainerPort, u16)>,
    /// In time order.
    output: Vec<(Duration, Entry)>,
    exit: Option<(Duration, ExitInfo)>,
    /// The next answers; the last one repeats.
    health: Mutex<VecDeque<Health>>,
    health_calls: AtomicUsize,
    exec: ExecFn,
    exec_calls: Mutex<Vec<Vec<String>>>,
    /// Stream errors happen on the first follow only, as a connection breaking once would.
    followed: AtomicBool,
}

#[derive(Clone)]
enum Entry {
    Line(LogLine),
    Error,
}

/// An exec outcome with `code` and `stdout`.
pub(crate) fn exec_exits(code: i64, stdout: &str) -> Result<ExecOutcome> {
    Ok(ExecOutcome {
        exit_code: Some(code),
        stdout: stdout.as_bytes().to_vec(),
        stderr: Vec::new(),
    })
}

impl FakeTarget {
    pub(crate) fn new() -> Self {
        FakeTarget {
            created: Instant::now(),
            ports: Vec::new(),
            output: Vec::new(),
            exit: None,
            health: Mutex::new(VecDeque::from([Health::None])),
            health_calls: AtomicUsize::new(0),
            exec: Arc::new(|_| Err(Error::new(ErrorKind::Exec, "the fake runs no commands"))),
            exec_calls: Mutex::new(Vec::new()),
            followed: AtomicBool::new(false),
        }
    }

    fn at(mut self, ms: u64, entry: Entry) -> Self {
        self.output.push((Duration::from_millis(ms), entry));
        self.output.sort_by_key(|(at, _)| *at);
        self
    }

    /// Writes `text` to stdout `ms` after creation.
    pub(crate) fn stdout(self, ms: u64, text: &str) -> Self {
        self.line(ms, LogSource::Stdout, text)
    }

    /// Writes `text` to stderr `ms` after creation.
    pub(crate) fn stderr(self, ms: u64, text: &str) -> Self {
        self.line(ms, LogSource::Stderr, text)
    }

    fn line(self, ms: u64, source: LogSource, text: &str) -> Self {
        let line = LogLine {
            source,
            text: text.to_owned(),
        };
        self.at(ms, Entry::Line(line))
    }

    /// Breaks the first log stream `ms` after creation.
    pub(crate) fn log_error_at(self, ms: u64) -> Self {
        self.at(ms, Entry::Error)
    }

    /// Exits with `code` `ms` after creation.
    pub(crate) fn exits(self, ms: u64, code: i64) -> Self {
        self.exits_with(
            ms,
            ExitInfo {
                code: Some(code),
                ..ExitInfo::default()
            },
        )
    }

    /// Exits as `info` says `ms` after creation.
    pub(crate) fn exits_with(mut self, ms: u64, info: ExitInfo) -> Self {
        self.exit = Some((Duration::from_millis(ms), info));
        self
    }

    /// Publishes `port` on `host_port` of 127.0.0.1.
    pub(crate) fn port(mut self, port: impl Into<ContainerPort>, host_port: u16) -> Self {
        self.ports.push((port.into(), host_port));
        self.ports.sort();
        self
    }

    /// Answers health queries with `script`, repeating its last entry.
    pub(crate) fn health(self, script: impl IntoIterator<Item = Health>) -> Self {
        *self.health.lock().unwrap() = script.into_iter().collect();
        self
    }

    /// Runs commands with `exec`.
    pub(crate) fn exec(
        mut self,
        exec: impl Fn(&[String]) -> Result<ExecOutcome> + Send + Sync + 'static,
    ) -> Self {
        self.exec = Arc::new(exec);
        self
    }

    /// The commands run so far.
    pub(crate) fn exec_calls(&self) -> Vec<Vec<String>> {
        self.exec_calls.lock().unwrap().clone()
    }

    /// How often the health was asked for.
    pub(crate) fn health_calls(&self) -> usize {
        self.health_calls.load(Ordering::SeqCst)
    }

    fn exit_after(&self) -> Option<Duration> {
        self.exit.as_ref().map(|(at, _)| *at)
    }
}

impl Target for FakeTarget {
    fn describe(&self) -> String {
        "fake:1 (0123456789ab)".to_owned()
    }

    fn host(&self) -> &str {
        "127.0.0.1"
    }

    fn host_port(&self, port: ContainerPort) -> Result<u16> {
        self.ports
            .iter()
            .find(|(p, _)| *p == port)
            .map(|(_, host_port)| *host_port)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::PortNotExposed,
                    format!("{port} is not exposed by {}", self.describe()),
                )
            })
    }

    fn exposed_ports(&self) -> Vec<ContainerPort> {
        self.ports.iter().map(|(port, _)| *port).collect()
    }

    fn follow_logs(&self) -> BoxStream<'_, Result<LogLine>> {
        let first = !self.followed.swap(true, Ordering::SeqCst);
        let end = self.exit_after();
        // The output written before the exit, then the end of the stream at the exit, or
        // nothing more while the container runs.
        let entries: Vec<_> = self
            .output
            .iter()
            .filter(|(at, entry)| {
                end.is_none_or(|end| *at <= end) && (first || matches!(entry, Entry::Line(_)))
            })
            .cloned()
            .collect();
        let created = self.created;
        futures_util::stream::unfold(0, move |i| {
            let next = entries.get(i).cloned();
            async move {
                match next {
                    Some((at, entry)) => {
                        tokio::time::sleep_until(created + at).await;
                        let item = match entry {
                            Entry::Line(line) => Ok(line),
                            Entry::Error => Err(Error::new(ErrorKind::Engine, "log stream broke")),
                        };
                        Some((item, i + 1))
                    }
                    None => match end {
                        Some(end) => {
                            tokio::time::sleep_until(created + end).await;
                            None
                        }
                        None => std::future::pending().await,
                    },
                }
            }
        })
        .boxed()
    }

    fn exec(&self, cmd: Vec<String>) -> BoxFuture<'_, Result<ExecOutcome>> {
        let outcome = (self.exec)(&cmd);
        self.exec_calls.lock().unwrap().push(cmd);
        futures_util::future::ready(outcome).boxed()
    }

    fn health(&self) -> BoxFuture<'_, Result<Health>> {
        self.health_calls.fetch_add(1, Ordering::SeqCst);
        let mut script = self.health.lock().unwrap();
        let next = if script.len() > 1 {
            script.pop_front()
        } else {
            script.front().cloned()
        };
        futures_util::future::ready(Ok(next.unwrap_or(Health::None))).boxed()
    }

    fn exited(&self) -> BoxFuture<'_, ExitInfo> {
        match &self.exit {
            Some((at, info)) => {
                let (deadline, info) = (self.created + *at, info.clone());
                async move {
                    tokio::time::sleep_until(deadline).await;
                    info
                }
                .boxed()
            }
            None => std::future::pending().boxed(),
        }
    }

    fn tail_logs(&self, n: usize) -> BoxFuture<'_, String> {
        let now = self.created.elapsed();
        let written: Vec<&str> = self
            .output
            .iter()
            .filter(|(at, _)| *at <= now)
            .filter_map(|(_, entry)| match entry {
                Entry::Line(line) => Some(line.text.as_str()),
                Entry::Error => None,
            })
            .collect();
        let tail = written[written.len().saturating_sub(n)..].join("\n");
        futures_util::future::ready(tail).boxed()
    }
}

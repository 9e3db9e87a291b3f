//! The labels every container, network and volume we create carries, so that Testcontainers
//! tooling and a Ryuk-compatible reaper recognise them.

use std::collections::HashMap;

/// Marks an object as created by a Testcontainers library.
pub(crate) const MARKER: &str = "org.testcontainers";
/// The language of the library that created it.
pub(crate) const LANG: &str = "org.testcontainers.lang";
/// The version of the library that created it.
pub(crate) const VERSION: &str = "org.testcontainers.version";
/// The session (one per process) that owns it; the reaper filters on this one.
pub(crate) const SESSION_ID: &str = "org.testcontainers.session-id";

/// The process that created an object, as `<machine>/<pid>/<start time>`: what the orphan
/// sweep (`container/sweep.rs`) checks for a live process. Only on Linux, where the start
/// time can be read back from `/proc`; `<machine>` names the kernel boot and the pid
/// namespace, so that a pid is only ever compared on the machine it belongs to.
pub(crate) const OWNER: &str = "org.throwaway.owner";
/// Whether the session that created an object had a reaper (`reaper`) or not (`none`);
/// also what marks an object as one the orphan sweep may judge.
pub(crate) const GUARD: &str = "org.throwaway.session-guard";
/// Whether the session spans processes (`true`: a nextest run or a named session) or is
/// this process alone (`false`).
pub(crate) const SPANS: &str = "org.throwaway.session-spans";
/// Marks a Ryuk-compatible reaper container.
pub(crate) const REAPER: &str = "org.testcontainers.ryuk";
/// Marks a container kept across runs (`.reuse(true)`).
pub(crate) const REUSE: &str = "org.testcontainers.reuse";
/// Marks a snapshot of a container's data.
pub(crate) const SNAPSHOT: &str = "org.throwaway.snapshot";

/// The standard labels for an object owned by `session_id`.
pub(crate) fn standard(session_id: &str) -> HashMap<String, String> {
    HashMap::from([
        (MARKER.to_string(), "true".to_string()),
        (LANG.to_string(), "rust".to_string()),
        (VERSION.to_string(), env!("CARGO_PKG_VERSION").to_string()),
        (SESSION_ID.to_string(), session_id.to_string()),
    ])
}

/// The labels that let the orphan sweep judge an object of this process's session: who
/// made it ([`OWNER`], where it can be told), and what kind of session it is.
pub(crate) fn owner(guarded: bool, spans: bool) -> HashMap<String, String> {
    let mut labels = HashMap::from([
        (
            GUARD.to_string(),
            if guarded { "reaper" } else { "none" }.to_string(),
        ),
        (SPANS.to_string(), spans.to_string()),
    ]);
    if let Some(me) = Owner::this_process() {
        labels.insert(OWNER.to_string(), me.to_string());
    }
    labels
}

/// [`owner`] for an object this process makes now.
pub(crate) fn of_this_process(engine: &super::Engine) -> HashMap<String, String> {
    // Settings that do not parse have failed the reaper guard before anything is made.
    let guarded = !engine.settings().ryuk_disabled().unwrap_or(false);
    owner(guarded, engine.session_spans_processes())
}

/// The process that made an object: the value of [`OWNER`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Owner {
    /// The kernel boot and pid namespace the pid belongs to, hashed.
    pub machine: String,
    pub pid: u32,
    /// The process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22):
    /// with it, a pid reused by a later process is not mistaken for the one that ended.
    pub start: u64,
}

impl Owner {
    /// This process, or `None` where it cannot be told in a way that can be checked later
    /// (no `/proc`: not Linux).
    pub(crate) fn this_process() -> Option<Owner> {
        static ME: std::sync::OnceLock<Option<Owner>> = std::sync::OnceLock::new();
        ME.get_or_init(|| {
            let pid = std::process::id();
            Some(Owner {
                machine: this_machine()?,
                pid,
                start: start_time(pid)?,
            })
        })
        .clone()
    }

    /// Reads a label value back; `None` if it is not one.
    pub(crate) fn parse(value: &str) -> Option<Owner> {
        let mut parts = value.split('/');
        let owner = Owner {
            machine: parts.next().filter(|m| !m.is_empty())?.to_string(),
            pid: parts.next()?.parse().ok()?,
            start: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(owner)
    }

    /// Whether this owner is a process of this machine, so that [`Owner::is_alive`] can be
    /// asked at all.
    pub(crate) fn is_here(&self) -> bool {
        this_machine().is_some_and(|m| m == self.machine)
    }

    /// Whether the process is still running: only meaningful when [`Owner::is_here`]. A
    /// zombie (ended, not yet waited for) counts as ended.
    pub(crate) fn is_alive(&self) -> bool {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) else {
            return false;
        };
        match parse_stat(&stat) {
            Some((state, start)) => start == self.start && !matches!(state, 'Z' | 'X'),
            None => false,
        }
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.machine, self.pid, self.start)
    }
}

/// This machine as far as pids go: the kernel's boot id and this process's pid namespace,
/// hashed (16 hex digits). Two containers on one kernel have different pid namespaces; a
/// rebooted machine has a new boot id.
fn this_machine() -> Option<String> {
    use sha2::{Digest, Sha256};
    static MACHINE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    MACHINE
        .get_or_init(|| {
            let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
            let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
            let digest = Sha256::digest(format!("{}|{}", boot.trim(), namespace.display()));
            Some(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
        })
        .clone()
}

/// The start time of process `pid`, from `/proc`.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat).map(|(_, start)| start)
}

/// The state and start time in a `/proc/<pid>/stat` line. The command name (field 2) is in
/// parentheses and may hold spaces and parentheses itself, so fields are counted from the
/// last `)`.
fn parse_stat(stat: &str) -> Option<(char, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 3 was the state; the start time is field 22.
    let start = fields.nth(22 - 4)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_reads_back() {
        let Some(me) = Owner::this_process() else {
            return; // not Linux: no owner label is written at all
        };
        assert!(me.is_here() && me.is_alive());
        assert_eq!(Owner::parse(&me.to_string()), Some(me.clone()));
        let reused = Owner {
            start: me.start + 1,
            ..me.clone()
        };
        assert!(
            !reused.is_alive(),
            "a pid with another start time is another process"
        );
        let elsewhere = Owner {
            machine: "0000000000000000".to_string(),
            ..me
        };
        assert!(!elsewhere.is_here());
        assert_eq!(Owner::parse("m/12/x"), None);
        assert_eq!(Owner::parse("m/12/3/4"), None);
        assert_eq!(Owner::parse("/12/3"), None);
    }

    #[test]
    fn stat_lines_with_odd_command_names() {
        let line = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    987654 1000 100 18446744073709551615";
        assert_eq!(parse_stat(line), Some(('S', 987654)));
        assert_eq!(parse_stat("1 (x) Z 0"), None);
    }

    #[test]
    fn standard_labels_follow_the_testcontainers_contract() {
        let labels = standard("abc");
        assert_eq!(labels["org.testcontainers"], "true");
        assert_eq!(labels["org.testcontainers.lang"], "rust");
        assert_eq!(labels["org.testcontainers.session-id"], "abc");
        assert_eq!(
            labels["org.testcontainers.version"],
            env!("CARGO_PKG_VERSION")
        );
    }
}

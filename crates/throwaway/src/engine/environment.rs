//! The process environment as engine discovery and settings see it: variables, the home
//! directory, files and the user id.
//!
//! Everything that reads the machine goes through [`Environment`], so discovery and settings
//! are tested against a `FakeEnvironment` without touching the real one.

#[cfg(any(test, fuzzing))]
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What discovery and settings may ask of the machine they run on.
///
/// `Send + Sync` so that settings and discovery results built from it can live in the
/// process-wide engine client.
pub(crate) trait Environment: Send + Sync {
    /// The value of an environment variable, if it is set and valid Unicode.
    fn var(&self, name: &str) -> Option<String>;
    /// The user's home directory.
    fn home_dir(&self) -> Option<PathBuf>;
    /// The contents of a text file, or `None` if it cannot be read.
    fn read_to_string(&self, path: &Path) -> Option<String>;
    /// Whether something (a file, a socket, a directory) exists at `path`.
    fn exists(&self, path: &Path) -> bool;
    /// The real user id of this process, for `/run/user/<uid>` paths.
    fn uid(&self) -> Option<u32>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RealEnvironment;

impl Environment for RealEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        // `HOME` is what the docker CLI and Testcontainers use on Unix; an empty value means
        // "no home", not the current directory.
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
    }

    fn read_to_string(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }

    fn exists(&self, path: &Path) -> bool {
        // Follows symlinks: `/var/run/docker.sock` is often a link to the real socket.
        path.exists()
    }

    fn uid(&self) -> Option<u32> {
        if let Some(status) = self.read_to_string(Path::new("/proc/self/status")) {
            if let Some(uid) = uid_from_proc_status(&status) {
                return Some(uid);
            }
        }
        uid_from_proc_owner()
    }
}

/// The real uid from the `Uid:` line of `/proc/self/status` (real, effective, saved, fs).
fn uid_from_proc_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().next())
        .and_then(|real| real.parse().ok())
}

/// `/proc/self` is owned by the process's effective uid: a fallback without libc.
#[cfg(unix)]
fn uid_from_proc_owner() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn uid_from_proc_owner() -> Option<u32> {
    None
}

/// An environment made of maps, for tests: variables, file contents and paths that exist.
///
/// Files given with [`FakeEnvironment::file`] exist too. The home directory defaults to
/// `/home/test` and the uid to 1000.
#[cfg(any(test, fuzzing))]
#[derive(Debug, Clone)]
pub(crate) struct FakeEnvironment {
    vars: HashMap<String, String>,
    files: HashMap<PathBuf, String>,
    existing: HashSet<PathBuf>,
    home: Option<PathBuf>,
    uid: Option<u32>,
}

#[cfg(any(test, fuzzing))]
impl Default for FakeEnvironment {
    fn default() -> Self {
        FakeEnvironment {
            vars: HashMap::new(),
            files: HashMap::new(),
            existing: HashSet::new(),
            home: Some(PathBuf::from("/home/test")),
            uid: Some(1000),
        }
    }
}

#[cfg(any(test, fuzzing))]
impl FakeEnvironment {
    /// An environment with no variables, no files, home `/home/test` and uid 1000.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sets an environment variable.
    pub(crate) fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_string(), value.to_string());
        self
    }

    /// Adds a readable file (which therefore also exists).
    pub(crate) fn file(mut self, path: impl Into<PathBuf>, contents: &str) -> Self {
        self.files.insert(path.into(), contents.to_string());
        self
    }

    /// Marks a path (a socket, a directory) as existing.
    pub(crate) fn exists(mut self, path: impl Into<PathBuf>) -> Self {
        self.existing.insert(path.into());
        self
    }

    /// Sets or removes the home directory.
    pub(crate) fn home(mut self, home: Option<&str>) -> Self {
        self.home = home.map(PathBuf::from);
        self
    }

    /// Sets or removes the uid.
    pub(crate) fn uid(mut self, uid: Option<u32>) -> Self {
        self.uid = uid;
        self
    }
}

#[cfg(any(test, fuzzing))]
impl Environment for FakeEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        self.home.clone()
    }

    fn read_to_string(&self, path: &Path) -> Option<String> {
        self.files.get(path).cloned()
    }

    fn exists(&self, path: &Path) -> bool {
        self.files.contains_key(path) || self.existing.contains(path)
    }

    fn uid(&self) -> Option<u32> {
        self.uid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_comes_from_the_real_uid_column_of_proc_status() {
        let status =
            "Name:\tcargo\nUmask:\t0022\nUid:\t1000\t1001\t1002\t1003\nGid:\t100\t100\t100\t100\n";
        assert_eq!(uid_from_proc_status(status), Some(1000));
        assert_eq!(uid_from_proc_status("Name:\tx\n"), None);
        assert_eq!(uid_from_proc_status("Uid:\tnope\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_real_environment_knows_its_uid() {
        // Both ways of finding the uid agree on a normal (non-setuid) process.
        let real = RealEnvironment.uid();
        assert!(real.is_some());
        assert_eq!(real, uid_from_proc_owner());
    }

    #[test]
    fn fake_files_exist_and_can_be_read() {
        let env = FakeEnvironment::new()
            .file("/etc/x", "hello")
            .exists("/run/docker.sock")
            .var("A", "b");
        assert_eq!(
            env.read_to_string(Path::new("/etc/x")).as_deref(),
            Some("hello")
        );
        assert!(Environment::exists(&env, Path::new("/etc/x")));
        assert!(Environment::exists(&env, Path::new("/run/docker.sock")));
        assert!(!Environment::exists(&env, Path::new("/nope")));
        assert_eq!(Environment::var(&env, "A").as_deref(), Some("b"));
        assert_eq!(env.home_dir(), Some(PathBuf::from("/home/test")));
    }
}

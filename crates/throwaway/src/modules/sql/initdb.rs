//! Init scripts: files an SQL image's entrypoint (postgres, mysql, mariadb) runs once, on a
//! fresh data directory. The three official images agree on the folder, the order (by
//! name), the endings and how they announce each script.

use std::path::PathBuf;

use crate::error::{Error, ErrorKind, Result};

/// Where the image's entrypoint looks for init scripts.
pub(crate) const INIT_DIR: &str = "/docker-entrypoint-initdb.d";

/// The endings the entrypoint runs; it ignores any other file.
const RUNNABLE: [&str; 5] = [".sql", ".sql.gz", ".sql.xz", ".sql.zst", ".sh"];

/// One init script, inline or from a host file.
#[derive(Clone, Debug)]
pub(crate) enum InitScript {
    Sql { name: String, sql: String },
    File(PathBuf),
}

impl InitScript {
    /// The name the user knows the script by: the given name, or the host path.
    pub fn shown(&self) -> String {
        match self {
            InitScript::Sql { name, .. } => name.clone(),
            InitScript::File(path) => path.display().to_string(),
        }
    }

    /// The file name in [`INIT_DIR`] for the script at `position` (0-based).
    ///
    /// The entrypoint runs the folder in name order, so a sequence number in front keeps
    /// the order in which the scripts were added, whatever their names.
    pub fn file_name(&self, position: usize) -> String {
        let base = match self {
            InitScript::Sql { name, .. } => {
                let base = base_name(name);
                if RUNNABLE.iter().any(|ending| base.ends_with(ending)) {
                    base
                } else {
                    format!("{base}.sql")
                }
            }
            InitScript::File(path) => base_name(&path.to_string_lossy()),
        };
        format!("{:03}-{base}", position + 1)
    }

    /// Checks what can be checked before a container exists.
    pub fn validate(&self, image: &str) -> Result<()> {
        let InitScript::File(path) = self else {
            return Ok(());
        };
        let name = base_name(&path.to_string_lossy());
        if !RUNNABLE.iter().any(|ending| name.ends_with(ending)) {
            return Err(Error::new(
                ErrorKind::InvalidRequest,
                format!(
                    "init script {} for {image} would be ignored by the image: its name must \
                     end in .sql, .sql.gz, .sql.xz, .sql.zst or .sh",
                    path.display()
                ),
            ));
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => Ok(()),
            Ok(_) => Err(Error::new(
                ErrorKind::InvalidRequest,
                format!("init script {} for {image} is not a file", path.display()),
            )),
            Err(err) => Err(Error::new(
                ErrorKind::Io,
                format!(
                    "cannot read init script {} for {image}: {err}",
                    path.display()
                ),
            )
            .with_source(err)),
        }
    }
}

/// The last component of a path, `/` and `\` both counting as separators.
fn base_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    if base.is_empty() {
        "script".to_string()
    } else {
        base.to_string()
    }
}

/// The command-line client an image feeds `.sql` init scripts to: how its error lines look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(all(feature = "mysql", feature = "postgres")), allow(dead_code))]
pub(crate) enum Client {
    /// `psql:/docker-entrypoint-initdb.d/002-bad.sql:3: ERROR:  …`: the file is named.
    Psql,
    /// `ERROR 1146 (42S02) at line 1: Table 'app.nope' doesn't exist` (`mysql`, `mariadb`):
    /// the file is not named, so it is the last one the entrypoint announced.
    Mysql,
}

impl Client {
    /// The client's error line in `message`, and the file it names, if it names one.
    fn error_line(self, message: &str) -> Option<(Option<String>, String)> {
        let mut lines = message.lines().map(str::trim);
        match self {
            Client::Psql => {
                let prefix = format!("psql:{INIT_DIR}/");
                let line = lines.find(|l| l.starts_with(&prefix) && l.contains("ERROR:"))?;
                let file = line[prefix.len()..].split(':').next().unwrap_or_default();
                Some((Some(file.to_string()), line.to_string()))
            }
            Client::Mysql => {
                let line = lines.find(|l| {
                    l.strip_prefix("ERROR ")
                        .and_then(|rest| rest.split_whitespace().next())
                        .is_some_and(|code| code.chars().all(|c| c.is_ascii_digit()))
                })?;
                Some((None, line.to_string()))
            }
        }
    }
}

/// When a container exited while initialising, says which init script failed and how, in
/// front of the original message (which ends with the container's last log lines).
///
/// The client's error line says what went wrong (and, for psql, in which file); otherwise
/// a failed script only shows as the last "running …" line before the exit. `scripts`
/// maps file names in [`INIT_DIR`] to the names the user gave.
pub(crate) fn explain_exit(err: Error, scripts: &[(String, String)], client: Client) -> Error {
    if err.kind() != ErrorKind::ContainerExited || scripts.is_empty() {
        return err;
    }
    let message = err.message();
    let shown = |file: &str| {
        scripts
            .iter()
            .find(|(in_container, _)| in_container == file)
            .map_or_else(|| file.to_string(), |(_, shown)| shown.clone())
    };
    // The entrypoints announce each script: "…: running /docker-entrypoint-initdb.d/x".
    let announced = format!(" {INIT_DIR}/");
    let last_announced = message
        .lines()
        .filter(|line| line.contains("running ") || line.contains("sourcing "))
        .filter_map(|line| line.split(&announced).nth(1))
        .map(str::trim)
        .next_back();
    let headline = match client.error_line(message) {
        Some((named, line)) => match named.as_deref().or(last_announced) {
            Some(file) => format!("init script '{}' failed: {line}", shown(file)),
            None => return err,
        },
        None => match last_announced {
            Some(file) => format!(
                "init script '{}' failed (the last one the image ran)",
                shown(file)
            ),
            None => return err,
        },
    };
    Error::new(ErrorKind::ContainerExited, format!("{headline}\n{message}"))
}

/// The scripts' file names in the container, each with the name the user knows.
pub(crate) fn names(scripts: &[InitScript]) -> Vec<(String, String)> {
    scripts
        .iter()
        .enumerate()
        .map(|(i, s)| (s.file_name(i), s.shown()))
        .collect()
}

/// Whether `path` ends like a script the image runs.
#[cfg(test)]
fn runnable(path: &std::path::Path) -> bool {
    let name = base_name(&path.to_string_lossy());
    RUNNABLE.iter().any(|ending| name.ends_with(ending))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn file_names_keep_the_order_scripts_were_added_in() {
        let scripts = [
            InitScript::Sql {
                name: "schema".into(),
                sql: String::new(),
            },
            InitScript::File("./sql/002_seed.sql".into()),
            InitScript::Sql {
                name: "a/b/zz.sh".into(),
                sql: String::new(),
            },
        ];
        let names: Vec<_> = names(&scripts).into_iter().map(|(f, _)| f).collect();
        assert_eq!(names, ["001-schema.sql", "002-002_seed.sql", "003-zz.sh"]);
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, names);
    }

    #[test]
    fn only_runnable_files_are_accepted() {
        assert!(runnable(Path::new("x/1.sql")));
        assert!(runnable(Path::new("1.sql.gz")));
        assert!(runnable(Path::new("setup.sh")));
        assert!(!runnable(Path::new("notes.txt")));
        let err = InitScript::File("seed.txt".into())
            .validate("postgres:15")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert!(err.to_string().contains("seed.txt"), "{err}");
        let err = InitScript::File("/no/such/seed.sql".into())
            .validate("postgres:15")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.to_string().contains("/no/such/seed.sql"), "{err}");
    }

    #[test]
    fn a_failed_init_script_is_named_first() {
        let original = Error::new(
            ErrorKind::ContainerExited,
            "postgres:15 (abc) exited with code 3 while waiting for …; last log lines:\n  \
             docker-entrypoint.sh: running /docker-entrypoint-initdb.d/002-bad.sql\n  \
             ERROR:  relation \"nope\" does not exist at character 15\n  \
             psql:/docker-entrypoint-initdb.d/002-bad.sql:1: ERROR:  relation \"nope\" does \
             not exist\n  LINE 1: SELECT * FROM nope;",
        );
        let scripts = vec![
            ("001-ok.sql".to_string(), "ok.sql".to_string()),
            ("002-bad.sql".to_string(), "bad.sql".to_string()),
        ];
        let err = explain_exit(original, &scripts, Client::Psql);
        assert_eq!(err.kind(), ErrorKind::ContainerExited);
        let message = err.to_string();
        assert!(
            message.starts_with(
                "init script 'bad.sql' failed: psql:/docker-entrypoint-initdb.d/002-bad.sql:1: \
                 ERROR:  relation \"nope\" does not exist\n"
            ),
            "{message}"
        );
        assert!(message.contains("exited with code 3"), "{message}");
    }

    #[test]
    fn a_failed_shell_script_is_named_by_the_last_announcement() {
        let original = Error::new(
            ErrorKind::ContainerExited,
            "x exited with code 1; last log lines:\n  \
             /usr/local/bin/docker-entrypoint.sh: running /docker-entrypoint-initdb.d/001-a.sql\n  \
             /usr/local/bin/docker-entrypoint.sh: running /docker-entrypoint-initdb.d/002-b.sh\n  \
             oops",
        );
        let scripts = vec![
            ("001-a.sql".to_string(), "a.sql".to_string()),
            ("002-b.sh".to_string(), "./b.sh".to_string()),
        ];
        let message = explain_exit(original, &scripts, Client::Psql).to_string();
        assert!(
            message.starts_with("init script './b.sh' failed (the last one the image ran)"),
            "{message}"
        );
    }

    #[test]
    fn a_failed_mysql_script_is_named_by_its_announcement_with_the_clients_error() {
        let original = Error::new(
            ErrorKind::ContainerExited,
            "mysql:8 (abc) exited with code 1; last log lines:\n  \
             2024-05-01 10:00:00+00:00 [Note] [Entrypoint]: /usr/local/bin/docker-entrypoint.sh: \
             running /docker-entrypoint-initdb.d/001-ok.sql\n  \
             2024-05-01 10:00:00+00:00 [Note] [Entrypoint]: /usr/local/bin/docker-entrypoint.sh: \
             running /docker-entrypoint-initdb.d/002-bad.sql\n  \
             ERROR 1146 (42S02) at line 1: Table 'app.nope' doesn't exist",
        );
        let scripts = vec![
            ("001-ok.sql".to_string(), "ok.sql".to_string()),
            ("002-bad.sql".to_string(), "seed/bad.sql".to_string()),
        ];
        let message = explain_exit(original, &scripts, Client::Mysql).to_string();
        assert!(
            message.starts_with(
                "init script 'seed/bad.sql' failed: ERROR 1146 (42S02) at line 1: Table \
                 'app.nope' doesn't exist\n"
            ),
            "{message}"
        );
        assert!(message.contains("exited with code 1"), "{message}");
    }

    #[test]
    fn other_errors_pass_through() {
        let original = Error::new(ErrorKind::WaitTimeout, "waited");
        let scripts = vec![("001-a.sql".to_string(), "a.sql".to_string())];
        assert_eq!(
            explain_exit(original, &scripts, Client::Mysql).to_string(),
            "waited"
        );
        let original = Error::new(ErrorKind::ContainerExited, "exited; no output");
        assert_eq!(
            explain_exit(original, &scripts, Client::Psql).to_string(),
            "exited; no output"
        );
    }
}

//! The shared services of this binary, and child processes of it.

use std::process::{Command, Output};

use throwaway::memcached::Memcached;
use throwaway::postgres::Postgres;
use throwaway::redis::Redis;
use throwaway::Shared;

pub static PG: Shared<Postgres> = Shared::new(|| {
    Postgres::new("postgres:15")
        .password("pg-secret")
        .init_sql("notes.sql", "CREATE TABLE notes (body text NOT NULL);")
});
pub static REDIS: Shared<Redis> = Shared::new(|| Redis::new("redis:7.0"));
pub static MEMCACHED: Shared<Memcached> = Shared::new(|| Memcached::new("memcached:1.6"));

/// The ignored test `name` of this binary, run alone in a child process with `env` added
/// (an empty value removes the variable); its output, whatever its outcome.
pub fn run_child(name: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command
        .args([name, "--exact", "--ignored", "--test-threads=1"])
        .env("THROWAWAY_CHILD", "1");
    for (key, value) in env {
        if value.is_empty() {
            command.env_remove(key);
        } else {
            command.env(key, value);
        }
    }
    command.output().expect("running the child test process")
}

/// stdout and stderr of a child, for asserting on and for failure messages.
pub fn text(output: &Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Panics unless this process was started by [`run_child`].
pub fn assert_child() {
    assert!(
        std::env::var_os("THROWAWAY_CHILD").is_some(),
        "this test runs in a child process started by its parent test; run the parent"
    );
}

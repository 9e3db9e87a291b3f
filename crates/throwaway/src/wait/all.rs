//! Waiting for several conditions in turn.

use super::target::Target;
use super::{Progress, Wait};
use crate::error::Result;

/// Runs each part in order. The deadline belongs to the driver, which wraps the whole
/// sequence, so the parts share it: a slow first part leaves less time for the rest.
pub(super) async fn run(parts: &[Wait], target: &dyn Target, progress: &Progress) -> Result<()> {
    for (i, part) in parts.iter().enumerate() {
        progress.start_part(format!("part {} of {} ({part})", i + 1, parts.len()));
        part.run(target, progress).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::super::fake::{exec_exits, FakeTarget};
    use super::super::{wait_until_ready, Wait};
    use crate::error::ErrorKind;

    #[tokio::test]
    async fn the_parts_share_one_deadline() {
        let half = Duration::from_millis(300);
        let wait = Wait::all([Wait::duration(half), Wait::duration(half)]);
        let started = Instant::now();
        let err = wait_until_ready(&wait, &FakeTarget::new(), Duration::from_millis(450))
            .await
            .unwrap_err();
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(
            err.message().contains(
                "waited 450 ms for all of (a fixed delay of 300 ms, a fixed delay of 300 ms) \
                 on fake:1 (0123456789ab); at part 2 of 2 (a fixed delay of 300 ms)"
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn each_part_in_order() {
        let created = Instant::now();
        let target = FakeTarget::new().stdout(100, "ready").exec(move |_| {
            // The command runs only after the log line.
            assert!(created.elapsed() >= Duration::from_millis(90));
            exec_exits(0, "")
        });
        let wait = Wait::log("ready").and(Wait::exec(["true"]));
        wait_until_ready(&wait, &target, Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(target.exec_calls().len(), 1);
    }

    #[tokio::test]
    async fn the_timeout_names_the_part_and_its_progress() {
        let target = FakeTarget::new().stdout(0, "ready");
        let wait = Wait::log("ready").and(Wait::exec(["probe"]));
        let target = target.exec(|_| exec_exits(1, "nope"));
        let err = wait_until_ready(&wait, &target, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(
            err.message().contains(
                "at part 2 of 2 (command 'probe' exiting 0): the last run exited with code 1: nope"
            ),
            "{err}"
        );
    }

    #[test]
    fn all_flattens_and_drops_none() {
        let nested = Wait::all([
            Wait::log("a"),
            Wait::none(),
            Wait::port(1).and(Wait::healthy()),
        ]);
        assert_eq!(
            nested.to_string(),
            "all of (log 'a' on stdout or stderr, port 1/tcp listening, healthcheck reporting healthy)"
        );
        assert_eq!(
            Wait::all(Vec::<Wait>::new()).to_string(),
            Wait::none().to_string()
        );
    }
}

//! Waiting a fixed time, and writing durations for people.

use std::time::Duration;

pub(super) async fn run(delay: Duration) -> crate::error::Result<()> {
    tokio::time::sleep(delay).await;
    Ok(())
}

/// `60 s`, `1.5 s`, `300 ms`: how messages write a duration.
pub(super) fn human(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        let s = format!("{:.1}", d.as_secs_f64());
        format!("{} s", s.trim_end_matches(".0"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::super::fake::FakeTarget;
    use super::super::{wait_until_ready, Wait};
    use super::human;
    use crate::error::ErrorKind;

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_secs(60)), "60 s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_millis(2001)), "2 s");
        assert_eq!(human(Duration::from_millis(300)), "300 ms");
    }

    #[tokio::test]
    async fn waits_the_delay() {
        let started = Instant::now();
        let wait = Wait::duration(Duration::from_millis(150));
        wait_until_ready(&wait, &FakeTarget::new(), Duration::from_secs(2))
            .await
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(150));
    }

    #[tokio::test]
    async fn a_delay_longer_than_the_timeout_times_out() {
        let wait = Wait::duration(Duration::from_secs(5));
        let err = wait_until_ready(&wait, &FakeTarget::new(), Duration::from_millis(100))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WaitTimeout);
        assert!(
            err.message()
                .contains("waited 100 ms for a fixed delay of 5 s"),
            "{err}"
        );
    }

    #[test]
    fn display() {
        assert_eq!(
            Wait::duration(Duration::from_millis(500)).to_string(),
            "a fixed delay of 500 ms"
        );
    }
}

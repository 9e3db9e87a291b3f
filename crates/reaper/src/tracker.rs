//! When to prune: connection counting and the timeouts, as a small state machine (no I/O, no
//! clock of its own) plus the loop that feeds it events and sleeps until it is due.

use std::net::SocketAddr;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::config::Timeouts;
use crate::log;

/// What the tracker is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    Connected(SocketAddr),
    Disconnected(SocketAddr),
    /// SIGINT or SIGTERM: no new connections from now on.
    Shutdown,
}

/// Open connections and the moment a prune check is due, if any.
#[derive(Debug)]
pub(crate) struct Tracker {
    timeouts: Timeouts,
    clients: usize,
    due: Option<Instant>,
    /// Set once a shutdown was asked for: the prune happens by then at the latest.
    shutdown_by: Option<Instant>,
}

/// What to do when a prune check finds objects created too recently to be sure they are
/// abandoned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recent {
    /// Leave everything for now; the tracker has scheduled another check.
    CheckAgain,
    /// The shutdown deadline has passed: remove what is old enough, leave the recent ones.
    PruneAnyway,
}

impl Tracker {
    /// A reaper that has just started listening: due after the connection timeout unless
    /// someone connects.
    pub(crate) fn new(now: Instant, timeouts: Timeouts) -> Self {
        Tracker {
            timeouts,
            clients: 0,
            due: Some(now + timeouts.connection),
            shutdown_by: None,
        }
    }

    /// Open connections.
    pub(crate) fn clients(&self) -> usize {
        self.clients
    }

    /// When the next prune check is due; `None` while connections are open.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    pub(crate) fn connected(&mut self) {
        self.clients += 1;
        // During a shutdown the deadline stands, whoever is still connected.
        if self.shutdown_by.is_none() {
            self.due = None;
        }
    }

    pub(crate) fn disconnected(&mut self, now: Instant) {
        self.clients = self.clients.saturating_sub(1);
        if self.clients == 0 {
            self.due = Some(match self.shutdown_by {
                // Nobody can connect any more, so there is nothing to wait for.
                Some(_) => now,
                None => now + self.timeouts.reconnection,
            });
        }
    }

    pub(crate) fn shutdown(&mut self, now: Instant) {
        if self.shutdown_by.is_some() {
            return;
        }
        let by = now + self.timeouts.shutdown;
        self.shutdown_by = Some(by);
        self.due = Some(if self.clients == 0 { now } else { by });
    }

    /// The prune check found recently created objects.
    pub(crate) fn recent_objects(&mut self, now: Instant) -> Recent {
        match self.shutdown_by {
            Some(by) if now >= by => Recent::PruneAnyway,
            _ => {
                self.due = Some(now + self.timeouts.changes_retry_interval);
                Recent::CheckAgain
            }
        }
    }
}

/// Applies events until a prune check is due, logging connections as they come and go.
pub(crate) async fn wait_until_due(tracker: &mut Tracker, events: &mut mpsc::Receiver<Event>) {
    // Once every sender is gone no event can arrive; keep going on the clock alone.
    let mut open = true;
    loop {
        let due = tracker.due();
        let sleep = async {
            match due {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // Events first: a connection that arrived together with the deadline still counts.
            biased;
            event = events.recv(), if open => {
                let now = Instant::now();
                match event {
                    Some(Event::Connected(address)) => {
                        tracker.connected();
                        log::info(
                            "client connected",
                            &[("address", &address), ("clients", &tracker.clients())],
                        );
                    }
                    Some(Event::Disconnected(address)) => {
                        tracker.disconnected(now);
                        log::info(
                            "client disconnected",
                            &[("address", &address), ("clients", &tracker.clients())],
                        );
                    }
                    Some(Event::Shutdown) => {
                        tracker.shutdown(now);
                        log::info(
                            "signal received",
                            &[
                                ("clients", &tracker.clients()),
                                ("shutdown_timeout", &format!("{:?}", tracker.timeouts.shutdown)),
                            ],
                        );
                    }
                    None => {
                        // Only the accept loop and the connections send events, so with
                        // every sender gone no connection is open either.
                        open = false;
                        tracker.clients = 0;
                        tracker.shutdown(now);
                    }
                }
            }
            () = sleep => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MS: Duration = Duration::from_millis(1);

    fn timeouts(connection: u32, reconnection: u32, shutdown: u32) -> Timeouts {
        Timeouts {
            connection: connection * MS,
            reconnection: reconnection * MS,
            changes_retry_interval: 7 * MS,
            shutdown: shutdown * MS,
        }
    }

    // --- the state machine, on a made-up clock ---------------------------------------

    #[test]
    fn nobody_connects_so_due_after_the_connection_timeout() {
        let t0 = Instant::now();
        let tracker = Tracker::new(t0, timeouts(60, 10, 600));
        assert_eq!(tracker.due(), Some(t0 + 60 * MS));
        assert_eq!(tracker.clients(), 0);
    }

    #[test]
    fn due_a_reconnection_timeout_after_the_last_client_leaves() {
        let t0 = Instant::now();
        let mut tracker = Tracker::new(t0, timeouts(60, 10, 600));
        tracker.connected();
        assert_eq!(tracker.due(), None);
        tracker.connected();
        tracker.disconnected(t0 + 100 * MS);
        assert_eq!(tracker.due(), None, "one client is still connected");
        tracker.disconnected(t0 + 200 * MS);
        assert_eq!(tracker.due(), Some(t0 + 210 * MS));
        // Coming back in time cancels it; leaving again starts the grace period anew.
        tracker.connected();
        assert_eq!(tracker.due(), None);
        tracker.disconnected(t0 + 300 * MS);
        assert_eq!(tracker.due(), Some(t0 + 310 * MS));
    }

    #[test]
    fn recent_objects_postpone_the_check_until_a_client_comes() {
        let t0 = Instant::now();
        let mut tracker = Tracker::new(t0, timeouts(60, 10, 600));
        assert_eq!(tracker.recent_objects(t0 + 60 * MS), Recent::CheckAgain);
        assert_eq!(tracker.due(), Some(t0 + 67 * MS));
        tracker.connected();
        assert_eq!(tracker.due(), None);
    }

    #[test]
    fn shutdown_with_nobody_connected_prunes_at_once() {
        let t0 = Instant::now();
        let mut tracker = Tracker::new(t0, timeouts(60, 10, 600));
        tracker.shutdown(t0 + 5 * MS);
        assert_eq!(tracker.due(), Some(t0 + 5 * MS));
    }

    #[test]
    fn shutdown_waits_for_clients_but_not_beyond_its_timeout() {
        let t0 = Instant::now();
        let mut tracker = Tracker::new(t0, timeouts(60, 10, 600));
        tracker.connected();
        tracker.connected();
        tracker.shutdown(t0 + 100 * MS);
        assert_eq!(tracker.due(), Some(t0 + 700 * MS));
        // A second signal does not move the deadline.
        tracker.shutdown(t0 + 200 * MS);
        assert_eq!(tracker.due(), Some(t0 + 700 * MS));
        tracker.disconnected(t0 + 300 * MS);
        assert_eq!(tracker.due(), Some(t0 + 700 * MS));
        // The last one leaving: nobody can come back, so no grace period.
        tracker.disconnected(t0 + 400 * MS);
        assert_eq!(tracker.due(), Some(t0 + 400 * MS));
        // Recent objects delay only until the shutdown deadline.
        assert_eq!(tracker.recent_objects(t0 + 400 * MS), Recent::CheckAgain);
        assert_eq!(tracker.recent_objects(t0 + 700 * MS), Recent::PruneAnyway);
    }

    // --- the waiting loop, with real (short) timeouts ------------------------------------

    fn address(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// Runs the loop in the background; the returned receiver fires when it is due.
    fn start(timeouts: Timeouts) -> (mpsc::Sender<Event>, tokio::sync::oneshot::Receiver<Instant>) {
        let (events_tx, mut events) = mpsc::channel(16);
        let (due_tx, due) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let mut tracker = Tracker::new(Instant::now(), timeouts);
            wait_until_due(&mut tracker, &mut events).await;
            let _ = due_tx.send(Instant::now());
        });
        (events_tx, due)
    }

    /// Whether the loop became due within `within`.
    async fn due_within(
        due: &mut tokio::sync::oneshot::Receiver<Instant>,
        within: Duration,
    ) -> bool {
        tokio::time::timeout(within, due).await.is_ok()
    }

    #[tokio::test]
    async fn the_loop_ends_after_the_connection_timeout_when_nobody_connects() {
        let started = Instant::now();
        let (_events, mut due) = start(timeouts(150, 10_000, 60_000));
        assert!(due_within(&mut due, Duration::from_secs(5)).await);
        assert!(started.elapsed() >= 150 * MS);
    }

    #[tokio::test]
    async fn the_loop_waits_for_both_connections_then_the_grace_period() {
        let (events, mut due) = start(timeouts(100, 150, 60_000));
        events.send(Event::Connected(address(1))).await.unwrap();
        events.send(Event::Connected(address(2))).await.unwrap();
        events.send(Event::Disconnected(address(1))).await.unwrap();
        // Well past both timeouts: one connection is still open.
        assert!(!due_within(&mut due, 400 * MS).await);
        let closed = Instant::now();
        events.send(Event::Disconnected(address(2))).await.unwrap();
        assert!(due_within(&mut due, Duration::from_secs(5)).await);
        assert!(closed.elapsed() >= 150 * MS);
    }

    #[tokio::test]
    async fn reconnecting_within_the_grace_period_cancels_it() {
        let (events, mut due) = start(timeouts(100, 200, 60_000));
        events.send(Event::Connected(address(1))).await.unwrap();
        events.send(Event::Disconnected(address(1))).await.unwrap();
        tokio::time::sleep(100 * MS).await;
        events.send(Event::Connected(address(2))).await.unwrap();
        assert!(!due_within(&mut due, 400 * MS).await);
        events.send(Event::Disconnected(address(2))).await.unwrap();
        assert!(due_within(&mut due, Duration::from_secs(5)).await);
    }

    #[tokio::test]
    async fn a_signal_ends_the_wait_at_once_when_nobody_is_connected() {
        let (events, mut due) = start(timeouts(60_000, 60_000, 60_000));
        let signalled = Instant::now();
        events.send(Event::Shutdown).await.unwrap();
        assert!(due_within(&mut due, Duration::from_secs(5)).await);
        assert!(signalled.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_signal_with_clients_waits_at_most_the_shutdown_timeout() {
        let (events, mut due) = start(timeouts(60_000, 60_000, 200));
        events.send(Event::Connected(address(1))).await.unwrap();
        events.send(Event::Shutdown).await.unwrap();
        assert!(!due_within(&mut due, 100 * MS).await);
        assert!(due_within(&mut due, Duration::from_secs(5)).await);
    }

    #[tokio::test]
    async fn losing_every_event_source_does_not_hang_the_loop() {
        let (events, mut due) = start(timeouts(60_000, 60_000, 60_000));
        events.send(Event::Connected(address(1))).await.unwrap();
        drop(events);
        assert!(due_within(&mut due, Duration::from_secs(5)).await);
    }
}

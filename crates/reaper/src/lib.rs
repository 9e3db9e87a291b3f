//! A reaper that speaks Ryuk's protocol, so that an engine which cannot pull
//! `testcontainers/ryuk` still gets everything a test session created removed after the test
//! processes are gone, even when they were killed.
//!
//! The binary `throwaway-reaper` runs inside a container with the engine's socket mounted at
//! `/var/run/docker.sock` (or reaches the engine named by `DOCKER_HOST`). Each test process
//! keeps one TCP connection to it open and sends the label filters of what it creates; once
//! every connection has closed and nobody has come back within a grace period, the reaper
//! removes whatever matches and exits:
//!
//! ```text
//! $ docker run -d -v /var/run/docker.sock:/var/run/docker.sock -p 127.0.0.1::8080 \
//!       testcontainers/ryuk:0.14.0          # the local stand-in built by ci/images/build
//! $ nc 127.0.0.1 <published port>
//! label=org.testcontainers.session-id=4f1c2a
//! ACK
//! ^C                                        # 10 s later: removed containers=3 networks=1 …
//! ```
//!
//! # The protocol, as Ryuk implements it
//!
//! Established from the sources of `testcontainers/moby-ryuk` (`reaper.go`, `config.go`,
//! `consts.go`, `linux/Dockerfile`, `README.md`, and its older single-file `main.go`) and of the
//! clients that talk to it (testcontainers-java `ResourceReaper.java`, testcontainers-node
//! `reaper.ts`, testcontainers-python `reaper.py`/`container.py`, testcontainers-go
//! `reaper.go`). This crate follows the current Ryuk (0.11 and later) unless noted.
//!
//! **Transport.** Plain TCP on port 8080 (`RYUK_PORT`), any number of connections at once. A
//! client usually keeps one connection for the life of its process; "one-off" connections that
//! send a line and close at once are fine too.
//!
//! **Requests.** Each line is one *filter set* written like a URL query string, and Ryuk reads
//! it with Go's `url.ParseQuery`: pairs are separated by `&`; each pair is split at its
//! *first* `=` into a filter key and a value; both halves are percent-decoded (`%3D` → `=`) and
//! `+` becomes a space; a pair without `=` has an empty value; empty pairs are skipped; a `;`
//! anywhere in a pair, or a `%` not followed by two hex digits, makes the whole line invalid.
//! Clients differ in how they write the label: Java percent-encodes key and value
//! (`label=org.testcontainers.sessionId%3D4f1c2a`), while Node, Python and Go send the `=`
//! inside the value raw (`label=org.testcontainers.session-id=4f1c2a`); splitting at the first
//! `=` makes both mean the label `org.testcontainers.session-id` with value `4f1c2a`. A value
//! containing `&`, `%` or `+` must therefore be percent-encoded. Lines end with `\n`; a `\r`
//! before it is dropped (Node and Python send `\r\n`), and a last line without a newline before
//! the client closes still counts. Lines longer than 64 KiB end the connection.
//!
//! **Meaning.** The pairs of one line become one set of Docker list filters (`label=a=b`
//! matches objects whose label `a` is `b`, `label=a` objects that have label `a`); everything in
//! one set must match (Go's client joins its labels with `&` into one line). Different lines,
//! from any connection, are alternatives: an object is removed if it matches any of them. The
//! same set sent twice is kept once. Any key the engine's list endpoints understand is passed
//! on as is, but only `label` (and `label!`) is understood by all four of containers, networks,
//! volumes and images; a key one of them rejects makes that listing fail (logged, the others go
//! on).
//!
//! **Replies.** After storing a line Ryuk answers `ACK\n`. It answers `ACK` even when the line
//! could not be parsed (the filter is dropped and an error logged), and says nothing for an
//! empty line. Clients wait for the `ACK` before creating anything (Java retries a line until
//! it gets one).
//!
//! **When it prunes.** With no connection within `RYUK_CONNECTION_TIMEOUT` (60 s) of start, it
//! prunes (with no filters: nothing) and exits. Once a client has connected, it waits while
//! any connection is open; when the last one closes it waits `RYUK_RECONNECTION_TIMEOUT`
//! (10 s) for a new one, and then prunes and exits. Before removing, it lists what matches and
//! checks creation times: anything created after the time of the check plus
//! `RYUK_RETRY_OFFSET` (−1 s) may belong to a session still starting up, so nothing is removed
//! yet and the check is repeated after `RYUK_CHANGES_RETRY_INTERVAL` (1 s); a client that
//! connects meanwhile cancels the check. On SIGINT or SIGTERM it stops accepting connections and
//! prunes at once if none is open, otherwise when the last one closes or after
//! `RYUK_SHUTDOWN_TIMEOUT` (10 min), whichever comes first; after that deadline, recently
//! created objects no longer delay the prune (they are left alone).
//!
//! **What it removes, in order:** containers (forced, with their anonymous volumes), then
//! networks, then volumes (forced), then images (untagged and their untagged parents, not
//! forced). Containers labelled `org.testcontainers.ryuk=true` are never removed: the Ryuk image
//! carries that label, so the reaper does not kill itself when a client labels the reaper
//! container with its session id (Node does). Each kind is retried up to
//! `RYUK_REMOVE_RETRIES` (10) times, one second apart, so a network still in use until its
//! containers are gone, or a volume being released, is removed on a later attempt; an object
//! already gone counts as done. Every engine request is bounded by `RYUK_REQUEST_TIMEOUT`
//! (10 s). It then logs the counts (`removed containers=… networks=… volumes=… images=…`) and
//! exits, with status 1 if something could not be listed or removed.
//!
//! **Logs.** One logfmt line per event on stdout. Clients wait for the line containing
//! `Started` before connecting (Java and Node use the pattern `.*Started.*`; Go waits for the
//! port instead). Ryuk up to 0.9 printed `Started!`; 0.10.0 switched to structured logs and
//! printed `listening` instead, which broke Java, and 0.10.1 brought back a `msg=Started` line
//! (moby-ryuk pull request 167). The ready line here is
//! `time=… level=INFO msg=Started address=[::]:8080`. (testcontainers-python still waits for
//! ` Started!` and so only works with Ryuk 0.8-era images.)
//!
//! **Version differences.** The old single-file Ryuk (the 0.3–0.5 images clients defaulted
//! to for years) had fixed timeouts (1 min for the first connection, 10 s to reconnect),
//! panicked without pruning when nobody connected, logged `Started!`, and removed containers
//! one by one but networks, volumes and images through the engine's *prune* endpoints with the
//! filters, retrying each prune up to ten times. A later single-file version read the two
//! timeouts from `RYUK_CONNECTION_TIMEOUT` / `RYUK_RECONNECTION_TIMEOUT` and the port from
//! `-p` or `RYUK_PORT`. The 0.10 rewrite (`reaper.go`, `config.go`) brought the other
//! variables, structured logs, pruning on the connection timeout, the creation-time check,
//! `org.testcontainers.ryuk` self-protection and retries per object;
//! `RYUK_CHANGES_RETRY_INTERVAL` and the shutdown deadline for postponed checks came later.
//! testcontainers-node defaults to 0.12.0; this crate follows the current sources, and
//! its image carries the tag `testcontainers/ryuk:0.14.0`.
//!
//! **Readiness, for client authors.** Wait for the `Started` line rather than for the port to
//! accept connections: with Docker's userland proxy a published port accepts connections before
//! the process inside listens, and such a connection is closed without an `ACK`.
//!
//! # Environment
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `RYUK_PORT` | `8080` | TCP port to listen on (all addresses, IPv6 and IPv4) |
//! | `RYUK_CONNECTION_TIMEOUT` | `60s` | prune and exit if nobody connects within this time of start |
//! | `RYUK_RECONNECTION_TIMEOUT` | `10s` | after the last connection closes, wait this long for a new one |
//! | `RYUK_REQUEST_TIMEOUT` | `10s` | limit for each engine request |
//! | `RYUK_REMOVE_RETRIES` | `10` | attempts per object kind, one second apart |
//! | `RYUK_RETRY_OFFSET` | `-1s` | objects created after *check time + offset* postpone the prune |
//! | `RYUK_CHANGES_RETRY_INTERVAL` | `1s` | how soon to check again after such a postponement |
//! | `RYUK_SHUTDOWN_TIMEOUT` | `10m` | after SIGINT/SIGTERM, prune at the latest after this long |
//! | `RYUK_VERBOSE` | `false` | also log debug lines (filters, listings) |
//! | `DOCKER_HOST` | unset | engine to talk to; unset means `unix:///var/run/docker.sock` |
//!
//! Durations are written as Go writes them (`500ms`, `10s`, `1m30s`, `1.5h`; units `ns`, `us`,
//! `µs`, `ms`, `s`, `m`, `h`; a bare `0` is allowed), booleans as Go's `strconv.ParseBool`
//! accepts them (`1`, `t`, `true`, `TRUE`, `0`, `f`, `false`, …). An empty variable counts as
//! unset; an invalid one stops the reaper at start with a message naming it.
//!
//! # Where this reaper differs from Ryuk, on purpose
//!
//! - A line that parses to no filter at all (`&&`, or only empty pairs) is answered `ACK` but
//!   ignored: Ryuk would store it as an empty filter set, which lists, and so removes, every
//!   container, network and volume of the engine.
//! - A zero timeout means "at once" (Go's tickers reject it); negative timeouts are rejected.
//! - After SIGINT/SIGTERM, when the last connection closes it prunes at once instead of
//!   waiting the reconnection timeout, since nobody can connect any more.
//! - Removals of one kind run concurrently (at most 8 at a time) instead of one by one.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod clock;
mod config;
mod error;
// Go's duration syntax, in the one file the library reads its reaper timeouts with too: the
// two must accept the same values, and the library is published while the reaper is not, so
// the file lives there and is compiled here as well.
#[path = "../../throwaway/src/engine/properties/go_duration.rs"]
mod go_duration;
mod log;
mod protocol;
mod prune;
mod server;
mod tracker;

pub use config::Config;
pub use error::Error;
pub use prune::Report;
pub use server::run;

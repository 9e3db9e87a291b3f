//! A reaper that speaks Ryuk's protocol, so that an engine which cannot pull
//! `testcontainers/ryuk` still gets everything a test session created removed after the test
//! processes are gone, even when they were killed.
//!
//! The binary `throwaway-reaper` runs inside a container with the engine's socket mounted at
//! `/var/run/docker.sock` (or reaches the engine named by `DOCKER_HOST`). Each test process
//! keeps one TCP connection to it open and sends a filter that pins its session; once every
//! connection has closed and nobody has come back within a grace period, the reaper removes
//! whatever matches (except reapers, reused containers and snapshots) and exits:
//!
//! ```text
//! $ docker run -d -v /var/run/docker.sock:/var/run/docker.sock -p 127.0.0.1::8080 \
//!       testcontainers/ryuk:0.14.0          # the local stand-in built by ci/images/build
//! $ nc 127.0.0.1 <published port>
//! label=org.testcontainers.session-id=4f1c2a
//! ACK
//! label=org.testcontainers=true             # every session's objects: refused
//! ERROR filter refused: it does not pin one session; send label=org.testcontainers.session-id=<session id> …
//! ^C                                        # 10 s later: removed containers=3 networks=1 …
//! ```
//!
//! It is stricter than Ryuk in two ways, both so that no client, buggy or not, and no other
//! process on the machine can make it delete what is not a session's to delete: it accepts
//! only filters that pin one session, and it never removes reapers, reused containers or
//! snapshots. See [Which lines are accepted](#which-lines-are-accepted),
//! [What is never removed](#what-is-never-removed) and
//! [Where this reaper differs from Ryuk](#where-this-reaper-differs-from-ryuk-on-purpose).
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
//! it gets one). This reaper answers `ACK` only for a line it stored; see below.
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
//! # Which lines are accepted
//!
//! A line is stored, and answered `ACK\n`, only when one of its `label` pairs pins a session:
//! `label=<session label>=<id>`, where the session label is one of
//!
//! | session label | sent by |
//! |---|---|
//! | `org.testcontainers.session-id` | Python, Node, and this project's library |
//! | `org.testcontainers.sessionId` | Java, Go |
//! | `org.testcontainers.resource-reaper-session` | .NET |
//! | `org.testcontainers.golang.sessionId` | Go releases from before its labels moved under `org.testcontainers` |
//!
//! and the id is not empty and holds no whitespace or control characters (no client makes
//! such ids). The `=` may be percent-encoded (`%3D`), as Java does. Other pairs may come with
//! the pin: every pair of a line must match, so they only narrow it further. Spaces, tabs and
//! carriage returns around a line are dropped before it is read.
//!
//! What each client sends, from its sources:
//!
//! - **testcontainers-python** (`core/testcontainers/core/container.py`,
//!   `Reaper._create_instance`; checked against the 4.15.0 release on PyPI):
//!   `label=org.testcontainers.session-id=<uuid4>\r\n`, on one connection it keeps until the
//!   process exits. It never reads the answer.
//! - **testcontainers-node** (`packages/testcontainers/src/reaper/reaper.ts`, `RyukReaper`):
//!   `label=org.testcontainers.session-id=<uuid>\r\n` (`addSession`), and for each Docker
//!   Compose environment `label=com.docker.compose.project=<project>\r\n`
//!   (`addComposeProject`). It never reads the answers and does not reconnect.
//! - **testcontainers-java** (`core/…/utility/ResourceReaper.java`, `FilterRegistry.register`,
//!   fed by `DEATH_NOTE` and driven by `RyukResourceReaper`): its marker labels and the
//!   session, percent-encoded, joined with `&`, in `HashMap` order:
//!   `label=org.testcontainers%3Dtrue&label=org.testcontainers.lang%3Djava&label=org.testcontainers.version%3D<v>&label=org.testcontainers.sessionId%3D<uuid>\n`
//!   (older releases: only the first and last pair). `registerLabelsFilterForCleanup` adds
//!   lines of its own; its Docker Compose support sends
//!   `label=com.docker.compose.project%3D<project>`. It waits for `ACK` after each line.
//! - **testcontainers-go** (`internal/core/reaper/reaper.go`, `Connect`, with
//!   `core.DefaultLabels`):
//!   `label=org.testcontainers=true&label=org.testcontainers.lang=go&label=org.testcontainers.sessionId=<id>&label=org.testcontainers.version=<v>\n`,
//!   raw, in map order; it resends the line up to three times until the answer is `ACK`.
//!   Older releases (`reaper.go` at the module's top, Ryuk 0.2/0.3 days) sent
//!   `label=org.testcontainers.golang=true&label=org.testcontainers.golang.sessionId=<id>\n`.
//! - **testcontainers-dotnet** (`src/Testcontainers/Containers/ResourceReaper.cs`,
//!   `MaintainRyukConnection`): `label=org.testcontainers.resource-reaper-session=<guid>\n`,
//!   then reads until a line equal to `ack` in any case.
//! - **the `testcontainers` crate** (testcontainers-rs) starts no reaper: `watchdog.rs` removes
//!   its containers on SIGTERM, SIGINT and SIGQUIT (Ryuk support is its open issue 577).
//! - **this project's library** (`crates/throwaway/src/container/reaper.rs`, `handshake`):
//!   `label=org.testcontainers.session-id=<32 hex digits>\n`; it fails with the answer when
//!   that is not `ACK`.
//!
//! Any other line, such as `label=org.testcontainers=true`, `label=org.testcontainers.session-id`
//! (every session), `name=…`, `label=com.docker.compose.project=…`, or one that does not
//! parse, is answered with one line `ERROR <what was wrong>; send
//! label=org.testcontainers.session-id=<session id> …` and changes nothing. The connection
//! stays open and keeps counting as a client: Python and Node never read the answers and never
//! reconnect, so closing it would leave their session unguarded and get it pruned while its
//! tests still run. An empty line still gets no answer, and a line over 64 KiB still ends the
//! connection (the reader cannot tell where the next line starts).
//!
//! What that means for the clients: Python, Go, .NET and this library send only pinned lines
//! and work unchanged. Node works; its Compose projects are not reaped here (the `ERROR` it
//! does not read is logged). Java works except for Compose: its background thread waits for
//! an `ACK` to the Compose line that never comes, so Compose environments are not reaped here,
//! and registering a second one in the same JVM blocks on that thread's lock. Use the official
//! Ryuk, or `TESTCONTAINERS_RYUK_DISABLED=true`, with Java's Compose support.
//!
//! # What is never removed
//!
//! Whatever the filter, an object (container, network, volume or image) carrying one of these
//! labels, with any value, is left alone and counted as `kept` in the `removed` log line:
//!
//! - `org.testcontainers.ryuk`: a reaper. Ryuk's image carries `org.testcontainers.ryuk=true`,
//!   and so does this one's; Node labels its reaper with its session id.
//! - `org.testcontainers.reuse`: a container kept across runs; the library writes
//!   `org.testcontainers.reuse=true` and no session label, and another run may be using it.
//! - `org.throwaway.snapshot`: reserved for the snapshots of initialised data that this
//!   project's lifecycle layer will keep (DESIGN.md, "Performance model"); write
//!   `org.throwaway.snapshot=true`. A snapshot exists to outlive the session that made it.
//!
//! Leaving them is not an error: the exit status stays 0.
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
//! - Only lines that pin one session are stored; any other is answered `ERROR …` instead of
//!   `ACK`. Ryuk stores any filter, so one buggy client, or any process that can reach the
//!   port, could make it remove every session's objects (`label=org.testcontainers=true`), or
//!   everything on the engine (a line of bare separators is an empty filter, which lists
//!   everything). Pinning keeps a filter to what one session created. Compose project filters
//!   (Java, Node) are refused too: the client picks the project name, and the same name may be
//!   a developer's own long-running stack.
//! - Lines that do not parse are answered `ERROR …`, not `ACK`: a client that gets `ACK`
//!   believes its objects are guarded.
//! - Reapers, reused containers and snapshots are never removed, whatever matched them; Ryuk
//!   protects only containers labelled `org.testcontainers.ryuk=true`. A reused container is
//!   shared across runs and a snapshot outlives its session by design, so removing them when a
//!   session ends is never right.
//! - Spaces, tabs and carriage returns around a line are dropped; Ryuk keeps them in the
//!   value, which then matches nothing.
//! - A zero timeout means "at once" (Go's tickers reject it); negative timeouts are rejected.
//! - After SIGINT/SIGTERM, when the last connection closes it prunes at once instead of
//!   waiting the reconnection timeout, since nobody can connect any more.
//! - Removals of one kind run concurrently (at most 8 at a time) instead of one by one.
//! - A pinned line that also names objects, `label=<session label>=<id>&remove=<id>&…`, asks
//!   for those containers and networks of the session to be removed now; it is answered
//!   `REMOVING\n` and nothing is stored. Each id must be a full one (64 lowercase hex
//!   digits: the engine's `id` filter matches prefixes), only `label` pairs may come with
//!   them, and the engine is asked for objects matching the pin, the labels *and* the ids,
//!   so nothing of another session, and no reaper, reused container or snapshot, goes. The
//!   throwaway library sends it at normal exit for the removals it still has pending, so
//!   that a test process ends without waiting for the engine. Ryuk has no such line: it
//!   answers `ACK` and keeps it as a filter (the `remove` key makes its listings fail,
//!   logged), which tells the client to wait for its removals itself.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod clock;
mod config;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
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

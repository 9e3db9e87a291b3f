//! Engine tests of the reaper binary in its image: `cargo test -p throwaway-reaper`.
//!
//! Each test starts its own reaper container (socket mounted, port 8080 published on a random
//! port of 127.0.0.1) with short timeouts, creates labelled victims and bystanders, talks to
//! the reaper like a Testcontainers client, and checks what is left. They need an engine and
//! the images from `ci/images/build`; without them they fail when `CI` is set, and are skipped
//! with a printed reason otherwise.

mod filters;
mod removal;
mod support;
mod timeouts;

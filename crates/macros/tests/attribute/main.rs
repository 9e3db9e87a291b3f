//! Engine tests of `#[throwaway::test]`: what each argument type gets, async and plain
//! tests, `Result` returns, the runtimes, what is kept after a failure and swept by a later
//! session, and the rule without an engine.
//! Tests that must fail on purpose run in child processes of this binary.

mod handouts;
mod kept;
mod no_engine;
mod runtimes;
mod support;
mod sweep;

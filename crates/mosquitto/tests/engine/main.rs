//! Tests against a real Docker engine, one module per topic.
//!
//! They use `eclipse-mosquitto:2`: the official image on an engine that can pull, or the
//! local stand-in that `ci/images/build` makes under that tag.
//!
//! Without an engine these tests print why and pass; with `CI` set they fail instead.

mod support;

mod blocking;
mod connect;
mod credentials;
mod isolation;
mod restart;
mod shared;

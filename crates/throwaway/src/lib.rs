//! Disposable Docker containers for Rust tests.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;

pub mod container;
pub mod engine;
pub mod image;
pub mod wait;

pub use container::{ContainerPort, Protocol};
pub use error::{Error, ErrorKind, Result};

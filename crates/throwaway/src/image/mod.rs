//! Image references and pulling (DESIGN.md layer 2).

pub(crate) mod auth;
mod pull;
mod reference;

pub(crate) use pull::resolve;
pub use pull::PullPolicy;
pub use reference::ImageRef;

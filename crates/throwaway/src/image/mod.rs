//! Image references and pulling (DESIGN.md layer 2).

mod auth;
mod pull;
mod reference;

pub use pull::PullPolicy;
pub(crate) use pull::{ensure_image, pullable};
pub use reference::ImageRef;

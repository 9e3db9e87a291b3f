//! Container requests and started containers (DESIGN.md layer 3).

mod port;

pub use port::{ContainerPort, Protocol};

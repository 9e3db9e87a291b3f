//! Container requests and started containers (DESIGN.md layer 3).

mod copy;
mod exec;
mod identity;
mod logs;
mod mount;
mod network;
mod port;
mod request;
mod start;
mod started;

pub use exec::ExecResult;
pub(crate) use identity::in_shared_scope;
pub use logs::{LogLine, LogSource, Logs};
pub use mount::Mount;
pub use network::Network;
pub use port::{ContainerPort, Protocol};
pub use request::{ContainerRequest, DEFAULT_STARTUP_TIMEOUT};
pub use started::Container;
pub(crate) use started::{pick_binding, remove as remove_by_id};

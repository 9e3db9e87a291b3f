//! Container requests and started containers (DESIGN.md layer 4).

mod attach;
mod copy;
mod exec;
mod identity;
mod inner;
mod launch;
mod logs;
mod mount;
mod network;
pub(crate) mod reaper;
mod request;
mod start;
mod started;
pub(crate) mod sweep;
pub(crate) mod teardown;

pub use crate::engine::{ContainerPort, Protocol};
#[cfg(feature = "postgres")]
pub(crate) use copy::Contents;
pub use copy::FileMode;
pub use exec::ExecResult;
pub(crate) use identity::in_shared_scope;
pub(crate) use inner::remove as remove_by_id;
pub use logs::{LogLine, LogSource, Logs};
pub use mount::Mount;
pub use network::Network;
pub use reaper::DEFAULT_REAPER_IMAGE;
pub use request::{ContainerRequest, DEFAULT_STARTUP_TIMEOUT};
pub use start::Start;
pub use started::{Container, PublishedPort};
pub use sweep::{sweep_orphans, Swept};

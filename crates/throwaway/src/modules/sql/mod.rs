//! What the SQL modules share: init scripts, migrations, names for fresh databases, and
//! what to say about a container whose server stopped answering.
//! Only logic that is the same for every server lives here; talking to a server stays
//! with its module and its driver.

pub(crate) mod initdb;
pub(crate) mod migrations;
pub(crate) mod names;
pub(crate) mod state;

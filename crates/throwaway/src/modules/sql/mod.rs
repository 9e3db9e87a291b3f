//! What the SQL modules share: init scripts, migrations, and names for fresh databases.
//! Only logic that is the same for every server lives here; talking to a server stays
//! with its module and its driver.

pub(crate) mod initdb;
pub(crate) mod migrations;
pub(crate) mod names;

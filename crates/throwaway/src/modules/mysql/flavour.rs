//! MySQL or MariaDB: which environment variables the image reads, which command it runs,
//! and how each server spells the options that make it fast.

/// Which server an image runs. Each official image reads its own environment family:
/// `mysql` only `MYSQL_*`, `mariadb` `MARIADB_*` (and `MYSQL_*` where a `MARIADB_*` one is
/// unset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flavour {
    /// Oracle's MySQL: the official `mysql` image (`mysql:8`).
    Mysql,
    /// MariaDB: the official `mariadb` image (`mariadb:11`).
    MariaDb,
}

impl Flavour {
    /// The flavour an image reference names: `MariaDb` when the image's name (the last
    /// path part, before any tag or digest) starts with `mariadb`, as in `mariadb:11` or
    /// `registry.example.com/library/mariadb-custom:1`; `Mysql` otherwise.
    pub fn of_image(image: &str) -> Flavour {
        let without_digest = image.split('@').next().unwrap_or(image);
        let name = without_digest.rsplit('/').next().unwrap_or(without_digest);
        let name = name.split(':').next().unwrap_or(name);
        if name.to_ascii_lowercase().starts_with("mariadb") {
            Flavour::MariaDb
        } else {
            Flavour::Mysql
        }
    }

    /// The server command the image runs by default.
    pub(crate) fn command(self) -> &'static str {
        match self {
            Flavour::Mysql => "mysqld",
            Flavour::MariaDb => "mariadbd",
        }
    }

    /// The environment variable for one setting, in the image's own family.
    pub(crate) fn var(self, setting: Setting) -> &'static str {
        use Setting::*;
        match (self, setting) {
            (Flavour::Mysql, RootPassword) => "MYSQL_ROOT_PASSWORD",
            (Flavour::Mysql, AllowEmptyRootPassword) => "MYSQL_ALLOW_EMPTY_PASSWORD",
            (Flavour::Mysql, Database) => "MYSQL_DATABASE",
            (Flavour::Mysql, User) => "MYSQL_USER",
            (Flavour::Mysql, Password) => "MYSQL_PASSWORD",
            (Flavour::Mysql, SkipTzinfo) => "MYSQL_INITDB_SKIP_TZINFO",
            (Flavour::MariaDb, RootPassword) => "MARIADB_ROOT_PASSWORD",
            (Flavour::MariaDb, AllowEmptyRootPassword) => "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD",
            (Flavour::MariaDb, Database) => "MARIADB_DATABASE",
            (Flavour::MariaDb, User) => "MARIADB_USER",
            (Flavour::MariaDb, Password) => "MARIADB_PASSWORD",
            (Flavour::MariaDb, SkipTzinfo) => "MARIADB_INITDB_SKIP_TZINFO",
        }
    }

    /// Server options for a test database that need not survive a crash, as each server
    /// accepts them (an option a server does not know stops it at start):
    ///
    /// - no doublewrite buffer: MySQL 8.0.30 made `innodb_doublewrite` an enum, and
    ///   `=OFF` is what its manual documents for the boolean before and the enum since;
    ///   MariaDB documents `--skip-innodb-doublewrite` for every version (11.x made it an
    ///   enum too, and keeps the `skip` form working);
    /// - `--innodb-flush-log-at-trx-commit=0`: the redo log is written about once a
    ///   second, not flushed at every commit (the same in both);
    /// - MySQL 8 turns the binary log on by default (every commit written twice):
    ///   `--skip-log-bin`; MariaDB has it off unless asked.
    ///
    /// With the data directory on tmpfs, the flushes that remain cost nothing.
    pub(crate) fn fast_options(self) -> &'static [&'static str] {
        match self {
            Flavour::Mysql => &[
                "--innodb-doublewrite=OFF",
                "--innodb-flush-log-at-trx-commit=0",
                "--skip-log-bin",
            ],
            Flavour::MariaDb => &[
                "--skip-innodb-doublewrite",
                "--innodb-flush-log-at-trx-commit=0",
            ],
        }
    }

    /// `MySQL` or `MariaDB`, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Flavour::Mysql => "MySQL",
            Flavour::MariaDb => "MariaDB",
        }
    }
}

/// The settings the module passes through the image's environment.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Setting {
    RootPassword,
    AllowEmptyRootPassword,
    Database,
    User,
    Password,
    SkipTzinfo,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flavour_comes_from_the_images_name() {
        assert_eq!(Flavour::of_image("mysql:8"), Flavour::Mysql);
        assert_eq!(Flavour::of_image("mysql/mysql-server:8.0"), Flavour::Mysql);
        assert_eq!(Flavour::of_image("mariadb:11"), Flavour::MariaDb);
        assert_eq!(Flavour::of_image("mariadb"), Flavour::MariaDb);
        assert_eq!(
            Flavour::of_image("registry.example.com:5000/library/MariaDB-x:11@sha256:ab"),
            Flavour::MariaDb
        );
        // A registry host named mariadb does not make the image MariaDB.
        assert_eq!(
            Flavour::of_image("mariadb.example.com/mysql:8"),
            Flavour::Mysql
        );
    }

    #[test]
    fn each_image_gets_its_own_environment_family() {
        assert_eq!(
            Flavour::Mysql.var(Setting::RootPassword),
            "MYSQL_ROOT_PASSWORD"
        );
        assert_eq!(
            Flavour::MariaDb.var(Setting::AllowEmptyRootPassword),
            "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD"
        );
        assert_eq!(
            Flavour::Mysql.var(Setting::AllowEmptyRootPassword),
            "MYSQL_ALLOW_EMPTY_PASSWORD"
        );
        assert_eq!(
            Flavour::MariaDb.var(Setting::SkipTzinfo),
            "MARIADB_INITDB_SKIP_TZINFO"
        );
    }

    #[test]
    fn fast_options_are_spelled_as_each_server_accepts_them() {
        assert_eq!(Flavour::Mysql.command(), "mysqld");
        assert_eq!(Flavour::MariaDb.command(), "mariadbd");
        assert!(Flavour::Mysql.fast_options().contains(&"--skip-log-bin"));
        assert!(Flavour::Mysql
            .fast_options()
            .contains(&"--innodb-doublewrite=OFF"));
        assert!(!Flavour::MariaDb.fast_options().contains(&"--skip-log-bin"));
        assert!(Flavour::MariaDb
            .fast_options()
            .contains(&"--skip-innodb-doublewrite"));
        for flavour in [Flavour::Mysql, Flavour::MariaDb] {
            assert!(flavour
                .fast_options()
                .contains(&"--innodb-flush-log-at-trx-commit=0"));
        }
    }
}

//! What the module writes into the container: the broker's configuration file, and, with
//! credentials, the password file's input and the small command that turns it into the
//! hashed file the broker reads.

use throwaway::kit::Secret;
use throwaway::{Error, ErrorKind, Result};

use crate::{PORT, WEBSOCKETS_PORT};

/// Where the official image's default command reads its configuration.
pub const CONFIG_PATH: &str = "/mosquitto/config/mosquitto.conf";

/// The hashed password file the configuration names, made at the container's first start.
pub(crate) const PASSWORD_FILE: &str = "/mosquitto/config/passwd";

/// The password, twice, as `mosquitto_passwd` reads it from standard input (its "Password:"
/// and "Reenter password:" prompts). Outside `/mosquitto`, which users often bind-mount;
/// removed once the hashed file exists.
pub(crate) const PASSWORD_INPUT: &str = "/tmp/throwaway-mosquitto-password";

/// The broker the official image's default command starts.
const BROKER: &str = "/usr/sbin/mosquitto";

/// The user name and password clients must log in with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: Secret,
}

impl Credentials {
    /// Checks that the password file and an MQTT CONNECT can carry them.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidRequest`] naming what to change.
    pub(crate) fn check(&self, image: &str) -> Result<()> {
        let refuse = |why: &str| {
            Err(Error::new(
                ErrorKind::InvalidRequest,
                format!("Mosquitto ({image}) credentials: {why}"),
            ))
        };
        if self.user.is_empty() {
            return refuse("the user name is empty; give one, or leave out .credentials(…) for anonymous clients");
        }
        // The password file is `user:hash` lines.
        if self.user.contains([':', '\n', '\r', '\0']) {
            return refuse("the user name contains ':', a line break or NUL, which the password file cannot hold; choose another");
        }
        if self.password.is_empty() {
            return refuse("the password is empty; give one, or leave out .credentials(…) for anonymous clients");
        }
        // mosquitto_passwd reads the password as one line.
        if self.password.expose().contains(['\n', '\r', '\0']) {
            return refuse("the password contains a line break or NUL, which mosquitto_passwd cannot read; choose another");
        }
        if self.user.len() > usize::from(u16::MAX)
            || self.password.expose().len() > usize::from(u16::MAX)
        {
            return refuse("the user name or password is longer than MQTT's limit of 65535 bytes");
        }
        Ok(())
    }
}

/// The broker's configuration: listeners on every address (without one, Mosquitto 2 only
/// listens on the container's loopback and no published port reaches it), and either
/// anonymous clients or the password file.
pub(crate) fn config_file(credentials: Option<&Credentials>, websockets: bool) -> String {
    let mut file =
        String::from("# Written by throwaway-mosquitto; it replaces the image's stock file.\n");
    match credentials {
        None => file.push_str("allow_anonymous true\n"),
        Some(_) => {
            file.push_str("allow_anonymous false\n");
            file.push_str(&format!("password_file {PASSWORD_FILE}\n"));
        }
    }
    file.push_str(&format!("listener {PORT}\n"));
    if websockets {
        file.push_str(&format!(
            "listener {WEBSOCKETS_PORT}\nprotocol websockets\n"
        ));
    }
    file
}

/// What `mosquitto_passwd` reads from standard input to set the password.
pub(crate) fn password_input(credentials: &Credentials) -> Vec<u8> {
    let password = credentials.password.expose();
    format!("{password}\n{password}\n").into_bytes()
}

/// The command for a broker with credentials: make the hashed password file from the input
/// file (once: after a restart the hashed file is still there and the input is gone), give
/// it to the broker's user, then run the broker as the image's default command does.
///
/// The password travels in a file, never on a command line (`mosquitto_passwd -b` would put
/// it in `docker inspect` and `ps`). `mosquitto_passwd -U`, which hashes a plain-text
/// `user:password` file in place, cuts passwords at a `:` and drops trailing spaces, so the
/// module feeds the prompt instead, which keeps every character. The user name is the
/// script's first argument, so no quoting is needed.
pub(crate) fn command(credentials: &Credentials) -> Vec<String> {
    let script = format!(
        "set -e\n\
         if [ -f {PASSWORD_INPUT} ]; then\n\
         \tmosquitto_passwd -c {PASSWORD_FILE} \"$1\" < {PASSWORD_INPUT} > /dev/null\n\
         \trm -f {PASSWORD_INPUT} || true\n\
         fi\n\
         chown mosquitto:mosquitto {PASSWORD_FILE} 2>/dev/null || true\n\
         chmod 0600 {PASSWORD_FILE}\n\
         exec {BROKER} -c {CONFIG_PATH}\n"
    );
    vec![
        "sh".to_string(),
        "-c".to_string(),
        script,
        "throwaway-mosquitto".to_string(),
        credentials.user.clone(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(user: &str, password: &str) -> Credentials {
        Credentials {
            user: user.to_string(),
            password: Secret::new(password),
        }
    }

    #[test]
    fn without_credentials_the_broker_listens_everywhere_for_anonymous_clients() {
        let file = config_file(None, false);
        let settings: Vec<&str> = file.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(settings, ["allow_anonymous true", "listener 1883"]);
    }

    #[test]
    fn with_credentials_the_broker_reads_the_password_file() {
        let file = config_file(Some(&credentials("app", "pw")), false);
        let settings: Vec<&str> = file.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            settings,
            [
                "allow_anonymous false",
                "password_file /mosquitto/config/passwd",
                "listener 1883"
            ]
        );
        assert!(
            !file.contains("pw"),
            "the password stays out of the config: {file}"
        );
    }

    #[test]
    fn websockets_add_a_second_listener_with_its_protocol() {
        let file = config_file(None, true);
        assert!(
            file.ends_with("listener 1883\nlistener 9001\nprotocol websockets\n"),
            "{file}"
        );
    }

    #[test]
    fn the_password_is_in_the_input_file_twice_and_never_in_the_command() {
        let login = credentials("app user", "p@ss:w rd ");
        assert_eq!(password_input(&login), b"p@ss:w rd \np@ss:w rd \n");
        let command = command(&login);
        assert_eq!(command[..2], ["sh", "-c"]);
        assert_eq!(command[3..], ["throwaway-mosquitto", "app user"]);
        assert!(
            command.iter().all(|part| !part.contains("p@ss")),
            "{command:?}"
        );
        let script = &command[2];
        assert!(
            script.contains("mosquitto_passwd -c /mosquitto/config/passwd \"$1\" < /tmp/throwaway-mosquitto-password"),
            "{script}"
        );
        assert!(
            script.ends_with("exec /usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf\n"),
            "{script}"
        );
    }

    #[test]
    fn credentials_that_cannot_work_are_refused_with_what_to_change() {
        for (user, password, why) in [
            ("", "pw", "user name is empty"),
            ("a:b", "pw", "contains ':'"),
            ("app", "", "password is empty"),
            ("app", "line\nbreak", "line break"),
        ] {
            let err = credentials(user, password)
                .check("eclipse-mosquitto:2")
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRequest);
            assert!(err.message().contains(why), "{err}");
            assert!(err.message().contains("eclipse-mosquitto:2"), "{err}");
        }
        let long = "x".repeat(65_536);
        assert!(credentials("app", &long).check("m").is_err());
        assert!(credentials("app", "p@ss:w rd #%ü ").check("m").is_ok());
    }
}

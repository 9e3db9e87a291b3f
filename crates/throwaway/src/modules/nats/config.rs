//! The server's configuration file: ports, and the login, which goes here (copied into the
//! container) so that it stays off the command line and out of `docker inspect`.

use crate::kit::{Secret, ServiceUrl};

/// Where the module's configuration file is copied to. At the root, not under `/etc/nats`:
/// the official image is built `FROM scratch` and has no other folder, and users bind-mount
/// their own configuration elsewhere.
pub const CONFIG_PATH: &str = "/throwaway-nats.conf";

/// How clients log in.
#[derive(Clone, Debug, Default)]
pub(crate) enum Auth {
    /// Anyone may connect.
    #[default]
    Anonymous,
    /// `CONNECT {"auth_token": …}`.
    Token(Secret),
    /// `CONNECT {"user": …, "pass": …}`.
    User { user: String, password: Secret },
}

impl Auth {
    /// Whether a secret is empty (which the server would read as no login at all).
    pub(crate) fn has_empty_secret(&self) -> bool {
        match self {
            Auth::Anonymous => false,
            Auth::Token(token) => token.is_empty(),
            Auth::User { user, password } => user.is_empty() || password.is_empty(),
        }
    }

    /// `nats://[user:pass@|token@]host:port`, escaped.
    pub(crate) fn url(&self, host: &str, port: u16) -> ServiceUrl {
        let url = ServiceUrl::new("nats", host, port);
        match self {
            Auth::Anonymous => url,
            Auth::Token(token) => url.token(token),
            Auth::User { user, password } => url.user(user).password(password),
        }
    }

    /// The login fields of a client's `CONNECT`, as JSON.
    pub(crate) fn connect_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut fields = serde_json::Map::new();
        match self {
            Auth::Anonymous => {}
            Auth::Token(token) => {
                fields.insert("auth_token".into(), token.expose().into());
            }
            Auth::User { user, password } => {
                fields.insert("user".into(), user.as_str().into());
                fields.insert("pass".into(), password.expose().into());
            }
        }
        fields
    }
}

/// The configuration file: the client and monitoring ports on every address, and the
/// login if there is one.
pub(crate) fn config_file(auth: &Auth, port: u16, monitoring_port: u16) -> String {
    let mut file = format!(
        "# Written by throwaway: the login goes here to stay off the command line.\n\
         port: {port}\n\
         http_port: {monitoring_port}\n"
    );
    match auth {
        Auth::Anonymous => {}
        Auth::Token(token) => {
            file.push_str(&format!(
                "authorization {{\n  token: {}\n}}\n",
                quoted(token.expose())
            ));
        }
        Auth::User { user, password } => {
            file.push_str(&format!(
                "authorization {{\n  user: {}\n  password: {}\n}}\n",
                quoted(user),
                quoted(password.expose())
            ));
        }
    }
    file
}

/// `value` in double quotes, with every ASCII character but letters and digits written as
/// `\xHH`, which the server's configuration parser reads back: so quotes, backslashes, `$`
/// (a variable outside quotes), `#` and spaces all survive. Other characters are UTF-8 and
/// stand as they are.
fn quoted(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        if c.is_ascii_alphanumeric() || !c.is_ascii() {
            quoted.push(c);
        } else {
            quoted.push_str(&format!("\\x{:02x}", c as u32));
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_login_the_file_only_sets_the_ports() {
        let file = config_file(&Auth::Anonymous, 4222, 8222);
        assert!(file.contains("\nport: 4222\n"), "{file}");
        assert!(file.contains("\nhttp_port: 8222\n"), "{file}");
        assert!(!file.contains("authorization"), "{file}");
    }

    #[test]
    fn secrets_are_quoted_so_that_every_character_survives() {
        let token = Auth::Token(Secret::new("a\"b\\c$d e#fü"));
        let file = config_file(&token, 4222, 8222);
        assert!(
            file.contains("  token: \"a\\x22b\\x5cc\\x24d\\x20e\\x23fü\"\n"),
            "{file}"
        );
        let user = Auth::User {
            user: "app".into(),
            password: Secret::new("p:w"),
        };
        let file = config_file(&user, 4222, 8222);
        assert!(
            file.contains("  user: \"app\"\n  password: \"p\\x3aw\"\n"),
            "{file}"
        );
    }

    #[test]
    fn urls_carry_the_escaped_login_and_mask_it() {
        let token = Auth::Token(Secret::new("s3cr/t"));
        assert_eq!(
            token.url("127.0.0.1", 49153).to_string(),
            "nats://s3cr%2Ft@127.0.0.1:49153"
        );
        assert_eq!(token.url("127.0.0.1", 1).masked(), "nats://***@127.0.0.1:1");
        let user = Auth::User {
            user: "app".into(),
            password: Secret::new("p@ss"),
        };
        assert_eq!(
            user.url("127.0.0.1", 49153).to_string(),
            "nats://app:p%40ss@127.0.0.1:49153"
        );
        assert_eq!(user.url("h", 1).masked(), "nats://app:***@h:1");
        assert_eq!(Auth::Anonymous.url("h", 1).to_string(), "nats://h:1");
    }

    #[test]
    fn the_connect_fields_name_the_login() {
        let fields = Auth::Token(Secret::new("t")).connect_fields();
        assert_eq!(
            serde_json::Value::Object(fields),
            serde_json::json!({"auth_token": "t"})
        );
        let fields = Auth::User {
            user: "u".into(),
            password: Secret::new("p\"q"),
        }
        .connect_fields();
        assert_eq!(
            serde_json::Value::Object(fields),
            serde_json::json!({"user": "u", "pass": "p\"q"})
        );
        assert!(Auth::Anonymous.connect_fields().is_empty());
        assert!(Auth::Token(Secret::new("")).has_empty_secret());
    }
}

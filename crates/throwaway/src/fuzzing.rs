//! Entry points for the fuzz targets in `fuzz/`, compiled only with `--cfg fuzzing` (which
//! `cargo fuzz` sets), so they are no part of the library's API.
//!
//! Each function runs one parser of outside input on arbitrary text the way the library
//! meets that input, and checks what must hold for every input: no panic, errors that say
//! something, and a property where one exists (a parsed image reference prints back to an
//! equal one; a duration written in Go's syntax reads back to the same value). A property
//! that fails panics, which libFuzzer reports as a crash.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::engine::discovery::discover;
use crate::engine::environment::FakeEnvironment;
use crate::engine::properties::{go_duration, parse_duration, Properties, Settings};
use crate::image::auth::{credentials_for, parse_helper_answer, HelperAnswer, Helpers};
use crate::ImageRef;

const HOME: &str = "/home/fuzz";

/// `ImageRef::parse`: refusals explain themselves, and a parsed reference prints back to
/// text that parses to an equal reference and prints the same again.
pub fn image_reference(text: &str) {
    match ImageRef::parse(text) {
        Ok(parsed) => {
            let printed = parsed.to_string();
            let again = ImageRef::parse(&printed).unwrap_or_else(|err| {
                panic!("{text:?} parsed, but what it printed ({printed:?}) does not: {err}")
            });
            assert_eq!(
                again, parsed,
                "{text:?} → {printed:?} parsed to another reference"
            );
            assert_eq!(
                again.to_string(),
                printed,
                "printing is not stable for {text:?}"
            );
            // The derived names must not panic either.
            let _ = (
                parsed.name(),
                parsed.normalized_name(),
                parsed.is_docker_hub(),
            );
            let _ = parsed.with_registry_prefix("registry.example:5000/mirror");
        }
        Err(err) => assert!(
            err.to_string().contains("is not a valid image reference: "),
            "a refusal that does not say why: {err}"
        ),
    }
}

/// The environment the engine discovery reads: `DOCKER_HOST` (unless empty), the
/// properties file, the docker CLI's `config.json`, and a docker context named `fuzz`
/// (selected through `DOCKER_CONTEXT` when `use_context`), with TLS files in place.
pub fn engine_discovery(
    docker_host: &str,
    properties: &str,
    config_json: &str,
    context_meta: &str,
    use_context: bool,
) {
    let docker = format!("{HOME}/.docker");
    let meta_dir = hex(&Sha256::digest(b"fuzz"));
    let mut env = FakeEnvironment::new()
        .home(Some(HOME))
        .uid(Some(1000))
        .exists("/run/user/1000/docker.sock")
        .file(format!("{HOME}/.testcontainers.properties"), properties)
        .file(format!("{docker}/config.json"), config_json)
        .file(
            format!("{docker}/contexts/meta/{meta_dir}/meta.json"),
            context_meta,
        );
    for file in ["ca.pem", "cert.pem", "key.pem"] {
        env = env.file(format!("{docker}/{file}"), "not a certificate");
    }
    if !docker_host.is_empty() {
        env = env.var("DOCKER_HOST", docker_host);
    }
    if use_context {
        env = env.var("DOCKER_CONTEXT", "fuzz");
    }
    let settings = Settings::load(&env);
    every_setting(&settings);
    if let Err(err) = discover(&env, &settings) {
        assert!(
            !err.to_string().trim().is_empty(),
            "an empty discovery error"
        );
    }
}

/// `~/.testcontainers.properties` by Java's rules, then every setting read from it.
pub fn properties_file(text: &str) {
    let properties = Properties::parse(text);
    let _ = properties.get("docker.host");
    let env = FakeEnvironment::new()
        .home(Some(HOME))
        .file(format!("{HOME}/.testcontainers.properties"), text);
    every_setting(&Settings::load(&env));
}

fn every_setting(settings: &Settings) {
    let _ = settings.host_override();
    let _ = settings.docker_socket_override();
    let _ = settings.hub_image_name_prefix();
    let _ = settings.ryuk_image();
    for result in [
        settings.ryuk_disabled(),
        settings.ryuk_privileged(),
        settings.reuse_enabled(),
    ] {
        if let Err(err) = result {
            assert!(!err.to_string().is_empty());
        }
    }
    for result in [
        settings.ryuk_connection_timeout(),
        settings.ryuk_reconnection_timeout(),
    ] {
        if let Err(err) = result {
            assert!(!err.to_string().is_empty());
        }
    }
}

/// A credential helper that answers with whatever the fuzzer wrote on its standard output.
struct ScriptedHelper(Vec<u8>);

impl Helpers for ScriptedHelper {
    fn get(&self, _helper: &str, _server: &str) -> Option<HelperAnswer> {
        parse_helper_answer(&self.0)
    }
}

/// The docker CLI's `config.json` and a credential helper's output, for the credentials of
/// `image` (when it parses).
pub fn docker_credentials(config_json: &str, helper_output: &[u8], image: &str) {
    let image = ImageRef::parse(image).unwrap_or_else(|_| ImageRef::parse("redis:7").unwrap());
    let env = FakeEnvironment::new()
        .home(Some(HOME))
        .file(format!("{HOME}/.docker/config.json"), config_json);
    let _ = credentials_for(&env, &ScriptedHelper(helper_output.to_vec()), &image);
}

/// Reaper timeouts: Go durations or plain seconds. Whatever is read fits Go's range (an
/// i64 of nanoseconds), and written back in Go's syntax (whole nanoseconds) reads back
/// unchanged.
pub fn duration(text: &str) {
    if let Some(value) = parse_duration(text) {
        let nanos = u64::try_from(value.as_nanos())
            .ok()
            .filter(|n| *n <= i64::MAX as u64)
            .unwrap_or_else(|| panic!("{text:?} read as {value:?}, past Go's range"));
        let written = format!("{nanos}ns");
        assert_eq!(
            parse_duration(&written),
            Some(Duration::from_nanos(nanos)),
            "{text:?} read as {value:?}, but {written:?} does not read back"
        );
    }
    if let Err(why) = go_duration::parse(text) {
        assert!(!why.is_empty(), "an empty reason for {text:?}");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

//! The docker CLI's `config.json` and a credential helper's output.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: (&str, &[u8], &str)| {
    let (config_json, helper_output, image) = input;
    throwaway::fuzzing::docker_credentials(config_json, helper_output, image);
});

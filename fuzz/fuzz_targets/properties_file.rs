//! `~/.testcontainers.properties`, and every setting read from it.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| throwaway::fuzzing::properties_file(text));

//! Reaper timeouts: Go durations and plain seconds.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| throwaway::fuzzing::duration(text));

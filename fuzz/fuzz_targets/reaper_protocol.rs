//! What a client connection sends the reaper, line by line.
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| throwaway_reaper::fuzzing::client_connection(bytes));

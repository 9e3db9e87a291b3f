//! Image references as users write them: parse, print back, parse again.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| throwaway::fuzzing::image_reference(text));

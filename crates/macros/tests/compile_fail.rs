//! Misuse of `#[throwaway::test]` is a compile error that says what to write instead. The
//! expected messages are in `tests/ui/*.stderr`; `TRYBUILD=overwrite` rewrites them.

#[test]
fn misuse_is_a_clear_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}

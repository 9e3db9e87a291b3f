#[throwaway::test(flavor = "multi_thread")]
fn plain() {}

fn main() {}

#[throwaway::test(flavor = "multi_threaded")]
async fn misspelt() {}

fn main() {}

#[throwaway::test(skip_without_docker)]
async fn misspelt() {}

fn main() {}

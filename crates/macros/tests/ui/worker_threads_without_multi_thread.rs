#[throwaway::test(worker_threads = 2)]
async fn two_workers() {}

fn main() {}

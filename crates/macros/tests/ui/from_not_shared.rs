use throwaway::postgres::TestDatabase;

static URL: &str = "postgres://localhost/db";

#[throwaway::test]
async fn from_a_string(#[from(URL)] db: TestDatabase) {
    let _: TestDatabase = db;
}

fn main() {}

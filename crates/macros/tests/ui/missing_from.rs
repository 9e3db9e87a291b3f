use throwaway::postgres::TestDatabase;

#[throwaway::test]
async fn forgot_where(db: TestDatabase) {
    let _: TestDatabase = db;
}

fn main() {}

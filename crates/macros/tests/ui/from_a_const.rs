use throwaway::postgres::{Postgres, TestDatabase};
use throwaway::Shared;

const PG: Shared<Postgres> = Shared::new(|| Postgres::new("postgres:15"));

#[throwaway::test]
async fn from_a_const(#[from(PG)] db: TestDatabase) {
    let _: TestDatabase = db;
}

fn main() {}

use throwaway::postgres::TestDatabase;
use throwaway::redis::Redis;
use throwaway::Shared;

static REDIS: Shared<Redis> = Shared::new(|| Redis::new("redis:7.0"));

#[throwaway::test]
async fn a_database_from_redis(#[from(REDIS)] db: TestDatabase) {
    let _: TestDatabase = db;
}

fn main() {}

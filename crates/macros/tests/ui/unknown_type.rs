use throwaway::postgres::Postgres;
use throwaway::Shared;

static PG: Shared<Postgres> = Shared::new(|| Postgres::new("postgres:15"));

#[throwaway::test]
async fn wants_a_number(#[from(PG)] n: u32) {
    let _ = n;
}

fn main() {}

//! cargo run -p throwaway-examples --example postgres_users
//!
//! The backend API's PostgreSQL fixture from the seed scenario: a PostgreSQL server with
//! user `postgres`, password `password` and database `users`, its mapped port printed, the
//! schema migrated, then facts saved as the API's endpoints save them (the fact, its id and
//! a view count) and read back. `main` shows it step by step; the tests at the bottom check
//! the same as assertions, each in a fresh database of one shared server.
//!
//! Uses `postgres:15`; on an engine that cannot pull, build the local stand-in first with
//! `ci/images/build`. Run the tests with
//! `cargo test -p throwaway-examples --example postgres_users`.

use throwaway::postgres::tokio_postgres::{self, Client, NoTls};
use throwaway::postgres::{Migrations, Postgres};

/// The PostgreSQL image, pinned so that every run tests against the same server.
const IMAGE: &str = "postgres:15";

/// The schema the API's migration creates: each fact once, with how often it was served.
const SCHEMA: &str = "
    CREATE TABLE facts (
        fact_id    text PRIMARY KEY,
        fact       text NOT NULL,
        view_count integer NOT NULL DEFAULT 1
    );";

/// The server as the seed's fixture configures it, migrated once it is ready.
fn postgres() -> Postgres {
    Postgres::new(IMAGE)
        .user("postgres")
        .password("password")
        .database("users")
        .migrations(Migrations::run(
            |url: String| async move { migrate(&url).await },
        ))
}

/// The migration step (the seed runs `prisma migrate`; any tool that takes a URL fits).
async fn migrate(url: &str) -> Result<(), tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    client.batch_execute(SCHEMA).await
}

/// What the API does when it serves a fact: store it under its id, or count one more view
/// if it was served before. Returns the view count.
async fn record_view(
    client: &Client,
    fact_id: &str,
    fact: &str,
) -> Result<i32, tokio_postgres::Error> {
    let row = client
        .query_one(
            "INSERT INTO facts (fact_id, fact) VALUES ($1, $2)
             ON CONFLICT (fact_id) DO UPDATE SET view_count = facts.view_count + 1
             RETURNING view_count",
            &[&fact_id, &fact],
        )
        .await?;
    Ok(row.get(0))
}

/// The stored fact and its view count, if the fact id is known: what the seed's tests look
/// up after calling an endpoint.
async fn stored_fact(
    client: &Client,
    fact_id: &str,
) -> Result<Option<(String, i32)>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT fact, view_count FROM facts WHERE fact_id = $1",
            &[&fact_id],
        )
        .await?;
    Ok(row.map(|row| (row.get(0), row.get(1))))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pg = postgres().start().await?;
    println!(
        "1. PostgreSQL is ready: container port 5432 is mapped to {}:{}",
        pg.host(),
        pg.host_port()
    );
    println!("   user {:?}, database {:?}", pg.user(), pg.database());

    let client = pg.client().await?;
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' ORDER BY table_name",
            &[],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    println!("2. schema migrated, tables: {tables:?}");

    let fact_id = "b5fdb3a4";
    let fact = "Honey never spoils.";
    let views = record_view(&client, fact_id, fact).await?;
    println!("3. served fact {fact_id:?}: stored with view count {views}");
    let views = record_view(&client, fact_id, fact).await?;
    println!("4. served it again: view count {views}");

    let stored = stored_fact(&client, fact_id).await?;
    println!("5. read back: {stored:?}");

    let fresh = pg.fresh_database().await?;
    let isolated = fresh.client().await?;
    let elsewhere = stored_fact(&isolated, fact_id).await?;
    println!(
        "6. a fresh database {:?} has the schema but not the row: {elsewhere:?}",
        fresh.name()
    );

    drop((isolated, fresh, client));
    pg.remove().await?;
    println!("PostgreSQL container removed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use throwaway::postgres::{PostgresContainer, TestDatabase};
    use throwaway::Shared;

    /// One server for every test of this file, started and migrated by the first test that
    /// asks: the seed's session-scoped fixture. Each `#[from(PG)] db: TestDatabase` is a
    /// database of the test's own, cloned from the migrated template; kept for a look if
    /// the test fails. Without a Docker engine the tests skip, with the reason printed,
    /// unless `CI` is set: there they fail.
    static PG: Shared<Postgres> = Shared::new(postgres);

    #[throwaway::test(skip_without_engine)]
    async fn the_fixture_is_configured_as_the_seed_says(
        #[from(PG)] pg: &'static PostgresContainer,
        #[from(PG)] database: TestDatabase,
    ) -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!((pg.user(), pg.database()), ("postgres", "users"));
        assert_eq!(
            pg.connection_url(),
            format!(
                "postgres://postgres:password@{}:{}/users",
                pg.host(),
                pg.host_port()
            )
        );
        assert_ne!(pg.host_port(), 5432, "a random host port");
        let client = database.client().await?;
        let user: String = client
            .query_one("SELECT current_user::text", &[])
            .await?
            .get(0);
        assert_eq!(user, "postgres");
        assert!(database.name().starts_with("test_"), "{}", database.name());
        Ok(())
    }

    #[throwaway::test(skip_without_engine)]
    async fn a_served_fact_is_stored_under_its_id(
        #[from(PG)] database: TestDatabase,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let client = database.client().await?;
        assert_eq!(
            record_view(&client, "f1", "Octopuses have three hearts.").await?,
            1
        );
        assert_eq!(
            stored_fact(&client, "f1").await?,
            Some(("Octopuses have three hearts.".to_string(), 1))
        );
        assert_eq!(stored_fact(&client, "unknown").await?, None);
        Ok(())
    }

    #[throwaway::test(skip_without_engine)]
    async fn serving_a_fact_again_counts_the_view(
        #[from(PG)] database: TestDatabase,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let client = database.client().await?;
        for expected in 1..=3 {
            let views = record_view(&client, "f2", "Bananas are berries.").await?;
            assert_eq!(views, expected);
        }
        assert_eq!(
            stored_fact(&client, "f2").await?.map(|(_, views)| views),
            Some(3)
        );
        Ok(())
    }

    #[throwaway::test(skip_without_engine)]
    async fn each_test_starts_from_the_migrated_schema_alone(
        #[from(PG)] mine: TestDatabase,
        #[from(PG)] theirs: TestDatabase,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let (client, other) = (mine.client().await?, theirs.client().await?);
        record_view(&client, "f3", "Sharks predate trees.").await?;
        assert_eq!(stored_fact(&other, "f3").await?, None);
        let count: i64 = other
            .query_one("SELECT count(*) FROM facts", &[])
            .await?
            .get(0);
        assert_eq!(
            count, 0,
            "the schema is there, the rows of other tests are not"
        );
        Ok(())
    }
}

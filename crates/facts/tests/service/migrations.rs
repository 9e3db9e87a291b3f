//! The service's own migrator, on an empty database: it creates what `Migrations::dir`
//! gives the tests, once, also when several instances start at once.

use facts_service::db::{Db, MIGRATIONS, MIGRATIONS_TABLE};
use facts_service::fact::{Fact, FactId};
use throwaway::postgres::tokio_postgres::Client;

use crate::require_engine;
use crate::support::PG;

/// The columns of table `facts`, as `name type nullable default`.
async fn facts_columns(client: &Client) -> Vec<String> {
    client
        .query(
            "SELECT column_name, data_type, is_nullable, coalesce(column_default, '') \
             FROM information_schema.columns WHERE table_name = 'facts' \
             ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| {
            format!(
                "{} {} {} {}",
                row.get::<_, &str>(0),
                row.get::<_, &str>(1),
                row.get::<_, &str>(2),
                row.get::<_, &str>(3)
            )
        })
        .collect()
}

#[tokio::test]
async fn the_service_migrates_an_empty_database_once_even_from_three_instances_at_once() {
    require_engine!();
    let pg = PG.get().await.unwrap();
    let admin = pg.client().await.unwrap();
    let name = format!("migrations_{:016x}", fastrand::u64(..));
    // From template0: empty, unlike the databases the tests get, which come migrated.
    admin
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
        .await
        .unwrap();
    let url = pg.connection_url();
    let (base, _) = url.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");

    let instances = [
        Db::new(&url).unwrap(),
        Db::new(&url).unwrap(),
        Db::new(&url).unwrap(),
    ];
    let (a, b, c) = tokio::join!(
        instances[0].migrate(),
        instances[1].migrate(),
        instances[2].migrate()
    );
    let applied: Vec<&str> = [a, b, c]
        .into_iter()
        .flat_map(|result| result.expect("migrating"))
        .collect();
    let every: Vec<&str> = MIGRATIONS.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        applied, every,
        "each migration applied once, by one instance"
    );
    assert!(
        instances[0].migrate().await.unwrap().is_empty(),
        "nothing left to apply"
    );

    let (migrated, _connection) = {
        let (client, connection) = throwaway::postgres::tokio_postgres::connect(
            &url,
            throwaway::postgres::tokio_postgres::NoTls,
        )
        .await
        .unwrap();
        (client, tokio::spawn(connection))
    };
    let recorded: Vec<String> = migrated
        .query(
            &format!("SELECT name FROM {MIGRATIONS_TABLE} ORDER BY name"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(recorded, every);
    let fresh = pg.fresh_database().await.unwrap();
    assert_eq!(
        facts_columns(&migrated).await,
        facts_columns(&fresh.client().await.unwrap()).await,
        "the same schema as Migrations::dir made for the tests"
    );

    let fact = Fact {
        id: FactId::parse("c4c9b90adf4360345fc297fd1b22aa7e").unwrap(),
        text: "The Moon drifts away.".into(),
        source: String::new(),
        source_url: String::new(),
        language: "en".into(),
        permalink: String::new(),
    };
    assert_eq!(instances[0].record_view(&fact).await.unwrap(), 1);

    drop(migrated);
    drop(instances);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}

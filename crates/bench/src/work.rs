//! What the tests of every workload do once they have their services: the same small
//! piece of work for each library and for the floor.

use redis::aio::MultiplexedConnection;
use throwaway::postgres::tokio_postgres::Client;

use crate::Result;

/// Pushes three items onto a list and reads them back.
///
/// # Errors
/// When Redis fails a command or returns something else.
pub async fn redis_list(connection: &mut MultiplexedConnection) -> Result<()> {
    let _: i64 = redis::cmd("RPUSH")
        .arg("jobs")
        .arg(&["resize", "upload", "notify"][..])
        .query_async(connection)
        .await?;
    let jobs: Vec<String> = redis::cmd("LRANGE")
        .arg("jobs")
        .arg(0)
        .arg(-1)
        .query_async(connection)
        .await?;
    if jobs != ["resize", "upload", "notify"] {
        return Err(format!("read back {jobs:?}").into());
    }
    Ok(())
}

/// One query, for the PostgreSQL cycle: the server answers.
///
/// # Errors
/// When the query fails.
pub async fn postgres_one_query(client: &Client) -> Result<()> {
    let two: i32 = client.query_one("SELECT 1 + 1", &[]).await?.get(0);
    if two != 2 {
        return Err(format!("SELECT 1 + 1 gave {two}").into());
    }
    Ok(())
}

/// What each test of the suites does against its migrated database: a read of the seed,
/// a write and a read through a view.
///
/// # Errors
/// When a statement fails, or the seed is not there.
pub async fn postgres_test(client: &Client) -> Result<()> {
    let customers: i64 = client
        .query_one("SELECT count(*) FROM customers", &[])
        .await?
        .get(0);
    if customers != 1000 {
        return Err(format!("expected the 1,000 seeded customers, found {customers}").into());
    }
    let order: i64 = client
        .query_one(
            "INSERT INTO orders (customer_id, status) VALUES (42, 'pending') RETURNING id",
            &[],
        )
        .await?
        .get(0);
    client
        .execute(
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) \
             VALUES ($1, 7, 2, 1999)",
            &[&order],
        )
        .await?;
    let total: i64 = client
        .query_one(
            "SELECT total_cents FROM order_totals WHERE order_id = $1",
            &[&order],
        )
        .await?
        .get(0);
    if total != 3998 {
        return Err(format!("order total: expected 3998, got {total}").into());
    }
    Ok(())
}

/// What each test of workload 6 does against its migrated MySQL or MariaDB database: the
/// same as [`postgres_test`], in their dialect.
///
/// # Errors
/// When a statement fails, or the seed is not there.
pub async fn mysql_test(conn: &mut throwaway::mysql::mysql_async::Conn) -> Result<()> {
    use throwaway::mysql::mysql_async::prelude::Queryable;
    let customers: Option<i64> = conn.query_first("SELECT count(*) FROM customers").await?;
    if customers != Some(1000) {
        return Err(format!("expected the 1,000 seeded customers, found {customers:?}").into());
    }
    conn.query_drop("INSERT INTO orders (customer_id, status) VALUES (42, 'pending')")
        .await?;
    let order = conn.last_insert_id().ok_or("no id for the new order")?;
    conn.exec_drop(
        "INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) \
         VALUES (?, 7, 2, 1999)",
        (order,),
    )
    .await?;
    let total: Option<i64> = conn
        .exec_first(
            "SELECT total_cents FROM order_totals WHERE order_id = ?",
            (order,),
        )
        .await?;
    if total != Some(3998) {
        return Err(format!("order total: expected 3998, got {total:?}").into());
    }
    Ok(())
}

//! SQLite as the embedded default must take concurrent writers without "database is locked".

use crate::support::{Db, test_database};
use confrontas_server::db::{self, AnyConnection};
use confrontas_server::schema::login_throttle;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

#[derive(QueryableByName)]
struct Mode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[derive(QueryableByName)]
struct Timeout {
    #[diesel(sql_type = BigInt)]
    timeout: i64,
}

#[test]
fn pool_connections_use_wal_and_a_busy_timeout() {
    let database = test_database(Db::Sqlite).unwrap();
    let pool = db::connect(&database.url, 2, std::time::Duration::from_secs(5)).unwrap();
    let mut conn = pool.get().unwrap();
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(mode.journal_mode, "wal");
    let timeout: Timeout = diesel::sql_query("PRAGMA busy_timeout")
        .get_result(&mut *conn)
        .unwrap();
    assert!(timeout.timeout >= 5000, "busy_timeout {}", timeout.timeout);
}

/// Eight threads each read a counter and write it back, 25 times, in write transactions. With
/// deferred transactions the read-then-write upgrade fails with SQLITE_BUSY under contention;
/// `BEGIN IMMEDIATE` serializes them, so no update is lost and none fails.
#[test]
fn concurrent_read_modify_write_transactions_neither_fail_nor_lose_updates() {
    let database = test_database(Db::Sqlite).unwrap();
    let pool = db::connect(&database.url, 8, std::time::Duration::from_secs(10)).unwrap();
    db::migrate(&mut pool.get().unwrap()).unwrap();
    let now = db::now();
    diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::key.eq("counter"),
            login_throttle::failures.eq(0),
            login_throttle::window_started_at.eq(now),
        ))
        .execute(&mut *pool.get().unwrap())
        .unwrap();

    let workers: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                for _ in 0..25 {
                    conn.write_transaction(|conn: &mut AnyConnection| {
                        let current: i32 = login_throttle::table
                            .find("counter")
                            .select(login_throttle::failures)
                            .first(conn)?;
                        diesel::update(login_throttle::table.find("counter"))
                            .set(login_throttle::failures.eq(current + 1))
                            .execute(conn)?;
                        diesel::QueryResult::Ok(())
                    })
                    .expect("no write transaction fails under contention");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let total: i32 = login_throttle::table
        .find("counter")
        .select(login_throttle::failures)
        .first(&mut *pool.get().unwrap())
        .unwrap();
    assert_eq!(total, 200);
}

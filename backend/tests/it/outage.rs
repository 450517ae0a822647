//! While the database is down the server says so at once: `/ready` within a second, API calls
//! 503 `database_unavailable` within the checkout bound (`CONFRONTAS_DB_CHECKOUT_TIMEOUT_MS`,
//! 2 s), and they work again as soon as the database returns. The outages are real: PostgreSQL
//! stops accepting connections to the test's database and its sessions are terminated; SQLite's
//! write lock is held by another program (what a maintenance tool, a `VACUUM` or a stuck
//! process does; reads go on from the write-ahead log meanwhile). A file made unreadable is no
//! outage for connections already open on it:
//! `docs/architecture.md`, "Several instances, two databases".

use std::time::{Duration, Instant};

use crate::support::{Db, Expect, TestApp};
use confrontas_api::{FarmerFilter, Role, paths};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};

/// Runs `sql` on the PostgreSQL server as the tests' administrator.
fn as_admin(sql: &str) {
    let url = std::env::var("CONFRONTAS_TEST_PG_URL").unwrap();
    let mut conn = PgConnection::establish(&url).unwrap();
    diesel::sql_query(sql).execute(&mut conn).unwrap();
}

/// What an outage stops.
#[derive(PartialEq)]
enum Stops {
    Everything,
    Writes,
}

/// Starts an outage with `begin`, measures `/ready` and an API read and write during it, ends it
/// with `end` and measures how soon the API answers again; checks the bounds.
async fn answers_within_the_bounds<T>(
    app: &TestApp,
    stops: Stops,
    begin: impl FnOnce() -> T,
    end: impl FnOnce(T),
) {
    let token = app.login(Role::Subdireccion).await.access_token;
    let farmers = paths::registry::farmers(&FarmerFilter::default());
    assert_eq!(app.get(&farmers, &token).await.status(), 200);

    let outage = begin();
    let mut slowest_ready = Duration::ZERO;
    for _ in 0..3 {
        let started = Instant::now();
        let ready = app
            .http
            .get(app.url(&paths::ops::ready()))
            .send()
            .await
            .unwrap();
        slowest_ready = slowest_ready.max(started.elapsed());
        let expected = if stops == Stops::Everything { 503 } else { 200 };
        assert_eq!(ready.status(), expected);
    }
    let mut slowest_api = Duration::ZERO;
    for _ in 0..3 {
        let started = Instant::now();
        let read = app.get(&farmers, &token).await;
        slowest_api = slowest_api.max(started.elapsed());
        if stops == Stops::Everything {
            read.expect_problem(503, "database_unavailable").await;
        } else {
            assert_eq!(read.status(), 200, "reads go on");
        }
    }
    let started = Instant::now();
    let write = app
        .send_json(
            reqwest::Method::POST,
            &paths::auth::logout(),
            &token,
            serde_json::json!({}),
        )
        .await;
    slowest_api = slowest_api.max(started.elapsed());
    write.expect_problem(503, "database_unavailable").await;

    end(outage);
    let back = Instant::now();
    while app.get(&farmers, &token).await.status() != 200 {
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "the server recovers by itself"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recovery = back.elapsed();
    eprintln!(
        "{:?} outage: /ready slowest {slowest_ready:?}, API slowest {slowest_api:?}; answering again {recovery:?} after the database returned",
        app.db
    );
    assert!(slowest_ready < Duration::from_secs(1), "{slowest_ready:?}");
    assert!(
        slowest_api < Duration::from_millis(2_500),
        "{slowest_api:?}"
    );
    assert!(recovery < Duration::from_millis(2_500), "{recovery:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_answered_within_the_bounds_and_recovery_is_prompt() {
    let Some(app) = TestApp::start(Db::Postgres).await else {
        return;
    };
    let name = app
        .state
        .config
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    answers_within_the_bounds(
        &app,
        Stops::Everything,
        || {
            as_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
            as_admin(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ));
        },
        |()| as_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")),
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_locked_by_another_program_is_answered_within_the_bounds() {
    let app = TestApp::start(Db::Sqlite).await.unwrap();
    let path = app.state.config.database_url.clone();
    answers_within_the_bounds(
        &app,
        Stops::Writes,
        || {
            // Another program's write transaction, held until it lets go.
            let mut holder = SqliteConnection::establish(&path).unwrap();
            diesel::sql_query("PRAGMA busy_timeout = 5000")
                .execute(&mut holder)
                .unwrap();
            diesel::sql_query("BEGIN IMMEDIATE")
                .execute(&mut holder)
                .unwrap();
            diesel::sql_query("UPDATE units SET name = name WHERE id = 1")
                .execute(&mut holder)
                .unwrap();
            holder
        },
        |mut holder| {
            diesel::sql_query("COMMIT").execute(&mut holder).unwrap();
            drop(holder);
        },
    )
    .await;
    app.stop().await;
}

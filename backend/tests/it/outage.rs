//! While the database is down the server says so at once: `/ready` within a second, API calls
//! 503 `database_unavailable` within the checkout bound (`CONFRONTAS_DB_CHECKOUT_TIMEOUT_MS`,
//! 2 s), and they work again as soon as the database returns. The outage is real: PostgreSQL
//! stops accepting connections to the test's database and its sessions are terminated.

use std::time::{Duration, Instant};

use crate::support::{Db, Expect, TestApp};
use confrontas_api::{FarmerFilter, Role, paths};
use diesel::{Connection, PgConnection, RunQueryDsl};

/// Runs `sql` on the PostgreSQL server as the tests' administrator.
fn as_admin(sql: &str) {
    let url = std::env::var("CONFRONTAS_TEST_PG_URL").unwrap();
    let mut conn = PgConnection::establish(&url).unwrap();
    diesel::sql_query(sql).execute(&mut conn).unwrap();
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
    let token = app.login(Role::Subdireccion).await.access_token;
    let farmers = paths::registry::farmers(&FarmerFilter::default());
    assert_eq!(app.get(&farmers, &token).await.status(), 200);

    as_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    as_admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ));
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
        assert_eq!(ready.status(), 503);
    }
    let mut slowest_api = Duration::ZERO;
    for _ in 0..3 {
        let started = Instant::now();
        let refused = app.get(&farmers, &token).await;
        slowest_api = slowest_api.max(started.elapsed());
        refused.expect_problem(503, "database_unavailable").await;
    }

    as_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
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
        "outage: /ready slowest {slowest_ready:?}, API slowest {slowest_api:?}; answering again {recovery:?} after the database returned"
    );
    assert!(slowest_ready < Duration::from_secs(1), "{slowest_ready:?}");
    assert!(
        slowest_api < Duration::from_millis(2_500),
        "{slowest_api:?}"
    );
    assert!(recovery < Duration::from_millis(2_500), "{recovery:?}");
    app.stop().await;
}

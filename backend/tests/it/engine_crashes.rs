//! The confrontation engine survives its server dying: the binary is killed with SIGKILL in the
//! middle of a job and started again on the same SQLite file, and two instances share one job
//! on PostgreSQL while one of them is killed. Each time every item ends processed exactly once
//! in effect: the job's counters equal what the items say, they add up to `to_process`, and
//! applying writes exactly one history row per changed field.

use crate::support::Expect;
use confrontas_api::paths;
use confrontas_api::{Classification, ItemFilter};
use std::process::Child;
use std::time::Duration;

use crate::support::procedure::{Tokens, in_attention, layout};
use crate::support::process::{simulator_stats, standalone_renapo};
use crate::support::{Api, Db, TestDatabase, test_database};
use confrontas_api::{ApplyOutcome, ConfrontationItem, ConfrontationState, Page};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// Starts `serve --demo` on `database` with a simulator slow enough for a job of a few
/// hundred items to take seconds.
fn spawn_server(database: &TestDatabase, name: &str, lease_ms: u64) -> (Child, Api) {
    crate::support::process::spawn_server(
        database,
        name,
        &[
            ("CONFRONTAS_SIMULATOR_LATENCY_MS", "40".to_owned()),
            ("CONFRONTAS_CONFRONTATION_LEASE_MS", lease_ms.to_string()),
        ],
    )
}

/// Per classification and reason, what the stored items say, and the job's counters.
#[derive(Debug, QueryableByName, PartialEq, Eq)]
struct Count {
    #[diesel(sql_type = Text)]
    what: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn counts(database: &TestDatabase, job: i64) -> (Vec<Count>, Vec<Count>) {
    let items = format!(
        "SELECT COALESCE(classification, state) AS what, COUNT(*) AS n FROM confrontation_items \
         WHERE confrontation_id = {job} GROUP BY 1 ORDER BY 1"
    );
    let counters = format!(
        "SELECT 'cannot_update' AS what, cannot_update AS n FROM confrontations WHERE id = {job} \
         UNION ALL SELECT 'no_update', no_update FROM confrontations WHERE id = {job} \
         UNION ALL SELECT 'update', to_update FROM confrontations WHERE id = {job} ORDER BY 1"
    );
    (load(database, &items), load(database, &counters))
}

/// The rows of `sql` on the test's database, read directly (not through the server).
fn load<T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static>(
    database: &TestDatabase,
    sql: &str,
) -> Vec<T> {
    match database.db {
        Db::Sqlite => {
            let mut conn = SqliteConnection::establish(&database.url).unwrap();
            diesel::sql_query(sql).load(&mut conn).unwrap()
        }
        Db::Postgres => {
            let mut conn = PgConnection::establish(&database.url).unwrap();
            diesel::sql_query(sql).load(&mut conn).unwrap()
        }
    }
}

fn scalar(database: &TestDatabase, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct One {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    load::<One>(database, sql)[0].n
}

/// Every item done once, the counters equal the items, the history equals the changes.
async fn exactly_once(api: &Api, tokens: &Tokens, database: &TestDatabase, job: i64, rows: u64) {
    let done = api
        .confrontation_until(&tokens.sub, job, |j| {
            j.state == ConfrontationState::Finished
        })
        .await;
    let m = done.metrics;
    assert_eq!((m.to_process, m.processed), (rows, rows));
    assert_eq!(m.to_update + m.no_update + m.cannot_update, rows);
    // In 0..rows, index % 100: 3 not found, 11-13 inactive; 7 deceased.
    let hundreds = rows.div_ceil(100);
    assert_eq!(m.cannot_update, 4 * hundreds);
    assert_eq!(m.deceased, hundreds);
    let (items, counters) = counts(database, job);
    assert_eq!(items, counters, "the counters are what the items say");

    let path = paths::confrontations::apply(job);
    let response = api
        .send_json(
            reqwest::Method::POST,
            &path,
            &tokens.sub,
            serde_json::json!({ "version": done.version }),
        )
        .await;
    let applied: ApplyOutcome = response.expect_json(200).await;
    let updates: Page<ConfrontationItem> = api
        .get_ok(
            &paths::confrontations::items(
                job,
                &ItemFilter {
                    classification: Some(Classification::Update),
                    per_page: Some(200),
                    ..Default::default()
                },
            ),
            &tokens.sub,
        )
        .await;
    let changed_fields: usize = updates.items.iter().map(|i| i.changes.len()).sum();
    assert_eq!(applied.fields as usize, changed_fields);
    let history = scalar(
        database,
        &format!(
            "SELECT COUNT(*) AS n FROM farmer_history WHERE source_ref = 'confrontation:{job}'"
        ),
    );
    assert_eq!(
        history as usize, changed_fields,
        "one history row per changed field"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_survives_sigkill_of_its_server_and_ends_with_every_item_once() {
    let database = test_database(Db::Sqlite).unwrap();
    let (mut first, api) = spawn_server(&database, "first", 30_000);
    let tokens = Tokens::of(&api).await;
    let rows = 250;
    let request = in_attention(&api, &tokens, layout(&(0..rows).collect::<Vec<_>>())).await;
    let job = api
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    let midway = api
        .confrontation_until(&tokens.sub, job.id, |j| j.metrics.processed >= 60)
        .await;
    assert!(midway.metrics.processed < rows, "killed mid-job");
    first.kill().unwrap();
    first.wait().unwrap();

    // The same database, a new process: its leases from the dead run are queued again.
    let (mut second, api) = spawn_server(&database, "second", 30_000);
    let tokens = Tokens::of(&api).await;
    exactly_once(&api, &tokens, &database, job.id, rows).await;
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_a_job_on_postgres_and_one_dying_loses_nothing() {
    let Some(database) = test_database(Db::Postgres) else {
        return;
    };
    let (mut first, api) = spawn_server(&database, "first", 2_000);
    let (mut second, other) = spawn_server(&database, "second", 2_000);
    let tokens = Tokens::of(&api).await;
    let rows = 280;
    let request = in_attention(&api, &tokens, layout(&(0..rows).collect::<Vec<_>>())).await;
    let job = api
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    let instances = format!(
        "SELECT COUNT(DISTINCT processed_by) AS n FROM confrontation_items \
         WHERE confrontation_id = {} AND processed_by IS NOT NULL",
        job.id
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while scalar(&database, &instances) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "both instances take chunks"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let tokens = Tokens::of(&other).await;
    exactly_once(&other, &tokens, &database, job.id, rows).await;
    second.kill().unwrap();
    second.wait().unwrap();
}

/// A kill costs at most about a second of RENAPO's answers (`CONFRONTAS_CONFRONTATION_COMMIT_MS`),
/// even with the default 200-item chunks: the server is killed with SIGKILL every few seconds
/// while it confronts against the standalone simulator, whose counters survive the kills;
/// what the simulator answered beyond the layout's rows is what the kills threw away, and
/// every one of those queries is counted. On
/// PostgreSQL the restarted instance takes the dead one's items back when their (short) lease
/// ends.
async fn a_kill_throws_away_at_most_about_a_second_of_answers(db: Db) {
    // A 200-item chunk takes four seconds at this pace: longer than the server lives.
    const RATE: u64 = 50;
    const ROWS: u64 = 400;
    const KILLS: u64 = 4;
    let Some(database) = test_database(db) else {
        return;
    };
    let mut renapo = standalone_renapo(
        &database,
        ROWS,
        &[("CONFRONTAS_SIMULATOR_LATENCY_MS", "20")],
    );
    let mut vars = renapo.server_vars.clone();
    vars.extend([
        ("CONFRONTAS_RENAPO_RATE_PER_SECOND", RATE.to_string()),
        ("CONFRONTAS_CONFRONTATION_CHUNK", "200".to_owned()),
        ("CONFRONTAS_CONFRONTATION_LEASE_MS", "1500".to_owned()),
    ]);
    let (mut server, mut api) = crate::support::process::spawn_server(&database, "run-0", &vars);
    let tokens = Tokens::of(&api).await;
    let request = in_attention(&api, &tokens, layout(&(0..ROWS).collect::<Vec<_>>())).await;
    let job = api
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    for run in 1..=KILLS {
        tokio::time::sleep(Duration::from_secs(3)).await;
        server.kill().unwrap();
        server.wait().unwrap();
        (server, api) =
            crate::support::process::spawn_server(&database, &format!("run-{run}"), &vars);
    }
    exactly_once(&api, &tokens, &database, job.id, ROWS).await;
    let stats = simulator_stats(&renapo.url, &renapo.ca_pem).await;
    let counted = api
        .confrontation_until(&tokens.sub, job.id, |_| true)
        .await
        .metrics
        .queries;
    for child in [&mut server, &mut renapo.child] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let answered = stats["answered"].as_u64().unwrap();
    let wasted_per_kill = (answered - ROWS) / KILLS;
    // Each query is recorded before it is sent: every answer the simulator gave is counted,
    // and a kill can only leave counted the queries recorded ahead or in flight (at most twice
    // the concurrency, 8) but unsent.
    assert!(
        counted >= answered,
        "{counted} counted, {answered} answered"
    );
    assert!(
        counted <= answered + KILLS * 2 * 8,
        "{counted} counted of {answered} answered"
    );
    let per_item = scalar(
        &database,
        &format!(
            "SELECT SUM(queries) AS n FROM confrontation_items WHERE confrontation_id = {}",
            job.id
        ),
    );
    assert_eq!(per_item as u64, counted, "the items add up to the job");
    eprintln!(
        "{db:?}: {KILLS} kills at {RATE} queries/s: {answered} answers for {ROWS} items, {wasted_per_kill} wasted per kill, {counted} counted"
    );
    assert!(
        wasted_per_kill <= RATE * 3 / 2,
        "a kill threw away {wasted_per_kill} answers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_throws_away_at_most_about_a_second_of_answers_on_sqlite() {
    a_kill_throws_away_at_most_about_a_second_of_answers(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_throws_away_at_most_about_a_second_of_answers_on_postgres() {
    a_kill_throws_away_at_most_about_a_second_of_answers(Db::Postgres).await;
}

#[derive(QueryableByName)]
struct LeasedItem {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    owner: String,
}

/// A dead instance's items are taken over within about a lease (README, "Confrontations"), not
/// when a survivor's whole chunk is done: two instances on PostgreSQL each hold two 200-item
/// chunks that take many seconds at this pace; one is killed, and the survivor must commit one
/// of the dead one's items soon after its lease ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_instances_items_are_taken_over_about_a_lease_later_on_postgres() {
    const LEASE_MS: u64 = 3_000;
    let Some(database) = test_database(Db::Postgres) else {
        return;
    };
    let vars = [
        ("CONFRONTAS_SIMULATOR_LATENCY_MS", "20".to_owned()),
        ("CONFRONTAS_CONFRONTATION_LEASE_MS", LEASE_MS.to_string()),
        ("CONFRONTAS_CONFRONTATION_CHUNK", "200".to_owned()),
        ("CONFRONTAS_RENAPO_RATE_PER_SECOND", "20".to_owned()),
        ("CONFRONTAS_RENAPO_CONCURRENCY", "8".to_owned()),
        ("CONFRONTAS_DEMO_FARMERS", "800".to_owned()),
    ];
    let (mut first, api) = crate::support::process::spawn_server(&database, "first", &vars);
    let (mut second, _) = crate::support::process::spawn_server(&database, "second", &vars);
    let tokens = Tokens::of(&api).await;
    let request = in_attention(&api, &tokens, layout(&(0..800).collect::<Vec<_>>())).await;
    let job = api
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    let leased = format!(
        "SELECT id, lease_owner AS owner FROM confrontation_items \
         WHERE confrontation_id = {} AND state = 'leased'",
        job.id
    );
    // Both instances hold chunks.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let holding = loop {
        let items: Vec<LeasedItem> = load(&database, &leased);
        let owners: std::collections::BTreeSet<&str> =
            items.iter().map(|i| i.owner.as_str()).collect();
        if owners.len() == 2 {
            break items;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "both instances lease chunks"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    first.kill().unwrap();
    first.wait().unwrap();
    let killed = std::time::Instant::now();
    // The dead instance's leases are the ones that no longer move.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let survivor = scalar_text(
        &database,
        &format!(
            "SELECT lease_owner AS name FROM confrontation_items WHERE confrontation_id = {} \
             AND state = 'leased' ORDER BY lease_until DESC LIMIT 1",
            job.id
        ),
    );
    let orphans: Vec<i64> = holding
        .iter()
        .filter(|i| i.owner != survivor)
        .map(|i| i.id)
        .collect();
    assert!(!orphans.is_empty());
    let first_taken_over = format!(
        "SELECT COUNT(*) AS n FROM confrontation_items WHERE state = 'done' AND id IN ({})",
        orphans
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    while scalar(&database, &first_taken_over) == 0 {
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "the dead instance's items are taken over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let takeover = killed.elapsed();
    second.kill().unwrap();
    second.wait().unwrap();
    eprintln!(
        "lease {LEASE_MS} ms: the first of {} orphaned items committed {takeover:?} after the kill",
        orphans.len()
    );
    assert!(
        takeover < Duration::from_millis(LEASE_MS + 4_000),
        "taken over about a lease after the kill: {takeover:?}"
    );
}

fn scalar_text(database: &TestDatabase, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct One {
        #[diesel(sql_type = Text)]
        name: String,
    }
    load::<One>(database, sql).remove(0).name
}

//! One RENAPO quota for the whole deployment (`docs/architecture.md`, "Shared quotas"): two
//! instances over one PostgreSQL database confront a layout against the standalone simulator
//! with a quota, and together they stay within it at nearly its full pace.

use crate::support::procedure::{Tokens, in_attention, layout};
use crate::support::process::{simulator_stats, spawn_server, standalone_renapo};
use crate::support::{Db, test_database};
use confrontas_api::ConfrontationState;

/// RENAPO's quota in the test (queries a second) and the layout's rows (about 25 s of work).
const QUOTA: u32 = 40;
const ROWS: u64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_renapos_quota_without_a_refusal_at_nearly_its_pace() {
    let Some(database) = test_database(Db::Postgres) else {
        return;
    };
    let mut renapo = standalone_renapo(
        &database,
        ROWS,
        &[
            ("CONFRONTAS_SIMULATOR_QUOTA_PER_SECOND", &QUOTA.to_string()),
            ("CONFRONTAS_SIMULATOR_LATENCY_MS", "20"),
        ],
    );
    let mut vars = renapo.server_vars.clone();
    vars.push(("CONFRONTAS_RENAPO_RATE_PER_SECOND", QUOTA.to_string()));
    let (mut first, api) = spawn_server(&database, "first", &vars);
    let (mut second, _) = spawn_server(&database, "second", &vars);
    let tokens = Tokens::of(&api).await;
    let rows: Vec<u64> = (0..ROWS).collect();
    let request = in_attention(&api, &tokens, layout(&rows)).await;
    let job = api
        .start_confrontation(&tokens.sub, request.summary.id)
        .await;
    let done = api
        .confrontation_until(&tokens.sub, job.id, |j| {
            j.state == ConfrontationState::Finished
        })
        .await;
    let stats = simulator_stats(&renapo.url, &renapo.ca_pem).await;
    for child in [&mut first, &mut second, &mut renapo.child] {
        child.kill().unwrap();
        child.wait().unwrap();
    }

    let seconds = (done.finished_at.unwrap() - done.created_at).num_milliseconds() as f64 / 1000.0;
    let throughput = ROWS as f64 / seconds;
    eprintln!(
        "two instances, quota {QUOTA}/s: {ROWS} items in {seconds:.1} s = {throughput:.1}/s; simulator {stats}"
    );
    assert_eq!(stats["refused_quota"], 0, "the quota holds: {stats}");
    assert!(stats["busiest_second"].as_u64().unwrap() <= u64::from(QUOTA));
    assert_eq!(done.metrics.processed, ROWS);
    assert!(
        throughput >= 0.95 * f64::from(QUOTA),
        "the two instances use the quota: {throughput:.1}/s of {QUOTA}/s"
    );
}

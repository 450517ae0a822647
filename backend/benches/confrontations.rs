//! Confrontation benchmark (issue 5): a 100,000-item RENAPO confrontation against the built-in
//! simulator over TLS, on SQLite and (with `CONFRONTAS_BENCH_PG_URL`) on PostgreSQL, in three
//! settings:
//!
//! * `cpu`: no latency, concurrency 32, no rate limit: what the engine, the client, the
//!   simulator and the database manage on this machine. Target ≥ 2,000 items/s.
//! * `latency`: 20 ms per answer, concurrency 16: the limit is 16 / 0.020 s = 800 items/s.
//!   Target ≥ 90 % of it.
//! * `quota`: the simulator refuses more than 200 consultations per second, the engine is
//!   configured at 200/s. Target ≥ 95 % of the quota and never above it (the simulator counts).
//!
//! Each run is a child process (its peak RSS is its own) that seeds a fresh database with the
//! demo registry, submits, forwards and accepts a request with the layout, starts the
//! confrontation and waits for it to finish. `CONFRONTAS_BENCH_ITEMS` changes the size;
//! `CONFRONTAS_BENCH_SETTINGS=cpu,quota` runs only those settings.

use std::process::Command;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use confrontas_api::ConfrontationState;
use confrontas_server::config::Config;
use confrontas_server::confrontations::engine;
use confrontas_server::requests::demo;
use confrontas_server::simulator::renapo::Faults;
use confrontas_server::{db, seed};
use diesel::prelude::*;

struct Setting {
    name: &'static str,
    latency_ms: u64,
    concurrency: u32,
    /// Engine rate and simulator quota, per second.
    quota: Option<u32>,
    /// Items/s the setting allows (`None`: bound by the CPU).
    limit: Option<f64>,
    target: f64,
}

const SETTINGS: [Setting; 3] = [
    Setting {
        name: "cpu",
        latency_ms: 0,
        concurrency: 32,
        quota: None,
        limit: None,
        target: 2_000.0,
    },
    Setting {
        name: "latency",
        latency_ms: 20,
        concurrency: 16,
        quota: None,
        limit: Some(800.0),
        target: 0.90,
    },
    Setting {
        name: "quota",
        latency_ms: 0,
        concurrency: 16,
        quota: Some(200),
        limit: Some(200.0),
        target: 0.95,
    },
];

fn items() -> u64 {
    std::env::var("CONFRONTAS_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

mod support;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("phase") {
        phase(&args[1], &args[2]);
        return;
    }
    let items = items();
    println!(
        "Confrontation benchmark — {items} items against the built-in RENAPO simulator over TLS"
    );
    let mut backends = vec![("sqlite", None)];
    if let Ok(url) = std::env::var("CONFRONTAS_BENCH_PG_URL") {
        backends.push(("postgres", Some(url)));
    }
    for (backend, admin_url) in backends {
        let chosen = std::env::var("CONFRONTAS_BENCH_SETTINGS").unwrap_or_default();
        let chosen: Vec<&str> = chosen.split(',').filter(|s| !s.is_empty()).collect();
        for setting in SETTINGS
            .iter()
            .filter(|s| chosen.is_empty() || chosen.contains(&s.name))
        {
            let work = tempfile::tempdir().unwrap();
            let database = match &admin_url {
                None => work.path().join("bench.sqlite").display().to_string(),
                Some(url) => {
                    support::fresh_postgres_database(url, "confrontas_bench_confrontations")
                }
            };
            let output = Command::new(std::env::current_exe().unwrap())
                .args(["phase", setting.name, &database])
                .env("CONFRONTAS_DATA_DIR", work.path().join("data"))
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{backend} {}: {stdout}{}",
                setting.name,
                String::from_utf8_lossy(&output.stderr)
            );
            let last = stdout.lines().last().unwrap_or_default();
            let fields: Vec<&str> = last.split_whitespace().collect();
            let rate: f64 = fields[0].parse().unwrap();
            let peak_mb: u64 = fields[1].parse().unwrap();
            let busiest: u64 = fields[2].parse().unwrap();
            let over: u64 = fields[3].parse().unwrap();
            let creation: f64 = fields[4].parse().unwrap();
            let (ratio, met) = match setting.limit {
                None => (String::new(), rate >= setting.target),
                Some(limit) => {
                    let ratio = rate / limit;
                    let within = setting
                        .quota
                        .is_none_or(|q| busiest <= u64::from(q) && over == 0);
                    (
                        format!(", {:.1} % of the limit {limit:.0}/s", ratio * 100.0),
                        ratio >= setting.target && within,
                    )
                }
            };
            println!(
                "{backend:>8} {:<8} {rate:>8.0} items/s{ratio}; peak RSS {peak_mb} MB; busiest second at the simulator {busiest}, refused over quota {over}; job created (layout read, {items} items validated) in {creation:.2} s — target {}",
                setting.name,
                if met { "met" } else { "MISSED" }
            );
        }
    }
}

/// One run; prints `items_per_second peak_mb busiest_second refused_quota creation_seconds`.
fn phase(name: &str, database: &str) {
    let setting = SETTINGS.iter().find(|s| s.name == name).unwrap();
    let items = items();
    let vars: std::collections::HashMap<&str, String> = [
        ("DATABASE_URL", database.to_owned()),
        (
            "CONFRONTAS_DATA_DIR",
            std::env::var("CONFRONTAS_DATA_DIR").unwrap(),
        ),
        ("CONFRONTAS_DEMO_FARMERS", items.to_string()),
        ("CONFRONTAS_DEMO_REQUESTS", "false".to_owned()),
        (
            "CONFRONTAS_DEMO_PASSWORD",
            "contraseña-de-rendimiento".to_owned(),
        ),
        ("CONFRONTAS_RENAPO_URL", "simulator".to_owned()),
        (
            "CONFRONTAS_RENAPO_CONCURRENCY",
            setting.concurrency.to_string(),
        ),
        (
            "CONFRONTAS_RENAPO_RATE_PER_SECOND",
            setting.quota.unwrap_or(0).to_string(),
        ),
        ("CONFRONTAS_DB_POOL_SIZE", "8".to_owned()),
    ]
    .into_iter()
    .collect();
    let config = Config::from_lookup(|name| vars.get(name).cloned()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let state = confrontas_server::boot::open(config).await.unwrap();
        seed::demo(&state).await.unwrap();
        let request = demo::renapo_request_in_attention(&state, items)
            .await
            .unwrap();
        let simulator = state.renapo.simulator().unwrap();
        simulator.lock().await.set_faults(Faults {
            latency: Duration::from_millis(setting.latency_ms),
            quota_per_second: setting.quota,
            ..Faults::default()
        });
        let created = Instant::now();
        let job = demo::start_confrontation(&state, request).await.unwrap();
        let creation = created.elapsed().as_secs_f64();
        let started = Instant::now();
        engine::spawn(state.engine_context()).await.unwrap();
        loop {
            let finished = db::run(&state.pool, move |conn| {
                Ok(confrontas_server::confrontations::queue::state_of(
                    conn, job,
                )?)
            })
            .await
            .unwrap();
            if finished == Some(ConfrontationState::Finished) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let seconds = started.elapsed().as_secs_f64();
        let processed = db::run(&state.pool, move |conn| {
            use confrontas_server::schema::confrontations;
            Ok(confrontations::table
                .find(job)
                .select(confrontations::processed)
                .first::<i64>(conn)?)
        })
        .await
        .unwrap();
        assert_eq!(processed as u64, items);
        let stats = &simulator.lock().await.stats;
        println!(
            "{:.1} {} {} {} {creation:.3}",
            items as f64 / seconds,
            support::peak_rss_mb(),
            stats.busiest_second.load(Relaxed),
            stats.refused_quota.load(Relaxed),
        );
    });
}

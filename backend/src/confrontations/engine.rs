//! The confrontation engine of one server instance (DESIGN §8): workers lease chunks of items
//! from the database, query RENAPO for each with bounded concurrency, a rate limit, retries
//! with backoff for transient faults and a circuit breaker, classify the answers and commit
//! each chunk in one transaction. While a chunk is worked on, a heartbeat keeps its lease
//! alive, shows whether the job waits for RENAPO, and notices a pause or a cancellation, which
//! stop the chunk: what is answered is kept, the rest goes back to the queue.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::NaiveDateTime;
use confrontas_api::{ConfrontationState, ItemReason};
use diesel::prelude::*;
use futures_util::StreamExt;
use tokio::sync::{Notify, Semaphore, watch};

use super::classify::{ItemResult, classify};
use super::pacing::{Breaker, RateLimiter, WaitReason, backoff};
use super::queue::{self, Leased};
use crate::app::AppState;
use crate::config::EngineSettings;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::registry::changes;
use crate::renapo::client::ClientError;
use crate::renapo::gateway::GatewayError;
use crate::renapo::protocol::{Answer, CurpStatus};
use crate::schema::farmers;

/// Chunks one instance works on at once: while one commits, the other keeps the queries
/// flowing.
const CHUNK_WORKERS: usize = 2;

/// The engine's per-instance state: who it is, and how it paces RENAPO.
pub struct Engine {
    /// The lease owner name of this instance (unique per process start).
    pub instance: String,
    settings: EngineSettings,
    limiter: RateLimiter,
    breaker: Breaker,
    in_flight: Semaphore,
    wake: Notify,
}

impl Engine {
    pub fn new(settings: &EngineSettings) -> Engine {
        let instance = format!(
            "{}-{}-{:08x}",
            hostname(),
            std::process::id(),
            rand::random::<u32>()
        );
        Engine {
            instance,
            limiter: RateLimiter::new(settings.rate_per_second),
            breaker: Breaker::new(settings.breaker_threshold, settings.breaker_cooldown),
            in_flight: Semaphore::new(settings.concurrency),
            settings: settings.clone(),
            wake: Notify::new(),
        }
    }

    /// New work: an idle worker looks now instead of at its next poll.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Why queries wait, while RENAPO is considered down.
    pub fn waiting(&self) -> Option<WaitReason> {
        self.breaker.waiting()
    }

    fn lease_until(&self) -> NaiveDateTime {
        db::now() + self.settings.lease
    }

    fn heartbeat_every(&self) -> Duration {
        (self.settings.lease / 3).min(Duration::from_millis(500))
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "confrontas".into())
}

/// Starts the workers. On SQLite every lease left in the database belongs to a previous run of
/// this (the only) instance, so those items are queued again at once.
pub async fn spawn(state: AppState) -> AppResult<()> {
    if !state.renapo.is_configured() {
        tracing::info!("RENAPO is not configured: the confrontation engine does not start");
        return Ok(());
    }
    if state.backend == db::Backend::Sqlite {
        let released = db::run(&state.pool, |conn| Ok(queue::release_all(conn)?)).await?;
        if released > 0 {
            tracing::warn!(
                released,
                "items leased by the previous run are queued again"
            );
        }
    }
    for _ in 0..CHUNK_WORKERS {
        tokio::spawn(work(state.clone()));
    }
    tracing::info!(instance = %state.engine.instance, "confrontation engine started");
    Ok(())
}

async fn work(state: AppState) {
    let engine = state.engine.clone();
    loop {
        let woken = engine.wake.notified();
        match next_chunk(&state).await {
            Ok(Some(chunk)) => {
                if let Err(error) = process(&state, chunk).await {
                    tracing::error!(%error.detail, "confrontation chunk failed; its items return to the queue when the lease ends");
                    tokio::time::sleep(engine.settings.poll).await;
                }
            }
            Ok(None) => {
                let _ = tokio::time::timeout(engine.settings.poll, woken).await;
            }
            Err(error) => {
                tracing::error!(%error.detail, "cannot look for confrontation work");
                tokio::time::sleep(engine.settings.poll).await;
            }
        }
    }
}

struct Chunk {
    job: i64,
    items: Vec<Leased>,
}

/// Leases the next chunk of `job`, or finishes the job when nothing is left of it.
fn claim_chunk(
    conn: &mut db::AnyConnection,
    engine: &Engine,
    job: i64,
) -> AppResult<Option<Chunk>> {
    let now = db::now();
    queue::reclaim_expired(conn, job, now)?;
    let items = queue::claim(
        conn,
        job,
        &engine.instance,
        engine.lease_until(),
        engine.settings.chunk_size,
    )?;
    if !items.is_empty() {
        return Ok(Some(Chunk { job, items }));
    }
    if queue::finish_if_done(conn, job, now)? {
        tracing::info!(job, "confrontation finished");
    }
    Ok(None)
}

/// Leases the next chunk of the oldest job with pending items.
async fn next_chunk(state: &AppState) -> AppResult<Option<Chunk>> {
    let engine = state.engine.clone();
    db::run(&state.pool, move |conn| {
        for job in queue::runnable_jobs(conn, "renapo")? {
            if let Some(chunk) = claim_chunk(conn, &engine, job)? {
                return Ok(Some(chunk));
            }
        }
        Ok(None)
    })
    .await
}

/// Works `job` to its end on the calling task (the demo's seed, before the workers start).
pub async fn drain(state: &AppState, job: i64) -> AppResult<()> {
    loop {
        let engine = state.engine.clone();
        let chunk = db::run(&state.pool, move |conn| claim_chunk(conn, &engine, job)).await?;
        match chunk {
            Some(chunk) => process(state, chunk).await?,
            None => return Ok(()),
        }
    }
}

/// What querying one item came to.
enum Queried {
    Answered(Box<Answer>),
    Failed(ItemReason),
}

/// Works a chunk: queries, classification, one commit.
async fn process(state: &AppState, chunk: Chunk) -> AppResult<()> {
    let engine = state.engine.clone();
    let job = chunk.job;
    let ids: Vec<i64> = chunk.items.iter().filter_map(|i| i.farmer_id).collect();
    let records = db::run(&state.pool, move |conn| Ok(changes::records(conn, &ids)?)).await?;

    let (stop, stopped) = watch::channel(false);
    let heartbeat = tokio::spawn(keep_alive(state.clone(), job, stop));
    let queries: Vec<(i64, String)> = chunk
        .items
        .iter()
        .map(|item| (item.id, item.curp.clone()))
        .collect();
    let outcomes: Vec<(i64, Option<(u32, Queried)>)> = futures_util::stream::iter(queries)
        .map(|(id, curp)| {
            let mut stopped = stopped.clone();
            let state = state.clone();
            async move {
                let outcome = tokio::select! {
                    outcome = query(&state, &curp) => Some(outcome),
                    _ = stopped.wait_for(|stop| *stop) => None,
                };
                (id, outcome)
            }
        })
        // Every item of the chunk waits its turn on the instance's bound of queries in flight,
        // so while one chunk finishes or commits, the other worker's items fill the bound.
        .buffer_unordered(engine.settings.chunk_size)
        .collect()
        .await;
    heartbeat.abort();

    let by_id: HashMap<i64, &Leased> = chunk.items.iter().map(|i| (i.id, i)).collect();
    let taken = new_curps_taken(state, &outcomes).await?;
    let mut results = Vec::with_capacity(outcomes.len());
    let mut interrupted = Vec::new();
    for (id, outcome) in outcomes {
        let Some((attempts, queried)) = outcome else {
            interrupted.push(id);
            continue;
        };
        let farmer = by_id[&id].farmer_id;
        let result = match (queried, farmer.and_then(|f| records.get(&f))) {
            (Queried::Answered(answer), Some(record)) => {
                classify(record, &answer, |curp| taken.contains(curp))
            }
            (Queried::Answered(_), None) => ItemResult::failed(ItemReason::NotInRegistry),
            (Queried::Failed(reason), _) => ItemResult::failed(reason),
        };
        results.push((id, farmer, attempts, result));
    }
    let owner = engine.instance.clone();
    let waiting = engine.waiting().map(WaitReason::message);
    db::run(&state.pool, move |conn| {
        let now = db::now();
        queue::store(conn, job, &owner, &results, now)?;
        queue::release(conn, &owner, &interrupted)?;
        queue::set_waiting(conn, job, waiting, now)?;
        if queue::finish_if_done(conn, job, now)? {
            tracing::info!(job, "confrontation finished");
        }
        Ok(())
    })
    .await
}

/// Of the new CURPs RENAPO reported (`RCC`), those another farmer already has.
async fn new_curps_taken(
    state: &AppState,
    outcomes: &[(i64, Option<(u32, Queried)>)],
) -> AppResult<HashSet<String>> {
    let wanted: Vec<String> = outcomes
        .iter()
        .filter_map(|(_, outcome)| match outcome {
            Some((_, Queried::Answered(answer))) => match answer.as_ref() {
                Answer::Found(record) if record.status == CurpStatus::Rcc => {
                    Some(record.historic_curps.clone())
                }
                _ => None,
            },
            _ => None,
        })
        .flatten()
        .collect();
    if wanted.is_empty() {
        return Ok(HashSet::new());
    }
    db::run(&state.pool, move |conn| {
        let backend = conn.backend();
        let texts: Vec<&str> = wanted.iter().map(String::as_str).collect();
        Ok(farmers::table
            .filter(db::in_json_texts(backend, "curp", &texts))
            .select(farmers::curp)
            .load::<String>(conn)?
            .into_iter()
            .collect())
    })
    .await
}

/// Asks RENAPO about one CURP until it answers, a permanent error comes, or the retries for
/// transient faults run out. Waiting on the breaker costs no retry, nor does a failed probe or
/// a failure every query meets (untrusted certificate, refused credentials): those make the
/// whole job wait instead. Returns the queries that counted as tries.
async fn query(state: &AppState, curp: &str) -> (u32, Queried) {
    let engine = &state.engine;
    let settings = &engine.settings;
    let mut attempts = 0;
    loop {
        let probe = engine.breaker.admit().await;
        let permit = engine.in_flight.acquire().await;
        engine.limiter.acquire().await;
        let reply = state.renapo.ask(curp).await;
        drop(permit);
        // The acknowledgement is not a query: it runs outside the concurrency bound.
        if let Ok(Some(session)) = reply.as_ref().map(|r| r.session_id.as_deref()) {
            state.renapo.confirm(session).await;
        }
        match reply {
            Ok(reply) => match reply.answer {
                Answer::Unavailable { .. } => {}
                Answer::InvalidUser { .. } => {
                    engine.breaker.trip(WaitReason::Credentials);
                    continue;
                }
                answer => {
                    engine.breaker.success();
                    return (attempts + 1, Queried::Answered(Box::new(answer)));
                }
            },
            Err(GatewayError::Client(ClientError::Untrusted(reason))) => {
                tracing::warn!(%reason, "RENAPO's certificate is not trusted");
                engine.breaker.trip(WaitReason::UntrustedCertificate);
                continue;
            }
            Err(GatewayError::Client(error)) if error.is_transient() => {}
            Err(error) => {
                // RENAPO answered, but the answer is not usable: this item only.
                engine.breaker.success();
                tracing::warn!(%error, "unusable RENAPO answer");
                return (attempts + 1, Queried::Failed(ItemReason::UnusableAnswer));
            }
        }
        engine.breaker.failure(WaitReason::Unavailable);
        if probe {
            continue;
        }
        attempts += 1;
        if attempts >= settings.max_attempts {
            return (attempts, Queried::Failed(ItemReason::AuthorityUnavailable));
        }
        tokio::time::sleep(backoff(
            attempts,
            settings.backoff_base,
            settings.backoff_max,
        ))
        .await;
    }
}

/// While a chunk is worked on: extends its leases, shows whether the job waits for RENAPO,
/// and raises `stop` when people pause or cancel the job (or it is gone).
async fn keep_alive(state: AppState, job: i64, stop: watch::Sender<bool>) {
    let engine = state.engine.clone();
    let mut ticks = tokio::time::interval(engine.heartbeat_every());
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let owner = engine.instance.clone();
        let until = engine.lease_until();
        let waiting = engine.waiting().map(WaitReason::message);
        let current = db::run(&state.pool, move |conn| {
            queue::heartbeat(conn, job, &owner, until)?;
            queue::set_waiting(conn, job, waiting, db::now())?;
            Ok(queue::state_of(conn, job)?)
        })
        .await;
        match current {
            Ok(Some(ConfrontationState::Running | ConfrontationState::WaitingAuthority)) => {}
            Ok(_) => {
                let _ = stop.send(true);
                return;
            }
            Err(AppError { detail, .. }) => {
                tracing::warn!(%detail, job, "confrontation heartbeat failed");
            }
        }
    }
}

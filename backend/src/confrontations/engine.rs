//! The confrontation engine of one server instance (`docs/architecture.md`, "Confrontations"):
//! workers lease chunks of items
//! from the database, query the job's authority (RENAPO, or the SAT's online provider) for
//! each with bounded concurrency, a rate limit, retries with backoff for transient faults and
//! a circuit breaker — one [`Lane`] of those per authority — classify the answers and commit
//! each chunk in one transaction. While a chunk is worked on, a heartbeat keeps its lease
//! alive, shows whether the job waits for its authority, and notices a pause or a
//! cancellation, which stop the chunk: what is answered is kept, the rest goes back to the
//! queue. SAT jobs by exchange file are not worked here: their answers come in a file.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::NaiveDateTime;
use confrontas_api::{Authority, ConfrontationState, ItemReason, Rfc};
use diesel::prelude::*;
use futures_util::StreamExt;
use tokio::sync::{Notify, Semaphore, SemaphorePermit, mpsc, oneshot, watch};

use super::classify::{ItemResult, classify};
use super::pacing::{Breaker, RateLimiter, WaitReason, backoff};
use super::queue::{self, Leased};
use crate::config::{EngineSettings, OpinionValidity};
use crate::db::{self, Backend, DbPool};
use crate::error::{AppError, AppResult};
use crate::registry::changes::{self, RegistryRecord};
use crate::renapo::client::ClientError;
use crate::renapo::gateway::{GatewayError, RenapoGateway};
use crate::renapo::protocol::{Answer, CurpStatus};
use crate::sat::gateway::SatGateway;
use crate::sat::opinion::{
    OpinionProvider, ProviderError, SatAnswer, classify_opinion, failure_reason,
};
use crate::sat::validity::OpinionTerm;
use crate::schema::farmers;

/// Chunks one instance works on at once: while one commits, the other keeps the queries
/// flowing.
const CHUNK_WORKERS: usize = 2;

/// How one authority is paced by this instance: its rate limit, its breaker, and its bound
/// of queries in flight.
pub struct Lane {
    authority: Authority,
    settings: EngineSettings,
    limiter: RateLimiter,
    breaker: Breaker,
    in_flight: Semaphore,
    /// Queries recorded and waiting for their place in flight: recording runs ahead of the
    /// queries in flight (so its write is off their path) but at most this far.
    recorded_ahead: Semaphore,
    /// Queries sent by this instance (engine and online consultations), for `/metrics`.
    queries: AtomicU64,
    /// Items whose results this instance committed, for `/metrics`.
    processed: AtomicU64,
}

impl Lane {
    fn new(authority: Authority, settings: &EngineSettings, shared: Option<&DbPool>) -> Lane {
        let limiter = match shared {
            Some(pool) => RateLimiter::shared(settings.rate_per_second, pool.clone(), authority),
            None => RateLimiter::new(settings.rate_per_second),
        };
        Lane {
            authority,
            limiter,
            breaker: Breaker::new(settings.breaker_threshold, settings.breaker_cooldown),
            in_flight: Semaphore::new(settings.concurrency),
            recorded_ahead: Semaphore::new(settings.concurrency),
            queries: AtomicU64::new(0),
            processed: AtomicU64::new(0),
            settings: settings.clone(),
        }
    }

    /// Waits for a place among the queries in flight, then for the rate limit's slot.
    async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        let permit = self.in_flight.acquire().await.ok();
        self.limiter.acquire().await;
        self.queries.fetch_add(1, Ordering::Relaxed);
        permit
    }

    /// Records a query with `log`, then waits for its place in flight and its slot as
    /// [`Lane::enter`]; `None` when it could not be recorded (it must not be sent). At most
    /// the concurrency's worth of queries are recorded ahead of those in flight, so a crash
    /// leaves at most twice the concurrency counted but unsent.
    async fn enter_recorded(&self, log: &QueryLog) -> Option<Option<SemaphorePermit<'_>>> {
        let ahead = self.recorded_ahead.acquire().await.ok();
        if !log.record().await {
            return None;
        }
        let permit = self.enter().await;
        drop(ahead);
        Some(permit)
    }

    /// Waits for the rate limit's slot of a query made outside the engine (an online
    /// consultation): the authority's quota is one for every query of the deployment.
    pub async fn wait_for_slot(&self) {
        self.limiter.acquire().await;
        self.queries.fetch_add(1, Ordering::Relaxed);
    }

    /// What `/metrics` shows of the lane.
    pub fn gauges(&self) -> LaneGauges {
        LaneGauges {
            queries_sent: self.queries.load(Ordering::Relaxed),
            items_processed: self.processed.load(Ordering::Relaxed),
            in_flight: self.settings.concurrency - self.in_flight.available_permits(),
            rate_per_second: self.settings.rate_per_second.unwrap_or(0.0),
            breaker_open: self.waiting().is_some(),
        }
    }

    /// Why queries wait, while the authority is considered down.
    pub fn waiting(&self) -> Option<WaitReason> {
        self.breaker.waiting()
    }

    fn waiting_message(&self) -> Option<&'static str> {
        self.waiting().map(|reason| reason.message(self.authority))
    }
}

/// A lane's counters and state, as this instance sees them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneGauges {
    pub queries_sent: u64,
    pub items_processed: u64,
    pub in_flight: usize,
    /// The configured quota (0: unlimited).
    pub rate_per_second: f64,
    pub breaker_open: bool,
}

/// The engine's per-instance state: who it is, and how it paces each authority.
pub struct Engine {
    /// The lease owner name of this instance (unique per process start).
    pub instance: String,
    /// Chunks, leases and polling (the same for every authority).
    settings: EngineSettings,
    renapo: Lane,
    sat: Lane,
    /// How long the SAT's opinions are valid (their classification depends on it).
    opinion_validity: OpinionValidity,
    wake: Notify,
    /// When this instance started: for its first lease it leaves a dead instance's items to
    /// the instances that have lived longer (`queue::Takeover`).
    started: std::time::Instant,
}

/// What the engine's workers use: the database, the authorities and the engine itself — not
/// the whole server state.
#[derive(Clone)]
pub struct EngineContext {
    pub pool: DbPool,
    pub backend: Backend,
    pub engine: Arc<Engine>,
    pub renapo: Arc<RenapoGateway>,
    pub sat: Arc<SatGateway>,
}

impl Engine {
    /// `shared`: the database through which instances share each authority's quota, when a
    /// deployment may run several (PostgreSQL); without it the quota is this instance's.
    pub fn new(
        renapo: &EngineSettings,
        sat: &EngineSettings,
        opinion_validity: OpinionValidity,
        shared: Option<&DbPool>,
    ) -> Engine {
        let instance = format!(
            "{}-{}-{:08x}",
            hostname(),
            std::process::id(),
            rand::random::<u32>()
        );
        Engine {
            instance,
            renapo: Lane::new(Authority::Renapo, renapo, shared),
            sat: Lane::new(Authority::Sat, sat, shared),
            settings: renapo.clone(),
            opinion_validity,
            wake: Notify::new(),
            started: std::time::Instant::now(),
        }
    }

    /// New work: an idle worker looks now instead of at its next poll.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    pub fn lane(&self, authority: Authority) -> &Lane {
        match authority {
            Authority::Renapo => &self.renapo,
            Authority::Sat => &self.sat,
        }
    }

    /// Whose expired leases this instance takes over: a newcomer (restarted after a crash,
    /// perhaps about to crash again) only those no live instance is there to take.
    fn takeover(&self) -> queue::Takeover {
        if self.started.elapsed() < self.settings.lease {
            queue::Takeover::WhenAlone
        } else {
            queue::Takeover::Any
        }
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

/// The authorities this instance can query.
fn configured(ctx: &EngineContext) -> Vec<Authority> {
    let mut authorities = Vec::new();
    if ctx.renapo.is_configured() {
        authorities.push(Authority::Renapo);
    }
    if ctx.sat.online().is_some() {
        authorities.push(Authority::Sat);
    }
    authorities
}

/// Starts the workers. On SQLite every lease left in the database belongs to a previous run of
/// this (the only) instance, so those items are queued again at once.
pub async fn spawn(ctx: EngineContext) -> AppResult<()> {
    if configured(&ctx).is_empty() {
        tracing::info!(
            "neither RENAPO nor an online SAT provider is configured: the confrontation engine does not start"
        );
        return Ok(());
    }
    if ctx.backend == db::Backend::Sqlite {
        let released =
            db::run_in_background(&ctx.pool, |conn| Ok(queue::release_all(conn)?)).await?;
        if released > 0 {
            tracing::warn!(
                released,
                "items leased by the previous run are queued again"
            );
        }
    }
    for _ in 0..CHUNK_WORKERS {
        tokio::spawn(work(ctx.clone()));
    }
    tracing::info!(instance = %ctx.engine.instance, "confrontation engine started");
    Ok(())
}

async fn work(ctx: EngineContext) {
    let engine = ctx.engine.clone();
    loop {
        let woken = engine.wake.notified();
        match next_chunk(&ctx).await {
            Ok(Some(chunk)) => {
                if let Err(error) = process(&ctx, chunk).await {
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
    authority: Authority,
    items: Vec<Leased>,
}

/// Leases the next chunk of `job`, or finishes the job when nothing is left of it.
fn claim_chunk(
    conn: &mut db::AnyConnection,
    engine: &Engine,
    job: i64,
    authority: Authority,
) -> AppResult<Option<Chunk>> {
    let now = db::now();
    let items = queue::claim(
        conn,
        job,
        &engine.instance,
        engine.takeover(),
        engine.lease_until(),
        engine.settings.chunk_size,
    )?;
    if !items.is_empty() {
        return Ok(Some(Chunk {
            job,
            authority,
            items,
        }));
    }
    if queue::finish_if_done(conn, job, now)? {
        tracing::info!(job, "confrontation finished");
    }
    Ok(None)
}

/// Leases the next chunk of the oldest job with pending items.
async fn next_chunk(ctx: &EngineContext) -> AppResult<Option<Chunk>> {
    let engine = ctx.engine.clone();
    let authorities = configured(ctx);
    db::run_in_background(&ctx.pool, move |conn| {
        for (job, authority) in queue::runnable_jobs(conn, &authorities)? {
            if let Some(chunk) = claim_chunk(conn, &engine, job, authority)? {
                return Ok(Some(chunk));
            }
        }
        Ok(None)
    })
    .await
}

/// Works `job` to its end on the calling task (the demo's seed, before the workers start).
pub async fn drain(ctx: &EngineContext, job: i64, authority: Authority) -> AppResult<()> {
    loop {
        let engine = ctx.engine.clone();
        let chunk = db::run_in_background(&ctx.pool, move |conn| {
            claim_chunk(conn, &engine, job, authority)
        })
        .await?;
        match chunk {
            Some(chunk) => process(ctx, chunk).await?,
            None => return Ok(()),
        }
    }
}

/// What querying one item came to.
enum Queried<A> {
    Answered(A),
    Failed(ItemReason),
    /// The query could not be recorded, so it was not sent: the item goes back to the queue.
    Unsent,
}

/// One query's outcome, as the retry loop sees it.
enum Attempt<A> {
    Answer(A),
    /// Worth another try (timeout, unavailable, busy).
    Transient,
    /// Every query would meet it (untrusted certificate, refused credentials): the job waits.
    Halt(WaitReason),
    /// This item's final result without an answer (an unusable answer, a refusal).
    Final(ItemReason),
    /// The query could not be recorded (the database failed), so it was not sent.
    Unrecorded,
}

/// Runs `attempt` until it answers, a final result comes, or the retries for transient faults
/// run out. Waiting on the breaker costs no retry, nor does a failed probe or a halt: those
/// make the whole job wait instead. Returns the queries that counted as tries (every query
/// sent is recorded by its [`QueryLog`] as it goes out).
async fn with_retries<A, F, Fut>(lane: &Lane, mut attempt: F) -> (u32, Queried<A>)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<A>>,
{
    let settings = &lane.settings;
    let mut attempts = 0;
    loop {
        let probe = lane.breaker.admit().await;
        match attempt().await {
            Attempt::Answer(answer) => {
                lane.breaker.success();
                return (attempts + 1, Queried::Answered(answer));
            }
            Attempt::Final(reason) => {
                // The authority answered, but not usefully: this item only.
                lane.breaker.success();
                return (attempts + 1, Queried::Failed(reason));
            }
            Attempt::Halt(reason) => {
                lane.breaker.trip(reason);
                continue;
            }
            Attempt::Unrecorded => return (attempts, Queried::Unsent),
            Attempt::Transient => {}
        }
        lane.breaker.failure(WaitReason::Unavailable);
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

/// Records each query in the database before it goes out (`docs/architecture.md`,
/// "Confrontations"): the authority counts every query against the agency's quota, answered or
/// lost with a killed instance, so the count must not wait for the answer. Queries waiting to
/// be recorded are written together, one transaction for as many as have gathered.
struct QueryLog {
    item: i64,
    sender: mpsc::UnboundedSender<(i64, oneshot::Sender<bool>)>,
}

impl QueryLog {
    /// Records one query of the item; `false` when it could not be written, and then the
    /// query must not be sent.
    async fn record(&self) -> bool {
        let (done, recorded) = oneshot::channel();
        self.sender.send((self.item, done)).is_ok() && recorded.await.unwrap_or(false)
    }
}

/// Asks every item of a chunk with `ask`, each waiting its turn on the lane's bound of queries
/// in flight (so while one chunk commits, the other worker's items fill the bound), and hands
/// the outcomes to `commit` as they come, in batches at most `commit_every` apart: a crash
/// loses at most that much of the authority's answers. Every query is written with `record`
/// before it is sent. An item still waiting when `stopped` rises comes back as `None`.
async fn ask_and_commit<T, A, F, Fut, C, Committed, R, Recorded>(
    queries: Vec<(i64, T)>,
    stopped: &watch::Receiver<bool>,
    width: usize,
    commit_every: Duration,
    ask: F,
    mut commit: C,
    record: R,
) -> AppResult<()>
where
    F: Fn(T, QueryLog) -> Fut,
    Fut: Future<Output = (u32, Queried<A>)>,
    C: FnMut(Vec<Outcome<A>>) -> Committed,
    Committed: Future<Output = AppResult<()>>,
    R: Fn(Vec<i64>) -> Recorded,
    Recorded: Future<Output = AppResult<()>>,
{
    let ask = &ask;
    let (sender, mut received) = mpsc::unbounded_channel();
    let (log, mut to_record) = mpsc::unbounded_channel::<(i64, oneshot::Sender<bool>)>();
    let asking = async move {
        futures_util::stream::iter(queries)
            .map(|(id, query)| {
                let mut stopped = stopped.clone();
                let log = QueryLog {
                    item: id,
                    sender: log.clone(),
                };
                async move {
                    // The stop first: a query polled once more after it would still take a
                    // slot of the authority's quota (and reserve more), then be dropped.
                    let outcome = tokio::select! {
                        biased;
                        _ = stopped.wait_for(|stop| *stop) => None,
                        outcome = ask(query, log) => Some(outcome),
                    };
                    (id, outcome)
                }
            })
            .buffer_unordered(width)
            .for_each(|outcome| {
                // The receiver lives until every outcome is sent, unless a commit failed.
                let _ = sender.send(outcome);
                std::future::ready(())
            })
            .await;
        Ok::<(), AppError>(())
    };
    let recording = async {
        while let Some(first) = to_record.recv().await {
            let mut batch = vec![first];
            while let Ok(next) = to_record.try_recv() {
                batch.push(next);
            }
            let written = record(batch.iter().map(|(item, _)| *item).collect()).await;
            if let Err(error) = &written {
                tracing::warn!(error = %error.detail, "queries could not be recorded; they are not sent");
            }
            for (_, done) in batch {
                let _ = done.send(written.is_ok());
            }
        }
        Ok::<(), AppError>(())
    };
    let committing = async {
        while let Some(first) = received.recv().await {
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + commit_every;
            loop {
                tokio::select! {
                    next = received.recv() => match next {
                        Some(outcome) => batch.push(outcome),
                        None => break,
                    },
                    _ = tokio::time::sleep_until(deadline) => break,
                }
            }
            commit(batch).await?;
        }
        Ok(())
    };
    // A failed commit stops the asking too: the chunk's items return when the lease ends.
    tokio::try_join!(asking, recording, committing).map(drop)
}

/// An item's query outcome: its id, and its tries and what they came to (`None` when stopped).
type Outcome<A> = (i64, Option<(u32, Queried<A>)>);

/// An item's stored result: id, farmer, tries, result.
type Stored = (i64, Option<i64>, u32, ItemResult);

/// Works a chunk: queries, classification, commits as the answers come.
async fn process(ctx: &EngineContext, chunk: Chunk) -> AppResult<()> {
    let engine = ctx.engine.clone();
    let (job, authority) = (chunk.job, chunk.authority);
    let ids: Vec<i64> = chunk.items.iter().filter_map(|i| i.farmer_id).collect();
    let records =
        db::run_in_background(&ctx.pool, move |conn| Ok(changes::records(conn, &ids)?)).await?;

    let (stop, stopped) = watch::channel(false);
    let heartbeat = tokio::spawn(keep_alive(ctx.clone(), job, authority, stop));
    let worked = match authority {
        Authority::Renapo => ask_renapo(ctx, &chunk, &records, &stopped).await,
        Authority::Sat => ask_sat(ctx, &chunk, &records, &stopped).await,
    };
    heartbeat.abort();
    worked?;

    let waiting = engine.lane(authority).waiting_message();
    db::run_in_background(&ctx.pool, move |conn| {
        let now = db::now();
        queue::set_waiting(conn, job, waiting, now)?;
        if queue::finish_if_done(conn, job, now)? {
            tracing::info!(job, "confrontation finished");
        }
        Ok(())
    })
    .await
}

/// Commits a batch of a chunk's results, each item only while this instance still holds its
/// lease, and hands the interrupted items back to the queue.
async fn commit_batch(
    ctx: &EngineContext,
    job: i64,
    authority: Authority,
    (results, interrupted): (Vec<Stored>, Vec<i64>),
) -> AppResult<()> {
    let owner = ctx.engine.instance.clone();
    let stored = db::run_in_background(&ctx.pool, move |conn| {
        conn.write_transaction(|conn| {
            let now = db::now();
            let tally = queue::store_in(conn, job, queue::Fence::Lease(&owner), &results, now)?;
            queue::release(conn, &owner, &interrupted)?;
            Ok(tally.processed)
        })
    })
    .await?;
    let lane = ctx.engine.lane(authority);
    lane.processed.fetch_add(stored as u64, Ordering::Relaxed);
    Ok(())
}

/// The chunk's results from the query outcomes: each answered item classified by `classify`
/// against its farmer's record (an answer for a farmer no longer in the registry is
/// `not_in_registry`), each failure with its reason; the items interrupted apart.
fn results_of<A>(
    outcomes: Vec<Outcome<A>>,
    items: &[Leased],
    records: &HashMap<i64, RegistryRecord>,
    classify: impl Fn(i64, &RegistryRecord, A) -> ItemResult,
) -> (Vec<Stored>, Vec<i64>) {
    let farmers: HashMap<i64, Option<i64>> = items.iter().map(|i| (i.id, i.farmer_id)).collect();
    let mut results = Vec::with_capacity(outcomes.len());
    let mut interrupted = Vec::new();
    for (id, outcome) in outcomes {
        let Some((attempts, queried)) = outcome else {
            interrupted.push(id);
            continue;
        };
        let farmer = farmers[&id];
        let result = match (queried, farmer.and_then(|f| records.get(&f))) {
            (Queried::Answered(answer), Some(record)) => classify(id, record, answer),
            (Queried::Answered(_), None) => ItemResult::failed(ItemReason::NotInRegistry),
            (Queried::Failed(reason), _) => ItemResult::failed(reason),
            // Not sent: the item goes back to the queue, as if interrupted.
            (Queried::Unsent, _) => {
                interrupted.push(id);
                continue;
            }
        };
        results.push((id, farmer, attempts, result));
    }
    (results, interrupted)
}

/// Asks RENAPO about a chunk's items and commits their results as they come.
async fn ask_renapo(
    ctx: &EngineContext,
    chunk: &Chunk,
    records: &HashMap<i64, RegistryRecord>,
    stopped: &watch::Receiver<bool>,
) -> AppResult<()> {
    let queries = chunk.items.iter().map(|i| (i.id, i.curp.clone())).collect();
    let settings = &ctx.engine.settings;
    ask_and_commit(
        queries,
        stopped,
        settings.chunk_size,
        settings.commit_every,
        |curp: String, log: QueryLog| async move { query_renapo(ctx, &curp, &log).await },
        move |outcomes| async move {
            let taken = new_curps_taken(ctx, &outcomes).await?;
            let results = results_of(outcomes, &chunk.items, records, |_, record, answer| {
                classify(record, &answer, |curp| taken.contains(curp))
            });
            commit_batch(ctx, chunk.job, chunk.authority, results).await
        },
        |items| record_queries(ctx, chunk.job, items),
    )
    .await
}

/// Asks the SAT's online provider about a chunk's items and commits their results as they
/// come. Items are created with a valid RFC; one that no longer parses is `invalid_rfc`,
/// unasked.
async fn ask_sat(
    ctx: &EngineContext,
    chunk: &Chunk,
    records: &HashMap<i64, RegistryRecord>,
    stopped: &watch::Receiver<bool>,
) -> AppResult<()> {
    let rfcs: HashMap<i64, Option<Rfc>> = chunk
        .items
        .iter()
        .map(|i| (i.id, i.rfc.as_deref().and_then(|r| Rfc::parse(r).ok())))
        .collect();
    let queries = rfcs.iter().map(|(id, rfc)| (*id, rfc.clone())).collect();
    let rfcs = &rfcs;
    let settings = &ctx.engine.settings;
    let validity = ctx.engine.opinion_validity;
    let term = &db::run_in_background(&ctx.pool, move |conn| {
        Ok(OpinionTerm::load(conn, validity)?)
    })
    .await?;
    ask_and_commit(
        queries,
        stopped,
        settings.chunk_size,
        settings.commit_every,
        |rfc: Option<Rfc>, log: QueryLog| async move {
            match rfc {
                Some(rfc) => query_sat(ctx, &rfc, &log).await,
                None => (0, Queried::Failed(ItemReason::InvalidRfc)),
            }
        },
        move |outcomes| async move {
            let today = crate::calendar::rules::local_date(chrono::Utc::now());
            let results = results_of(outcomes, &chunk.items, records, |id, record, answer| {
                let rfc = rfcs[&id]
                    .as_ref()
                    .expect("only items with an RFC are answered");
                classify_opinion(record, rfc, &answer, term, today)
            });
            commit_batch(ctx, chunk.job, chunk.authority, results).await
        },
        |items| record_queries(ctx, chunk.job, items),
    )
    .await
}

/// Writes one query for each of `items` (an item twice when it is asked twice) to the items
/// and the job, before the queries go out.
async fn record_queries(ctx: &EngineContext, job: i64, items: Vec<i64>) -> AppResult<()> {
    db::run_in_background(&ctx.pool, move |conn| {
        conn.write_transaction(|conn| Ok(queue::record_queries(conn, job, &items)?))
    })
    .await
}

/// Of the new CURPs RENAPO reported (`RCC`), those another farmer already has.
async fn new_curps_taken(
    ctx: &EngineContext,
    outcomes: &[Outcome<Box<Answer>>],
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
    db::run_in_background(&ctx.pool, move |conn| {
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

/// Asks RENAPO about one CURP (with retries), acknowledging each answer outside the bound of
/// queries in flight: the acknowledgement is not a query.
async fn query_renapo(
    ctx: &EngineContext,
    curp: &str,
    log: &QueryLog,
) -> (u32, Queried<Box<Answer>>) {
    let lane = &ctx.engine.renapo;
    with_retries(lane, || async move {
        let Some(permit) = lane.enter_recorded(log).await else {
            return Attempt::Unrecorded;
        };
        let reply = ctx.renapo.ask(curp).await;
        drop(permit);
        if let Ok(Some(session)) = reply.as_ref().map(|r| r.session_id.as_deref()) {
            ctx.renapo.confirm(session).await;
        }
        match reply {
            Ok(reply) => match reply.answer {
                Answer::Unavailable { .. } => Attempt::Transient,
                Answer::InvalidUser { .. } => Attempt::Halt(WaitReason::Credentials),
                answer => Attempt::Answer(Box::new(answer)),
            },
            Err(GatewayError::Client(ClientError::Untrusted(reason))) => {
                tracing::warn!(%reason, "RENAPO's certificate is not trusted");
                Attempt::Halt(WaitReason::UntrustedCertificate)
            }
            Err(GatewayError::Client(error)) if error.is_transient() => Attempt::Transient,
            Err(error) => {
                tracing::warn!(%error, "unusable RENAPO answer");
                Attempt::Final(ItemReason::UnusableAnswer)
            }
        }
    })
    .await
}

/// Asks the SAT's online provider about one RFC (with retries).
async fn query_sat(ctx: &EngineContext, rfc: &Rfc, log: &QueryLog) -> (u32, Queried<SatAnswer>) {
    let Some(provider) = ctx.sat.online() else {
        return (0, Queried::Failed(ItemReason::AuthorityUnavailable));
    };
    let lane = &ctx.engine.sat;
    with_retries(lane, || async move {
        let Some(permit) = lane.enter_recorded(log).await else {
            return Attempt::Unrecorded;
        };
        let reply = provider.opinion(rfc).await;
        drop(permit);
        match reply {
            Ok(answer) => Attempt::Answer(answer),
            Err(ProviderError::Unavailable(_)) => Attempt::Transient,
            Err(ProviderError::Untrusted(reason)) => {
                tracing::warn!(%reason, "the SAT service's certificate is not trusted");
                Attempt::Halt(WaitReason::UntrustedCertificate)
            }
            Err(ProviderError::Credentials) => Attempt::Halt(WaitReason::Credentials),
            Err(error) => {
                tracing::warn!(%error, "SAT answer not used");
                Attempt::Final(failure_reason(&error))
            }
        }
    })
    .await
}

/// While a chunk is worked on: extends its leases, shows whether the job waits for its
/// authority, and raises `stop` when people pause or cancel the job (or it is gone).
async fn keep_alive(ctx: EngineContext, job: i64, authority: Authority, stop: watch::Sender<bool>) {
    let engine = ctx.engine.clone();
    let mut ticks = tokio::time::interval(engine.heartbeat_every());
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let owner = engine.instance.clone();
        let until = engine.lease_until();
        let waiting = engine.lane(authority).waiting_message();
        let takeover = engine.takeover();
        let current = db::run_in_background(&ctx.pool, move |conn| {
            let now = db::now();
            queue::heartbeat(conn, job, &owner, until)?;
            queue::set_waiting(conn, job, waiting, now)?;
            Ok((
                queue::state_of(conn, job)?,
                queue::has_orphans(conn, job, &owner, takeover, now)?,
            ))
        })
        .await;
        match current {
            // A dead instance's items wait: end this chunk so the next claim takes them.
            Ok((_, true)) => {
                tracing::info!(job, "items of a stopped instance wait; taking them over");
                let _ = stop.send(true);
                return;
            }
            Ok((Some(ConfrontationState::Running | ConfrontationState::WaitingAuthority), _)) => {}
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

//! The items as a work queue in the database. An engine instance leases a chunk of pending
//! items (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances never take the same ones),
//! keeps the lease alive with heartbeats, and commits the chunk's results in one transaction
//! fenced by the lease: if the lease expired and another instance took the items over, the
//! late results are dropped. Counters and proofs of life move in that same transaction, so a
//! crash at any point leaves every item either pending or done, never counted twice.

use chrono::NaiveDateTime;
use confrontas_api::{Authority, Classification, ConfrontationState, SatProvider};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::classify::ItemResult;
use crate::db::{self, AnyConnection, Backend};
use crate::schema::{confrontation_items, confrontations, farmers};

/// A leased item.
#[derive(Debug, Clone, QueryableByName)]
#[diesel(table_name = confrontation_items)]
pub struct Leased {
    pub id: i64,
    pub curp: String,
    /// SAT: the RFC to ask.
    pub rfc: Option<String>,
    pub farmer_id: Option<i64>,
}

/// Jobs running (or waiting for their authority) on one of `authorities`, oldest first. SAT
/// jobs by exchange file are not among them: their answers come in a file.
pub fn runnable_jobs(
    conn: &mut AnyConnection,
    authorities: &[Authority],
) -> QueryResult<Vec<(i64, Authority)>> {
    let names: Vec<&str> = authorities.iter().map(|a| a.as_str()).collect();
    let jobs = confrontations::table
        .filter(confrontations::authority.eq_any(names))
        .filter(confrontations::state.eq_any([
            ConfrontationState::Running.as_str(),
            ConfrontationState::WaitingAuthority.as_str(),
        ]))
        .filter(
            confrontations::provider
                .is_null()
                .or(confrontations::provider.ne(SatProvider::ExchangeFile.as_str())),
        )
        .order(confrontations::id)
        .select((confrontations::id, confrontations::authority))
        .limit(50)
        .load::<(i64, String)>(conn)?;
    Ok(jobs
        .into_iter()
        .filter_map(|(id, authority)| Authority::parse(&authority).map(|a| (id, a)))
        .collect())
}

/// Whose expired leases an instance takes over (`docs/architecture.md`, "Confrontations").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takeover {
    /// Any: the instance has run for at least a lease, so it is not crash-looping.
    Any,
    /// Only while no other instance holds a live lease on the job: the instance has just
    /// started, and one restarted after a crash may crash again and orphan them once more;
    /// instances that have lived take them instead.
    WhenAlone,
}

/// `$1`: the claiming instance, `$3`: the job, `$5`: now. No other instance holds a live lease
/// on the job.
const ALONE: &str = "NOT EXISTS (SELECT 1 FROM confrontation_items live \
     WHERE live.confrontation_id = $3 AND live.state = 'leased' AND live.lease_until >= $5 \
     AND live.lease_owner <> $1)";

/// Whether items of `job` sit under a lease that ran out (their instance died or hung) that
/// `owner` may take over as `takeover` says: the instances working on the job then end their
/// chunks early, so the next claim takes those items over at once instead of after a whole
/// chunk (README, "Confrontations").
pub fn has_orphans(
    conn: &mut AnyConnection,
    job: i64,
    owner: &str,
    takeover: Takeover,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    use diesel::dsl::exists;
    let leased = || {
        confrontation_items::table
            .filter(confrontation_items::confrontation_id.eq(job))
            .filter(confrontation_items::state.eq("leased"))
    };
    let expired: bool = diesel::select(exists(
        leased().filter(confrontation_items::lease_until.lt(now)),
    ))
    .get_result(conn)?;
    if !expired || takeover == Takeover::Any {
        return Ok(expired);
    }
    let others_alive: bool = diesel::select(exists(
        leased()
            .filter(confrontation_items::lease_until.ge(now))
            .filter(confrontation_items::lease_owner.ne(owner)),
    ))
    .get_result(conn)?;
    Ok(!others_alive)
}

/// Every lease, whoever holds it: on SQLite one instance owns the database, so at start-up
/// every lease is a previous run's.
pub fn release_all(conn: &mut AnyConnection) -> QueryResult<usize> {
    diesel::update(confrontation_items::table.filter(confrontation_items::state.eq("leased")))
        .set((
            confrontation_items::state.eq("pending"),
            confrontation_items::lease_owner.eq(None::<String>),
            confrontation_items::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// `$1`: owner, `$2`: lease end, `$3`: job, `$4`: how many, `$5`: now.
const CLAIM: &str = "UPDATE confrontation_items SET state = 'leased', lease_owner = $1, lease_until = $2 \
     WHERE id IN (SELECT id FROM confrontation_items WHERE confrontation_id = $3 AND {WHICH} \
     ORDER BY id LIMIT $4{LOCK}) RETURNING id, curp, rfc, farmer_id";
const PENDING: &str = "state = 'pending' AND $5 IS NOT NULL";

/// Items whose lease ran out, as `takeover` allows taking them.
fn orphaned(takeover: Takeover) -> String {
    let expired = "state = 'leased' AND lease_until < $5";
    match takeover {
        Takeover::Any => expired.to_owned(),
        Takeover::WhenAlone => format!("{expired} AND {ALONE}"),
    }
}

/// `sql` in the backend's dialect: row locks skipped on PostgreSQL, numbered `?` on SQLite
/// (where the write transaction is the lock).
fn for_backend(sql: &str, backend: Backend) -> String {
    match backend {
        Backend::Postgres => sql.replace("{LOCK}", " FOR UPDATE SKIP LOCKED"),
        Backend::Sqlite => sql.replace("{LOCK}", "").replace('$', "?"),
    }
}

/// Leases up to `limit` items of `job` to `owner` until `until`, oldest first: first those
/// whose lease ran out (a dead instance's) as `takeover` allows, then pending ones.
pub fn claim(
    conn: &mut AnyConnection,
    job: i64,
    owner: &str,
    takeover: Takeover,
    until: NaiveDateTime,
    limit: usize,
) -> QueryResult<Vec<Leased>> {
    let now = db::now();
    let mut leased: Vec<Leased> = conn.write_transaction(|conn| {
        let mut leased: Vec<Leased> = Vec::new();
        for which in [orphaned(takeover), PENDING.to_owned()] {
            let wanted = limit - leased.len();
            if wanted == 0 {
                break;
            }
            let sql = for_backend(&CLAIM.replace("{WHICH}", &which), conn.backend());
            let taken: Vec<Leased> = crate::per_backend!(conn, |c| diesel::sql_query(&sql)
                .bind::<Text, _>(owner)
                .bind::<Timestamp, _>(until)
                .bind::<BigInt, _>(job)
                .bind::<BigInt, _>(wanted as i64)
                .bind::<Timestamp, _>(now)
                .load(c))?;
            leased.extend(taken);
        }
        Ok::<_, diesel::result::Error>(leased)
    })?;
    leased.sort_unstable_by_key(|item| item.id);
    Ok(leased)
}

const HEARTBEAT: &str = "UPDATE confrontation_items SET lease_until = $1 WHERE id IN \
     (SELECT id FROM confrontation_items WHERE confrontation_id = $2 AND state = 'leased' \
     AND lease_owner = $3{LOCK})";

/// Keeps `owner`'s leases on `job` alive until `until`. On PostgreSQL the items a commit of the
/// same instance holds locked right now are skipped (they are being stored as done): waiting
/// for them, while that commit waits for rows this statement locked, was a deadlock.
pub fn heartbeat(
    conn: &mut AnyConnection,
    job: i64,
    owner: &str,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    let sql = match conn.backend() {
        Backend::Postgres => HEARTBEAT.replace("{LOCK}", " FOR UPDATE SKIP LOCKED"),
        Backend::Sqlite => HEARTBEAT.replace("{LOCK}", "").replace('$', "?"),
    };
    crate::per_backend!(conn, |c| diesel::sql_query(&sql)
        .bind::<Timestamp, _>(until)
        .bind::<BigInt, _>(job)
        .bind::<Text, _>(owner)
        .execute(c))
}

/// Records one query for each of `items` (an item as often as it appears) on the items and
/// their job: written before the queries are sent, so a crash never leaves a query the
/// authority saw uncounted.
pub fn record_queries(conn: &mut AnyConnection, job: i64, items: &[i64]) -> QueryResult<()> {
    let mut per_item: std::collections::BTreeMap<i64, i32> = std::collections::BTreeMap::new();
    for item in items {
        *per_item.entry(*item).or_default() += 1;
    }
    for (item, queries) in &per_item {
        diesel::update(confrontation_items::table.find(item))
            .set(confrontation_items::queries.eq(confrontation_items::queries + queries))
            .execute(conn)?;
    }
    if !items.is_empty() {
        diesel::update(confrontations::table.find(job))
            .set(confrontations::queries.eq(confrontations::queries + items.len() as i64))
            .execute(conn)?;
    }
    Ok(())
}

/// Hands back, unprocessed, the items of `owner` on `job` among `ids` (paused or cancelled).
pub fn release(conn: &mut AnyConnection, owner: &str, ids: &[i64]) -> QueryResult<usize> {
    let mut released = 0;
    for chunk in ids.chunks(db::IN_CHUNK) {
        released += diesel::update(
            confrontation_items::table
                .filter(confrontation_items::id.eq_any(chunk))
                .filter(confrontation_items::state.eq("leased"))
                .filter(confrontation_items::lease_owner.eq(owner)),
        )
        .set((
            confrontation_items::state.eq("pending"),
            confrontation_items::lease_owner.eq(None::<String>),
            confrontation_items::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    }
    Ok(released)
}

/// Counter increments of a set of results.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub processed: i64,
    pub to_update: i64,
    pub no_update: i64,
    pub cannot_update: i64,
    pub deceased: i64,
    pub found: i64,
}

impl Tally {
    pub fn count(&mut self, result: &ItemResult) {
        self.processed += 1;
        match result.reason.classification() {
            Classification::Update => self.to_update += 1,
            Classification::NoUpdate => self.no_update += 1,
            Classification::CannotUpdate => self.cannot_update += 1,
        }
        self.deceased += i64::from(result.deceased());
        self.found += i64::from(result.found);
    }

    /// Adds the tally to `job`'s counters (inside the caller's transaction).
    pub fn add_to(
        &self,
        conn: &mut AnyConnection,
        job: i64,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        use confrontations::dsl as c;
        diesel::update(c::confrontations.find(job))
            .set((
                c::processed.eq(c::processed + self.processed),
                c::to_update.eq(c::to_update + self.to_update),
                c::no_update.eq(c::no_update + self.no_update),
                c::cannot_update.eq(c::cannot_update + self.cannot_update),
                c::deceased.eq(c::deceased + self.deceased),
                c::found.eq(c::found + self.found),
                c::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }
}

/// The column values of a result.
pub struct StoredResult {
    pub classification: &'static str,
    pub reason: &'static str,
    pub changes: Option<String>,
}

impl StoredResult {
    pub fn of(result: &ItemResult) -> StoredResult {
        StoredResult {
            classification: result.reason.classification().as_str(),
            reason: result.reason.as_str(),
            changes: (!result.changes.is_empty())
                .then(|| serde_json::to_string(&result.changes).expect("field changes serialize")),
        }
    }
}

/// Which items a store may write: the leased ones of an engine instance, or the pending ones
/// (an answer file imported in one go).
#[derive(Debug, Clone, Copy)]
pub enum Fence<'a> {
    Lease(&'a str),
    Pending,
}

impl Fence<'_> {
    fn processed_by(&self) -> &str {
        match self {
            Fence::Lease(owner) => owner,
            Fence::Pending => "answer-file",
        }
    }
}

/// Commits `results` (item id, farmer, attempts, result) of `job` in one transaction: each
/// item only if `fence` still lets it be written; the job's counters by what was stored; a
/// proof of life on each farmer the answer proves alive. Returns the tally stored.
pub fn store(
    conn: &mut AnyConnection,
    job: i64,
    fence: Fence,
    results: &[(i64, Option<i64>, u32, ItemResult)],
    now: NaiveDateTime,
) -> QueryResult<Tally> {
    conn.write_transaction(|conn| store_in(conn, job, fence, results, now))
}

/// [`store`] inside the caller's transaction.
pub fn store_in(
    conn: &mut AnyConnection,
    job: i64,
    fence: Fence,
    results: &[(i64, Option<i64>, u32, ItemResult)],
    now: NaiveDateTime,
) -> QueryResult<Tally> {
    {
        let mut tally = Tally::default();
        let mut alive = Vec::new();
        for (id, farmer, attempts, result) in results {
            let stored = StoredResult::of(result);
            let (expected, owner) = match fence {
                Fence::Lease(owner) => ("leased", owner),
                Fence::Pending => ("pending", ""),
            };
            // Leased: only the owner's. Pending: any (a pending item has no owner).
            let updated = diesel::update(
                confrontation_items::table
                    .find(id)
                    .filter(confrontation_items::state.eq(expected))
                    .filter(
                        confrontation_items::lease_owner
                            .eq(owner)
                            .or(confrontation_items::state.eq("pending")),
                    ),
            )
            .set((
                confrontation_items::state.eq("done"),
                confrontation_items::lease_owner.eq(None::<String>),
                confrontation_items::lease_until.eq(None::<NaiveDateTime>),
                confrontation_items::attempts.eq(*attempts as i32),
                confrontation_items::classification.eq(stored.classification),
                confrontation_items::reason.eq(stored.reason),
                confrontation_items::deceased.eq(result.deceased()),
                confrontation_items::found.eq(result.found),
                confrontation_items::authority_status.eq(&result.authority_status),
                confrontation_items::changes.eq(&stored.changes),
                confrontation_items::processed_at.eq(now),
                confrontation_items::processed_by.eq(fence.processed_by()),
                confrontation_items::opinion_folio.eq(&result.opinion.folio),
                confrontation_items::opinion_issued_on.eq(result.opinion.issued_on),
                confrontation_items::opinion_valid_until.eq(result.opinion.valid_until),
            ))
            .execute(conn)?;
            if updated == 1 {
                tally.count(result);
                if result.proof_of_life
                    && let Some(farmer) = farmer
                {
                    alive.push(*farmer);
                }
            }
        }
        for chunk in alive.chunks(db::IN_CHUNK) {
            diesel::update(
                farmers::table.filter(farmers::id.eq_any(chunk)).filter(
                    farmers::last_proof_of_life_at
                        .is_null()
                        .or(farmers::last_proof_of_life_at.lt(now)),
                ),
            )
            .set(farmers::last_proof_of_life_at.eq(now))
            .execute(conn)?;
        }
        if tally.processed > 0 {
            tally.add_to(conn, job, now)?;
        }
        Ok(tally)
    }
}

/// Marks `job` finished when no item is left, as one conditional statement (instances may
/// race to finish it; one wins). True when this call finished it.
pub fn finish_if_done(conn: &mut AnyConnection, job: i64, now: NaiveDateTime) -> QueryResult<bool> {
    use diesel::dsl::{exists, not};
    let unfinished = confrontation_items::table
        .filter(confrontation_items::confrontation_id.eq(job))
        .filter(confrontation_items::state.ne("done"));
    let finished = diesel::update(
        confrontations::table
            .find(job)
            .filter(confrontations::state.eq_any([
                ConfrontationState::Running.as_str(),
                ConfrontationState::WaitingAuthority.as_str(),
            ]))
            .filter(not(exists(unfinished))),
    )
    .set((
        confrontations::state.eq(ConfrontationState::Finished.as_str()),
        confrontations::waiting_reason.eq(None::<String>),
        confrontations::finished_at.eq(now),
        confrontations::updated_at.eq(now),
        confrontations::version.eq(confrontations::version + 1),
    ))
    .execute(conn)?;
    Ok(finished == 1)
}

/// Shows whether `job` waits for its authority (and why), moving it between `running` and
/// `waiting_authority` only; pauses and cancellations by people are left alone.
pub fn set_waiting(
    conn: &mut AnyConnection,
    job: i64,
    waiting: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let (from, to) = match waiting {
        Some(_) => (
            ConfrontationState::Running,
            ConfrontationState::WaitingAuthority,
        ),
        None => (
            ConfrontationState::WaitingAuthority,
            ConfrontationState::Running,
        ),
    };
    diesel::update(
        confrontations::table
            .find(job)
            .filter(confrontations::state.eq(from.as_str())),
    )
    .set((
        confrontations::state.eq(to.as_str()),
        confrontations::waiting_reason.eq(waiting),
        confrontations::updated_at.eq(now),
    ))
    .execute(conn)
}

/// The job's state now.
pub fn state_of(conn: &mut AnyConnection, job: i64) -> QueryResult<Option<ConfrontationState>> {
    Ok(confrontations::table
        .find(job)
        .select(confrontations::state)
        .first::<String>(conn)
        .optional()?
        .and_then(|s| ConfrontationState::parse(&s)))
}

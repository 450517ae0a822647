//! How the engine treats an authority: a rate limit that spaces queries evenly (a quota counted
//! per second is never exceeded), capped exponential backoff with jitter between retries, and
//! a circuit breaker that makes every query wait while the authority is down, lets one probe
//! through after a cooldown, and closes by itself when the probe is answered.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use confrontas_api::Authority;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use rand::Rng;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::db::{self, AnyConnection, DbPool};
use crate::error::AppResult;

/// The pace for a configured rate: 2 % under it, and at least one query a second under it.
/// Network jitter can deliver a query a little late, into the next second of RENAPO's count;
/// the headroom keeps that second within the quota too.
fn paced(rate: f64) -> f64 {
    if rate >= 2.0 {
        (rate * 0.98).min(rate - 1.0)
    } else {
        rate * 0.98
    }
}

/// Starts at most `per_second` queries per second, evenly spaced (no bursts): on PostgreSQL
/// across every instance of the deployment, which take their slots from one schedule in the
/// database (`docs/architecture.md`, "Shared quotas"); on SQLite, where one instance owns the
/// database, from a schedule in memory.
pub struct RateLimiter {
    interval: Option<Duration>,
    schedule: Schedule,
}

enum Schedule {
    /// The next slot of this instance alone.
    Local(Mutex<Instant>),
    Shared(SharedSchedule),
}

/// Slots reserved from the database's schedule of one authority, a block at a time (a quarter
/// of a second's worth, so that instances ask the database a few times a second, and a block
/// an instance leaves unused costs little).
struct SharedSchedule {
    pool: DbPool,
    authority: Authority,
    block: u32,
    reserved: tokio::sync::Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    /// A limiter of this instance alone.
    pub fn new(per_second: Option<f64>) -> RateLimiter {
        RateLimiter {
            interval: interval(per_second),
            schedule: Schedule::Local(Mutex::new(Instant::now())),
        }
    }

    /// A limiter whose slots every instance on `pool` shares for `authority`.
    pub fn shared(per_second: Option<f64>, pool: DbPool, authority: Authority) -> RateLimiter {
        let block = per_second.map_or(1.0, |rate| (paced(rate) / 4.0).ceil()) as u32;
        RateLimiter {
            interval: interval(per_second),
            schedule: Schedule::Shared(SharedSchedule {
                pool,
                authority,
                block: block.max(1),
                reserved: tokio::sync::Mutex::new(VecDeque::new()),
            }),
        }
    }

    /// Waits for this query's slot.
    pub async fn acquire(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = match &self.schedule {
            Schedule::Local(next) => {
                let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                let slot = (*next).max(Instant::now());
                *next = slot + interval;
                slot
            }
            Schedule::Shared(shared) => shared.next_slot(interval).await,
        };
        tokio::time::sleep_until(slot).await;
    }
}

fn interval(per_second: Option<f64>) -> Option<Duration> {
    per_second
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(1.0 / paced(r)))
}

impl SharedSchedule {
    /// The next reserved slot, reserving a block when none is left.
    async fn next_slot(&self, interval: Duration) -> Instant {
        let mut reserved = self.reserved.lock().await;
        loop {
            // A slot long past is dropped: a query sent that late could crowd a later second.
            let now = Instant::now();
            while reserved.front().is_some_and(|slot| *slot + interval < now) {
                reserved.pop_front();
            }
            if let Some(slot) = reserved.pop_front() {
                return slot;
            }
            match self.reserve(interval).await {
                Ok(block) => reserved.extend(block),
                Err(error) => {
                    // The engine cannot store answers either: the queries wait for the database.
                    tracing::warn!(%error.detail, authority = %self.authority.as_str(), "cannot reserve query slots; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Reserves the next `block` slots of the deployment's schedule, as local instants.
    async fn reserve(&self, interval: Duration) -> AppResult<Vec<Instant>> {
        let step = interval.as_micros().max(1) as i64;
        let (authority, block) = (self.authority.as_str(), i64::from(self.block));
        let (start_us, now_us) = db::run_in_background(&self.pool, move |conn| {
            Ok(reserve_slots(conn, authority, block * step)?)
        })
        .await?;
        // The schedule is in the database's clock; its distance from now is what carries over.
        let start =
            Instant::now() + Duration::from_micros(start_us.saturating_sub(now_us).max(0) as u64);
        Ok((0..self.block).map(|i| start + interval * i).collect())
    }
}

#[derive(QueryableByName)]
struct Reserved {
    #[diesel(sql_type = BigInt)]
    start_us: i64,
    #[diesel(sql_type = BigInt)]
    now_us: i64,
}

/// Moves `authority`'s schedule `span_us` forward from its next free slot (or from now, when
/// that is past) by PostgreSQL's clock, in one statement that locks the schedule's row;
/// returns where the span starts and the clock's time.
fn reserve_slots(
    conn: &mut AnyConnection,
    authority: &str,
    span_us: i64,
) -> QueryResult<(i64, i64)> {
    let AnyConnection::Postgresql(conn) = conn else {
        return Err(diesel::result::Error::QueryBuilderError(
            "on SQLite the schedule is kept in memory".into(),
        ));
    };
    let reserved: Reserved = diesel::sql_query(RESERVE)
        .bind::<Text, _>(authority)
        .bind::<BigInt, _>(span_us)
        .get_result(conn)?;
    Ok((reserved.start_us, reserved.now_us))
}

const RESERVE: &str = "WITH clock AS (SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT AS us) \
     INSERT INTO authority_pace AS p (authority, next_slot_us) SELECT $1, clock.us + $2 FROM clock \
     ON CONFLICT (authority) DO UPDATE SET next_slot_us = GREATEST(p.next_slot_us, (SELECT us FROM clock)) + $2 \
     RETURNING p.next_slot_us - $2 AS start_us, (SELECT us FROM clock) AS now_us";

/// The wait before retry number `retry` (1 for the first): `base · 2^(retry−1)`, capped at
/// `max`, then drawn uniformly from its upper half so that retries of many items spread out.
pub fn backoff(retry: u32, base: Duration, max: Duration) -> Duration {
    let exponential = base.saturating_mul(1u32 << retry.saturating_sub(1).min(20));
    let capped = exponential.min(max);
    let half = capped / 2;
    half + rand::rng().random_range(Duration::ZERO..=capped - half)
}

/// Why the breaker is open, as people read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// Timeouts, HTTP 5xx, SOAP faults, `TipoError 99`.
    Unavailable,
    /// The server's certificate does not chain to the trusted one.
    UntrustedCertificate,
    /// The agency's user or password was refused.
    Credentials,
}

impl WaitReason {
    pub fn message(self, authority: Authority) -> &'static str {
        match (self, authority) {
            (WaitReason::Unavailable, Authority::Renapo) => {
                "RENAPO no responde; la confronta continuará sola cuando vuelva a responder."
            }
            (WaitReason::Unavailable, Authority::Sat) => {
                "El servicio del SAT no responde; la confronta continuará sola cuando vuelva a responder."
            }
            (WaitReason::UntrustedCertificate, Authority::Renapo) => {
                "El certificado de RENAPO no es de confianza: despliegue el certificado vigente de RENAPO y la confronta continuará."
            }
            (WaitReason::UntrustedCertificate, Authority::Sat) => {
                "El certificado del servicio del SAT no es de confianza: configure el certificado vigente (CONFRONTAS_SAT_CA_FILE)."
            }
            (WaitReason::Credentials, Authority::Renapo) => {
                "RENAPO rechazó el usuario o la contraseña de la dependencia; corrija la configuración."
            }
            (WaitReason::Credentials, Authority::Sat) => {
                "El SAT rechazó el usuario o la contraseña del convenio; corrija la configuración (CONFRONTAS_SAT_USER, CONFRONTAS_SAT_PASSWORD)."
            }
        }
    }
}

struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    probing: bool,
    reason: Option<WaitReason>,
}

pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<BreakerState>,
    closed: Notify,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(BreakerState {
                consecutive_failures: 0,
                open_until: None,
                probing: false,
                reason: None,
            }),
            closed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns when a query may be sent: at once while closed; while open, after the cooldown
    /// to one caller (the probe, told so by `true`) and to the rest when the probe succeeds.
    pub async fn admit(&self) -> bool {
        loop {
            let wait = {
                let mut state = self.lock();
                match state.open_until {
                    None => return false,
                    Some(until) if Instant::now() < until => until - Instant::now(),
                    Some(_) if !state.probing => {
                        state.probing = true;
                        return true;
                    }
                    Some(_) => self.cooldown,
                }
            };
            // Woken early when the breaker closes; otherwise look again after the wait.
            let _ = tokio::time::timeout(wait, self.closed.notified()).await;
        }
    }

    /// The authority answered.
    pub fn success(&self) {
        let mut state = self.lock();
        let was_open = state.open_until.is_some();
        state.consecutive_failures = 0;
        state.open_until = None;
        state.probing = false;
        state.reason = None;
        drop(state);
        if was_open {
            tracing::info!("the authority answers again; circuit breaker closed");
            self.closed.notify_waiters();
        }
    }

    /// A transient failure: the breaker opens after `threshold` in a row, or at once when the
    /// probe fails.
    pub fn failure(&self, reason: WaitReason) {
        let mut state = self.lock();
        state.consecutive_failures += 1;
        if state.probing || state.consecutive_failures >= self.threshold {
            self.open(&mut state, reason);
        }
    }

    /// A failure every query would meet (untrusted certificate, refused credentials): opens
    /// the breaker at once.
    pub fn trip(&self, reason: WaitReason) {
        let mut state = self.lock();
        self.open(&mut state, reason);
    }

    fn open(&self, state: &mut BreakerState, reason: WaitReason) {
        if state.open_until.is_none() {
            tracing::warn!(?reason, "circuit breaker open: queries wait");
        }
        state.open_until = Some(Instant::now() + self.cooldown);
        state.probing = false;
        state.reason = Some(reason);
    }

    /// Why queries wait, while the breaker is open.
    pub fn waiting(&self) -> Option<WaitReason> {
        let state = self.lock();
        state.open_until.and(state.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_stays_in_the_upper_half() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for _ in 0..200 {
            let first = backoff(1, base, max);
            assert!(
                first >= Duration::from_millis(50) && first <= base,
                "{first:?}"
            );
            let third = backoff(3, base, max);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = backoff(30, base, max);
            assert!(
                late >= Duration::from_millis(500) && late <= max,
                "{late:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_limiter_spaces_queries_evenly() {
        // Configured at 26/s, it paces at 25/s: 26 slots, 40 ms apart.
        let limiter = RateLimiter::new(Some(26.0));
        let start = Instant::now();
        for _ in 0..26 {
            limiter.acquire().await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!((elapsed - 1.0).abs() < 1e-6, "{elapsed}");
        assert_eq!(paced(200.0), 196.0, "2 % under a large rate");
        assert_eq!(paced(25.0), 24.0, "a query a second under a small one");
        let unlimited = RateLimiter::new(None);
        let start = Instant::now();
        unlimited.acquire().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_breaker_opens_after_the_threshold_and_lets_one_probe_through() {
        let breaker = std::sync::Arc::new(Breaker::new(3, Duration::from_secs(5)));
        breaker.failure(WaitReason::Unavailable);
        breaker.failure(WaitReason::Unavailable);
        assert_eq!(breaker.waiting(), None, "two failures keep it closed");
        breaker.failure(WaitReason::Unavailable);
        assert_eq!(breaker.waiting(), Some(WaitReason::Unavailable));

        let start = Instant::now();
        assert!(
            breaker.admit().await,
            "the first caller after the cooldown probes"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(5),
            "the probe waits the cooldown"
        );
        // A second caller waits for the probe's outcome.
        let waiter = tokio::spawn({
            let breaker = breaker.clone();
            async move {
                assert!(!breaker.admit().await);
                Instant::now()
            }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiter.is_finished());
        breaker.success();
        let admitted = waiter.await.unwrap();
        assert!(admitted - start < Duration::from_secs(7));
        assert_eq!(breaker.waiting(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_reopens_the_breaker_and_a_trip_opens_it_at_once() {
        let breaker = Breaker::new(10, Duration::from_secs(2));
        breaker.trip(WaitReason::UntrustedCertificate);
        assert_eq!(breaker.waiting(), Some(WaitReason::UntrustedCertificate));
        breaker.admit().await;
        breaker.failure(WaitReason::Unavailable);
        assert_eq!(breaker.waiting(), Some(WaitReason::Unavailable));
        let start = Instant::now();
        breaker.admit().await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }
}

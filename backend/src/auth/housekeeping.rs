//! Removes what can no longer be used, so auth tables stay small: refresh tokens and sessions
//! that expired more than a day ago, and throttle counters whose window and lock are both over.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::{self, AnyConnection, DbPool};
use crate::schema::{login_throttle, refresh_tokens, sessions};

/// Expired rows are kept this long (for investigating a recent incident) before deletion.
const KEEP_EXPIRED: TimeDelta = TimeDelta::days(1);
const EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub refresh_tokens: usize,
    pub sessions: usize,
    pub throttle_counters: usize,
}

pub fn purge_expired(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    window: TimeDelta,
) -> QueryResult<Purged> {
    let cutoff = now - KEEP_EXPIRED;
    conn.write_transaction(|conn| {
        // A session's refresh tokens never outlive it, so tokens go first and sessions follow.
        let refresh_tokens =
            diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(cutoff)))
                .execute(conn)?;
        let live_sessions = refresh_tokens::table.select(refresh_tokens::session_id);
        let sessions = diesel::delete(
            sessions::table
                .filter(sessions::expires_at.lt(cutoff))
                .filter(sessions::id.ne_all(live_sessions)),
        )
        .execute(conn)?;
        let throttle_counters = diesel::delete(
            login_throttle::table
                .filter(login_throttle::window_started_at.lt(now - window))
                .filter(
                    login_throttle::locked_until
                        .is_null()
                        .or(login_throttle::locked_until.lt(now)),
                ),
        )
        .execute(conn)?;
        Ok(Purged {
            refresh_tokens,
            sessions,
            throttle_counters,
        })
    })
}

/// Runs the purge every hour for the life of the process; throttle counters are kept for the
/// login `window`.
pub fn spawn(pool: DbPool, window: Duration) {
    tokio::spawn(async move {
        let window = TimeDelta::from_std(window).unwrap_or(TimeDelta::minutes(15));
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            ticks.tick().await;
            match db::run_in_background(&pool, move |conn| {
                Ok(purge_expired(conn, db::now(), window)?)
            })
            .await
            {
                Ok(purged) if purged != Purged::default() => {
                    tracing::info!(?purged, "expired auth records purged")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "auth housekeeping failed"),
            }
        }
    });
}

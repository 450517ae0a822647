//! Online consultations per caller per minute, counted in the database in fixed one-minute
//! windows: every instance adds to the same count, and a restart forgets nothing
//! (`docs/architecture.md`, "Shared quotas").

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::{self, AnyConnection, DbPool};
use crate::error::{AppError, AppResult};
use crate::per_backend;
use crate::schema::consultation_windows;

const WINDOW: TimeDelta = TimeDelta::seconds(60);

/// Counts a consultation of `caller` now, or refuses it (429 with the seconds to wait) when the
/// caller already made `per_minute` this minute.
pub async fn count(pool: &DbPool, caller: String, per_minute: u32) -> AppResult<()> {
    db::run(pool, move |conn| {
        Ok(take(conn, &caller, per_minute, db::now())?)
    })
    .await?
    .map_err(|wait| {
        AppError::too_many_requests(
            "Se alcanzó el número de consultas por minuto permitido para este cliente.",
            wait,
        )
    })
}

/// Counts a consultation of `caller` at `now`; when the caller already made `per_minute` in
/// the current window, counts nothing and gives the seconds until the window ends.
pub fn take(
    conn: &mut AnyConnection,
    caller: &str,
    per_minute: u32,
    now: NaiveDateTime,
) -> QueryResult<Result<(), u64>> {
    conn.write_transaction(|conn| {
        // Creating the row, or rewriting it unchanged, takes its lock on PostgreSQL (SQLite's
        // write transaction holds the whole database already): concurrent consultations of one
        // caller are counted one after the other.
        per_backend!(conn, |c| diesel::insert_into(consultation_windows::table)
            .values((
                consultation_windows::caller.eq(caller),
                consultation_windows::window_started_at.eq(now),
                consultation_windows::consultations.eq(0),
            ))
            .on_conflict(consultation_windows::caller)
            .do_update()
            .set(consultation_windows::consultations.eq(consultation_windows::consultations))
            .execute(c))?;
        let (mut started, mut count) = consultation_windows::table
            .find(caller)
            .select((
                consultation_windows::window_started_at,
                consultation_windows::consultations,
            ))
            .first::<(NaiveDateTime, i32)>(conn)?;
        if started + WINDOW <= now {
            (started, count) = (now, 0);
        }
        if count as u32 >= per_minute {
            let wait = (started + WINDOW - now).num_seconds().max(1) as u64;
            return Ok(Err(wait));
        }
        diesel::update(consultation_windows::table.find(caller))
            .set((
                consultation_windows::window_started_at.eq(started),
                consultation_windows::consultations.eq(count + 1),
            ))
            .execute(conn)?;
        Ok(Ok(()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, crate::db::DbPool) {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("quota.sqlite").display().to_string();
        let pool = crate::db::connect(&url, 1, std::time::Duration::from_secs(5)).unwrap();
        crate::db::migrate(&mut pool.get().unwrap()).unwrap();
        (dir, pool)
    }

    #[test]
    fn the_quota_counts_per_caller_per_minute_and_tells_how_long_to_wait() {
        let (_dir, pool) = database();
        let mut conn = pool.get().unwrap();
        let start = crate::db::now();
        for _ in 0..2 {
            assert_eq!(take(&mut conn, "client:1", 2, start).unwrap(), Ok(()));
        }
        let later = start + TimeDelta::seconds(15);
        assert_eq!(take(&mut conn, "client:1", 2, later).unwrap(), Err(45));
        assert_eq!(
            take(&mut conn, "client:2", 2, later).unwrap(),
            Ok(()),
            "each caller has its own"
        );
        let next_minute = start + WINDOW;
        assert_eq!(take(&mut conn, "client:1", 2, next_minute).unwrap(), Ok(()));
    }
}

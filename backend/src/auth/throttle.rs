//! Failed-login counters in the database, so every server instance sees the same counts.
//!
//! Keys are `account:<email>` (any e-mail, existing or not, so a lock reveals nothing) and
//! `ip:<address>`. Past the limit a key is locked; each further failure doubles the lock, up to a cap.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::config::LoginLimits;
use crate::db::AnyConnection;
use crate::per_backend;
use crate::schema::login_throttle;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_throttle)]
#[diesel(treat_none_as_null = true)]
struct ThrottleRow {
    key: String,
    failures: i32,
    window_started_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
}

pub fn account_key(email: &str) -> String {
    format!("account:{email}")
}

pub fn ip_key(ip: &std::net::IpAddr) -> String {
    format!("ip:{ip}")
}

/// Seconds until the latest lock among `keys` ends, if any is locked at `now`.
pub fn locked_for(
    conn: &mut AnyConnection,
    keys: &[String],
    now: NaiveDateTime,
) -> QueryResult<Option<u64>> {
    let until: Option<NaiveDateTime> = login_throttle::table
        .filter(login_throttle::key.eq_any(keys))
        .filter(login_throttle::locked_until.gt(now))
        .select(diesel::dsl::max(login_throttle::locked_until))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(until.map(|until| (until - now).num_seconds().max(1) as u64))
}

/// Counts one failure against `key` whose limit is `max_failures`.
pub fn record_failure(
    conn: &mut AnyConnection,
    key: &str,
    max_failures: u32,
    limits: &LoginLimits,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let window = TimeDelta::from_std(limits.window).unwrap_or(TimeDelta::MAX);
    let existing = login_throttle::table
        .find(key)
        .select(ThrottleRow::as_select())
        .first(conn)
        .optional()?;
    let mut row = match existing {
        Some(row)
            if row.window_started_at + window > now
                || row.locked_until.is_some_and(|t| t > now) =>
        {
            row
        }
        _ => ThrottleRow {
            key: key.to_owned(),
            failures: 0,
            window_started_at: now,
            locked_until: None,
        },
    };
    row.failures = row.failures.saturating_add(1);
    if row.failures as u32 >= max_failures {
        let doublings = (row.failures as u32 - max_failures).min(20);
        let lock = limits
            .lockout
            .saturating_mul(1 << doublings)
            .min(limits.max_lockout);
        row.locked_until = Some(now + TimeDelta::from_std(lock).unwrap_or(TimeDelta::MAX));
    }
    per_backend!(conn, |c| diesel::insert_into(login_throttle::table)
        .values(&row)
        .on_conflict(login_throttle::key)
        .do_update()
        .set(&row)
        .execute(c))?;
    Ok(())
}

/// Forgets the failures of `key` (after a successful login).
pub fn clear(conn: &mut AnyConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(key))
        .execute(conn)
        .map(drop)
}

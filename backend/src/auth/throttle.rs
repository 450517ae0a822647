//! Guesses of a password or a client secret, counted in the database so every instance sees the
//! same counts (README, "Login throttling").
//!
//! A guess is counted, with the locks it brings, *before* the secret is checked: concurrent
//! attempts cannot get more checks than the limits allow, and a refused one costs no hashing.
//! A correct secret then takes its own guess back. Three counters see each guess:
//!
//! * `guess:<subject>|<address>`: this address on this account (or client). Past its limit the
//!   address is locked out of this account only, the lock doubling with each further failure.
//! * `pace:<subject>`: the account from every address (accounts only: client secrets are too
//!   long to guess). Past its limit, addresses that are not usual for the account get one
//!   guess per `slowdown`; it slows a distributed attack and locks no one out.
//! * `address:<address>`: one address across accounts (password spraying). Past its limit the
//!   address is locked out of every account it is not a usual address of.
//!
//! A usual address is one the account logged in from successfully not long ago: a flood from
//! elsewhere never keeps the user out.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::config::LoginLimits;
use crate::db::AnyConnection;
use crate::per_backend;
use crate::schema::login_throttle;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_throttle)]
#[diesel(treat_none_as_null = true)]
struct CounterRow {
    key: String,
    failures: i32,
    window_started_at: NaiveDateTime,
    /// Until when the key is locked (`Lock`) or, for `Pace`, when the next guess may come.
    locked_until: Option<NaiveDateTime>,
}

/// Whose secret is guessed.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A staff account, by its e-mail (existing or not, so a lock reveals nothing).
    Account(String),
    /// An API client, by its client id.
    Client(String),
    /// A name that cannot be anyone's; only the address is counted.
    Nobody,
}

impl Subject {
    fn key(&self) -> Option<String> {
        match self {
            Subject::Account(email) => Some(format!("account:{email}")),
            Subject::Client(id) => Some(format!("client:{id}")),
            Subject::Nobody => None,
        }
    }
}

/// One attempt to present a secret.
#[derive(Debug, Clone)]
pub struct Guess {
    pub subject: Subject,
    pub address: IpAddr,
    /// The account logged in from `address` recently (see [`LoginLimits::usual_address_for`]).
    pub usual_address: bool,
}

#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Past `limit` failures the key is locked; each further failure doubles the lock.
    Lock { limit: u32 },
    /// Past `after` failures, one guess per `interval`.
    Pace { after: u32, interval: Duration },
}

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// One address's guesses on one account: forgotten when that address gets it right.
    AccountFromAddress,
    Account,
    Address,
}

#[derive(Debug, Clone)]
struct Counter {
    key: String,
    scope: Scope,
    rule: Rule,
    /// Whether this counter may refuse the guess (usual addresses pass the account's pace and
    /// the address's lock; they are still counted).
    enforced: bool,
}

/// A guess counted before its check; [`forgive`] takes it back when the secret was right.
#[derive(Debug, Clone)]
pub struct Reservation {
    counters: Vec<Counter>,
}

fn counters(guess: &Guess, limits: &LoginLimits) -> Vec<Counter> {
    let mut counters = Vec::with_capacity(3);
    if let Some(subject) = guess.subject.key() {
        counters.push(Counter {
            key: format!("guess:{subject}|{}", guess.address),
            scope: Scope::AccountFromAddress,
            rule: Rule::Lock {
                limit: limits.per_account_and_address,
            },
            enforced: true,
        });
    }
    if let Subject::Account(_) = guess.subject {
        let subject = guess.subject.key().unwrap_or_default();
        counters.push(Counter {
            key: format!("pace:{subject}"),
            scope: Scope::Account,
            rule: Rule::Pace {
                after: limits.slowdown_after,
                interval: limits.slowdown,
            },
            enforced: !guess.usual_address,
        });
    }
    counters.push(Counter {
        key: format!("address:{}", guess.address),
        scope: Scope::Address,
        rule: Rule::Lock {
            limit: limits.per_address,
        },
        enforced: !guess.usual_address,
    });
    // One order for every transaction, so two of them never wait on each other's rows.
    counters.sort_by(|a, b| a.key.cmp(&b.key));
    counters
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

/// Counts `guess` before its secret is checked, with the locks it brings; or, when a counter
/// that applies to it is locked, refuses it with the seconds to wait, counting nothing.
/// Run inside a write transaction.
pub fn reserve(
    conn: &mut AnyConnection,
    guess: &Guess,
    limits: &LoginLimits,
    now: NaiveDateTime,
) -> QueryResult<Result<Reservation, u64>> {
    let counters = counters(guess, limits);
    let mut rows = Vec::with_capacity(counters.len());
    for counter in &counters {
        rows.push(current(conn, &counter.key, limits, now)?);
    }
    let wait = counters
        .iter()
        .zip(&rows)
        .filter(|(counter, _)| counter.enforced)
        .filter_map(|(counter, row)| refusal(counter.rule, row, now))
        .max();
    if let Some(seconds) = wait {
        return Ok(Err(seconds));
    }
    for (counter, row) in counters.iter().zip(&mut rows) {
        row.failures = row.failures.saturating_add(1);
        // A usual address's guess counts, but does not lock others out.
        if counter.enforced {
            row.locked_until =
                consequence(counter.rule, row.failures, limits, now).or(row.locked_until);
        }
        save(conn, row)?;
    }
    Ok(Ok(Reservation { counters }))
}

/// Takes back a reserved guess whose secret was right: this address's failures on the account
/// are forgotten; the account's and the address's counts lose this one guess (and their lock
/// when that brings them below the limit), keeping what others guessed wrong.
pub fn forgive(conn: &mut AnyConnection, reservation: &Reservation) -> QueryResult<()> {
    for counter in &reservation.counters {
        if counter.scope == Scope::AccountFromAddress {
            diesel::delete(login_throttle::table.find(&counter.key)).execute(conn)?;
            continue;
        }
        let Some(mut row) = login_throttle::table
            .find(&counter.key)
            .select(CounterRow::as_select())
            .first(conn)
            .optional()?
        else {
            continue;
        };
        row.failures = (row.failures - 1).max(0);
        let limit = match counter.rule {
            Rule::Lock { limit } => limit,
            Rule::Pace { after, .. } => after,
        };
        if (row.failures as u32) < limit {
            row.locked_until = None;
        }
        if row.failures == 0 {
            diesel::delete(login_throttle::table.find(&counter.key)).execute(conn)?;
        } else {
            save(conn, &row)?;
        }
    }
    Ok(())
}

/// The counter's row as it stands at `now`, locked against other transactions until this one
/// ends (a new window when the last one is over and no lock remains).
fn current(
    conn: &mut AnyConnection,
    key: &str,
    limits: &LoginLimits,
    now: NaiveDateTime,
) -> QueryResult<CounterRow> {
    let fresh = CounterRow {
        key: key.to_owned(),
        failures: 0,
        window_started_at: now,
        locked_until: None,
    };
    // Creating the row, or rewriting it unchanged, takes its lock on PostgreSQL (SQLite's
    // write transaction holds the whole database already).
    per_backend!(conn, |c| diesel::insert_into(login_throttle::table)
        .values(&fresh)
        .on_conflict(login_throttle::key)
        .do_update()
        .set(login_throttle::failures.eq(login_throttle::failures))
        .execute(c))?;
    let row = login_throttle::table
        .find(key)
        .select(CounterRow::as_select())
        .first(conn)?;
    let window_open = row.window_started_at + delta(limits.window) > now;
    let locked = row.locked_until.is_some_and(|until| until > now);
    Ok(if window_open || locked { row } else { fresh })
}

/// Seconds to wait when `rule` refuses a guess on `row` at `now`.
fn refusal(rule: Rule, row: &CounterRow, now: NaiveDateTime) -> Option<u64> {
    let until = row.locked_until.filter(|until| *until > now)?;
    let applies = match rule {
        Rule::Lock { .. } => true,
        Rule::Pace { after, .. } => row.failures as u32 >= after,
    };
    applies.then(|| (until - now).num_seconds().max(1) as u64)
}

/// The lock (or next pace slot) a guess that brings the count to `failures` sets, if any.
fn consequence(
    rule: Rule,
    failures: i32,
    limits: &LoginLimits,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let failures = failures as u32;
    match rule {
        Rule::Lock { limit } if failures >= limit => {
            let doublings = (failures - limit).min(20);
            let lock = limits
                .lockout
                .saturating_mul(1 << doublings)
                .min(limits.max_lockout);
            Some(now + delta(lock))
        }
        Rule::Pace { after, interval } if failures >= after => Some(now + delta(interval)),
        _ => None,
    }
}

fn save(conn: &mut AnyConnection, row: &CounterRow) -> QueryResult<()> {
    diesel::update(login_throttle::table.find(&row.key))
        .set(row)
        .execute(conn)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> LoginLimits {
        crate::config::Config::from_lookup(|_| None)
            .expect("defaults are valid")
            .login
    }

    fn guess(subject: Subject, usual_address: bool) -> Guess {
        Guess {
            subject,
            address: "192.0.2.7".parse().unwrap(),
            usual_address,
        }
    }

    #[test]
    fn an_account_guess_is_seen_by_three_counters_and_a_usual_address_passes_two() {
        let account = Subject::Account("ana@ejemplo.mx".into());
        let seen = counters(&guess(account.clone(), false), &limits());
        let keys: Vec<&str> = seen.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "address:192.0.2.7",
                "guess:account:ana@ejemplo.mx|192.0.2.7",
                "pace:account:ana@ejemplo.mx"
            ]
        );
        assert!(seen.iter().all(|c| c.enforced));
        let usual = counters(&guess(account, true), &limits());
        let enforced: Vec<Scope> = usual
            .iter()
            .filter(|c| c.enforced)
            .map(|c| c.scope)
            .collect();
        assert_eq!(enforced, [Scope::AccountFromAddress]);
    }

    #[test]
    fn a_client_is_not_paced_and_an_impossible_name_counts_only_against_the_address() {
        let client = counters(&guess(Subject::Client("erp-7".into()), false), &limits());
        let scopes: Vec<Scope> = client.iter().map(|c| c.scope).collect();
        assert_eq!(scopes, [Scope::Address, Scope::AccountFromAddress]);
        let nobody = counters(&guess(Subject::Nobody, false), &limits());
        assert_eq!(nobody.len(), 1);
        assert_eq!(nobody[0].scope, Scope::Address);
    }

    #[test]
    fn locks_start_at_the_limit_and_double_up_to_the_cap() {
        let limits = limits();
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let rule = Rule::Lock { limit: 5 };
        let lock =
            |failures| consequence(rule, failures, &limits, now).map(|t| (t - now).num_seconds());
        assert_eq!(lock(4), None);
        assert_eq!(lock(5), Some(900));
        assert_eq!(lock(6), Some(1_800));
        assert_eq!(lock(12), Some(86_400), "capped at the longest lock");
        let pace = Rule::Pace {
            after: 20,
            interval: Duration::from_secs(30),
        };
        assert_eq!(consequence(pace, 19, &limits, now), None);
        assert_eq!(
            consequence(pace, 40, &limits, now).map(|t| (t - now).num_seconds()),
            Some(30),
            "a pace never grows"
        );
    }
}

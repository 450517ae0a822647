//! Ticket numbers and folios: sequential per year and gap-free. The counter row is moved in
//! the transaction that uses the number: concurrent callers queue on the row (PostgreSQL) or
//! on the write lock (SQLite), and a rolled-back action gives its number back.

use chrono::{DateTime, Datelike, Utc};
use diesel::prelude::*;

use crate::calendar::local_date;
use crate::db::AnyConnection;
use crate::per_backend;
use crate::schema::sequences;

/// The next value of `series`, in the caller's transaction.
fn next_value(conn: &mut AnyConnection, series: &str) -> QueryResult<i64> {
    per_backend!(&mut *conn, |c| diesel::insert_into(sequences::table)
        .values((sequences::name.eq(series), sequences::last_value.eq(0i64)))
        .on_conflict_do_nothing()
        .execute(c))?;
    diesel::update(sequences::table.find(series))
        .set(sequences::last_value.eq(sequences::last_value + 1))
        .returning(sequences::last_value)
        .get_result(conn)
}

/// The service desk's ticket number, `MS-2026-000123` (year in Mexico City).
pub fn next_ticket(conn: &mut AnyConnection, now: DateTime<Utc>) -> QueryResult<String> {
    let year = local_date(now).year();
    let n = next_value(conn, &format!("ticket:{year}"))?;
    Ok(format!("MS-{year}-{n:06}"))
}

/// The folio issued when the desk forwards a request, `DGTIC/DSSD/003/2026/000045`.
pub fn next_folio(conn: &mut AnyConnection, now: DateTime<Utc>) -> QueryResult<String> {
    let year = local_date(now).year();
    let n = next_value(conn, &format!("folio:{year}"))?;
    Ok(format!("DGTIC/DSSD/003/{year}/{n:06}"))
}

//! Facts the server keeps about itself across restarts, one text per key (the `settings`
//! table): which rule the stored opinion validity days follow, the eligibility policy.

use diesel::prelude::*;

use super::AnyConnection;
use crate::schema::settings;

/// The value kept under `key`, if any.
pub fn get(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Keeps `value` under `key`, replacing what was there (inside the caller's transaction).
pub fn put(conn: &mut AnyConnection, key: &str, value: &str) -> QueryResult<()> {
    let updated = diesel::update(settings::table.find(key))
        .set(settings::value.eq(value))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .execute(conn)?;
    }
    Ok(())
}

/// Moves `key` from `from` to `to` if it holds `from` (a missing key holds `from` too), inside
/// the caller's transaction; whether this call made the move. Of several instances making the
/// same move at once, exactly one does.
pub fn swap(conn: &mut AnyConnection, key: &str, from: &str, to: &str) -> QueryResult<bool> {
    if get(conn, key)?.is_none() {
        // A second instance inserting at the same time fails here and moves nothing.
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(to)))
            .execute(conn)?;
        return Ok(true);
    }
    let moved = diesel::update(settings::table.find(key).filter(settings::value.eq(from)))
        .set(settings::value.eq(to))
        .execute(conn)?;
    Ok(moved == 1)
}

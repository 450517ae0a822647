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

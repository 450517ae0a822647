//! "Is this CURP in the registry?" for every row of a file, answered the cheaper of two ways.
//! Asking per batch costs an index seek per CURP (about 3 µs on SQLite). Reading the registry's
//! CURPs once costs a pass over the CURP index (about 0.2 µs per farmer) and 12 bytes per
//! farmer; past a file of about a twelfth of the registry, that wins. Either way the answer is
//! the registry as it is while the file is read.

use confrontas_api::Curp;
use diesel::prelude::*;

use crate::db::{self, AnyConnection, Backend};
use crate::per_backend;
use crate::schema::farmers;

/// How many times cheaper a farmer read in the one pass is than a seek per CURP (measured on
/// SQLite with a million farmers: ~3 µs a seek; ~0.2 µs a farmer of the pass plus ~0.5 µs a
/// lookup in the loaded keys).
const SEEKS_PER_PASS_ROW: u64 = 12;
/// CURPs per page of the one pass.
const PASS_PAGE: i64 = 100_000;

pub enum Membership {
    /// A query per batch.
    Seek,
    /// Every registry CURP, packed and sorted.
    Loaded(Vec<[u32; 3]>),
}

impl Membership {
    /// Chooses for a file expected to hold `expected_rows` rows (an estimate is enough: a wrong
    /// guess costs time, never a wrong answer).
    pub fn for_rows(conn: &mut AnyConnection, expected_rows: u64) -> QueryResult<Membership> {
        // Farmers are never deleted, so the highest id is the registry's size, found in one seek
        // (a count would read a whole index).
        let registry = farmers::table
            .select(diesel::dsl::max(farmers::id))
            .get_result::<Option<i64>>(conn)?
            .unwrap_or_default();
        if expected_rows.saturating_mul(SEEKS_PER_PASS_ROW) < registry.unsigned_abs() {
            return Ok(Membership::Seek);
        }
        Membership::load(conn, PASS_PAGE)
    }

    /// Reads every registry CURP, `page` at a time.
    pub fn load(conn: &mut AnyConnection, page: i64) -> QueryResult<Membership> {
        let mut keys = Vec::new();
        let mut after = String::new();
        while let Some(found) = key_page(conn, &after, page)? {
            // Registry CURPs were validated when they were written; anything else cannot match.
            keys.extend(found.curps.split(',').filter_map(Curp::pack));
            after = found.last;
        }
        // Already in order (keys sort as CURPs do); sorting makes it a certainty, cheaply.
        keys.sort_unstable();
        Ok(Membership::Loaded(keys))
    }

    /// Which of `curps` (valid CURPs) are in the registry, as a flag per CURP in the same order.
    pub fn present(&self, conn: &mut AnyConnection, curps: &[&Curp]) -> QueryResult<Vec<bool>> {
        match self {
            Membership::Loaded(keys) => Ok(curps
                .iter()
                .map(|curp| keys.binary_search(&curp.packed()).is_ok())
                .collect()),
            Membership::Seek => {
                let mut wanted: Vec<&str> = curps.iter().map(|c| c.as_str()).collect();
                // In key order, each seek finds its index pages where the previous one left them.
                wanted.sort_unstable();
                let backend = conn.backend();
                let mut found: Vec<[u32; 3]> = farmers::table
                    .filter(db::in_json_texts(backend, "curp", &wanted))
                    .select(farmers::curp)
                    .load::<String>(conn)?
                    .iter()
                    .filter_map(|curp| Curp::pack(curp))
                    .collect();
                found.sort_unstable();
                Ok(curps
                    .iter()
                    .map(|curp| found.binary_search(&curp.packed()).is_ok())
                    .collect())
            }
        }
    }
}

/// One page of the pass: the CURPs after `after`, joined with commas by the database, so a
/// page is one value to fetch instead of a hundred thousand rows.
#[derive(QueryableByName)]
struct KeyPage {
    #[diesel(sql_type = diesel::sql_types::Text)]
    curps: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    last: String,
}

fn key_page(conn: &mut AnyConnection, after: &str, page: i64) -> QueryResult<Option<KeyPage>> {
    use diesel::sql_types::{BigInt, Text};
    // `HAVING`: an empty page gives no row rather than a row of NULLs.
    let sql = match conn.backend() {
        Backend::Sqlite => {
            "SELECT group_concat(curp, ',') AS curps, max(curp) AS last FROM \
             (SELECT curp FROM farmers WHERE curp > ? ORDER BY curp LIMIT ?) page \
             HAVING count(*) > 0"
        }
        Backend::Postgres => {
            "SELECT string_agg(curp, ',') AS curps, max(curp) AS last FROM \
             (SELECT curp FROM farmers WHERE curp > $1 ORDER BY curp LIMIT $2) page \
             HAVING count(*) > 0"
        }
    };
    per_backend!(conn, |c| diesel::sql_query(sql)
        .bind::<Text, _>(after)
        .bind::<BigInt, _>(page)
        .get_result::<KeyPage>(c)
        .optional())
}

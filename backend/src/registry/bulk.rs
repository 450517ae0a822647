//! New farmers in bulk: millions arrive through imports and the demo seed, so they are inserted
//! by per-backend SQL that takes each chunk as one JSON parameter and writes their `created`
//! history rows in the database. Also the name key searches match against.

use chrono::{NaiveDate, NaiveDateTime};
use confrontas_api::identity::plain_upper;
use confrontas_api::{ChangeSource, FarmerStatus};
use diesel::prelude::*;

use crate::audit::Actor;
use crate::db::AnyConnection;
use crate::population::Person;
use crate::schema::{farmer_history, farmers};

/// A farmer about to enter the registry (as active or deregistered; deaths come only from RENAPO).
#[derive(Debug, Clone)]
pub struct NewFarmer {
    pub curp: String,
    pub rfc: Option<String>,
    pub given_names: String,
    pub first_surname: String,
    pub second_surname: Option<String>,
    pub search_name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub birth_state: String,
    pub state: Option<String>,
    pub municipality: Option<String>,
    pub producer_folio: Option<String>,
    pub status: String,
}

impl NewFarmer {
    /// A synthetic person as an active farmer living in their birth state (or a random one when
    /// born abroad, decided by the index), with a producer folio.
    pub fn from_person(person: &Person) -> NewFarmer {
        let state = if person.birth_state == "NE" {
            confrontas_api::identity::STATES[(person.index % 32) as usize].0
        } else {
            person.birth_state
        };
        NewFarmer {
            curp: person.curp.to_string(),
            // About 1 in 12 farmers has no RFC on record.
            rfc: (person.index % 12 != 5).then(|| person.rfc.to_string()),
            given_names: person.given_names.clone(),
            first_surname: person.first_surname.clone(),
            second_surname: person.second_surname.clone(),
            search_name: search_name(
                &person.given_names,
                &person.first_surname,
                person.second_surname.as_deref(),
            ),
            birth_date: person.birth_date,
            sex: person.sex.letter().to_string(),
            birth_state: person.birth_state.to_owned(),
            state: Some(state.to_owned()),
            municipality: None,
            producer_folio: Some(format!("PB-{:08}", person.index + 1)),
            status: FarmerStatus::Active.as_str().to_owned(),
        }
    }
}

/// A new farmer as one row of [`insert_new_farmers`]' JSON parameter: an array of its values in
/// the order of [`BULK_COLUMNS`].
struct BulkRow<'a>(&'a NewFarmer);

impl serde::Serialize for BulkRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let f = self.0;
        let mut row = serializer.serialize_tuple(BULK_COLUMNS.len())?;
        row.serialize_element(&f.curp)?;
        row.serialize_element(&f.rfc)?;
        row.serialize_element(&f.given_names)?;
        row.serialize_element(&f.first_surname)?;
        row.serialize_element(&f.second_surname)?;
        row.serialize_element(&f.search_name)?;
        row.serialize_element(&f.birth_date)?;
        row.serialize_element(&f.sex)?;
        row.serialize_element(&f.birth_state)?;
        row.serialize_element(&f.state)?;
        row.serialize_element(&f.municipality)?;
        row.serialize_element(&f.producer_folio)?;
        row.serialize_element(&f.status)?;
        row.end()
    }
}

/// "NOMBRE(S) PRIMER APELLIDO SEGUNDO APELLIDO" as a search key: what name searches match
/// against.
pub fn search_name(given_names: &str, first_surname: &str, second_surname: Option<&str>) -> String {
    let mut name = format!("{given_names} {first_surname}");
    if let Some(second) = second_surname {
        name.push(' ');
        name.push_str(second);
    }
    search_key(&name)
}

/// Upper case without accents, and Ñ as N: people type "nunez" for Núñez on keyboards
/// without ñ. Only the search key is folded; names are stored as written.
pub fn search_key(text: &str) -> String {
    plain_upper(text).replace('Ñ', "N")
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = farmer_history)]
pub struct NewChange {
    pub farmer_id: i64,
    pub field: String,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub source: String,
    pub source_ref: Option<String>,
    pub comment: Option<String>,
    pub actor: String,
    pub at: NaiveDateTime,
}

/// Rows per batch insert of history rows: far below SQLite's bind-variable limit.
pub const BATCH: usize = 500;

/// The history's `field` for a farmer's creation (its value is the initial record as JSON).
pub const CREATED_FIELD: &str = "created";

/// New farmers per bulk statement (bounds the JSON parameter to a few megabytes).
const BULK_ROWS: usize = 10_000;

/// The columns a bulk insert fills from each JSON row, in row order (`BulkRow`), with the SQL
/// type PostgreSQL must cast the row's text to.
const BULK_COLUMNS: [(&str, &str); 13] = [
    ("curp", "text"),
    ("rfc", "text"),
    ("given_names", "text"),
    ("first_surname", "text"),
    ("second_surname", "text"),
    ("search_name", "text"),
    ("birth_date", "date"),
    ("sex", "text"),
    ("birth_state", "text"),
    ("state", "text"),
    ("municipality", "text"),
    ("producer_folio", "text"),
    ("status", "text"),
];

/// The fields of the `created` history entry, in the order they are written.
const SNAPSHOT_FIELDS: [&str; 12] = [
    "birth_date",
    "birth_state",
    "curp",
    "first_surname",
    "given_names",
    "municipality",
    "producer_folio",
    "rfc",
    "second_surname",
    "sex",
    "state",
    "status",
];

/// Inserts new farmers and their `created` history entries (the initial record as a JSON object
/// of the fields that have a value) in the caller's transaction. Returns how many farmers were
/// inserted.
///
/// Millions of farmers arrive this way (imports, the demo), so the rows travel as one JSON
/// parameter per chunk (`jsonb_each` on SQLite, `jsonb_array_elements` on PostgreSQL) instead of
/// thousands of bound values, and the history is written by the database from the rows it has
/// just inserted: no statement is built per row and nothing is read back. Rows go in CURP order,
/// so the CURP index is walked once per chunk.
pub fn insert_new_farmers(
    conn: &mut AnyConnection,
    new: &[NewFarmer],
    source: ChangeSource,
    source_ref: Option<&str>,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    let mut sorted: Vec<&NewFarmer> = new.iter().collect();
    sorted.sort_unstable_by(|a, b| a.curp.cmp(&b.curp));
    let mut inserted = 0;
    for chunk in sorted.chunks(BULK_ROWS) {
        let rows = serde_json::to_string(&chunk.iter().map(|f| BulkRow(f)).collect::<Vec<_>>())
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        inserted += match conn {
            AnyConnection::Sqlite(c) => {
                // The write transaction keeps every other writer out, so the farmers above the
                // highest id before the insert are exactly the ones it adds.
                let before = farmers::table
                    .select(diesel::dsl::max(farmers::id))
                    .get_result::<Option<i64>>(c)?
                    .unwrap_or(0);
                let (farmers_sql, history_sql) = &*BULK_SQLITE;
                let added = diesel::sql_query(farmers_sql)
                    .bind::<Text, _>(&rows)
                    .bind::<Timestamp, _>(now)
                    .execute(c)?;
                diesel::sql_query(history_sql)
                    .bind::<BigInt, _>(before)
                    .bind::<Timestamp, _>(now)
                    .bind::<Text, _>(source.as_str())
                    .bind::<Nullable<Text>, _>(source_ref)
                    .bind::<Text, _>(&actor.name)
                    .execute(c)?;
                added
            }
            // One statement: the history is written from the farmers the insert returns.
            AnyConnection::Postgresql(c) => diesel::sql_query(&*BULK_POSTGRES)
                .bind::<Text, _>(&rows)
                .bind::<Timestamp, _>(now)
                .bind::<Text, _>(source.as_str())
                .bind::<Nullable<Text>, _>(source_ref)
                .bind::<Text, _>(&actor.name)
                .execute(c)?,
        };
    }
    Ok(inserted)
}

fn bulk_column_list() -> String {
    let names: Vec<&str> = BULK_COLUMNS.iter().map(|(name, _)| *name).collect();
    format!("{}, version, created_at, updated_at", names.join(", "))
}

fn history_columns() -> &'static str {
    "farmer_id, field, before_value, after_value, source, source_ref, comment, actor, at"
}

/// SQLite: the farmers from `?1` (JSON rows) at time `?2`; then the history of the farmers
/// above id `?1`, at `?2`, by source `?3`/`?4` and actor `?5`. `json_patch` onto `{}` drops
/// the keys whose value is null.
static BULK_SQLITE: std::sync::LazyLock<(String, String)> = std::sync::LazyLock::new(|| {
    let values: Vec<String> = (0..BULK_COLUMNS.len())
        .map(|i| format!("value->>{i}"))
        .collect();
    let snapshot: Vec<String> = SNAPSHOT_FIELDS
        .iter()
        .map(|field| format!("'{field}', {field}"))
        .collect();
    (
        format!(
            "INSERT INTO farmers ({}) SELECT {}, 1, ?2, ?2 FROM jsonb_each(?1)",
            bulk_column_list(),
            values.join(", ")
        ),
        format!(
            "INSERT INTO farmer_history ({}) SELECT id, '{CREATED_FIELD}', NULL, \
             json_patch('{{}}', json_object({})), ?3, ?4, NULL, ?5, ?2 \
             FROM farmers WHERE id > ?1 ORDER BY id",
            history_columns(),
            snapshot.join(", ")
        ),
    )
});

/// PostgreSQL: the farmers from `$1` (JSON rows) at time `$2`, and in the same statement their
/// history, by source `$3`/`$4` and actor `$5`.
static BULK_POSTGRES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let values: Vec<String> = BULK_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, sql_type))| format!("(r->>{i})::{sql_type}"))
        .collect();
    let snapshot: Vec<String> = SNAPSHOT_FIELDS
        .iter()
        .map(|field| format!("'{field}', {field}"))
        .collect();
    format!(
        "WITH added AS (INSERT INTO farmers ({}) SELECT {}, 1, $2, $2 \
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS rows(r, n) ORDER BY n \
         RETURNING *) \
         INSERT INTO farmer_history ({}) SELECT id, '{CREATED_FIELD}', NULL, \
         json_strip_nulls(json_build_object({}))::text, $3, $4, NULL, $5, $2 \
         FROM added ORDER BY id",
        bulk_column_list(),
        values.join(", "),
        history_columns(),
        snapshot.join(", ")
    )
});

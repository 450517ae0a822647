//! Registry slice (padrón de productores): search, detail, edit with per-field history, imports
//! (`imports`) and export (`export`). The demo seeds synthetic farmers through
//! [`insert_new_farmers`], the same path imports use.

pub mod changes;
mod export;
pub mod imports;
pub mod membership;

use actix_web::{get, patch, web};
use chrono::{NaiveDate, NaiveDateTime};
use confrontas_api::identity::plain_upper;
use confrontas_api::{
    ChangeSource, Farmer, FarmerChange, FarmerFilter, FarmerPatch, FarmerSort, FarmerStatus, Page,
    PageParams, Rfc, Role, Sex,
};
use diesel::prelude::*;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable,
};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::principal::{RoleSet, Staff};
use crate::db::{self, AnyConnection, PageRequest};
use crate::error::{AppError, AppResult};
use crate::population::Person;
use crate::schema::{farmer_history, farmers};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_farmers)
        .service(get_farmer)
        .service(update_farmer)
        .service(list_farmer_changes)
        .configure(imports::routes)
        .configure(export::routes);
}

/// Spreadsheet columns of the registry's fields, shared by layouts and imports (headers as
/// DESIGN §7 names them, with the spellings people use).
pub mod columns {
    use crate::uploads::Column;

    pub const CURP: Column = Column {
        header: "CURP",
        aliases: &[],
        required: true,
    };
    pub const RFC: Column = Column {
        header: "RFC",
        aliases: &[],
        required: false,
    };
    pub const GIVEN_NAMES: Column = Column {
        header: "NOMBRE(S)",
        aliases: &["NOMBRE", "NOMBRES DEL PRODUCTOR"],
        required: false,
    };
    pub const FIRST_SURNAME: Column = Column {
        header: "PRIMER APELLIDO",
        aliases: &["APELLIDO PATERNO"],
        required: false,
    };
    pub const SECOND_SURNAME: Column = Column {
        header: "SEGUNDO APELLIDO",
        aliases: &["APELLIDO MATERNO"],
        required: false,
    };
    pub const PRODUCER_FOLIO: Column = Column {
        header: "FOLIO PRODUCTOR",
        aliases: &["FOLIO", "FOLIO DEL PRODUCTOR", "FOLIO DE PRODUCTOR"],
        required: false,
    };
}

/// Who may read and edit the registry (DESIGN §4).
pub struct RegistryStaff;
impl RoleSet for RegistryStaff {
    const ROLES: &'static [Role] = &[Role::Subdireccion, Role::Admin];
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = farmers)]
struct FarmerRow {
    id: i64,
    curp: String,
    rfc: Option<String>,
    given_names: String,
    first_surname: String,
    second_surname: Option<String>,
    birth_date: NaiveDate,
    sex: String,
    birth_state: String,
    state: Option<String>,
    municipality: Option<String>,
    producer_folio: Option<String>,
    status: String,
    last_proof_of_life_at: Option<NaiveDateTime>,
    sat_opinion: Option<String>,
    sat_folio: Option<String>,
    sat_issued_on: Option<NaiveDate>,
    sat_valid_until: Option<NaiveDate>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl FarmerRow {
    fn into_dto(self) -> AppResult<Farmer> {
        Ok(Farmer {
            status: FarmerStatus::parse(&self.status)
                .ok_or_else(|| AppError::internal("unknown farmer status"))?,
            sex: if self.sex == "H" {
                Sex::Male
            } else {
                Sex::Female
            },
            id: self.id,
            curp: self.curp,
            rfc: self.rfc,
            given_names: self.given_names,
            first_surname: self.first_surname,
            second_surname: self.second_surname,
            birth_date: self.birth_date,
            birth_state: self.birth_state,
            state: self.state,
            municipality: self.municipality,
            producer_folio: self.producer_folio,
            last_proof_of_life_at: self.last_proof_of_life_at.map(|t| t.and_utc()),
            sat_opinion: self.sat_opinion,
            sat_folio: self.sat_folio,
            sat_issued_on: self.sat_issued_on,
            sat_valid_until: self.sat_valid_until,
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

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
fn search_name(given_names: &str, first_surname: &str, second_surname: Option<&str>) -> String {
    let mut name = format!("{given_names} {first_surname}");
    if let Some(second) = second_surname {
        name.push(' ');
        name.push_str(second);
    }
    search_key(&name)
}

/// Upper case without accents, and Ñ as N: people type "nunez" for Núñez on keyboards
/// without ñ. Only the search key is folded; names are stored as written.
fn search_key(text: &str) -> String {
    plain_upper(text).replace('Ñ', "N")
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = farmer_history)]
struct NewChange {
    farmer_id: i64,
    field: String,
    before_value: Option<String>,
    after_value: Option<String>,
    source: String,
    source_ref: Option<String>,
    comment: Option<String>,
    actor: String,
    at: NaiveDateTime,
}

/// Rows per batch insert of history rows: far below SQLite's bind-variable limit.
const BATCH: usize = 500;

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

fn find(conn: &mut AnyConnection, curp: &str) -> AppResult<FarmerRow> {
    farmers::table
        .filter(farmers::curp.eq(curp.trim().to_uppercase()))
        .select(FarmerRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("No hay un productor con esa CURP en el padrón."))
}

/// Search the registry.
///
/// `q` matches every word of the name in any order, with or without accents; `curp` is a prefix.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(FarmerFilter),
    responses((status = 200, body = Page<Farmer>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/farmers")]
async fn list_farmers(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    filter: web::Query<FarmerFilter>,
) -> AppResult<web::Json<Page<Farmer>>> {
    let filter = filter.into_inner();
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let search = Search::new(&filter.curp, &filter.q, &filter.state, filter.status)?;
    let result = db::run(&state.pool, move |conn| {
        let total = search.query().count().get_result::<i64>(conn)?;
        let sorted = match filter.sort.unwrap_or_default() {
            FarmerSort::Name => search
                .query()
                .order((farmers::search_name.asc(), farmers::id.asc())),
            FarmerSort::Curp => search.query().order(farmers::curp.asc()),
            FarmerSort::Recent => search
                .query()
                .order((farmers::updated_at.desc(), farmers::id.desc())),
        };
        let rows = sorted
            .offset(page.offset())
            .limit(page.limit())
            .select(FarmerRow::as_select())
            .load(conn)?;
        let items = rows
            .into_iter()
            .map(FarmerRow::into_dto)
            .collect::<AppResult<Vec<_>>>()?;
        Ok(page.of(items, total))
    })
    .await?;
    Ok(web::Json(result))
}

/// A registry search (list and export share it).
struct Search {
    curp_prefix: Option<String>,
    /// `LIKE` patterns, one per word of the name.
    words: Vec<String>,
    residence: Option<String>,
    status: Option<FarmerStatus>,
}

impl Search {
    fn new(
        curp: &Option<String>,
        q: &Option<String>,
        residence: &Option<String>,
        status: Option<FarmerStatus>,
    ) -> AppResult<Search> {
        let curp_prefix = curp
            .as_deref()
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty());
        if curp_prefix
            .as_deref()
            .is_some_and(|c| c.len() > 18 || !c.chars().all(|ch| ch.is_ascii_alphanumeric()))
        {
            return Err(AppError::validation(vec![confrontas_api::FieldError::new(
                "curp",
                "Escriba el inicio de una CURP: solo letras y dígitos, hasta 18.",
            )]));
        }
        let words = q
            .as_deref()
            .map(search_key)
            .unwrap_or_default()
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(db::like_anywhere)
            .collect();
        let residence = residence
            .as_deref()
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty());
        Ok(Search {
            curp_prefix,
            words,
            residence,
            status,
        })
    }

    fn query(&self) -> farmers::BoxedQuery<'static, db::DbBackend> {
        let mut query = farmers::table.into_boxed();
        if let Some(prefix) = &self.curp_prefix {
            query = query.filter(farmers::curp.like(format!("{prefix}%")));
        }
        for pattern in &self.words {
            // Both the stored search name and the words are upper case without accents.
            query = query.filter(farmers::search_name.like(pattern.clone()).escape('\\'));
        }
        if let Some(code) = &self.residence {
            query = query.filter(farmers::state.eq(code.clone()));
        }
        if let Some(status) = self.status {
            query = query.filter(farmers::status.eq(status.as_str()));
        }
        query
    }
}

/// One farmer, by CURP.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("curp" = String, Path, description = "CURP (18 characters)")),
    responses((status = 200, body = Farmer), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/farmers/{curp}")]
async fn get_farmer(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    curp: web::Path<String>,
) -> AppResult<web::Json<Farmer>> {
    let curp = curp.into_inner();
    let row = db::run(&state.pool, move |conn| find(conn, &curp)).await?;
    Ok(web::Json(row.into_dto()?))
}

/// One hand-editable field: its value now and what a PATCH asks for.
struct FieldEdit {
    field: &'static str,
    before: Option<String>,
    /// `None` when the PATCH does not mention the field; `Some(None)` removes the value.
    requested: Option<Option<String>>,
}

impl FieldEdit {
    /// The new value, when it differs from the current one.
    fn change(&self) -> Option<Option<String>> {
        self.requested.clone().filter(|after| *after != self.before)
    }

    /// The value the field ends up with.
    fn result(&self) -> Option<String> {
        self.change().unwrap_or_else(|| self.before.clone())
    }
}

/// The fields staff may edit, read from the current row and the PATCH body.
struct Edits {
    rfc: FieldEdit,
    state: FieldEdit,
    municipality: FieldEdit,
    producer_folio: FieldEdit,
    status: FieldEdit,
}

impl Edits {
    fn of(current: &FarmerRow, patch: &FarmerPatch) -> Edits {
        let edit = |field, before: &Option<String>, requested| FieldEdit {
            field,
            before: before.clone(),
            requested,
        };
        // Valid RFCs are stored normalized (upper case, no spaces or hyphens).
        let rfc = patch
            .rfc
            .as_deref()
            .map(|r| cleared(r).map(|r| Rfc::parse(&r).map(|r| r.to_string()).unwrap_or(r)));
        let state = patch.state.as_deref().map(|s| cleared(&s.to_uppercase()));
        Edits {
            rfc: edit("rfc", &current.rfc, rfc),
            state: edit("state", &current.state, state),
            municipality: edit(
                "municipality",
                &current.municipality,
                patch.municipality.as_deref().map(cleared),
            ),
            producer_folio: edit(
                "producer_folio",
                &current.producer_folio,
                patch.producer_folio.as_deref().map(cleared),
            ),
            status: edit(
                "status",
                &Some(current.status.clone()),
                patch.status.map(|s| Some(s.as_str().to_owned())),
            ),
        }
    }

    fn all(&self) -> [&FieldEdit; 5] {
        [
            &self.rfc,
            &self.state,
            &self.municipality,
            &self.producer_folio,
            &self.status,
        ]
    }
}

/// Blank means "remove"; otherwise trimmed.
fn cleared(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Change the fields staff may edit. Each changed field gets a history row with the reason.
///
/// `version` must be the farmer's current version (409 otherwise: someone else changed it).
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("curp" = String, Path, description = "CURP (18 characters)")),
    request_body = FarmerPatch,
    responses((status = 200, body = Farmer), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[patch("/farmers/{curp}")]
async fn update_farmer(
    state: web::Data<AppState>,
    staff: Staff<RegistryStaff>,
    curp: web::Path<String>,
    body: web::Json<FarmerPatch>,
) -> AppResult<web::Json<Farmer>> {
    let patch = body.into_inner();
    patch.validate().map_err(AppError::validation)?;
    let curp = curp.into_inner();
    let actor = staff.actor();
    let updated = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let current = find(conn, &curp)?;
            if current.version != patch.version {
                return Err(version_conflict(current.version));
            }
            let edits = Edits::of(&current, &patch);
            let changes: Vec<(&'static str, Option<String>, Option<String>)> = edits
                .all()
                .into_iter()
                .filter_map(|edit| {
                    edit.change()
                        .map(|after| (edit.field, edit.before.clone(), after))
                })
                .collect();
            if changes.is_empty() {
                return current.into_dto();
            }
            let now = db::now();
            let touched = diesel::update(
                farmers::table
                    .find(current.id)
                    .filter(farmers::version.eq(current.version)),
            )
            .set((
                farmers::rfc.eq(edits.rfc.result()),
                farmers::state.eq(edits.state.result()),
                farmers::municipality.eq(edits.municipality.result()),
                farmers::producer_folio.eq(edits.producer_folio.result()),
                farmers::status.eq(edits.status.result().unwrap_or(current.status.clone())),
                farmers::version.eq(current.version + 1),
                farmers::updated_at.eq(now),
            ))
            .execute(conn)?;
            if touched == 0 {
                return Err(version_conflict(current.version + 1));
            }
            for (field, before, after) in &changes {
                diesel::insert_into(farmer_history::table)
                    .values(NewChange {
                        farmer_id: current.id,
                        field: (*field).to_owned(),
                        before_value: before.clone(),
                        after_value: after.clone(),
                        source: ChangeSource::Edit.as_str().to_owned(),
                        source_ref: None,
                        comment: Some(patch.comment.trim().to_owned()),
                        actor: actor.name.clone(),
                        at: now,
                    })
                    .execute(conn)?;
            }
            let fields: Vec<&str> = changes.iter().map(|(field, ..)| *field).collect();
            actor.record(
                conn,
                "farmer_updated",
                "farmer",
                &current.curp,
                json!({ "fields": fields }),
            )?;
            find(conn, &current.curp)?.into_dto()
        })
    })
    .await?;
    Ok(web::Json(updated))
}

fn version_conflict(current: i32) -> AppError {
    AppError::conflict(
        "version_conflict",
        format!(
            "El registro cambió mientras lo editaba (versión actual {current}). Recárguelo y vuelva a intentar."
        ),
    )
}

/// A farmer's history: every change of every field, newest first.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("curp" = String, Path, description = "CURP (18 characters)"), PageParams),
    responses((status = 200, body = Page<FarmerChange>), BadRequest, Unauthenticated, Forbidden, NotFound, Unprocessable)
)]
#[get("/farmers/{curp}/history")]
async fn list_farmer_changes(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    curp: web::Path<String>,
    params: web::Query<PageParams>,
) -> AppResult<web::Json<Page<FarmerChange>>> {
    let page = PageRequest::new(params.page, params.per_page)?;
    let curp = curp.into_inner();
    let result = db::run(&state.pool, move |conn| {
        let farmer = find(conn, &curp)?;
        let of_farmer = || farmer_history::table.filter(farmer_history::farmer_id.eq(farmer.id));
        let total = of_farmer().count().get_result::<i64>(conn)?;
        let rows = of_farmer()
            .order(farmer_history::id.desc())
            .offset(page.offset())
            .limit(page.limit())
            .select((
                farmer_history::id,
                farmer_history::field,
                farmer_history::before_value,
                farmer_history::after_value,
                farmer_history::source,
                farmer_history::source_ref,
                farmer_history::comment,
                farmer_history::actor,
                farmer_history::at,
            ))
            .load::<(
                i64,
                String,
                Option<String>,
                Option<String>,
                String,
                Option<String>,
                Option<String>,
                String,
                NaiveDateTime,
            )>(conn)?;
        let items = rows
            .into_iter()
            .map(
                |(id, field, before, after, source, source_ref, comment, actor, at)| {
                    Ok(FarmerChange {
                        source: ChangeSource::parse(&source)
                            .ok_or_else(|| AppError::internal("unknown change source"))?,
                        id,
                        field,
                        before,
                        after,
                        source_ref,
                        comment,
                        actor,
                        at: at.and_utc(),
                    })
                },
            )
            .collect::<AppResult<Vec<_>>>()?;
        Ok(page.of(items, total))
    })
    .await?;
    Ok(web::Json(result))
}

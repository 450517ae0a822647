//! Registry imports: a spreadsheet of farmers upserted by CURP (DESIGN §7). The upload is kept
//! on disk and processed in the background, one import at a time per server; progress, counts
//! and refused rows are in the database, written with each batch, so they can be watched while
//! the import runs. Each batch (farmers, their history, refused rows, counters) is one
//! transaction: a failure never leaves half a batch behind.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use confrontas_api::identity::{STATES, plain_upper};
use confrontas_api::{
    ChangeSource, Curp, FarmerStatus, ImportRejection, ImportStatus, Page, PageParams,
    RegistryImport, Rfc,
};
use diesel::prelude::*;
use serde_json::json;
use tokio::sync::Mutex;

use super::{
    FarmerRow, NewChange, NewFarmer, RegistryStaff, columns, insert_new_farmers, search_name,
};
use crate::api_doc::{
    BadRequest, Forbidden, NotFound, Unauthenticated, Unprocessable, UploadErrors,
};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::principal::Staff;
use crate::db::{self, AnyConnection, DbPool, PageRequest};
use crate::error::{AppError, AppResult};
use crate::per_backend;
use crate::schema::{farmers, registry_import_rejections, registry_imports};
use crate::spreadsheet::{self, LAST_ROW, xlsx_error};
use crate::uploads::{self, Column, Columns, FirstRows, Record, SheetFormat, UploadLimits};

/// Rows per transaction. Large on purpose: the CURP and name indexes take keys all over their
/// range, so every transaction rewrites most of their pages (to SQLite's WAL, to PostgreSQL's
/// WAL); fewer, larger transactions write each page fewer times. Measured on a 1M-farmer SQLite
/// import (`scripts/bench`): 20,000 rows per transaction ~45,000 rows/s, 50,000 ~60,000 (peak
/// RSS 235 MB), 100,000 ~66,000 (peak RSS 366 MB).
pub const BATCH_ROWS: usize = 50_000;

/// The columns of a registry import, in template order; rows refer to them by index.
pub const IMPORT_COLUMNS: Columns = Columns(&[
    columns::CURP,
    columns::GIVEN_NAMES,
    columns::FIRST_SURNAME,
    columns::SECOND_SURNAME,
    columns::RFC,
    Column {
        header: "ENTIDAD",
        aliases: &["ESTADO", "ENTIDAD FEDERATIVA", "ENTIDAD DE RESIDENCIA"],
        required: false,
    },
    Column {
        header: "MUNICIPIO",
        aliases: &[],
        required: false,
    },
    columns::PRODUCER_FOLIO,
    Column {
        header: "ESTATUS",
        aliases: &["SITUACION", "ESTATUS DEL PRODUCTOR"],
        required: false,
    },
]);

const NAME_MAX: usize = confrontas_api::directory::NAME_MAX;

/// Serializes this server's imports: two imports of the same new CURP would otherwise race.
#[derive(Clone, Default)]
pub struct ImportQueue(Arc<Mutex<()>>);

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(start_import)
        .service(list_imports)
        .service(get_import)
        .service(list_rejections)
        .service(download_rejections);
}

/// What the file asks for one farmer. `None` means the file leaves the field alone (no such
/// column, or a blank cell: blanks never erase registry data).
#[derive(Debug, Clone, Default)]
struct Incoming {
    curp: String,
    given_names: Option<String>,
    first_surname: Option<String>,
    second_surname: Option<String>,
    rfc: Option<String>,
    state: Option<String>,
    municipality: Option<String>,
    producer_folio: Option<String>,
    status: Option<FarmerStatus>,
}

impl NewFarmer {
    /// A farmer new to the registry from an import row; `None` without a name and first surname.
    /// Birth date, sex and birth state come from the CURP.
    fn from_import(incoming: &Incoming) -> Option<NewFarmer> {
        let given_names = incoming.given_names.clone()?;
        let first_surname = incoming.first_surname.clone()?;
        let curp = Curp::parse(&incoming.curp).ok()?;
        Some(NewFarmer {
            search_name: search_name(
                &given_names,
                &first_surname,
                incoming.second_surname.as_deref(),
            ),
            curp: incoming.curp.clone(),
            rfc: incoming.rfc.clone(),
            given_names,
            first_surname,
            second_surname: incoming.second_surname.clone(),
            birth_date: curp.birth_date(),
            sex: curp.sex().letter().to_string(),
            birth_state: curp.state().to_owned(),
            state: incoming.state.clone(),
            municipality: incoming.municipality.clone(),
            producer_folio: incoming.producer_folio.clone(),
            status: incoming
                .status
                .unwrap_or(FarmerStatus::Active)
                .as_str()
                .to_owned(),
        })
    }
}

/// A refused row.
#[derive(Debug, Clone)]
struct Refusal {
    curp: Option<String>,
    reason: &'static str,
    message: String,
}

struct Row {
    number: u32,
    progress: f64,
    parsed: Result<Incoming, Refusal>,
}

fn refuse(curp: Option<&str>, reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        curp: curp.map(|c| c.chars().take(40).collect()),
        reason,
        message: message.into(),
    }
}

/// Reads one record; checks that need only the row itself happen here, on the reading thread.
#[derive(Default)]
struct RowReader {
    first_rows: FirstRows,
}

impl RowReader {
    fn read(&mut self, record: &Record) -> Row {
        Row {
            number: record.number,
            progress: record.progress,
            parsed: self.parse(record),
        }
    }

    fn parse(&mut self, record: &Record) -> Result<Incoming, Refusal> {
        let written = record.value(0);
        if written.is_empty() {
            return Err(refuse(
                None,
                "missing_curp",
                "La fila tiene datos pero no tiene CURP.",
            ));
        }
        let curp =
            Curp::parse(written).map_err(|p| refuse(Some(written), "invalid_curp", p.message()))?;
        if let Some(first) = self.first_rows.repeat_of(&curp, record.number) {
            return Err(refuse(
                Some(written),
                "duplicate",
                format!("La CURP ya aparece en la fila {first}; se aplicó esa fila."),
            ));
        }
        let curp_text = Some(curp.as_str());
        let text = |index: usize, what: &str| -> Result<Option<String>, Refusal> {
            let value = record.value(index);
            if value.is_empty() {
                return Ok(None);
            }
            if value.chars().count() > NAME_MAX || value.chars().any(char::is_control) {
                return Err(refuse(
                    curp_text,
                    "invalid_text",
                    format!("{what}: hasta {NAME_MAX} caracteres, sin caracteres de control."),
                ));
            }
            Ok(Some(value.to_owned()))
        };
        let rfc = match record.value(4) {
            "" => None,
            value => Some(
                Rfc::parse(value)
                    .map_err(|p| refuse(curp_text, "invalid_rfc", p.message()))?
                    .to_string(),
            ),
        };
        let state = match record.value(5) {
            "" => None,
            value => Some(state_code(value).ok_or_else(|| {
                refuse(
                    curp_text,
                    "invalid_state",
                    format!("La entidad «{value}» no es una clave de la CURP (JC, DF…) ni el nombre de un estado."),
                )
            })?),
        };
        let status = match plain_upper(record.value(8)).as_str() {
            "" => None,
            "ACTIVO" | "ACTIVE" | "ALTA" => Some(FarmerStatus::Active),
            "BAJA" | "BAJA ADMINISTRATIVA" | "DEREGISTERED" => Some(FarmerStatus::Deregistered),
            "BAJA POR DEFUNCION" | "DEFUNCION" | "DECEASED" => {
                return Err(refuse(
                    curp_text,
                    "status_deceased",
                    "La baja por defunción solo se registra con una confronta de RENAPO.",
                ));
            }
            _ => {
                return Err(refuse(
                    curp_text,
                    "invalid_status",
                    "El estatus debe ser ACTIVO o BAJA.",
                ));
            }
        };
        Ok(Incoming {
            given_names: text(1, "Nombre(s)")?,
            first_surname: text(2, "Primer apellido")?,
            second_surname: text(3, "Segundo apellido")?,
            rfc,
            state,
            municipality: text(6, "Municipio")?,
            producer_folio: text(7, "Folio productor")?,
            status,
            curp: curp.into(),
        })
    }
}

/// A state of residence as its CURP code, from the code or the state's name.
fn state_code(value: &str) -> Option<String> {
    /// The states' names in upper case without accents, computed once.
    static PLAIN_NAMES: std::sync::LazyLock<Vec<(&'static str, String)>> =
        std::sync::LazyLock::new(|| {
            STATES
                .iter()
                .filter(|(code, _)| *code != "NE")
                .map(|(code, name)| (*code, plain_upper(name)))
                .collect()
        });
    let wanted = plain_upper(value);
    PLAIN_NAMES
        .iter()
        .find(|(code, name)| *code == wanted || *name == wanted)
        .map(|(code, _)| (*code).to_owned())
}

/// Running counts of an import, written with every batch.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    rows_read: i64,
    inserted: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
    percent: i32,
}

/// What an import applies to one existing farmer: the fields that change.
struct Update {
    current: FarmerRow,
    changes: Vec<(&'static str, Option<String>, Option<String>)>,
}

impl Update {
    fn of(current: FarmerRow, incoming: &Incoming) -> Update {
        let mut changes = Vec::new();
        let mut compare = |field, before: &Option<String>, after: &Option<String>| {
            if after.is_some() && after != before {
                changes.push((field, before.clone(), after.clone()));
            }
        };
        compare(
            "given_names",
            &Some(current.given_names.clone()),
            &incoming.given_names,
        );
        compare(
            "first_surname",
            &Some(current.first_surname.clone()),
            &incoming.first_surname,
        );
        compare(
            "second_surname",
            &current.second_surname,
            &incoming.second_surname,
        );
        compare("rfc", &current.rfc, &incoming.rfc);
        compare("state", &current.state, &incoming.state);
        compare(
            "municipality",
            &current.municipality,
            &incoming.municipality,
        );
        compare(
            "producer_folio",
            &current.producer_folio,
            &incoming.producer_folio,
        );
        compare(
            "status",
            &Some(current.status.clone()),
            &incoming.status.map(|s| s.as_str().to_owned()),
        );
        Update { current, changes }
    }

    /// The value a field ends with.
    fn after(&self, field: &str, before: Option<String>) -> Option<String> {
        self.changes
            .iter()
            .find(|(f, ..)| *f == field)
            .map_or(before, |(_, _, after)| after.clone())
    }

    fn apply(&self, conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<()> {
        let c = &self.current;
        let given = self
            .after("given_names", Some(c.given_names.clone()))
            .unwrap_or_default();
        let first = self
            .after("first_surname", Some(c.first_surname.clone()))
            .unwrap_or_default();
        let second = self.after("second_surname", c.second_surname.clone());
        diesel::update(farmers::table.find(c.id))
            .set((
                farmers::search_name.eq(search_name(&given, &first, second.as_deref())),
                farmers::given_names.eq(&given),
                farmers::first_surname.eq(&first),
                farmers::second_surname.eq(&second),
                farmers::rfc.eq(self.after("rfc", c.rfc.clone())),
                farmers::state.eq(self.after("state", c.state.clone())),
                farmers::municipality.eq(self.after("municipality", c.municipality.clone())),
                farmers::producer_folio.eq(self.after("producer_folio", c.producer_folio.clone())),
                farmers::status.eq(self
                    .after("status", Some(c.status.clone()))
                    .unwrap_or_default()),
                farmers::version.eq(c.version + 1),
                farmers::updated_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    }
}

#[derive(Insertable)]
#[diesel(table_name = registry_import_rejections)]
struct NewRejection {
    import_id: i64,
    row_number: i64,
    curp: Option<String>,
    reason: String,
    message: String,
}

/// Applies one batch in one transaction, counters included.
fn apply_batch(
    conn: &mut AnyConnection,
    import_id: i64,
    batch: &[Row],
    counts: &mut Counts,
    actor: &Actor,
) -> AppResult<()> {
    let source_ref = format!("import:{import_id}");
    conn.write_transaction(|conn| {
        let now = db::now();
        let wanted: Vec<&str> = batch
            .iter()
            .filter_map(|r| r.parsed.as_ref().ok().map(|i| i.curp.as_str()))
            .collect();
        let backend = conn.backend();
        let mut existing: HashMap<String, FarmerRow> = farmers::table
            .filter(db::in_json_texts(backend, "curp", &wanted))
            .select(FarmerRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|f| (f.curp.clone(), f))
            .collect();
        let mut batch_counts = *counts;
        let mut new_farmers = Vec::new();
        let mut updates = Vec::new();
        let mut rejections = Vec::new();
        let mut refuse_row = |number: u32, refusal: Refusal| {
            rejections.push(NewRejection {
                import_id,
                row_number: i64::from(number),
                curp: refusal.curp,
                reason: refusal.reason.to_owned(),
                message: refusal.message,
            });
        };
        for row in batch {
            batch_counts.rows_read += 1;
            let incoming = match &row.parsed {
                Ok(incoming) => incoming,
                Err(refusal) => {
                    refuse_row(row.number, refusal.clone());
                    continue;
                }
            };
            match existing.remove(&incoming.curp) {
                Some(current) => {
                    let update = Update::of(current, incoming);
                    if update.changes.is_empty() {
                        batch_counts.unchanged += 1;
                    } else {
                        updates.push(update);
                    }
                }
                None => match NewFarmer::from_import(incoming) {
                    Some(farmer) => new_farmers.push(farmer),
                    None => refuse_row(
                        row.number,
                        refuse(
                            Some(&incoming.curp),
                            "missing_name",
                            "La CURP no está en el padrón: para darla de alta, la fila necesita NOMBRE(S) y PRIMER APELLIDO.",
                        ),
                    ),
                },
            }
        }
        batch_counts.inserted += insert_new_farmers(
            conn,
            &new_farmers,
            ChangeSource::Import,
            Some(&source_ref),
            actor,
            now,
        )? as i64;
        let mut history = Vec::new();
        for update in &updates {
            update.apply(conn, now)?;
            history.extend(update.changes.iter().map(|(field, before, after)| NewChange {
                farmer_id: update.current.id,
                field: (*field).to_owned(),
                before_value: before.clone(),
                after_value: after.clone(),
                source: ChangeSource::Import.as_str().to_owned(),
                source_ref: Some(source_ref.clone()),
                comment: None,
                actor: actor.name.clone(),
                at: now,
            }));
        }
        batch_counts.updated += updates.len() as i64;
        for chunk in history.chunks(super::BATCH * 2) {
            per_backend!(&mut *conn, |c| diesel::insert_into(crate::schema::farmer_history::table)
                .values(chunk)
                .execute(c))?;
        }
        batch_counts.rejected += rejections.len() as i64;
        for chunk in rejections.chunks(super::BATCH) {
            per_backend!(&mut *conn, |c| diesel::insert_into(
                registry_import_rejections::table
            )
            .values(chunk)
            .execute(c))?;
        }
        if let Some(last) = batch.last() {
            batch_counts.percent = (last.progress * 100.0).floor().clamp(0.0, 99.0) as i32;
        }
        write_counts(conn, import_id, &batch_counts)?;
        *counts = batch_counts;
        Ok(())
    })
}

fn write_counts(conn: &mut AnyConnection, import_id: i64, counts: &Counts) -> QueryResult<()> {
    diesel::update(registry_imports::table.find(import_id))
        .set((
            registry_imports::rows_read.eq(counts.rows_read),
            registry_imports::inserted.eq(counts.inserted),
            registry_imports::updated.eq(counts.updated),
            registry_imports::unchanged.eq(counts.unchanged),
            registry_imports::rejected.eq(counts.rejected),
            registry_imports::percent.eq(counts.percent),
        ))
        .execute(conn)
        .map(drop)
}

/// Runs an import to its end on the calling (blocking) thread: reads the file on this thread,
/// writes batches on another. Returns the final counts; the caller records success or failure.
pub fn run_import(
    pool: &DbPool,
    import_id: i64,
    path: &Path,
    format: SheetFormat,
    limits: UploadLimits,
    actor: &Actor,
) -> AppResult<()> {
    let mut reader = RowReader::default();
    let mut conn = pool.get().map_err(AppError::internal)?;
    let started = db::now();
    diesel::update(registry_imports::table.find(import_id))
        .set((
            registry_imports::status.eq(ImportStatus::Running.as_str()),
            registry_imports::started_at.eq(started),
        ))
        .execute(&mut *conn)?;
    let result = uploads::read_table_in_batches(
        path,
        format,
        limits,
        &IMPORT_COLUMNS,
        BATCH_ROWS,
        |record| Ok(reader.read(record)),
        |batches| {
            let mut conn = pool.get().map_err(AppError::internal)?;
            let mut counts = Counts::default();
            for batch in batches {
                apply_batch(&mut conn, import_id, &batch, &mut counts, actor)?;
            }
            Ok(counts)
        },
    );
    conn.write_transaction(|conn| {
        let (status, failure, detail) = match &result {
            Ok((_, counts)) => {
                write_counts(
                    conn,
                    import_id,
                    &Counts {
                        percent: 100,
                        ..*counts
                    },
                )?;
                (
                    ImportStatus::Finished,
                    None,
                    json!({ "rows": counts.rows_read, "inserted": counts.inserted,
                            "updated": counts.updated, "rejected": counts.rejected }),
                )
            }
            Err(error) => (
                ImportStatus::Failed,
                Some(error.detail.clone()),
                json!({ "code": error.code }),
            ),
        };
        diesel::update(registry_imports::table.find(import_id))
            .set((
                registry_imports::status.eq(status.as_str()),
                registry_imports::failure.eq(failure),
                registry_imports::finished_at.eq(db::now()),
            ))
            .execute(conn)?;
        Actor::system(None).record(
            conn,
            if status == ImportStatus::Finished {
                "registry_import_finished"
            } else {
                "registry_import_failed"
            },
            "registry_import",
            import_id,
            detail,
        )?;
        Ok::<_, AppError>(())
    })?;
    result.map(drop)
}

/// Imports interrupted by a stop of this server cannot be resumed where they were (the file's
/// rows are read in one pass); they are marked failed and their files removed. Rows already
/// applied stay applied, and loading the same file again applies the rest (upserts are
/// idempotent). An import is this server's when its file is in this server's uploads
/// directory; another instance's imports are left alone.
pub fn fail_interrupted(conn: &mut AnyConnection, uploads_dir: &Path) -> AppResult<usize> {
    let unfinished: Vec<(i64, String)> = registry_imports::table
        .filter(registry_imports::status.eq_any([
            ImportStatus::Queued.as_str(),
            ImportStatus::Running.as_str(),
        ]))
        .select((registry_imports::id, registry_imports::format))
        .load(conn)?;
    let mut failed = 0;
    for (id, format) in &unfinished {
        let file = stored_path(uploads_dir, *id, format);
        if !file.exists() {
            continue;
        }
        let _ = std::fs::remove_file(file);
        diesel::update(registry_imports::table.find(id))
            .set((
                registry_imports::status.eq(ImportStatus::Failed.as_str()),
                registry_imports::failure.eq(
                    "El servidor se detuvo durante la importación. Las filas ya aplicadas se conservan; cargue el archivo de nuevo para aplicar el resto.",
                ),
                registry_imports::finished_at.eq(db::now()),
            ))
            .execute(conn)?;
        failed += 1;
    }
    Ok(failed)
}

/// A new import, queued, in the caller's transaction; returns its id.
pub fn record_import(
    conn: &mut AnyConnection,
    file_name: &str,
    size: u64,
    format: SheetFormat,
    actor: &Actor,
) -> QueryResult<i64> {
    per_backend!(&mut *conn, |c| diesel::insert_into(registry_imports::table)
        .values((
            registry_imports::file_name.eq(file_name),
            registry_imports::file_size.eq(size as i64),
            registry_imports::format.eq(format_name(format)),
            registry_imports::status.eq(ImportStatus::Queued.as_str()),
            registry_imports::percent.eq(0),
            registry_imports::rows_read.eq(0i64),
            registry_imports::inserted.eq(0i64),
            registry_imports::updated.eq(0i64),
            registry_imports::unchanged.eq(0i64),
            registry_imports::rejected.eq(0i64),
            registry_imports::created_by.eq(&actor.name),
            registry_imports::created_at.eq(db::now()),
        ))
        .returning(registry_imports::id)
        .get_result(c))
}

fn stored_path(uploads_dir: &Path, id: i64, format: &str) -> PathBuf {
    uploads_dir.join(format!("import-{id}.{format}"))
}

fn format_name(format: SheetFormat) -> &'static str {
    match format {
        SheetFormat::Xlsx => "xlsx",
        SheetFormat::Csv => "csv",
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = registry_imports)]
struct ImportRow {
    id: i64,
    file_name: String,
    file_size: i64,
    status: String,
    percent: i32,
    rows_read: i64,
    inserted: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
    failure: Option<String>,
    created_by: String,
    created_at: NaiveDateTime,
    started_at: Option<NaiveDateTime>,
    finished_at: Option<NaiveDateTime>,
}

impl ImportRow {
    fn into_dto(self) -> AppResult<RegistryImport> {
        Ok(RegistryImport {
            status: ImportStatus::parse(&self.status)
                .ok_or_else(|| AppError::internal("unknown import status"))?,
            id: self.id,
            file_name: self.file_name,
            file_size: self.file_size,
            percent: self.percent.clamp(0, 100) as u8,
            rows_read: self.rows_read,
            inserted: self.inserted,
            updated: self.updated,
            unchanged: self.unchanged,
            rejected: self.rejected,
            failure: self.failure,
            created_by: self.created_by,
            created_at: self.created_at.and_utc(),
            started_at: self.started_at.map(|t| t.and_utc()),
            finished_at: self.finished_at.map(|t| t.and_utc()),
        })
    }
}

fn find_import(conn: &mut AnyConnection, id: i64) -> AppResult<ImportRow> {
    registry_imports::table
        .find(id)
        .select(ImportRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("No existe esa importación del padrón."))
}

/// Import farmers from `.xlsx` or `.csv` (field `file`), upserting by CURP.
///
/// Columns (any order, headers matched ignoring case and accents): `CURP` (required),
/// `NOMBRE(S)`, `PRIMER APELLIDO`, `SEGUNDO APELLIDO`, `RFC`, `ENTIDAD` (CURP code or name),
/// `MUNICIPIO`, `FOLIO PRODUCTOR`, `ESTATUS` (`ACTIVO` or `BAJA`). A new CURP needs a name and
/// a first surname; birth date, sex and birth state come from the CURP. Blank cells leave the
/// registry's value as it is. Every change is recorded in the farmer's history.
///
/// The import runs in the background: the answer (202) is the queued import; follow it with
/// `GET /registry/imports/{id}`.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    request_body(content = crate::api_doc::SpreadsheetUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, body = RegistryImport, description = "Queued; `Location` points at it"),
        UploadErrors, Unauthenticated, Forbidden
    )
)]
#[post("/registry/imports")]
async fn start_import(
    state: web::Data<AppState>,
    staff: Staff<RegistryStaff>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let limits = state.config.import_uploads;
    let dir = state.uploads_dir();
    let body = actix_multipart::Multipart::new(request.headers(), payload);
    let upload = uploads::receive_spreadsheet(&request, body, &dir, limits).await?;
    let actor = staff.actor();
    let sheet_format = upload.format;
    let format = format_name(sheet_format);
    let (id, stored) = {
        let (actor, dir) = (actor.clone(), dir.clone());
        db::run(&state.pool, move |conn| {
            conn.write_transaction(|conn| {
                let id = record_import(conn, &upload.file_name, upload.size, sheet_format, &actor)?;
                let stored = stored_path(&dir, id, format);
                upload
                    .file
                    .persist(&stored)
                    .map_err(|e| AppError::internal(e.error))?;
                actor.record(
                    conn,
                    "registry_import_started",
                    "registry_import",
                    id,
                    json!({ "file_name": upload.file_name, "size": upload.size }),
                )?;
                Ok((id, stored))
            })
        })
        .await?
    };
    let worker = state.get_ref().clone();
    tokio::spawn(async move {
        let _turn = worker.imports.0.lock().await;
        let pool = worker.pool.clone();
        let path = stored.clone();
        let outcome = worker
            .parse_permits
            .run(move || run_import(&pool, id, &path, sheet_format, limits, &actor))
            .await;
        if let Err(error) = outcome {
            tracing::warn!(import = id, code = error.code, detail = %error.detail, "registry import failed");
        }
        let _ = std::fs::remove_file(&stored);
    });
    let created = db::run(&state.pool, move |conn| find_import(conn, id)?.into_dto()).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/registry/imports/{id}")))
        .json(created))
}

/// Registry imports, newest first.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<RegistryImport>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/registry/imports")]
async fn list_imports(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    params: web::Query<PageParams>,
) -> AppResult<web::Json<Page<RegistryImport>>> {
    let page = PageRequest::new(params.page, params.per_page)?;
    let result = db::run(&state.pool, move |conn| {
        let total = registry_imports::table.count().get_result::<i64>(conn)?;
        let items = registry_imports::table
            .order(registry_imports::id.desc())
            .offset(page.offset())
            .limit(page.limit())
            .select(ImportRow::as_select())
            .load(conn)?
            .into_iter()
            .map(ImportRow::into_dto)
            .collect::<AppResult<Vec<_>>>()?;
        Ok(page.of(items, total))
    })
    .await?;
    Ok(web::Json(result))
}

/// One registry import, with its progress and counts.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = RegistryImport), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/registry/imports/{id}")]
async fn get_import(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    id: web::Path<i64>,
) -> AppResult<web::Json<RegistryImport>> {
    let id = id.into_inner();
    let import = db::run(&state.pool, move |conn| find_import(conn, id)?.into_dto()).await?;
    Ok(web::Json(import))
}

/// The rows an import refused, in row order.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<ImportRejection>), BadRequest, Unauthenticated, Forbidden, NotFound, Unprocessable)
)]
#[get("/registry/imports/{id}/rejections")]
async fn list_rejections(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    id: web::Path<i64>,
    params: web::Query<PageParams>,
) -> AppResult<web::Json<Page<ImportRejection>>> {
    let page = PageRequest::new(params.page, params.per_page)?;
    let id = id.into_inner();
    let result = db::run(&state.pool, move |conn| {
        find_import(conn, id)?;
        let of_import = || {
            registry_import_rejections::table.filter(registry_import_rejections::import_id.eq(id))
        };
        let total = of_import().count().get_result::<i64>(conn)?;
        let items = of_import()
            .order(registry_import_rejections::row_number.asc())
            .offset(page.offset())
            .limit(page.limit())
            .select(REJECTION_COLUMNS)
            .load::<RejectionTuple>(conn)?
            .into_iter()
            .map(rejection_dto)
            .collect();
        Ok(page.of(items, total))
    })
    .await?;
    Ok(web::Json(result))
}

type RejectionTuple = (i64, Option<String>, String, String);
const REJECTION_COLUMNS: (
    registry_import_rejections::row_number,
    registry_import_rejections::curp,
    registry_import_rejections::reason,
    registry_import_rejections::message,
) = (
    registry_import_rejections::row_number,
    registry_import_rejections::curp,
    registry_import_rejections::reason,
    registry_import_rejections::message,
);

fn rejection_dto((row, curp, reason, message): RejectionTuple) -> ImportRejection {
    ImportRejection {
        row,
        curp,
        reason,
        message,
    }
}

/// The rows an import refused, as `.xlsx`.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The refused rows", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        BadRequest, Unauthenticated, Forbidden, NotFound
    )
)]
#[get("/registry/imports/{id}/rejections.xlsx")]
async fn download_rejections(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    request: HttpRequest,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let dir = state.uploads_dir();
    let pool = state.pool.clone();
    let file = state
        .parse_permits
        .run(move || {
            let mut conn = pool.get().map_err(AppError::internal)?;
            let import = find_import(&mut conn, id)?;
            let mut workbook = spreadsheet::new_workbook(&dir)?;
            let sheet = spreadsheet::add_table_sheet(
                &mut workbook,
                "Filas rechazadas",
                &[("Fila", 8.0), ("CURP", 22.0), ("Motivo", 18.0), ("Detalle", 90.0)],
            )?;
            let mut last_row = i64::MIN;
            let mut line = 1u32;
            while line < LAST_ROW {
                let chunk = registry_import_rejections::table
                    .filter(registry_import_rejections::import_id.eq(import.id))
                    .filter(registry_import_rejections::row_number.gt(last_row))
                    .order(registry_import_rejections::row_number.asc())
                    .limit(5_000)
                    .select(REJECTION_COLUMNS)
                    .load::<RejectionTuple>(&mut *conn)?;
                let Some(last) = chunk.last() else { break };
                last_row = last.0;
                for (row, curp, reason, message) in chunk {
                    if line == LAST_ROW {
                        sheet
                            .write_string(line, 0, "Hay más filas rechazadas de las que caben en una hoja; consúltelas con la API.")
                            .map_err(xlsx_error)?;
                        break;
                    }
                    sheet.write_number(line, 0, row as f64).map_err(xlsx_error)?;
                    sheet
                        .write_string(line, 1, curp.unwrap_or_default())
                        .map_err(xlsx_error)?;
                    sheet.write_string(line, 2, reason).map_err(xlsx_error)?;
                    sheet.write_string(line, 3, message).map_err(xlsx_error)?;
                    line += 1;
                }
            }
            spreadsheet::save_to_file(&mut workbook, &dir)
        })
        .await?;
    spreadsheet::download(&request, file, &format!("rechazos_importacion_{id}.xlsx"))
}

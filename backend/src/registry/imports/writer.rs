//! Writing an import: batches of rows upserted by CURP, each batch (new farmers, changed fields
//! with their history, refused rows, counters) in one transaction, so progress can be watched
//! and a failure never leaves half a batch behind.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDateTime;
use confrontas_api::{ChangeSource, ImportStatus, ItemReason, Rfc};
use diesel::prelude::*;
use serde_json::json;

use super::reader::{IMPORT_COLUMNS, Incoming, Refusal, Row, RowReader, refuse};
use crate::audit::Actor;
use crate::db::{self, AnyConnection, DbPool};
use crate::error::{AppError, AppResult};
use crate::per_backend;
use crate::registry::bulk::{self, NewChange, NewFarmer, insert_new_farmers, search_name};
use crate::registry::records::FarmerRow;
use crate::schema::{farmers, registry_import_rejections, registry_imports};
use crate::uploads::{self, SheetFormat, UploadLimits};

/// Rows per transaction. Large on purpose: the CURP and name indexes take keys all over their
/// range, so every transaction rewrites most of their pages (to SQLite's WAL, to PostgreSQL's
/// WAL); fewer, larger transactions write each page fewer times. Measured on a 1M-farmer SQLite
/// import (`scripts/bench`): 20,000 rows per transaction ~45,000 rows/s, 50,000 ~60,000 (peak
/// RSS 235 MB), 100,000 ~66,000 (peak RSS 366 MB).
pub const BATCH_ROWS: usize = 50_000;

/// What an import may read, and how many of its refused rows it keeps to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    pub file: UploadLimits,
    /// The first refused rows are stored with their reasons; past this many they are only
    /// counted, so a file of bad rows cannot grow the database without bound.
    pub rejections_kept: u32,
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
    rejections_kept: u32,
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
        let mut rfc_holders = rfc_holders(conn, batch)?;
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
            let rfc = incoming.rfc.as_ref().filter(|r| !Rfc::is_generic_text(r));
            if let Some(rfc) = rfc
                && let Some(holder) = rfc_holders.get(rfc)
                && *holder != incoming.curp
            {
                let message = format!(
                    "El RFC {rfc} ya es del productor con CURP {holder}: un RFC es de una sola persona. Si pasa a esta CURP, quítelo primero de aquel productor."
                );
                refuse_row(
                    row.number,
                    refuse(
                        Some(&incoming.curp),
                        ItemReason::RfcHeldByOther.as_str(),
                        message,
                    ),
                );
                continue;
            }
            let accepted = match existing.remove(&incoming.curp) {
                Some(current) => {
                    let update = Update::of(current, incoming);
                    if update.changes.is_empty() {
                        batch_counts.unchanged += 1;
                    } else {
                        updates.push(update);
                    }
                    true
                }
                None => match NewFarmer::from_import(incoming) {
                    Some(farmer) => {
                        new_farmers.push(farmer);
                        true
                    }
                    None => {
                        refuse_row(
                            row.number,
                            refuse(
                                Some(&incoming.curp),
                                "missing_name",
                                "La CURP no está en el padrón: para darla de alta, la fila necesita NOMBRE(S) y PRIMER APELLIDO.",
                            ),
                        );
                        false
                    }
                },
            };
            if accepted && let Some(rfc) = rfc {
                rfc_holders.insert(rfc.clone(), incoming.curp.clone());
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
        for chunk in history.chunks(bulk::BATCH * 2) {
            per_backend!(&mut *conn, |c| diesel::insert_into(crate::schema::farmer_history::table)
                .values(chunk)
                .execute(c))?;
        }
        let room = (i64::from(rejections_kept) - batch_counts.rejected).max(0) as usize;
        batch_counts.rejected += rejections.len() as i64;
        rejections.truncate(room);
        for chunk in rejections.chunks(bulk::BATCH) {
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

/// The CURPs holding the (non-generic) RFCs a batch writes, so a row cannot give one
/// farmer's RFC to another (`docs/sat-protocol.md`, "Whose RFC it is").
fn rfc_holders(conn: &mut AnyConnection, batch: &[Row]) -> QueryResult<HashMap<String, String>> {
    let wanted: Vec<&str> = batch
        .iter()
        .filter_map(|r| r.parsed.as_ref().ok()?.rfc.as_deref())
        .filter(|rfc| !Rfc::is_generic_text(rfc))
        .collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = conn.backend();
    Ok(farmers::table
        .filter(db::in_json_texts(backend, "rfc", &wanted))
        .select((farmers::rfc.assume_not_null(), farmers::curp))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
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
    limits: ImportLimits,
    actor: &Actor,
) -> AppResult<()> {
    let mut reader = RowReader::default();
    let mut conn = db::checkout_for_background(pool)?;
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
        limits.file,
        &IMPORT_COLUMNS,
        BATCH_ROWS,
        |record| Ok(reader.read(record)),
        |batches| {
            let mut conn = db::checkout_for_background(pool)?;
            let mut counts = Counts::default();
            for batch in batches {
                apply_batch(
                    &mut conn,
                    import_id,
                    &batch,
                    &mut counts,
                    limits.rejections_kept,
                    actor,
                )?;
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

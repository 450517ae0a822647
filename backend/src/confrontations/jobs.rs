//! Confrontation jobs in the database: creating one from a request's layout (step 1 of
//! `docs/architecture.md`, "Confrontations":
//! rows that cannot be confronted — for the SAT also rows without a usable RFC — are
//! classified at once), reading them as the API shows
//! them, and the controls people use (pause, resume, cancel).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use confrontas_api::{
    Authority, Classification, Confrontation, ConfrontationControl, ConfrontationItem,
    ConfrontationMetrics, ConfrontationState, Curp, Eligibility, EligibilityPolicy, FieldChange,
    ItemFilter, ItemReason, OpinionStanding, OutcomeCount, Page, RequestState, RequestType, Rfc,
    RfcWarning, SatIndicators, SatOutcome, SatProvider, ValidityState,
};
use diesel::prelude::*;
use serde_json::json;

use crate::attachments::{self, AttachmentStore};
use crate::audit::Actor;
use crate::auth::principal::StaffUser;
use crate::db::{self, AnyConnection, PageRequest};
use crate::error::{AppError, AppResult};
use crate::layouts::LAYOUT_COLUMNS;
use crate::requests::records::{self, RequestRow};
use crate::schema::{
    attachments as attachment_rows, confrontation_items, confrontations, farmers, requests,
};
use crate::uploads::{self, SheetFormat, UploadLimits};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = confrontations)]
pub struct JobRow {
    pub id: i64,
    pub request_id: i64,
    pub authority: String,
    pub provider: Option<String>,
    pub state: String,
    pub waiting_reason: Option<String>,
    pub to_process: i64,
    pub processed: i64,
    pub to_update: i64,
    pub no_update: i64,
    pub cannot_update: i64,
    pub deceased: i64,
    pub found: i64,
    pub applied: i64,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub applied_at: Option<NaiveDateTime>,
    pub reverted_at: Option<NaiveDateTime>,
    pub version: i32,
    pub queries: i64,
}

impl JobRow {
    pub fn authority(&self) -> AppResult<Authority> {
        Authority::parse(&self.authority)
            .ok_or_else(|| AppError::internal("unknown authority in database"))
    }

    pub fn provider(&self) -> Option<SatProvider> {
        self.provider.as_deref().and_then(SatProvider::parse)
    }

    pub fn current_state(&self) -> AppResult<ConfrontationState> {
        ConfrontationState::parse(&self.state)
            .ok_or_else(|| AppError::internal("unknown confrontation state in database"))
    }

    pub fn metrics(&self) -> ConfrontationMetrics {
        let count = |n: i64| n.max(0) as u64;
        ConfrontationMetrics {
            to_process: count(self.to_process),
            processed: count(self.processed),
            to_update: count(self.to_update),
            no_update: count(self.no_update),
            cannot_update: count(self.cannot_update),
            deceased: count(self.deceased),
            found: count(self.found),
            applied: count(self.applied),
            queries: count(self.queries),
        }
    }
}

fn not_found() -> AppError {
    AppError::not_found("No hay una confronta con ese id.")
}

/// The job if `staff` may see its request (404 otherwise, as for the request itself).
pub fn visible(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    id: i64,
) -> AppResult<(JobRow, RequestRow)> {
    let job = confrontations::table
        .find(id)
        .select(JobRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)?;
    let request = records::visible(conn, staff, job.request_id).map_err(|_| not_found())?;
    Ok((job, request))
}

/// The jobs as the API shows them.
pub fn to_dtos(conn: &mut AnyConnection, rows: Vec<JobRow>) -> AppResult<Vec<Confrontation>> {
    let creators: Vec<i64> = rows.iter().map(|r| r.created_by).collect();
    let people = attachments::people(conn, &creators)?;
    let request_ids: Vec<i64> = rows.iter().map(|r| r.request_id).collect();
    let tickets: HashMap<i64, String> = requests::table
        .filter(requests::id.eq_any(&request_ids))
        .select((requests::id, requests::ticket_number))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let sat_jobs: Vec<i64> = rows
        .iter()
        .filter(|r| r.authority == Authority::Sat.as_str())
        .map(|r| r.id)
        .collect();
    let mut outcomes = outcome_counts(conn, &sat_jobs)?;
    let sat_rows: Vec<&JobRow> = rows
        .iter()
        .filter(|r| r.authority == Authority::Sat.as_str())
        .collect();
    let mut indicators = sat_indicators(conn, &sat_rows)?;
    rows.into_iter()
        .map(|row| {
            let metrics = row.metrics();
            let sat = indicators.remove(&row.id);
            Ok(Confrontation {
                id: row.id,
                request_id: row.request_id,
                ticket_number: tickets.get(&row.request_id).cloned().unwrap_or_default(),
                authority: row.authority()?,
                provider: row.provider(),
                outcomes: outcomes.remove(&row.id).unwrap_or_default(),
                state: row.current_state()?,
                waiting_reason: row.waiting_reason,
                kpis: match &sat {
                    Some(sat) => metrics.sat_kpis(sat),
                    None => metrics.kpis(),
                },
                sat,
                metrics,
                created_by: people
                    .get(&row.created_by)
                    .cloned()
                    .ok_or_else(|| AppError::internal("confrontation creator missing"))?,
                created_at: row.created_at.and_utc(),
                finished_at: row.finished_at.map(|t| t.and_utc()),
                applied_at: row.applied_at.map(|t| t.and_utc()),
                reverted_at: row.reverted_at.map(|t| t.and_utc()),
                version: row.version,
            })
        })
        .collect()
}

/// Items of each SAT job answered with each sense.
pub fn outcome_counts(
    conn: &mut AnyConnection,
    jobs: &[i64],
) -> QueryResult<HashMap<i64, Vec<OutcomeCount>>> {
    use confrontation_items::dsl as i;
    let mut counts: HashMap<i64, Vec<OutcomeCount>> = HashMap::new();
    for chunk in jobs.chunks(db::IN_CHUNK) {
        let rows = i::confrontation_items
            .filter(i::confrontation_id.eq_any(chunk))
            .filter(i::authority_status.is_not_null())
            .group_by((i::confrontation_id, i::authority_status))
            .select((
                i::confrontation_id,
                i::authority_status,
                diesel::dsl::count_star(),
            ))
            .load::<(i64, Option<String>, i64)>(conn)?;
        for (job, status, count) in rows {
            if let Some(outcome) = status.as_deref().and_then(SatOutcome::parse) {
                counts.entry(job).or_default().push(OutcomeCount {
                    outcome,
                    count: count.max(0) as u64,
                });
            }
        }
    }
    for list in counts.values_mut() {
        list.sort_by_key(|c| SatOutcome::ALL.iter().position(|o| *o == c.outcome));
    }
    Ok(counts)
}

/// Reasons of rows refused for their RFC.
const RFC_PROBLEMS: [ItemReason; 5] = [
    ItemReason::MissingRfc,
    ItemReason::InvalidRfc,
    ItemReason::RfcMismatch,
    ItemReason::RfcOfLegalEntity,
    ItemReason::RfcHeldByOther,
];

/// The SAT indicators of each of `jobs`: an opinion counts as expired, and is judged by
/// today's eligibility policy, as it stood when the job finished (today while it runs).
pub fn sat_indicators(
    conn: &mut AnyConnection,
    jobs: &[&JobRow],
) -> AppResult<HashMap<i64, SatIndicators>> {
    use confrontation_items::dsl as i;
    let policy = crate::sat::eligibility::policy(conn)?;
    let today = crate::calendar::rules::local_date(chrono::Utc::now());
    let mut indicators: HashMap<i64, SatIndicators> = HashMap::new();
    let mut reference = HashMap::new();
    for job in jobs {
        let finished = job
            .finished_at
            .map(|at| crate::calendar::rules::local_date(at.and_utc()));
        reference.insert(job.id, finished.unwrap_or(today));
        indicators.insert(
            job.id,
            SatIndicators {
                to_process: job.to_process.max(0) as u64,
                ..SatIndicators::default()
            },
        );
    }
    let ids: Vec<i64> = jobs.iter().map(|job| job.id).collect();
    for chunk in ids.chunks(db::IN_CHUNK) {
        let groups = i::confrontation_items
            .filter(i::confrontation_id.eq_any(chunk))
            .filter(i::reason.is_not_null())
            .group_by((
                i::confrontation_id,
                i::reason,
                i::authority_status,
                i::opinion_valid_until,
            ))
            .select((
                i::confrontation_id,
                i::reason,
                i::authority_status,
                i::opinion_valid_until,
                diesel::dsl::count_star(),
            ))
            .load::<(
                i64,
                Option<String>,
                Option<String>,
                Option<chrono::NaiveDate>,
                i64,
            )>(conn)?;
        for (job, reason, sense, valid_until, count) in groups {
            let (Some(line), Some(on)) = (indicators.get_mut(&job), reference.get(&job)) else {
                continue;
            };
            let count = count.max(0) as u64;
            let reason = reason.as_deref().and_then(ItemReason::parse);
            if reason.is_some_and(|r| RFC_PROBLEMS.contains(&r)) {
                line.rfc_problems += count;
            }
            if reason == Some(ItemReason::ChangedOpinion) {
                line.changed += count;
            }
            let Some(outcome) = sense.as_deref().and_then(SatOutcome::parse) else {
                continue;
            };
            line.answered += count;
            let standing = valid_until.map(|until| OpinionStanding::on(until, *on));
            if standing.is_some_and(|s| s.state == ValidityState::Expired) {
                line.expired += count;
            }
            if policy.verdict(outcome, standing).verdict == Eligibility::Eligible {
                line.eligible += count;
            }
        }
    }
    Ok(indicators)
}

pub fn dto(conn: &mut AnyConnection, row: JobRow) -> AppResult<Confrontation> {
    Ok(to_dtos(conn, vec![row])?.remove(0))
}

/// The request's confrontations, newest first.
pub fn of_request(conn: &mut AnyConnection, request_id: i64) -> AppResult<Vec<Confrontation>> {
    let rows = confrontations::table
        .filter(confrontations::request_id.eq(request_id))
        .order(confrontations::id.desc())
        .select(JobRow::as_select())
        .load(conn)?;
    to_dtos(conn, rows)
}

/// A layout row as the job takes it.
struct LayoutRow {
    row: u32,
    curp: String,
    /// As written (empty when the row has none).
    rfc: String,
}

/// What an item asks about: the farmer, and for the SAT the RFC (with its warnings).
struct Target {
    farmer_id: i64,
    rfc: Option<Rfc>,
}

/// The RFC a SAT item asks about: the layout's when the row has one, else the registry's.
fn rfc_of(layout: &str, registry: Option<&str>) -> Result<Rfc, ItemReason> {
    let written = Some(layout)
        .filter(|r| !r.is_empty())
        .or(registry.filter(|r| !r.trim().is_empty()))
        .ok_or(ItemReason::MissingRfc)?;
    Rfc::parse(written).map_err(|_| ItemReason::InvalidRfc)
}

/// The items of a layout: rows that cannot be confronted get their reason at once. For the SAT
/// that includes an RFC that cannot be the farmer's: a legal entity's, one contradicting the
/// CURP, or one another farmer (or an earlier row) holds; such a row is never asked about, so
/// its opinion can never be applied (`docs/sat-protocol.md`, "Whose RFC it is").
fn items_of(
    conn: &mut AnyConnection,
    rows: Vec<LayoutRow>,
    authority: Authority,
) -> AppResult<Vec<(LayoutRow, Result<Target, ItemReason>)>> {
    let mut first_row: HashMap<String, u32> = HashMap::with_capacity(rows.len());
    let checked: Vec<(LayoutRow, Result<Curp, ItemReason>)> = rows
        .into_iter()
        .map(|row| {
            let outcome = if row.curp.is_empty() {
                Err(ItemReason::MissingCurp)
            } else {
                match Curp::parse(&row.curp) {
                    Err(_) => Err(ItemReason::InvalidCurp),
                    Ok(curp) => {
                        if first_row.contains_key(curp.as_str()) {
                            Err(ItemReason::DuplicateRow)
                        } else {
                            first_row.insert(curp.as_str().to_owned(), row.row);
                            Ok(curp)
                        }
                    }
                }
            };
            (row, outcome)
        })
        .collect();
    let valid: Vec<&str> = checked
        .iter()
        .filter_map(|(_, c)| c.as_ref().ok().map(Curp::as_str))
        .collect();
    let backend = conn.backend();
    let mut found: HashMap<String, (i64, Option<String>)> = HashMap::with_capacity(valid.len());
    // One JSON parameter per query, so the chunks can be as large as the inserts'.
    for chunk in valid.chunks(INSERT_ROWS) {
        found.extend(
            farmers::table
                .filter(db::in_json_texts(backend, "curp", chunk))
                .select((farmers::curp, farmers::id, farmers::rfc))
                .load::<(String, i64, Option<String>)>(conn)?
                .into_iter()
                .map(|(curp, id, rfc)| (curp, (id, rfc))),
        );
    }
    let mut items: Vec<(LayoutRow, Result<Target, ItemReason>)> = checked
        .into_iter()
        .map(|(mut row, outcome)| {
            let item = outcome.and_then(|curp| {
                let (farmer_id, registry_rfc) =
                    found.get(curp.as_str()).ok_or(ItemReason::NotInRegistry)?;
                let rfc = match authority {
                    Authority::Renapo => None,
                    Authority::Sat => {
                        let rfc = rfc_of(&row.rfc, registry_rfc.as_deref())?;
                        if let Err(problem) = rfc.belongs_to(&curp) {
                            // Kept with the item, so the report shows which RFC was refused.
                            row.rfc = rfc.into();
                            return Err(problem.into());
                        }
                        Some(rfc)
                    }
                };
                row.curp = curp.into();
                Ok(Target {
                    farmer_id: *farmer_id,
                    rfc,
                })
            });
            (row, item)
        })
        .collect();
    if authority == Authority::Sat {
        refuse_rfcs_held_by_others(conn, &mut items)?;
    }
    Ok(items)
}

/// Marks `rfc_held_by_other` the items whose RFC another farmer holds in the registry, or an
/// earlier row of the layout gives to another farmer.
fn refuse_rfcs_held_by_others(
    conn: &mut AnyConnection,
    items: &mut [(LayoutRow, Result<Target, ItemReason>)],
) -> AppResult<()> {
    let asked: Vec<&str> = items
        .iter()
        .filter_map(|(_, item)| item.as_ref().ok()?.rfc.as_ref().map(Rfc::as_str))
        .collect();
    let backend = conn.backend();
    let mut holders: HashMap<String, Vec<i64>> = HashMap::new();
    for chunk in asked.chunks(INSERT_ROWS) {
        for (rfc, id) in farmers::table
            .filter(db::in_json_texts(backend, "rfc", chunk))
            .select((farmers::rfc.assume_not_null(), farmers::id))
            .load::<(String, i64)>(conn)?
        {
            holders.entry(rfc).or_default().push(id);
        }
    }
    let mut given_by_layout: HashMap<String, i64> = HashMap::new();
    for (row, item) in items.iter_mut() {
        let Ok(Target {
            farmer_id,
            rfc: Some(rfc),
        }) = item
        else {
            continue;
        };
        let farmer = *farmer_id;
        let held_elsewhere = holders
            .get(rfc.as_str())
            .is_some_and(|ids| ids.iter().any(|&id| id != farmer));
        let given_before = *given_by_layout
            .entry(rfc.as_str().to_owned())
            .or_insert(farmer)
            != farmer;
        if held_elsewhere || given_before {
            row.rfc = rfc.as_str().to_owned();
            *item = Err(ItemReason::RfcHeldByOther);
        }
    }
    Ok(())
}

/// Reads the layout's CURPs with the same limits and reader as its check at submission.
fn read_layout(
    store: &AttachmentStore,
    file_name: &str,
    sha256: &str,
    limits: UploadLimits,
) -> AppResult<Vec<LayoutRow>> {
    let format = SheetFormat::from_file_name(file_name)?;
    let path = store.stored_path(sha256)?;
    let mut rows = Vec::new();
    uploads::read_table(&path, format, limits, &LAYOUT_COLUMNS, |record| {
        rows.push(LayoutRow {
            row: record.number,
            curp: record.value(0).chars().take(40).collect(),
            rfc: record.value(1).chars().take(20).collect(),
        });
        Ok(())
    })?;
    Ok(rows)
}

/// Items per insert statement: one JSON parameter each, so a 1,000,000-row layout is a
/// hundred statements, not millions of bound values.
const INSERT_ROWS: usize = 10_000;

/// Inserts the items of job `job`: rows that cannot be confronted already `done` with their
/// reason, the rest `pending`. Each row travels as a JSON array
/// `[row, curp, farmer_id, state, classification, reason, rfc, rfc_warnings]`.
fn insert_items(
    conn: &mut AnyConnection,
    job: i64,
    items: &[(LayoutRow, Result<Target, ItemReason>)],
    authority: Authority,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    const COLUMNS: &str = "confrontation_id, row_number, curp, farmer_id, state, attempts, \
        classification, reason, deceased, found, processed_at, rfc, rfc_warnings";
    let sql = match conn.backend() {
        db::Backend::Sqlite => format!(
            "INSERT INTO confrontation_items ({COLUMNS}) SELECT ?1, value->>0, value->>1, \
             value->>2, value->>3, 0, value->>4, value->>5, FALSE, FALSE, \
             CASE WHEN value->>3 = 'done' THEN ?2 END, value->>6, value->>7 FROM json_each(?3)"
        ),
        db::Backend::Postgres => format!(
            "INSERT INTO confrontation_items ({COLUMNS}) SELECT $1, (value->>0)::integer, \
             value->>1, (value->>2)::bigint, value->>3, 0, value->>4, value->>5, FALSE, FALSE, \
             CASE WHEN value->>3 = 'done' THEN $2 END, value->>6, value->>7 \
             FROM jsonb_array_elements($3::jsonb) AS value"
        ),
    };
    for chunk in items.chunks(INSERT_ROWS) {
        let rows: Vec<serde_json::Value> = chunk
            .iter()
            .map(|(row, item)| {
                let rejected = item.as_ref().err().copied();
                let target = item.as_ref().ok();
                let rfc = target.and_then(|t| t.rfc.as_ref());
                let warnings = rfc
                    .map(|r| r.warnings())
                    .filter(|w| !w.is_empty())
                    .map(|w| w.iter().map(|w| w.code()).collect::<Vec<_>>().join(","));
                json!([
                    row.row,
                    row.curp,
                    target.map(|t| t.farmer_id),
                    if rejected.is_some() {
                        "done"
                    } else {
                        "pending"
                    },
                    rejected.map(|r| r.classification().as_str()),
                    rejected.map(ItemReason::as_str),
                    // The RFC asked, or for a row refused the one written.
                    (authority == Authority::Sat).then(|| rfc
                        .map(Rfc::as_str)
                        .or(Some(row.rfc.as_str()).filter(|r| !r.is_empty()))),
                    warnings,
                ])
            })
            .collect();
        let rows = serde_json::Value::Array(rows).to_string();
        crate::per_backend!(&mut *conn, |c| diesel::sql_query(&sql)
            .bind::<BigInt, _>(job)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(&rows)
            .execute(c))?;
    }
    Ok(())
}

/// Who starts a confrontation, how it is audited, and how a SAT one obtains the opinions.
pub struct Starting<'a> {
    pub staff: &'a StaffUser,
    pub actor: Actor,
    pub limits: UploadLimits,
    pub provider: Option<SatProvider>,
    /// Whether RENAPO and the SAT's online provider are configured on this server.
    pub renapo_configured: bool,
    pub sat_online_configured: bool,
}

/// Shown while a SAT confrontation by exchange file waits for the SAT's answer.
pub const AWAITING_ANSWER_FILE: &str = "En espera del archivo de respuesta del SAT: descargue el archivo de intercambio, envíelo al SAT e importe su respuesta.";

/// Creates a confrontation of request `request_id`'s current layout.
pub fn create(
    conn: &mut AnyConnection,
    store: &AttachmentStore,
    starting: &Starting,
    request_id: i64,
) -> AppResult<i64> {
    let request = records::visible(conn, starting.staff, request_id)?;
    let kind = request.kind()?;
    let Some(authority) = Authority::of_request(kind) else {
        return Err(AppError::conflict(
            "not_confrontable",
            "Las solicitudes de certificado no llevan confronta.",
        ));
    };
    let provider = match (authority, starting.provider) {
        (Authority::Renapo, Some(_)) => {
            return Err(AppError::new(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "provider_not_applicable",
                "El proveedor solo se elige en confrontas con el SAT.",
            ));
        }
        (Authority::Renapo, None) => None,
        (Authority::Sat, provider) => Some(provider.unwrap_or(SatProvider::ExchangeFile)),
    };
    if authority == Authority::Renapo && !starting.renapo_configured {
        return Err(AppError::unavailable(
            "renapo_not_configured",
            "El servicio de RENAPO no está configurado en este servidor (CONFRONTAS_RENAPO_URL).",
        ));
    }
    if provider == Some(SatProvider::Online) && !starting.sat_online_configured {
        return Err(AppError::unavailable(
            "sat_online_not_configured",
            "El servicio en línea del SAT no está configurado en este servidor (CONFRONTAS_SAT_URL); use el archivo de intercambio.",
        ));
    }
    let initial = if provider == Some(SatProvider::ExchangeFile) {
        (
            ConfrontationState::WaitingAuthority,
            Some(AWAITING_ANSWER_FILE),
        )
    } else {
        (ConfrontationState::Running, None)
    };
    if request.current_state()? != RequestState::InProgress {
        return Err(AppError::conflict(
            "request_not_in_progress",
            format!(
                "La solicitud {} no está en atención: solo se confrontan solicitudes aceptadas.",
                request.ticket_number
            ),
        ));
    }
    let (layout_id, file_name, sha256) = attachment_rows::table
        .filter(attachment_rows::request_id.eq(request_id))
        .filter(attachment_rows::kind.eq("layout"))
        .order(attachment_rows::version.desc())
        .select((
            attachment_rows::id,
            attachment_rows::file_name,
            attachment_rows::sha256,
        ))
        .first::<(i64, String, String)>(conn)
        .optional()?
        .ok_or_else(|| {
            AppError::conflict("layout_missing", "La solicitud no tiene layout de CURP.")
        })?;
    let rows = read_layout(store, &file_name, &sha256, starting.limits)?;
    let items = items_of(conn, rows, authority)?;
    conn.write_transaction(|conn| {
        // Locks the request's row (PostgreSQL), so two starts of the same request queue here
        // and the second sees the first's job below.
        diesel::update(requests::table.find(request_id))
            .set(requests::updated_at.eq(requests::updated_at))
            .execute(conn)?;
        let active: Vec<&str> = ConfrontationState::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .map(ConfrontationState::as_str)
            .collect();
        let running = confrontations::table
            .filter(confrontations::request_id.eq(request_id))
            .filter(confrontations::state.eq_any(active))
            .count()
            .get_result::<i64>(conn)?;
        if running > 0 {
            return Err(AppError::conflict(
                "confrontation_in_progress",
                format!(
                    "La solicitud {} ya tiene una confronta en curso; termínela o cancélela antes de iniciar otra.",
                    request.ticket_number
                ),
            ));
        }
        let now = db::now();
        let rejected = items.iter().filter(|(_, item)| item.is_err()).count() as i64;
        let to_process = items.len() as i64;
        let id = diesel::insert_into(confrontations::table)
            .values((
                confrontations::request_id.eq(request_id),
                confrontations::authority.eq(authority.as_str()),
                confrontations::provider.eq(provider.map(SatProvider::as_str)),
                confrontations::state.eq(initial.0.as_str()),
                confrontations::waiting_reason.eq(initial.1),
                confrontations::layout_attachment_id.eq(layout_id),
                confrontations::to_process.eq(to_process),
                confrontations::processed.eq(rejected),
                confrontations::to_update.eq(0),
                confrontations::no_update.eq(0),
                confrontations::cannot_update.eq(rejected),
                confrontations::deceased.eq(0),
                confrontations::found.eq(0),
                confrontations::applied.eq(0),
                confrontations::created_by.eq(starting.staff.id),
                confrontations::created_at.eq(now),
                confrontations::updated_at.eq(now),
                confrontations::version.eq(1),
            ))
            .returning(confrontations::id)
            .get_result::<i64>(conn)?;
        insert_items(conn, id, &items, authority, now)?;
        // Every row refused at validation: nothing to ask.
        super::queue::finish_if_done(conn, id, now)?;
        starting.actor.record(
            conn,
            "confrontation_started",
            "confrontation",
            id,
            json!({
                "request_id": request_id,
                "ticket_number": request.ticket_number,
                "authority": authority.as_str(),
                "provider": provider.map(SatProvider::as_str),
                "to_process": to_process,
                "rejected_at_validation": rejected,
            }),
        )?;
        Ok(id)
    })
}

/// Pauses, resumes or cancels job `id` seen at `version`.
pub fn control(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    actor: &Actor,
    id: i64,
    control: ConfrontationControl,
    version: i32,
) -> AppResult<JobRow> {
    conn.write_transaction(|conn| {
        let (job, request) = visible(conn, staff, id)?;
        let state = job.current_state()?;
        if job.provider() == Some(SatProvider::ExchangeFile)
            && control != ConfrontationControl::Cancel
        {
            return Err(AppError::conflict(
                "invalid_transition",
                "Una confronta por archivo de intercambio no se pausa ni se reanuda: espera el archivo del SAT. Puede cancelarla.",
            ));
        }
        if !control.from_states().contains(&state) {
            return Err(AppError::conflict(
                "invalid_transition",
                format!(
                    "La confronta está «{}»: «{}» no procede en ese estado.",
                    state.label(),
                    control.label()
                ),
            ));
        }
        let stale = || {
            AppError::conflict(
                "stale_version",
                "La confronta cambió mientras la revisaba. Vuelva a cargarla y repita la acción si aún procede.",
            )
        };
        if job.version != version {
            return Err(stale());
        }
        let now = db::now();
        let to = control.to_state();
        let updated = diesel::update(
            confrontations::table
                .find(id)
                .filter(confrontations::version.eq(version)),
        )
        .set((
            confrontations::state.eq(to.as_str()),
            confrontations::waiting_reason.eq(None::<String>),
            confrontations::version.eq(version + 1),
            confrontations::updated_at.eq(now),
            confrontations::finished_at.eq((to == ConfrontationState::Cancelled).then_some(now)),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(stale());
        }
        actor.record(
            conn,
            &format!("confrontation_{}", control.as_str()),
            "confrontation",
            id,
            json!({ "ticket_number": request.ticket_number, "from": state.as_str(), "to": to.as_str() }),
        )?;
        Ok(confrontations::table
            .find(id)
            .select(JobRow::as_select())
            .first(conn)?)
    })
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = confrontation_items)]
pub struct ItemRow {
    pub id: i64,
    pub row_number: i32,
    pub curp: String,
    pub rfc: Option<String>,
    pub rfc_warnings: Option<String>,
    pub farmer_id: Option<i64>,
    pub attempts: i32,
    pub queries: i32,
    pub classification: Option<String>,
    pub reason: Option<String>,
    pub deceased: bool,
    pub authority_status: Option<String>,
    pub changes: Option<String>,
    pub applied_at: Option<NaiveDateTime>,
    pub reverted_at: Option<NaiveDateTime>,
    pub apply_conflict: Option<String>,
    pub opinion_folio: Option<String>,
    pub opinion_issued_on: Option<chrono::NaiveDate>,
    pub opinion_valid_until: Option<chrono::NaiveDate>,
}

impl ItemRow {
    pub fn field_changes(&self) -> AppResult<Vec<FieldChange>> {
        self.changes.as_deref().map_or(Ok(Vec::new()), |text| {
            serde_json::from_str(text)
                .map_err(|e| AppError::internal(format!("stored item changes unreadable: {e}")))
        })
    }

    /// The item as the API shows it, its opinion's eligibility judged by `policy`.
    pub fn into_dto(self, policy: &EligibilityPolicy) -> AppResult<ConfrontationItem> {
        let standing = self
            .opinion_valid_until
            .map(crate::registry::records::opinion_standing);
        Ok(ConfrontationItem {
            opinion_eligibility: crate::sat::eligibility::verdict(
                policy,
                self.authority_status.as_deref(),
                standing,
            ),
            opinion_standing: standing,
            row: self.row_number.max(0) as u32,
            changes: self.field_changes()?,
            classification: self
                .classification
                .as_deref()
                .and_then(Classification::parse),
            reason: self.reason.as_deref().and_then(ItemReason::parse),
            authority_status: self.authority_status,
            applied: self.applied_at.is_some() && self.reverted_at.is_none(),
            apply_conflict: self.apply_conflict,
            attempts: self.attempts.max(0) as u32,
            queries: self.queries.max(0) as u32,
            curp: self.curp,
            rfc: self.rfc,
            opinion_folio: self.opinion_folio,
            opinion_issued_on: self.opinion_issued_on,
            opinion_valid_until: self.opinion_valid_until,
            rfc_warnings: self
                .rfc_warnings
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter_map(RfcWarning::parse)
                .collect(),
        })
    }
}

/// A page of confrontation `id`'s items in layout order, filtered as `filter` asks, for
/// `staff` (404 when the job is not theirs to see).
pub fn items(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    id: i64,
    filter: &ItemFilter,
    page: PageRequest,
) -> AppResult<Page<ConfrontationItem>> {
    visible(conn, staff, id)?;
    let matching = || {
        let mut query = confrontation_items::table
            .filter(confrontation_items::confrontation_id.eq(id))
            .into_boxed::<db::DbBackend>();
        if let Some(class) = filter.classification {
            query = query.filter(confrontation_items::classification.eq(class.as_str()));
        }
        if let Some(reason) = filter.reason {
            query = query.filter(confrontation_items::reason.eq(reason.as_str()));
        }
        if let Some(deceased) = filter.deceased {
            query = query.filter(confrontation_items::deceased.eq(deceased));
        }
        query
    };
    page.load(
        conn,
        matching().count(),
        matching()
            .order(confrontation_items::row_number)
            .select(ItemRow::as_select()),
    )?
    .try_map(|rows| {
        let policy = crate::sat::eligibility::policy(conn)?;
        rows.into_iter().map(|row| row.into_dto(&policy)).collect()
    })
}

/// Requests of `kind` resolve only after a finished confrontation.
pub fn has_finished(
    conn: &mut AnyConnection,
    request_id: i64,
    kind: RequestType,
) -> AppResult<bool> {
    let Some(authority) = Authority::of_request(kind) else {
        return Ok(true);
    };
    let finished = confrontations::table
        .filter(confrontations::request_id.eq(request_id))
        .filter(confrontations::authority.eq(authority.as_str()))
        .filter(confrontations::state.eq(ConfrontationState::Finished.as_str()))
        .count()
        .get_result::<i64>(conn)?;
    Ok(finished > 0)
}

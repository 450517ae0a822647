//! SAT slice (`docs/sat-protocol.md`): compliance opinions (32-D) obtained through one trait with
//! two providers — the exchange file ([`exchange`]) and the agreement's online service
//! ([`client`], with the built-in simulator behind [`gateway`]) — classified against the
//! registry ([`opinion`]); and the verification of one opinion from its QR code. SAT
//! confrontations themselves are jobs of the `confrontations` slice.

pub mod client;
pub mod eligibility;
pub mod exchange;
pub mod gateway;
pub mod opinion;
pub mod records;
pub mod service;
pub mod validity;

use std::collections::HashSet;

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use confrontas_api::{
    AnswerImport, EligibilityPolicy, EligibilityPolicyUpdate, FieldError, OpinionQr,
    OpinionVerification, RegistryOpinion, SatOutcome, VerifyOpinionBody,
};
use utoipa_actix_web::service_config::ServiceConfig;

use self::opinion::ExchangeAnswers;
use self::validity::OpinionTerm;
use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, UploadErrors,
};
use crate::auth::principal::{AdminOnly, AnyStaff, Staff, SubdireccionOnly};
use crate::db::{self};
use crate::error::{AppError, AppResult};
use crate::registry::RegistryStaff;
use crate::registry::changes;
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(verify_opinion)
        .service(eligibility_policy)
        .service(change_eligibility_policy)
        .service(export_xlsx)
        .service(export_text)
        .service(import_answers);
}

/// The subsidy eligibility policy in force: the verdict for each sense of the opinion (with
/// the program's conditions); an expired opinion always needs a new one.
#[utoipa::path(
    tag = "sat",
    security(("bearer" = [])),
    responses((status = 200, body = EligibilityPolicy), Unauthenticated, Forbidden)
)]
#[get("/sat/eligibility-policy")]
async fn eligibility_policy(
    state: web::Data<AppState>,
    _staff: Staff<AnyStaff>,
) -> AppResult<web::Json<EligibilityPolicy>> {
    let policy = db::run(&state.pool, eligibility::policy).await?;
    Ok(web::Json(policy))
}

/// Replace the eligibility policy (administrators): one rule per sense, the version it
/// replaces (409 when it changed meanwhile) and why; audited with the rules before and after.
#[utoipa::path(
    tag = "sat",
    security(("bearer" = [])),
    request_body = EligibilityPolicyUpdate,
    responses(
        (status = 200, body = EligibilityPolicy),
        BodyErrors, Unauthenticated, Forbidden, Conflict
    )
)]
#[put("/sat/eligibility-policy")]
async fn change_eligibility_policy(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    body: web::Json<EligibilityPolicyUpdate>,
) -> AppResult<web::Json<EligibilityPolicy>> {
    let update = body.into_inner();
    let (user, actor) = (admin.user.clone(), admin.actor());
    let saved = db::run(&state.pool, move |conn| {
        eligibility::save(conn, &user, &actor, &update)
    })
    .await?;
    Ok(web::Json(saved))
}

/// Today in Mexico City (opinions are valid by civil days there).
fn today() -> chrono::NaiveDate {
    crate::calendar::rules::local_date(chrono::Utc::now())
}

/// Verify one opinion from the URL its QR code holds
/// (`https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3={folio}_{RFC}_{dd-mm-yyyy}_{P|N}`):
/// folio, RFC, issue date, sense, last valid day by the server's validity rule, whether it is
/// valid today, and what the registry holds for that RFC. The SAT's validator itself cannot
/// be reached from the server; open the URL to see the SAT's own page.
#[utoipa::path(
    tag = "sat",
    security(("bearer" = [])),
    request_body = VerifyOpinionBody,
    responses(
        (status = 200, body = OpinionVerification),
        BodyErrors, Unauthenticated, Forbidden
    )
)]
#[post("/sat/opinions/verify")]
async fn verify_opinion(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    body: web::Json<VerifyOpinionBody>,
) -> AppResult<web::Json<OpinionVerification>> {
    let url = body.into_inner().url;
    let invalid = |message: &str| AppError::validation(vec![FieldError::new("url", message)]);
    if url.len() > 500 {
        return Err(invalid("La dirección no puede exceder 500 caracteres."));
    }
    let qr = OpinionQr::parse(&url).map_err(invalid)?;
    if let Some(message) = opinion::issued_in_the_future(qr.issued_on, today()) {
        return Err(invalid(&message));
    }
    let rfc = qr.rfc.as_str().to_owned();
    let validity = state.config.sat.validity;
    let (found, term) = db::run(&state.pool, move |conn| {
        Ok((
            records::holders_of(conn, &rfc)?,
            OpinionTerm::load(conn, validity)?,
        ))
    })
    .await?;
    let valid_until = term.last_day(qr.issued_on);
    let registry = found
        .into_iter()
        .map(|record| {
            let opinion = record.sat_opinion.as_deref().and_then(SatOutcome::parse);
            RegistryOpinion {
                matches: opinion == Some(qr.outcome)
                    && record.sat_folio.as_deref() == Some(qr.folio.as_str())
                    && record.sat_issued_on == Some(qr.issued_on),
                farmer_id: record.id,
                full_name: [
                    Some(record.given_names.as_str()),
                    Some(record.first_surname.as_str()),
                    record.second_surname.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
                curp: record.curp,
                sat_opinion: opinion,
                sat_folio: record.sat_folio,
                sat_issued_on: record.sat_issued_on,
                sat_valid_until: record.sat_valid_until,
            }
        })
        .collect();
    Ok(web::Json(OpinionVerification {
        rfc_warnings: qr.rfc.warnings(),
        rfc: qr.rfc.as_str().to_owned(),
        folio: qr.folio,
        issued_on: qr.issued_on,
        outcome: qr.outcome,
        valid: today() <= valid_until,
        valid_until,
        registry,
    }))
}

/// Reads the RFCs to send and marks the export (audited).
async fn exported_rfcs(
    state: &AppState,
    staff: &Staff<SubdireccionOnly>,
    id: i64,
    format: &'static str,
) -> AppResult<(String, Vec<String>)> {
    let user = staff.user.clone();
    let actor = staff.actor();
    db::run(&state.pool, move |conn| {
        service::export(conn, &user, &actor, id, format)
    })
    .await
}

/// The exchange file for the SAT as `.xlsx`: sheet `Solicitud32D` with `CONSECUTIVO` and
/// `RFC`, the RFCs still waiting for an answer, in layout order, each once.
#[utoipa::path(
    tag = "sat",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    responses(
        (status = 200, description = "The RFC list", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        BadRequest, Unauthenticated, Forbidden, NotFound, Conflict
    )
)]
#[get("/confrontations/{id:-?[0-9]+}/sat/exchange.xlsx")]
async fn export_xlsx(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    request: HttpRequest,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (name, rfcs) = exported_rfcs(&state, &staff, id.into_inner(), "xlsx").await?;
    let dir = state.uploads_dir();
    let file = state
        .parse_permits
        .run(move || exchange::export_xlsx(&rfcs, &dir))
        .await?;
    crate::spreadsheet::download(&request, file, &format!("{name}.xlsx"))
}

/// The exchange file for the SAT as fixed-width text (ISO-8859-1, CRLF): positions 1–7 the
/// consecutive number, 8–20 the RFC padded with spaces.
#[utoipa::path(
    tag = "sat",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    responses(
        (status = 200, description = "The RFC list", content_type = "text/plain", body = String),
        BadRequest, Unauthenticated, Forbidden, NotFound, Conflict
    )
)]
#[get("/confrontations/{id:-?[0-9]+}/sat/exchange.txt")]
async fn export_text(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    request: HttpRequest,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (name, rfcs) = exported_rfcs(&state, &staff, id.into_inner(), "txt").await?;
    let dir = state.uploads_dir();
    let file = state
        .parse_permits
        .run(move || exchange::export_text(&rfcs, &dir))
        .await?;
    crate::download::attachment(
        &request,
        file,
        &format!("{name}.txt"),
        "text/plain; charset=iso-8859-1",
    )
}

/// Import the SAT's answer file (`.xlsx` or `.csv`: `RFC`, `SENTIDO`, `FOLIO`,
/// `FECHA_EMISION`). Every row is checked first; with any row wrong the file is refused whole
/// (`accepted: false`, every problem counted, the first 500 listed) and nothing is stored.
/// Otherwise each waiting item is classified from its answer (`not_answered` when the file
/// lacks its RFC) and the confrontation finishes, ready to apply.
#[utoipa::path(
    tag = "sat",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    request_body(content = crate::api_doc::SpreadsheetUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = AnswerImport),
        UploadErrors, Unauthenticated, Forbidden, NotFound, Conflict
    )
)]
#[post("/confrontations/{id:-?[0-9]+}/sat/answers")]
async fn import_answers(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    request: HttpRequest,
    id: web::Path<i64>,
    payload: web::Payload,
) -> AppResult<web::Json<AnswerImport>> {
    let id = id.into_inner();
    let limits = state.config.layout_uploads;
    let body = actix_multipart::Multipart::new(request.headers(), payload);
    let upload =
        crate::uploads::receive_spreadsheet(&request, body, &state.uploads_dir(), limits).await?;
    let user = staff.user.clone();
    let pending = db::run(&state.pool, move |conn| {
        records::awaiting_answers(conn, &user, id)
    })
    .await?;
    let asked: HashSet<String> = pending.iter().filter_map(|i| i.rfc.clone()).collect();
    let path = upload.file.path().to_owned();
    let format = upload.format;
    let read = state
        .parse_permits
        .run(move || exchange::read_answers(&path, format, limits, &asked))
        .await?;
    let mut report = AnswerImport {
        accepted: read.error_count == 0,
        file_name: upload.file_name.clone(),
        rows: read.rows,
        answered: 0,
        not_answered: 0,
        error_count: read.error_count,
        errors: read.errors,
    };
    if !report.accepted {
        let (actor, summary) = (staff.actor(), report.clone());
        db::run(&state.pool, move |conn| {
            service::record_refused_answers(conn, &actor, id, &summary)
        })
        .await?;
        return Ok(web::Json(report));
    }
    let farmers: Vec<i64> = pending.iter().filter_map(|i| i.farmer_id).collect();
    let validity = state.config.sat.validity;
    let (registry, term) = db::run(&state.pool, move |conn| {
        Ok((
            changes::records(conn, &farmers)?,
            OpinionTerm::load(conn, validity)?,
        ))
    })
    .await?;
    let results = service::classify_pending(
        pending,
        &registry,
        ExchangeAnswers(read.answers),
        &term,
        today(),
    )
    .await;
    report.not_answered = results
        .iter()
        .filter(|(_, _, _, r)| r.reason == confrontas_api::ItemReason::NotAnswered)
        .count() as u64;
    report.answered = results.len() as u64 - report.not_answered;
    let store = state.attachments.clone();
    let actor = staff.actor();
    let user = staff.user.clone();
    let summary = report.clone();
    db::run(&state.pool, move |conn| {
        let answers = service::AnswerFile {
            path: upload.file.path(),
            report: &summary,
        };
        service::store_answers(conn, &store, &user, &actor, id, &answers, &results)
    })
    .await?;
    Ok(web::Json(report))
}

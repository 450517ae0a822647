//! Certificates slice (seed `001`, issue 7): RENAPO's web-service certificate uploaded (on a
//! certificate request, or from the certificates page), checked ([`parse`]), deployed as the
//! RENAPO client's trust anchor without a restart, verified with a live handshake and test
//! query, rolled back to the previous one; every instance follows the deployed one
//! ([`sync`]). Only the sub-directorate uploads, deploys and rolls back; all is audited.

pub mod expiry;
pub mod parse;
pub mod sync;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use confrontas_api::{
    ActiveCertificate, CertificateAction, CertificateDetails, CertificateFilter, CertificateState,
    CertificateVerification, RenapoCertificate, Role, TrustStatus,
};
use diesel::prelude::*;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use self::parse::{CheckedChain, Expectations};
use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, UploadErrors,
};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::principal::{RoleSet, Staff, StaffUser, SubdireccionOnly};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{renapo_certificates as certs, requests};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_certificates)
        .service(active_certificate)
        .service(upload_certificate)
        .service(get_certificate)
        .service(deploy_certificate)
        .service(verify_certificate)
        .service(roll_back);
}

/// Who follows RENAPO's certificate: the desk (it tracks the request), the sub-directorate,
/// the administration.
pub struct CertificateStaff;
impl RoleSet for CertificateStaff {
    const ROLES: &'static [Role] = &[Role::Mesa, Role::Subdireccion, Role::Admin];
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = certs)]
pub struct CertificateRow {
    pub id: i64,
    pub request_id: Option<i64>,
    pub file_name: String,
    pub pem: String,
    pub details: String,
    pub fingerprint: String,
    pub not_after: NaiveDateTime,
    pub state: String,
    pub uploaded_by: i64,
    pub uploaded_at: NaiveDateTime,
    pub deployed_at: Option<NaiveDateTime>,
    pub retired_at: Option<NaiveDateTime>,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_ok: Option<bool>,
    pub verification_detail: Option<String>,
    pub alerts_sent: String,
    pub version: i32,
}

impl CertificateRow {
    fn current_state(&self) -> AppResult<CertificateState> {
        CertificateState::parse(&self.state)
            .ok_or_else(|| AppError::internal("unknown certificate state in database"))
    }

    /// Whether a live check succeeded since it was deployed.
    pub fn verified_since_deployed(&self) -> bool {
        matches!(
            (self.verified_ok, self.verified_at, self.deployed_at),
            (Some(true), Some(verified), Some(deployed)) if verified >= deployed
        )
    }
}

/// Days from today (UTC) until `not_after` (negative once past).
pub fn days_to(not_after: NaiveDateTime) -> i64 {
    (not_after.date() - db::now().date()).num_days()
}

fn to_dtos(
    conn: &mut AnyConnection,
    rows: Vec<CertificateRow>,
) -> AppResult<Vec<RenapoCertificate>> {
    let uploaders: Vec<i64> = rows.iter().map(|r| r.uploaded_by).collect();
    let people = crate::attachments::people(conn, &uploaders)?;
    let request_ids: Vec<i64> = rows.iter().filter_map(|r| r.request_id).collect();
    let tickets: std::collections::HashMap<i64, String> = requests::table
        .filter(requests::id.eq_any(&request_ids))
        .select((requests::id, requests::ticket_number))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            let chain: Vec<CertificateDetails> = serde_json::from_str(&row.details)
                .map_err(|e| AppError::internal(format!("stored certificate unreadable: {e}")))?;
            Ok(RenapoCertificate {
                id: row.id,
                request_id: row.request_id,
                ticket_number: row.request_id.and_then(|id| tickets.get(&id).cloned()),
                file_name: row.file_name.clone(),
                state: row.current_state()?,
                leaf: chain
                    .first()
                    .cloned()
                    .ok_or_else(|| AppError::internal("stored certificate without a chain"))?,
                chain,
                days_to_expiry: days_to(row.not_after),
                uploaded_by: people
                    .get(&row.uploaded_by)
                    .cloned()
                    .ok_or_else(|| AppError::internal("certificate uploader missing"))?,
                uploaded_at: row.uploaded_at.and_utc(),
                deployed_at: row.deployed_at.map(|t| t.and_utc()),
                retired_at: row.retired_at.map(|t| t.and_utc()),
                verification: match (row.verified_at, row.verified_ok) {
                    (Some(at), Some(ok)) => Some(CertificateVerification {
                        at: at.and_utc(),
                        ok,
                        detail: row.verification_detail.clone().unwrap_or_default(),
                    }),
                    _ => None,
                },
                version: row.version,
            })
        })
        .collect()
}

fn dto(conn: &mut AnyConnection, row: CertificateRow) -> AppResult<RenapoCertificate> {
    Ok(to_dtos(conn, vec![row])?.remove(0))
}

fn find(conn: &mut AnyConnection, id: i64) -> AppResult<CertificateRow> {
    certs::table
        .find(id)
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("No hay un certificado con ese id."))
}

/// The deployed certificate, if any.
pub fn deployed(conn: &mut AnyConnection) -> QueryResult<Option<CertificateRow>> {
    certs::table
        .filter(certs::state.eq(CertificateState::Deployed.as_str()))
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()
}

/// How close the deployed certificate is to expiring.
pub fn trust_status(conn: &mut AnyConnection) -> QueryResult<TrustStatus> {
    Ok(deployed(conn)?.map_or(TrustStatus::NotDeployed, |row| status_of(&row)))
}

/// Expired from the instant it ends; otherwise by the days left.
fn status_of(row: &CertificateRow) -> TrustStatus {
    if row.not_after < db::now() {
        TrustStatus::Expired
    } else {
        TrustStatus::of_days(days_to(row.not_after))
    }
}

/// What an upload is checked against: the configured RENAPO host and whether a self-signed
/// leaf may be pinned.
pub struct UploadRules {
    host: String,
    allow_self_signed: bool,
}

impl UploadRules {
    /// The rules of this server (503 when RENAPO is not configured: nothing to compare with).
    pub fn of(state: &AppState) -> AppResult<UploadRules> {
        let host = state
            .renapo
            .endpoint()
            .and_then(parse::host_of)
            .ok_or_else(|| {
                AppError::unavailable(
                    "renapo_not_configured",
                    "El servicio de RENAPO no está configurado en este servidor (CONFRONTAS_RENAPO_URL): no hay con qué comparar el certificado.",
                )
            })?
            .to_owned();
        Ok(UploadRules {
            host,
            allow_self_signed: state.config.renapo.allow_self_signed,
        })
    }

    /// Checks an uploaded file as RENAPO's certificate (422 with the reason when refused).
    pub fn check(&self, bytes: &[u8]) -> AppResult<CheckedChain> {
        parse::check(
            bytes,
            &Expectations {
                host: &self.host,
                allow_self_signed: self.allow_self_signed,
                now: chrono::Utc::now(),
            },
        )
        .map_err(|refusal| {
            AppError::new(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                refusal.code,
                refusal.message,
            )
        })
    }
}

/// An upload to keep: the checked chain and the file it came in.
pub struct Upload<'a> {
    pub chain: &'a CheckedChain,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub request_id: Option<i64>,
}

/// Stores a checked certificate as `uploaded` (inside the caller's transaction).
pub fn insert(
    conn: &mut AnyConnection,
    upload: &Upload,
    uploaded_by: i64,
    actor: &Actor,
) -> AppResult<i64> {
    let now = db::now();
    let details = serde_json::to_string(&upload.chain.details).map_err(AppError::internal)?;
    let id = diesel::insert_into(certs::table)
        .values((
            certs::request_id.eq(upload.request_id),
            certs::file_name.eq(upload.file_name),
            certs::sha256.eq(upload.sha256),
            certs::pem.eq(&upload.chain.pem),
            certs::details.eq(details),
            certs::fingerprint.eq(&upload.chain.leaf().fingerprint_sha256),
            certs::not_after.eq(upload.chain.not_after().naive_utc()),
            certs::state.eq(CertificateState::Uploaded.as_str()),
            certs::uploaded_by.eq(uploaded_by),
            certs::uploaded_at.eq(now),
            certs::alerts_sent.eq(""),
            certs::version.eq(1),
        ))
        .returning(certs::id)
        .get_result::<i64>(conn)?;
    actor.record(
        conn,
        "certificate_uploaded",
        "certificate",
        id,
        json!({
            "request_id": upload.request_id,
            "file_name": upload.file_name,
            "fingerprint": upload.chain.leaf().fingerprint_sha256,
            "subject": upload.chain.leaf().subject,
            "not_after": upload.chain.not_after(),
        }),
    )?;
    Ok(id)
}

fn stale() -> AppError {
    AppError::conflict(
        "stale_version",
        "El certificado cambió mientras lo revisaba. Vuelva a cargarlo y repita la acción si aún procede.",
    )
}

/// Makes `row` the deployed certificate (the one deployed so far is retired), in the caller's
/// transaction; notes the deployment on its request's timeline.
fn make_deployed(
    conn: &mut AnyConnection,
    row: &CertificateRow,
    staff: &StaffUser,
    actor: &Actor,
    action: &str,
) -> AppResult<()> {
    if row.not_after < db::now() {
        return Err(AppError::conflict(
            "certificate_expired",
            "El certificado ya venció: no puede desplegarse.",
        ));
    }
    let now = db::now();
    let previous = deployed(conn)?;
    if let Some(previous) = &previous {
        diesel::update(certs::table.find(previous.id))
            .set((
                certs::state.eq(CertificateState::Retired.as_str()),
                certs::retired_at.eq(now),
                certs::version.eq(certs::version + 1),
            ))
            .execute(conn)?;
    }
    let updated = diesel::update(
        certs::table
            .find(row.id)
            .filter(certs::version.eq(row.version)),
    )
    .set((
        certs::state.eq(CertificateState::Deployed.as_str()),
        certs::deployed_by.eq(staff.id),
        certs::deployed_at.eq(now),
        certs::retired_at.eq(None::<NaiveDateTime>),
        certs::version.eq(row.version + 1),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(stale());
    }
    if let Some(request_id) = row.request_id {
        crate::requests::workflow::note_certificate_deployed(
            conn,
            request_id,
            staff.id,
            &format!("Certificado desplegado: {}", row.fingerprint),
        )?;
    }
    actor.record(
        conn,
        action,
        "certificate",
        row.id,
        json!({
            "fingerprint": row.fingerprint,
            "replaced": previous.map(|p| p.id),
            "request_id": row.request_id,
        }),
    )?;
    Ok(())
}

/// A certificate request resolves only once a certificate it brought is deployed and a live
/// check succeeded after the deployment.
pub fn ready_to_resolve(conn: &mut AnyConnection, request_id: i64, ticket: &str) -> AppResult<()> {
    let rows = certs::table
        .filter(certs::request_id.eq(request_id))
        .filter(certs::state.eq(CertificateState::Deployed.as_str()))
        .select(CertificateRow::as_select())
        .load(conn)?;
    if rows.iter().any(CertificateRow::verified_since_deployed) {
        return Ok(());
    }
    Err(AppError::conflict(
        "certificate_not_deployed",
        if rows.is_empty() {
            format!(
                "La solicitud {ticket} no tiene un certificado desplegado: adjunte el certificado de RENAPO, despliéguelo y verifíquelo antes de resolver."
            )
        } else {
            format!(
                "El certificado de la solicitud {ticket} está desplegado pero no se ha verificado con éxito desde entonces: verifíquelo antes de resolver."
            )
        },
    ))
}

/// Certificates of the store (the 200 newest), newest first.
#[utoipa::path(
    tag = "certificates",
    security(("bearer" = [])),
    params(CertificateFilter),
    responses((status = 200, body = Vec<RenapoCertificate>), BadRequest, Unauthenticated, Forbidden)
)]
#[get("/certificates")]
async fn list_certificates(
    state: web::Data<AppState>,
    _staff: Staff<CertificateStaff>,
    filter: web::Query<CertificateFilter>,
) -> AppResult<web::Json<Vec<RenapoCertificate>>> {
    let request_id = filter.into_inner().request_id;
    let found = db::run(&state.pool, move |conn| {
        let mut query = certs::table
            .order(certs::id.desc())
            .limit(200)
            .select(CertificateRow::as_select())
            .into_boxed::<db::DbBackend>();
        if let Some(request_id) = request_id {
            query = query.filter(certs::request_id.eq(request_id));
        }
        let rows = query.load(conn)?;
        to_dtos(conn, rows)
    })
    .await?;
    Ok(web::Json(found))
}

/// The deployed certificate and how close it is to expiring.
#[utoipa::path(
    tag = "certificates",
    security(("bearer" = [])),
    responses((status = 200, body = ActiveCertificate), Unauthenticated, Forbidden)
)]
#[get("/certificates/active")]
async fn active_certificate(
    state: web::Data<AppState>,
    _staff: Staff<CertificateStaff>,
) -> AppResult<web::Json<ActiveCertificate>> {
    let active = db::run(&state.pool, |conn| {
        Ok(match deployed(conn)? {
            None => ActiveCertificate {
                status: TrustStatus::NotDeployed,
                certificate: None,
                expires_on: None,
            },
            Some(row) => {
                let expires_on = Some(row.not_after.date());
                let status = status_of(&row);
                let certificate = dto(conn, row)?;
                ActiveCertificate {
                    status,
                    certificate: Some(certificate),
                    expires_on,
                }
            }
        })
    })
    .await?;
    Ok(web::Json(active))
}

/// One certificate.
#[utoipa::path(
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Certificate id")),
    responses((status = 200, body = RenapoCertificate), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/certificates/{id}")]
async fn get_certificate(
    state: web::Data<AppState>,
    _staff: Staff<CertificateStaff>,
    id: web::Path<i64>,
) -> AppResult<web::Json<RenapoCertificate>> {
    let id = id.into_inner();
    let found = db::run(&state.pool, move |conn| {
        let row = find(conn, id)?;
        dto(conn, row)
    })
    .await?;
    Ok(web::Json(found))
}

/// Upload RENAPO's certificate from the certificates page (multipart `file`: `.pem`, `.crt`,
/// `.cer` or `.der`; a chain allowed). It is parsed and checked — refused when unparsable,
/// holding a private key, expired, not yet valid, not naming the configured RENAPO host, or
/// self-signed without `CONFRONTAS_RENAPO_ALLOW_SELF_SIGNED` — and stored as `uploaded`. On a
/// certificate request, attach it to the request instead (`kind=certificate`), which also
/// starts the deployment clock.
#[utoipa::path(
    tag = "certificates",
    security(("bearer" = [])),
    request_body(content = crate::api_doc::SpreadsheetUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = RenapoCertificate), UploadErrors, Unauthenticated, Forbidden)
)]
#[post("/certificates")]
async fn upload_certificate(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let spec = crate::uploads::FormSpec {
        texts: &[],
        files: &[("file", state.config.document_max_bytes)],
    };
    let mut form = crate::uploads::receive_form(
        &request,
        actix_multipart::Multipart::new(request.headers(), payload),
        &state.uploads_dir(),
        &spec,
    )
    .await?;
    let file = form.take_file("file").ok_or_else(|| {
        AppError::validation(vec![confrontas_api::FieldError::new(
            "file",
            "Adjunte el archivo del certificado.",
        )])
    })?;
    crate::attachments::content_type_for(
        confrontas_api::AttachmentKind::Certificate,
        &file.file_name,
    )
    .ok_or_else(|| {
        AppError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_file_type",
            "El certificado debe ser un archivo .pem, .crt, .cer o .der.",
        )
    })?;
    let bytes = std::fs::read(file.file.path()).map_err(AppError::internal)?;
    let chain = UploadRules::of(&state)?.check(&bytes)?;
    let stored = state
        .attachments
        .put_file(file.file.path())
        .map_err(AppError::internal)?;
    let (user, actor) = (staff.user.clone(), staff.actor());
    let created = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let upload = Upload {
                chain: &chain,
                file_name: &file.file_name,
                sha256: &stored.sha256,
                request_id: None,
            };
            let id = insert(conn, &upload, user.id, &actor)?;
            let row = find(conn, id)?;
            dto(conn, row)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/certificates/{}", created.id),
        ))
        .json(created))
}

/// Deploy: the certificate becomes the RENAPO client's trust anchor at once, for the
/// confrontation engine and the online consultation alike (no restart; other instances follow
/// within `CONFRONTAS_TRUST_SYNC_MS`). The one deployed so far is retired. On a certificate
/// request, the deployment stops its deployment clock.
#[utoipa::path(
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Certificate id")),
    request_body = CertificateAction,
    responses((status = 200, body = RenapoCertificate), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/certificates/{id}/deploy")]
async fn deploy_certificate(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    id: web::Path<i64>,
    body: web::Json<CertificateAction>,
) -> AppResult<web::Json<RenapoCertificate>> {
    let (id, version) = (id.into_inner(), body.version);
    let deployed = deploy_chosen(&state, &staff, "certificate_deployed", move |conn| {
        let row = find(conn, id)?;
        if row.version != version {
            return Err(stale());
        }
        if row.current_state()? == CertificateState::Deployed {
            return Err(AppError::conflict(
                "already_deployed",
                "Ese certificado ya está desplegado.",
            ));
        }
        Ok(row)
    })
    .await?;
    Ok(web::Json(deployed))
}

/// Deploys the certificate `choose` picks (inside the deployment's transaction), trusts it on
/// this instance at once, and answers it.
async fn deploy_chosen(
    state: &AppState,
    staff: &Staff<SubdireccionOnly>,
    action: &'static str,
    choose: impl FnOnce(&mut AnyConnection) -> AppResult<CertificateRow> + Send + 'static,
) -> AppResult<RenapoCertificate> {
    let (user, actor) = (staff.user.clone(), staff.actor());
    let row = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let row = choose(conn)?;
            make_deployed(conn, &row, &user, &actor, action)?;
            find(conn, row.id)
        })
    })
    .await?;
    sync::trust(state, &row)?;
    db::run(&state.pool, move |conn| dto(conn, row)).await
}

/// Roll back: the certificate deployed before the current one is deployed again (the current
/// one is retired).
#[utoipa::path(
    tag = "certificates",
    security(("bearer" = [])),
    responses((status = 200, body = RenapoCertificate), Unauthenticated, Forbidden, Conflict)
)]
#[post("/certificates/rollback")]
async fn roll_back(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
) -> AppResult<web::Json<RenapoCertificate>> {
    let restored = deploy_chosen(&state, &staff, "certificate_rolled_back", |conn| {
        certs::table
            .filter(certs::state.eq(CertificateState::Retired.as_str()))
            .order((certs::retired_at.desc(), certs::id.desc()))
            .select(CertificateRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                AppError::conflict(
                    "nothing_to_roll_back",
                    "No hay un certificado anterior desplegado al cual regresar.",
                )
            })
    })
    .await?;
    Ok(web::Json(restored))
}

/// Verify: a live TLS handshake and a test query (`CONFRONTAS_RENAPO_TEST_CURP`) against the
/// configured RENAPO endpoint trusting only this certificate; the result is recorded (and
/// audited) whether it succeeds or not.
#[utoipa::path(
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Certificate id")),
    request_body = CertificateAction,
    responses((status = 200, body = RenapoCertificate), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/certificates/{id}/verify")]
async fn verify_certificate(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    id: web::Path<i64>,
    body: web::Json<CertificateAction>,
) -> AppResult<web::Json<RenapoCertificate>> {
    let (id, version) = (id.into_inner(), body.version);
    let row = db::run(&state.pool, move |conn| find(conn, id)).await?;
    if row.version != version {
        return Err(stale());
    }
    let (ok, detail) = live_check(&state, &row.pem).await;
    let actor = staff.actor();
    let found = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let updated = diesel::update(certs::table.find(id).filter(certs::version.eq(version)))
                .set((
                    certs::verified_at.eq(db::now()),
                    certs::verified_ok.eq(ok),
                    certs::verification_detail.eq(&detail),
                    certs::version.eq(version + 1),
                ))
                .execute(conn)?;
            if updated == 0 {
                return Err(stale());
            }
            actor.record(
                conn,
                "certificate_verified",
                "certificate",
                id,
                json!({ "ok": ok, "detail": detail }),
            )?;
            let row = find(conn, id)?;
            dto(conn, row)
        })
    })
    .await?;
    Ok(web::Json(found))
}

/// Asks RENAPO the test CURP trusting only `pem`: whether the handshake succeeded and RENAPO
/// answered, and what happened, in Spanish.
async fn live_check(state: &AppState, pem: &str) -> (bool, String) {
    use crate::renapo::client::ClientError;
    use crate::renapo::protocol::Answer;
    let client = match state.renapo.client_trusting(pem) {
        Ok(client) => client,
        Err(error) => return (false, format!("No se pudo preparar el cliente: {error}")),
    };
    let curp = &state.config.renapo.test_curp;
    match client.consult(curp).await {
        Ok(reply) => match reply.answer {
            Answer::Found(_) | Answer::NotFound { .. } => (
                true,
                format!(
                    "Conexión TLS establecida con el certificado y RENAPO respondió la consulta de prueba ({curp})."
                ),
            ),
            Answer::InvalidUser { .. } => (
                false,
                "La conexión TLS funcionó, pero RENAPO rechazó el usuario o la contraseña de la dependencia.".into(),
            ),
            other => (
                false,
                format!("La conexión TLS funcionó, pero RENAPO no atendió la consulta de prueba: {other:?}"),
            ),
        },
        Err(ClientError::Untrusted(reason)) => (
            false,
            format!("El servidor de RENAPO presentó un certificado que no corresponde a este: {reason}"),
        ),
        Err(error) => (false, format!("RENAPO no respondió la consulta de prueba: {error}")),
    }
}

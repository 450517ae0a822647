//! Certificates slice: RENAPO's web-service certificate uploaded (on a certificate request, or
//! from the certificates page), checked ([`parse`]), deployed as the RENAPO client's trust
//! anchor without a restart, verified with a live handshake and test query, rolled back to the
//! previous one; every instance follows the deployed one ([`sync`]) and its expiry is announced
//! ([`expiry`]). Only the sub-directorate uploads, deploys and rolls back; all is audited.
//! Handlers here; reads in [`records`], changes in [`service`].

pub mod expiry;
pub mod parse;
pub mod records;
pub mod service;
pub mod sync;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use confrontas_api::{
    ActiveCertificate, CertificateAction, CertificateFilter, CertificateState, RenapoCertificate,
    Role,
};
use utoipa_actix_web::service_config::ServiceConfig;

use self::records::{CertificateRow, dto, find};
use self::service::{UploadRules, stale};
use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, UploadErrors,
};
use crate::auth::principal::{RoleSet, Staff, SubdireccionOnly};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

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
    let found = db::run(&state.pool, move |conn| records::list(conn, request_id)).await?;
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
    let active = db::run(&state.pool, records::active).await?;
    Ok(web::Json(active))
}

/// One certificate.
#[utoipa::path(
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Certificate id")),
    responses((status = 200, body = RenapoCertificate), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/certificates/{id:-?[0-9]+}")]
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
    let rules = UploadRules::of(&state)?;
    let store = state.attachments.clone();
    let (user, actor) = (staff.user.clone(), staff.actor());
    let created = db::run(&state.pool, move |conn| {
        service::store_upload(conn, &store, &rules, &user, &actor, &file)
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
#[post("/certificates/{id:-?[0-9]+}/deploy")]
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
        service::deploy(conn, &user, &actor, action, choose)
    })
    .await?;
    sync::trust(&state.renapo, &row)?;
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
    let restored = deploy_chosen(
        &state,
        &staff,
        "certificate_rolled_back",
        records::last_retired,
    )
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
#[post("/certificates/{id:-?[0-9]+}/verify")]
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
    let checked =
        service::live_check(&state.renapo, &state.config.renapo.test_curp, &row.pem).await;
    let actor = staff.actor();
    let found = db::run(&state.pool, move |conn| {
        service::record_verification(conn, &actor, id, version, checked)
    })
    .await?;
    Ok(web::Json(found))
}

//! Changing RENAPO's certificates: an upload checked and stored, a deployment (the one
//! deployed so far retired, the request's timeline told), a verification recorded; each with
//! its audit row in the same transaction.

use chrono::NaiveDateTime;
use confrontas_api::{CertificateState, RenapoCertificate};
use diesel::prelude::*;
use serde_json::json;

use super::parse::{self, CheckedChain, Expectations};
use super::records::{CertificateRow, deployed, dto, find};
use crate::attachments::AttachmentStore;
use crate::audit::Actor;
use crate::auth::principal::StaffUser;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::renapo::gateway::RenapoGateway;
use crate::schema::renapo_certificates as certs;
use crate::state::AppState;
use crate::uploads::ReceivedFile;

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

pub fn stale() -> AppError {
    AppError::conflict(
        "stale_version",
        "El certificado cambió mientras lo revisaba. Vuelva a cargarlo y repita la acción si aún procede.",
    )
}

/// Makes `row` the deployed certificate (the one deployed so far is retired), in the caller's
/// transaction; notes the deployment on its request's timeline.
pub fn make_deployed(
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

/// Checks an upload from the certificates page by `rules`, keeps its file in `store` and
/// records it as `uploaded`, audited. Blocking: run it off the async threads.
pub fn store_upload(
    conn: &mut AnyConnection,
    store: &AttachmentStore,
    rules: &UploadRules,
    staff: &StaffUser,
    actor: &Actor,
    file: &ReceivedFile,
) -> AppResult<RenapoCertificate> {
    let bytes = std::fs::read(file.file.path()).map_err(AppError::internal)?;
    let chain = rules.check(&bytes)?;
    let stored = store
        .put_file(file.file.path())
        .map_err(AppError::internal)?;
    conn.write_transaction(|conn| {
        let upload = Upload {
            chain: &chain,
            file_name: &file.file_name,
            sha256: &stored.sha256,
            request_id: None,
        };
        let id = insert(conn, &upload, staff.id, actor)?;
        let row = find(conn, id)?;
        dto(conn, row)
    })
}

/// Deploys the certificate `choose` picks, in one transaction; the deployed row.
pub fn deploy(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    actor: &Actor,
    action: &str,
    choose: impl FnOnce(&mut AnyConnection) -> AppResult<CertificateRow>,
) -> AppResult<CertificateRow> {
    conn.write_transaction(|conn| {
        let row = choose(conn)?;
        make_deployed(conn, &row, staff, actor, action)?;
        find(conn, row.id)
    })
}

/// Records the outcome of a live check of certificate `id` (seen at `version`), audited.
pub fn record_verification(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    version: i32,
    (ok, detail): (bool, String),
) -> AppResult<RenapoCertificate> {
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
}

/// Asks RENAPO the test CURP trusting only `pem`: whether the handshake succeeded and RENAPO
/// answered, and what happened, in Spanish.
pub async fn live_check(renapo: &RenapoGateway, test_curp: &str, pem: &str) -> (bool, String) {
    use crate::renapo::client::ClientError;
    use crate::renapo::protocol::Answer;
    let client = match renapo.client_trusting(pem) {
        Ok(client) => client,
        Err(error) => return (false, format!("No se pudo preparar el cliente: {error}")),
    };
    let curp = test_curp;
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

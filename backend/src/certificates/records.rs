//! Reading RENAPO's certificates: one, the store's list, the deployed one and how close it is
//! to expiring, and whether a certificate request may resolve.

use chrono::NaiveDateTime;
use confrontas_api::{
    ActiveCertificate, CertificateDetails, CertificateState, CertificateVerification,
    RenapoCertificate, TrustStatus,
};
use diesel::prelude::*;

use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{renapo_certificates as certs, requests};

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
    pub fn current_state(&self) -> AppResult<CertificateState> {
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

pub fn to_dtos(
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

pub fn dto(conn: &mut AnyConnection, row: CertificateRow) -> AppResult<RenapoCertificate> {
    Ok(to_dtos(conn, vec![row])?.remove(0))
}

pub fn find(conn: &mut AnyConnection, id: i64) -> AppResult<CertificateRow> {
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
pub fn status_of(row: &CertificateRow) -> TrustStatus {
    if row.not_after < db::now() {
        TrustStatus::Expired
    } else {
        TrustStatus::of_days(days_to(row.not_after))
    }
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

/// The store's certificates (the 200 newest; only `request_id`'s when given), newest first.
pub fn list(
    conn: &mut AnyConnection,
    request_id: Option<i64>,
) -> AppResult<Vec<RenapoCertificate>> {
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
}

/// The deployed certificate and how close it is to expiring.
pub fn active(conn: &mut AnyConnection) -> AppResult<ActiveCertificate> {
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
}

/// The certificate retired last, to deploy again on a rollback.
pub fn last_retired(conn: &mut AnyConnection) -> AppResult<CertificateRow> {
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
}

//! RENAPO's web-service certificate: the certificates the sub-directorate
//! uploads, their parsed details, their lifecycle (uploaded → deployed → retired) and the
//! verification of a live TLS handshake and test query against RENAPO.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::requests::PersonRef;

/// Where a certificate is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CertificateState {
    /// Received and checked; not trusted yet.
    Uploaded,
    /// The RENAPO client's trust anchor now (one at a time).
    Deployed,
    /// Was deployed and was replaced; a rollback deploys it again.
    Retired,
}

impl CertificateState {
    pub const ALL: [CertificateState; 3] = [
        CertificateState::Uploaded,
        CertificateState::Deployed,
        CertificateState::Retired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CertificateState::Uploaded => "uploaded",
            CertificateState::Deployed => "deployed",
            CertificateState::Retired => "retired",
        }
    }

    pub fn parse(value: &str) -> Option<CertificateState> {
        CertificateState::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            CertificateState::Uploaded => "Cargado",
            CertificateState::Deployed => "Desplegado",
            CertificateState::Retired => "Retirado",
        }
    }
}

/// One certificate of an uploaded chain, as parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateDetails {
    pub subject: String,
    pub issuer: String,
    /// Serial number in hexadecimal, bytes separated by colons.
    pub serial: String,
    /// SHA-256 of the DER encoding, in hexadecimal, bytes separated by colons.
    pub fingerprint_sha256: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// DNS names and IP addresses the certificate is valid for.
    pub subject_alt_names: Vec<String>,
    /// A certificate authority (it signs others).
    pub is_ca: bool,
    /// Issued by itself.
    pub self_signed: bool,
}

/// The outcome of a live check against RENAPO with a certificate as the trust anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateVerification {
    pub at: DateTime<Utc>,
    /// The TLS handshake succeeded and RENAPO answered the test query.
    pub ok: bool,
    /// What happened, in Spanish.
    pub detail: String,
}

/// A certificate of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenapoCertificate {
    pub id: i64,
    /// The certificate request it arrived with, if any.
    pub request_id: Option<i64>,
    pub ticket_number: Option<String>,
    pub file_name: String,
    pub state: CertificateState,
    /// The server's certificate (or the pinned one): what names, dates and fingerprint tell.
    pub leaf: CertificateDetails,
    /// Every certificate of the file, the leaf first.
    pub chain: Vec<CertificateDetails>,
    /// Days from today until the first certificate of the chain expires (negative: expired).
    pub days_to_expiry: i64,
    pub uploaded_by: PersonRef,
    pub uploaded_at: DateTime<Utc>,
    pub deployed_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    /// The last live check with this certificate.
    pub verification: Option<CertificateVerification>,
    pub version: i32,
}

/// Query of `GET /certificates`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct CertificateFilter {
    /// Only the certificates a certificate request brought.
    pub request_id: Option<i64>,
}

/// Body of deploy and verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CertificateAction {
    /// The version the caller saw.
    pub version: i32,
}

/// What the built-in RENAPO simulator rotates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SimulatedRotation {
    /// A server certificate from a new authority (handed out with the authority).
    NewAuthority,
    /// A new self-signed server certificate.
    SelfSigned,
}

/// Body of `POST /simulator/renapo/rotation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RotationBody {
    pub to: SimulatedRotation,
}

/// How far RENAPO's trust anchor is from expiring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TrustStatus {
    /// Valid for more than 30 days.
    Valid,
    /// Expires within 30 days.
    ExpiringSoon,
    /// Expired: RENAPO's answers cannot be trusted with it.
    Expired,
    /// No certificate deployed from the store (the configured file is trusted).
    NotDeployed,
    /// RENAPO presented a server certificate this instance does not trust (it changed its
    /// certificate and the new one is not deployed): every query fails until it is.
    Untrusted,
}

impl TrustStatus {
    /// Days before expiry from which a certificate is `expiring_soon`.
    pub const WARNING_DAYS: i64 = 30;

    pub fn of_days(days_to_expiry: i64) -> TrustStatus {
        if days_to_expiry < 0 {
            TrustStatus::Expired
        } else if days_to_expiry <= TrustStatus::WARNING_DAYS {
            TrustStatus::ExpiringSoon
        } else {
            TrustStatus::Valid
        }
    }

    /// Whether RENAPO cannot be queried with it: expired, or refused in the handshake.
    pub fn is_trouble(self) -> bool {
        matches!(self, TrustStatus::Expired | TrustStatus::Untrusted)
    }

    pub fn label(self) -> &'static str {
        match self {
            TrustStatus::Valid => "Vigente",
            TrustStatus::ExpiringSoon => "Por vencer",
            TrustStatus::Expired => "Vencido",
            TrustStatus::NotDeployed => "Sin certificado desplegado",
            TrustStatus::Untrusted => "No confiable",
        }
    }
}

/// `GET /certificates/active`: the deployed certificate and how close it is to expiring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActiveCertificate {
    pub status: TrustStatus,
    pub certificate: Option<RenapoCertificate>,
    /// The last day the deployed certificate is valid.
    pub expires_on: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_status_follows_the_days_left() {
        assert_eq!(TrustStatus::of_days(-1), TrustStatus::Expired);
        assert_eq!(TrustStatus::of_days(0), TrustStatus::ExpiringSoon);
        assert_eq!(TrustStatus::of_days(30), TrustStatus::ExpiringSoon);
        assert_eq!(TrustStatus::of_days(31), TrustStatus::Valid);
        for state in CertificateState::ALL {
            assert_eq!(CertificateState::parse(state.as_str()), Some(state));
        }
    }
}

//! The online provider: the HTTPS JSON client of the SAT agreement's web service.
//!
//! No public SAT service for agencies exists (`docs/sat-protocol.md`, "The online interface"),
//! so the agreement's
//! interface is ours to propose; it follows what the SAT portal's own opinion service takes and
//! returns (§5.4: `idCorrelacion`, `rfc`, `tipoReporte: "32D"`, `canal`; an answer or a
//! `Mensaje`) and the fields of the opinion document (§5.2: folio, sense, issue date):
//!
//! ```text
//! POST {CONFRONTAS_SAT_URL}
//! Authorization: Basic base64(user:password)
//! Content-Type: application/json
//! {"idCorrelacion":"<uuid>","rfc":"GODE561231GR8","tipoReporte":"32D","canal":"G"}
//!
//! 200 {"idCorrelacion":"<uuid>","rfc":"GODE561231GR8","sentido":"POSITIVO",
//!      "folio":"26NE9193705","fechaEmision":"27-11-2026"}
//! 200 {"idCorrelacion":"<uuid>","rfc":"…","sentido":"NO INSCRITO"}        (no document)
//! 200 {"Mensaje":"…"}                                    (the SAT refuses this query)
//! 401 credentials refused · 429 over the quota (Retry-After) · 503 unavailable
//! ```
//!
//! The sense comes as the document prints it (`POSITIVO`, `NEGATIVO`, `EN SUSPENSIÓN DE
//! ACTIVIDADES`, `INSCRITO SIN OBLIGACIONES`, `NO INSCRITO`); it is read tolerantly
//! ([`SatOutcome::from_text`]). Dates are `dd-mm-yyyy`, as in the QR code.

use std::time::Duration;

use base64::Engine;
use chrono::NaiveDate;
use confrontas_api::{Rfc, SatOutcome};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;

use super::opinion::{OpinionProvider, ProviderError, SatAnswer};
use crate::tls::{SendError, send_capped};

/// How to reach the agreement's service.
#[derive(Clone)]
pub struct SatSettings {
    pub url: String,
    pub user: String,
    pub password: String,
    /// PEM certificates the service's certificate must chain to.
    pub trust_anchor_pem: String,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub max_response_bytes: usize,
}

pub struct SatClient {
    http: reqwest::Client,
    settings: SatSettings,
    authorization: HeaderValue,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(rename = "idCorrelacion")]
    correlation: Option<String>,
    rfc: Option<String>,
    sentido: Option<String>,
    folio: Option<String>,
    #[serde(rename = "fechaEmision")]
    issued_on: Option<String>,
    #[serde(rename = "Mensaje")]
    message: Option<String>,
}

impl From<SendError> for ProviderError {
    fn from(error: SendError) -> ProviderError {
        match error {
            SendError::Untrusted(reason) => ProviderError::Untrusted(reason),
            SendError::Timeout | SendError::Unreachable(_) => {
                ProviderError::Unavailable(error.to_string())
            }
            SendError::Redirect(_) | SendError::TooLarge(_) => {
                ProviderError::Unusable(error.to_string())
            }
        }
    }
}

/// Reads the service's answer to the query `correlation` about `rfc`.
fn read_reply(
    status: u16,
    body: &[u8],
    correlation: &str,
    rfc: &Rfc,
) -> Result<SatAnswer, ProviderError> {
    match status {
        200 => {}
        401 | 403 => return Err(ProviderError::Credentials),
        408 | 429 | 500 | 502 | 503 | 504 => {
            return Err(ProviderError::Unavailable(format!("HTTP {status}")));
        }
        other => return Err(ProviderError::Unusable(format!("HTTP {other}"))),
    }
    let reply: Reply = serde_json::from_slice(body)
        .map_err(|e| ProviderError::Unusable(format!("not the agreed JSON: {e}")))?;
    if let Some(message) = reply.message.filter(|m| !m.trim().is_empty()) {
        return Err(ProviderError::Refused(message.chars().take(300).collect()));
    }
    if reply.correlation.as_deref() != Some(correlation) {
        return Err(ProviderError::Unusable("answer to another query".into()));
    }
    if reply.rfc.as_deref().map(str::trim) != Some(rfc.as_str()) {
        return Err(ProviderError::Unusable("answer for another RFC".into()));
    }
    let outcome = reply
        .sentido
        .as_deref()
        .and_then(SatOutcome::from_text)
        .ok_or_else(|| ProviderError::Unusable("unknown sense".into()))?;
    if !outcome.has_document() {
        return Ok(SatAnswer {
            outcome,
            folio: None,
            issued_on: None,
        });
    }
    let folio = reply
        .folio
        .map(|f| f.trim().to_ascii_uppercase())
        .filter(|f| !f.is_empty() && f.len() <= 30 && f.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| ProviderError::Unusable("opinion without a valid folio".into()))?;
    let issued_on = reply
        .issued_on
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%d-%m-%Y").ok())
        .ok_or_else(|| ProviderError::Unusable("opinion without a valid issue date".into()))?;
    let today = crate::calendar::rules::local_date(chrono::Utc::now());
    if issued_on > today {
        return Err(ProviderError::Unusable(format!(
            "opinion issued in the future ({issued_on}, today is {today})"
        )));
    }
    Ok(SatAnswer {
        outcome,
        folio: Some(folio),
        issued_on: Some(issued_on),
    })
}

/// A random version-4 UUID, as the portal's `idCorrelacion`.
fn correlation_id() -> String {
    let bits = (rand::random::<u128>() & !(0xF000u128 << 64) | (0x4000u128 << 64))
        & !(0xC000u128 << 48)
        | (0x8000u128 << 48);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl SatClient {
    pub fn new(settings: SatSettings) -> Result<SatClient, String> {
        let http = crate::tls::pinned_client(
            &settings.trust_anchor_pem,
            settings.connect_timeout,
            settings.read_timeout,
        )
        .map_err(|e| format!("SAT {e}"))?;
        let credentials = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", settings.user, settings.password));
        let mut authorization = HeaderValue::from_str(&format!("Basic {credentials}"))
            .map_err(|_| "SAT credentials: not valid in an HTTP header".to_owned())?;
        authorization.set_sensitive(true);
        Ok(SatClient {
            http,
            settings,
            authorization,
        })
    }
}

impl OpinionProvider for SatClient {
    async fn opinion(&self, rfc: &Rfc) -> Result<SatAnswer, ProviderError> {
        let correlation = correlation_id();
        let body = serde_json::json!({
            "idCorrelacion": correlation,
            "rfc": rfc.as_str(),
            "tipoReporte": "32D",
            "canal": "G",
        });
        let request = self
            .http
            .post(&self.settings.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(AUTHORIZATION, self.authorization.clone())
            .body(body.to_string());
        let (status, body) = send_capped(request, self.settings.max_response_bytes).await?;
        read_reply(status, &body, &correlation, rfc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc() -> Rfc {
        Rfc::parse("GODE561231GR8").unwrap()
    }

    #[test]
    fn an_opinion_is_read_with_its_folio_and_date() {
        let body = br#"{"idCorrelacion":"c1","rfc":"GODE561231GR8","sentido":"POSITIVO","folio":"26ne9193705","fechaEmision":"27-11-2026"}"#;
        let answer = read_reply(200, body, "c1", &rfc()).unwrap();
        assert_eq!(answer.outcome, SatOutcome::Positiva);
        assert_eq!(answer.folio.as_deref(), Some("26NE9193705"));
        assert_eq!(answer.issued_on, NaiveDate::from_ymd_opt(2026, 11, 27));
    }

    #[test]
    fn an_opinion_dated_after_today_is_unusable() {
        let today = crate::calendar::rules::local_date(chrono::Utc::now());
        let body = |day: NaiveDate| {
            format!(
                r#"{{"idCorrelacion":"c1","rfc":"GODE561231GR8","sentido":"POSITIVO","folio":"A1","fechaEmision":"{}"}}"#,
                day.format("%d-%m-%Y")
            )
        };
        assert!(read_reply(200, body(today).as_bytes(), "c1", &rfc()).is_ok());
        let tomorrow = today.succ_opt().unwrap();
        assert!(matches!(
            read_reply(200, body(tomorrow).as_bytes(), "c1", &rfc()),
            Err(ProviderError::Unusable(why)) if why.contains("future")
        ));
    }

    #[test]
    fn faults_are_told_apart() {
        let r = rfc();
        assert_eq!(
            read_reply(401, b"", "c1", &r),
            Err(ProviderError::Credentials)
        );
        assert!(matches!(
            read_reply(503, b"", "c1", &r),
            Err(ProviderError::Unavailable(_))
        ));
        assert!(matches!(
            read_reply(429, b"", "c1", &r),
            Err(ProviderError::Unavailable(_))
        ));
        assert!(matches!(
            read_reply(200, br#"{"Mensaje":"RFC no valido"}"#, "c1", &r),
            Err(ProviderError::Refused(m)) if m == "RFC no valido"
        ));
        for body in [
            &br#"{"idCorrelacion":"c1","rfc":"GODE561231GR8","sentido":"POSIT"#[..],
            br#"{"idCorrelacion":"other","rfc":"GODE561231GR8","sentido":"NO INSCRITO"}"#,
            br#"{"idCorrelacion":"c1","rfc":"XAXX010101000","sentido":"NO INSCRITO"}"#,
            br#"{"idCorrelacion":"c1","rfc":"GODE561231GR8","sentido":"QUIZA"}"#,
            br#"{"idCorrelacion":"c1","rfc":"GODE561231GR8","sentido":"NEGATIVO","fechaEmision":"27-11-2026"}"#,
            br#"{"idCorrelacion":"c1","rfc":"GODE561231GR8","sentido":"NEGATIVO","folio":"A1","fechaEmision":"2026-11-27"}"#,
        ] {
            assert!(
                matches!(read_reply(200, body, "c1", &r), Err(ProviderError::Unusable(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let none = read_reply(
            200,
            br#"{"idCorrelacion":"c1","rfc":"GODE561231GR8","sentido":"NO INSCRITO"}"#,
            "c1",
            &r,
        )
        .unwrap();
        assert_eq!(none.outcome, SatOutcome::NoInscrito);
    }
}

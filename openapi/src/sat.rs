//! SAT compliance opinions (art. 32-D CFF; `docs/sat-protocol.md`): their outcomes, the
//! two ways a confrontation obtains them (an exchange file, an online provider), the QR
//! validator URL printed on every opinion, and what the server answers when one is verified.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::identity::{Rfc, RfcWarning, plain_upper};

/// Whether an opinion is valid on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ValidityState {
    /// Valid, more than [`EXPIRING_WITHIN_DAYS`] days left.
    Valid,
    /// Valid, its last day within [`EXPIRING_WITHIN_DAYS`] days.
    Expiring,
    /// Its last valid day has passed: a new opinion is needed.
    Expired,
}

/// An opinion is "por vencer" when its last valid day is this many days away or fewer.
pub const EXPIRING_WITHIN_DAYS: i64 = 15;

/// An opinion's validity on the day it is read (Mexico City), computed then, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpinionStanding {
    pub state: ValidityState,
    /// Days from that day to the last valid day: 0 on the last day, negative once expired.
    pub days_left: i64,
}

impl OpinionStanding {
    /// The standing of an opinion valid through `valid_until`, on `today`.
    pub fn on(valid_until: chrono::NaiveDate, today: chrono::NaiveDate) -> OpinionStanding {
        let days_left = (valid_until - today).num_days();
        let state = if days_left < 0 {
            ValidityState::Expired
        } else if days_left <= EXPIRING_WITHIN_DAYS {
            ValidityState::Expiring
        } else {
            ValidityState::Valid
        };
        OpinionStanding { state, days_left }
    }

    /// "Vigente", "Por vencer: vence hoy", "Por vencer en 3 días", "Vencida".
    pub fn label(&self) -> String {
        match (self.state, self.days_left) {
            (ValidityState::Valid, _) => "Vigente".to_owned(),
            (ValidityState::Expiring, 0) => "Por vencer: vence hoy".to_owned(),
            (ValidityState::Expiring, 1) => "Por vencer en 1 día".to_owned(),
            (ValidityState::Expiring, days) => format!("Por vencer en {days} días"),
            (ValidityState::Expired, _) => "Vencida".to_owned(),
        }
    }
}

/// The sense ("sentido") of an opinion, as the SAT portal shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SatOutcome {
    /// Registered and up to date.
    Positiva,
    /// Registered and not up to date.
    Negativa,
    /// The RFC's activities are suspended.
    EnSuspension,
    /// Registered with no tax obligations.
    InscritoSinObligaciones,
    /// Not in the RFC register.
    NoInscrito,
}

impl SatOutcome {
    pub const ALL: [SatOutcome; 5] = [
        SatOutcome::Positiva,
        SatOutcome::Negativa,
        SatOutcome::EnSuspension,
        SatOutcome::InscritoSinObligaciones,
        SatOutcome::NoInscrito,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SatOutcome::Positiva => "positiva",
            SatOutcome::Negativa => "negativa",
            SatOutcome::EnSuspension => "en_suspension",
            SatOutcome::InscritoSinObligaciones => "inscrito_sin_obligaciones",
            SatOutcome::NoInscrito => "no_inscrito",
        }
    }

    pub fn parse(value: &str) -> Option<SatOutcome> {
        SatOutcome::ALL.into_iter().find(|o| o.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            SatOutcome::Positiva => "Positiva",
            SatOutcome::Negativa => "Negativa",
            SatOutcome::EnSuspension => "En suspensión de actividades",
            SatOutcome::InscritoSinObligaciones => "Inscrito sin obligaciones",
            SatOutcome::NoInscrito => "No inscrito",
        }
    }

    /// Reads the sense as people and the SAT write it: any case, with or without accents,
    /// masculine or feminine ("POSITIVO", "Positiva"), the QR's letters `P`/`N`, or our codes.
    pub fn from_text(text: &str) -> Option<SatOutcome> {
        let plain = plain_upper(text).replace(['_', '-'], " ");
        let words: Vec<&str> = plain.split_whitespace().collect();
        let joined = words.join(" ");
        if let Some(code) = SatOutcome::parse(&text.trim().to_lowercase()) {
            return Some(code);
        }
        match joined.as_str() {
            "P" | "POSITIVA" | "POSITIVO" => Some(SatOutcome::Positiva),
            "N" | "NEGATIVA" | "NEGATIVO" => Some(SatOutcome::Negativa),
            _ if words.contains(&"SUSPENSION") || words.contains(&"SUSPENDIDO") => {
                Some(SatOutcome::EnSuspension)
            }
            _ if joined.contains("SIN OBLIGACIONES") => Some(SatOutcome::InscritoSinObligaciones),
            "NO INSCRITO" | "NO INSCRITA" | "NO REGISTRADO" => Some(SatOutcome::NoInscrito),
            _ => None,
        }
    }

    /// Whether the SAT issues an opinion document (with folio) for this sense.
    pub fn has_document(self) -> bool {
        self != SatOutcome::NoInscrito
    }
}

/// How a SAT confrontation obtains the opinions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SatProvider {
    /// The RFC list is exported for the SAT and its answer file imported later.
    ExchangeFile,
    /// Each RFC is asked of the agreement's web service.
    Online,
}

impl SatProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            SatProvider::ExchangeFile => "exchange_file",
            SatProvider::Online => "online",
        }
    }

    pub fn parse(value: &str) -> Option<SatProvider> {
        [SatProvider::ExchangeFile, SatProvider::Online]
            .into_iter()
            .find(|p| p.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            SatProvider::ExchangeFile => "Archivo de intercambio",
            SatProvider::Online => "Servicio en línea del convenio",
        }
    }
}

/// Query of `POST /requests/{id}/confrontations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct StartQuery {
    /// SAT requests only: how the opinions are obtained (`exchange_file` when absent).
    pub provider: Option<SatProvider>,
}

/// How many items got one sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeCount {
    pub outcome: SatOutcome,
    pub count: u64,
}

/// Shares of each sense among `counts` (0..=1), in [`SatOutcome::ALL`] order.
pub fn outcome_shares(counts: &[OutcomeCount]) -> Vec<(SatOutcome, f64)> {
    let total: u64 = counts.iter().map(|c| c.count).sum();
    SatOutcome::ALL
        .into_iter()
        .map(|outcome| {
            let count = counts
                .iter()
                .filter(|c| c.outcome == outcome)
                .map(|c| c.count)
                .sum::<u64>();
            let share = if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            };
            (outcome, share)
        })
        .collect()
}

/// What the opinion's QR code says (`docs/sat-protocol.md`, "The QR code").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionQr {
    pub folio: String,
    pub rfc: Rfc,
    pub issued_on: NaiveDate,
    pub outcome: SatOutcome,
}

/// Why a validator URL was refused (Spanish).
pub type QrProblem = &'static str;

/// The SAT's validator host and page; other URLs are refused.
pub const QR_HOST: &str = "siat.sat.gob.mx";
pub const QR_PATH: &str = "/app/qr/faces/pages/mobile/validadorqr.jsf";

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

impl OpinionQr {
    /// Reads `https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3={folio}_{RFC}_{dd-mm-yyyy}_{P|N}`.
    pub fn parse(url: &str) -> Result<OpinionQr, QrProblem> {
        let url = url.trim();
        let rest = url.strip_prefix("https://").ok_or(
            "La dirección debe empezar con https:// (la que contiene el código QR de la opinión).",
        )?;
        let (location, query) = rest
            .split_once('?')
            .ok_or("La dirección no trae los datos de la opinión (D1, D2, D3).")?;
        let (host, path) = location.split_once('/').unwrap_or((location, ""));
        if !host.eq_ignore_ascii_case(QR_HOST) || format!("/{path}") != QR_PATH {
            return Err(
                "La dirección no es la del validador de opiniones del SAT (siat.sat.gob.mx).",
            );
        }
        let mut fields = (None, None, None);
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value).ok_or("La dirección tiene caracteres inválidos.")?;
            let field = match key {
                "D1" => &mut fields.0,
                "D2" => &mut fields.1,
                "D3" => &mut fields.2,
                _ => continue,
            };
            // Two values of one datum: which one the SAT issued cannot be told.
            if field.replace(value).is_some() {
                return Err(
                    "La dirección repite un dato (D1, D2 o D3): no corresponde a un código QR del SAT.",
                );
            }
        }
        match (fields.0.as_deref(), fields.1.as_deref()) {
            (Some("1"), Some("1")) => {}
            (Some("10"), _) => {
                return Err(
                    "Es el QR de una constancia de situación fiscal, no de una opinión de cumplimiento.",
                );
            }
            _ => {
                return Err(
                    "La dirección no corresponde a una opinión de cumplimiento (D1=1, D2=1).",
                );
            }
        }
        let d3 = fields
            .2
            .ok_or("Falta el dato D3 (folio, RFC, fecha y sentido).")?;
        let parts: Vec<&str> = d3.split('_').collect();
        let [folio, rfc, date, sense] = parts.as_slice() else {
            return Err("El dato D3 debe tener folio, RFC, fecha y sentido separados por «_».");
        };
        if folio.is_empty() || folio.len() > 30 || !folio.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err("El folio de la opinión no es válido.");
        }
        let rfc = Rfc::parse(rfc).map_err(|p| p.message())?;
        let issued_on = NaiveDate::parse_from_str(date, "%d-%m-%Y")
            .map_err(|_| "La fecha de la opinión debe ser una fecha válida dd-mm-aaaa.")?;
        let outcome = match *sense {
            "P" => SatOutcome::Positiva,
            "N" => SatOutcome::Negativa,
            _ => return Err("El sentido de la opinión debe ser P (positiva) o N (negativa)."),
        };
        Ok(OpinionQr {
            folio: folio.to_ascii_uppercase(),
            rfc,
            issued_on,
            outcome,
        })
    }
}

/// Body of `POST /sat/opinions/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyOpinionBody {
    /// The URL the opinion's QR code holds.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 500,
            pattern = r"^\s*https://",
            example = "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3=26NE9193705_GODE561231GR8_01-11-2026_P"
        )
    )]
    pub url: String,
}

/// What the registry holds for the opinion's RFC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryOpinion {
    pub farmer_id: i64,
    pub curp: String,
    pub full_name: String,
    pub sat_opinion: Option<SatOutcome>,
    pub sat_folio: Option<String>,
    pub sat_issued_on: Option<NaiveDate>,
    pub sat_valid_until: Option<NaiveDate>,
    /// The registry holds this very opinion (same folio, sense and date).
    pub matches: bool,
}

/// `POST /sat/opinions/verify`: the opinion the QR describes, its validity today, and how it
/// compares with the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpinionVerification {
    pub folio: String,
    pub rfc: String,
    /// Warnings about the RFC (a check digit that does not match is not a rejection).
    pub rfc_warnings: Vec<RfcWarning>,
    pub issued_on: NaiveDate,
    pub outcome: SatOutcome,
    /// Last day the opinion is valid, by the server's validity rule.
    pub valid_until: NaiveDate,
    /// Valid today (Mexico City).
    pub valid: bool,
    /// The farmers with that RFC in the registry (empty when none).
    pub registry: Vec<RegistryOpinion>,
}

/// One row of a SAT answer file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerRowError {
    /// Row number as Excel shows it (record number in a CSV).
    pub row: u32,
    /// The RFC as written, when there is one (cut to 20 characters).
    pub rfc: Option<String>,
    /// What is wrong, in Spanish.
    pub message: String,
}

/// Row errors listed in an import report; the count covers them all.
pub const ANSWER_ERRORS_SHOWN: usize = 500;

/// `POST /confrontations/{id}/sat/answers`: what importing SAT's answer file did. A file with
/// any row error is refused whole (nothing is stored or applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerImport {
    /// Whether the answers were taken (the confrontation is then finished).
    pub accepted: bool,
    pub file_name: String,
    /// Data rows read.
    pub rows: u64,
    /// Items of the confrontation answered by the file.
    pub answered: u64,
    /// Items the file does not answer (classified `not_answered`).
    pub not_answered: u64,
    /// Rows with errors (all of them counted).
    pub error_count: u64,
    /// The first [`ANSWER_ERRORS_SHOWN`] row errors.
    pub errors: Vec<AnswerRowError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opinions_standing_is_valid_expiring_within_fifteen_days_or_expired() {
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let today = day(1);
        let standing = |until| OpinionStanding::on(until, today);
        assert_eq!(standing(day(31)).state, ValidityState::Valid);
        assert_eq!(standing(day(17)).state, ValidityState::Valid);
        assert_eq!(standing(day(16)).state, ValidityState::Expiring);
        assert_eq!(standing(day(16)).label(), "Por vencer en 15 días");
        assert_eq!(standing(day(2)).label(), "Por vencer en 1 día");
        assert_eq!(standing(day(1)).label(), "Por vencer: vence hoy");
        let expired = OpinionStanding::on(day(1), day(2));
        assert_eq!(
            (expired.state, expired.days_left),
            (ValidityState::Expired, -1)
        );
        assert_eq!(expired.label(), "Vencida");
    }

    #[test]
    fn the_validator_url_of_an_opinion_is_read() {
        let qr = OpinionQr::parse(
            "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3=26NE9193705_SGT220531R7A_01-07-2026_P",
        )
        .expect("the reference's example");
        assert_eq!(qr.folio, "26NE9193705");
        assert_eq!(qr.rfc.as_str(), "SGT220531R7A");
        assert_eq!(qr.issued_on, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        assert_eq!(qr.outcome, SatOutcome::Positiva);
        let negative = OpinionQr::parse(
            "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3=23NB9010752_VALR8310091Y6_08-06-2023_N",
        )
        .unwrap();
        assert_eq!(negative.outcome, SatOutcome::Negativa);
    }

    #[test]
    fn other_urls_are_refused_with_a_reason() {
        let base = "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf";
        for (url, says) in [
            ("ftp://x", "https://"),
            (
                "https://sat.example/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3=A_GODE561231GR8_01-01-2026_P",
                "validador",
            ),
            (
                &format!("{base}?D1=10&D2=1&D3=123_GODE561231GR8"),
                "constancia",
            ),
            (&format!("{base}?D1=1&D2=1"), "D3"),
            (
                &format!("{base}?D1=1&D2=1&D3=26NE1_GODE561231GR8_31-02-2026_P"),
                "fecha",
            ),
            (
                &format!("{base}?D1=1&D2=1&D3=26NE1_GODE561231GR8_01-02-2026_X"),
                "sentido",
            ),
            (
                &format!("{base}?D1=1&D2=1&D3=26NE1_NOTANRFC_01-02-2026_P"),
                "RFC",
            ),
            (
                "http://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3=26NE9193705_SGT220531R7A_01-07-2026_P",
                "https://",
            ),
            (
                &format!(
                    "{base}?D1=1&D2=1&D3=26NE9193705_SGT220531R7A_01-07-2026_N&D3=26NE9193705_SGT220531R7A_01-07-2026_P"
                ),
                "repite",
            ),
        ] {
            let problem = OpinionQr::parse(url).expect_err(url);
            assert!(problem.contains(says), "{url}: {problem}");
        }
    }

    #[test]
    fn senses_are_read_as_people_write_them() {
        for (text, outcome) in [
            ("POSITIVO", SatOutcome::Positiva),
            ("positiva", SatOutcome::Positiva),
            ("N", SatOutcome::Negativa),
            ("En suspensión de actividades", SatOutcome::EnSuspension),
            (
                "INSCRITO SIN OBLIGACIONES",
                SatOutcome::InscritoSinObligaciones,
            ),
            (
                "inscrito_sin_obligaciones",
                SatOutcome::InscritoSinObligaciones,
            ),
            ("No inscrito", SatOutcome::NoInscrito),
        ] {
            assert_eq!(SatOutcome::from_text(text), Some(outcome), "{text}");
        }
        assert_eq!(SatOutcome::from_text("QUIZÁ"), None);
        for outcome in SatOutcome::ALL {
            assert_eq!(SatOutcome::from_text(outcome.label()), Some(outcome));
        }
    }
}

//! SAT opinions as the confrontation uses them: what a provider answers for an RFC, the one
//! trait both providers (exchange file, online service) implement, and the classification of
//! an answer against the registry (`update` for a new or changed opinion, `no_update`
//! when the registry holds the same opinion still valid).

use std::collections::HashMap;

use chrono::NaiveDate;
use confrontas_api::{FieldChange, ItemReason, Rfc, SatOutcome};

use super::validity::OpinionTerm;
use crate::confrontations::classify::ItemResult;
use crate::registry::changes::{self, RegistryRecord};

/// The SAT's answer for one RFC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SatAnswer {
    pub outcome: SatOutcome,
    /// Present for every sense but `no_inscrito` (no document is issued then).
    pub folio: Option<String>,
    pub issued_on: Option<NaiveDate>,
}

/// Why a provider has no usable answer for an RFC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Worth asking again later (timeout, HTTP 5xx or 429, connection lost).
    #[error("the SAT service is unavailable: {0}")]
    Unavailable(String),
    /// The service's certificate is not trusted: every query would fail the same way.
    #[error("the SAT service's certificate is not trusted: {0}")]
    Untrusted(String),
    /// The agreement's credentials were refused: every query would fail the same way.
    #[error("the SAT refused the agreement's credentials")]
    Credentials,
    /// The SAT refused this RFC (its `Mensaje`).
    #[error("the SAT refused the query: {0}")]
    Refused(String),
    /// The answer cannot be used (malformed, oversized, for another RFC, redirected).
    #[error("unusable SAT answer: {0}")]
    Unusable(String),
    /// The exchange file does not answer this RFC.
    #[error("the answer file does not answer the RFC")]
    NotAnswered,
}

/// A source of opinions, chosen per confrontation: the exchange file SAT answered
/// ([`ExchangeAnswers`]) or the agreement's web service (`sat::client::SatClient`).
pub trait OpinionProvider {
    fn opinion(
        &self,
        rfc: &Rfc,
    ) -> impl std::future::Future<Output = Result<SatAnswer, ProviderError>> + Send;
}

/// The answers of an imported exchange file, by RFC.
pub struct ExchangeAnswers(pub HashMap<String, SatAnswer>);

impl OpinionProvider for ExchangeAnswers {
    async fn opinion(&self, rfc: &Rfc) -> Result<SatAnswer, ProviderError> {
        self.0
            .get(rfc.as_str())
            .cloned()
            .ok_or(ProviderError::NotAnswered)
    }
}

/// The item reason of a provider's failure.
pub fn failure_reason(error: &ProviderError) -> ItemReason {
    match error {
        ProviderError::Refused(_) | ProviderError::Credentials => ItemReason::AuthorityRefused,
        ProviderError::Unavailable(_) | ProviderError::Untrusted(_) => {
            ItemReason::AuthorityUnavailable
        }
        ProviderError::Unusable(_) => ItemReason::UnusableAnswer,
        ProviderError::NotAnswered => ItemReason::NotAnswered,
    }
}

/// Why an opinion dated `issued_on` cannot be taken on `today` (Mexico City): the SAT does not
/// issue opinions ahead of time, so a later date is a mistake in the answer or the document.
pub fn issued_in_the_future(issued_on: NaiveDate, today: NaiveDate) -> Option<String> {
    (issued_on > today).then(|| {
        format!(
            "La fecha de emisión de la opinión ({}) es posterior a hoy ({}): el SAT no emite opiniones con fecha futura; revise el documento o la respuesta.",
            issued_on.format("%d/%m/%Y"),
            today.format("%d/%m/%Y")
        )
    })
}

/// The opinion details an item keeps, whatever its classification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpinionDetails {
    pub folio: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

/// Compares the SAT's `answer` for `rfc` with the farmer's `record` on `today`.
///
/// The registry keeps its opinion when it is of the same sense, still valid today and not older
/// than the answer's; otherwise the answer is written (only the fields that differ):
/// sense, folio, issue date and last valid day, plus the RFC when the layout brought one the
/// registry did not have (the SAT answered for it).
pub fn classify_opinion(
    record: &RegistryRecord,
    rfc: &Rfc,
    answer: &SatAnswer,
    term: &OpinionTerm,
    today: NaiveDate,
) -> ItemResult {
    let valid_until = answer.issued_on.map(|day| term.last_day(day));
    let registry_outcome = record.sat_opinion.as_deref().and_then(SatOutcome::parse);
    // A newer document of the same sense still replaces the registry's: its folio and dates.
    let newer = answer
        .issued_on
        .is_some_and(|issued| record.sat_issued_on.is_none_or(|held| issued > held));
    let same_and_valid = registry_outcome == Some(answer.outcome)
        && record.sat_valid_until.is_some_and(|until| until >= today)
        && !newer;
    let mut result = ItemResult::failed(ItemReason::SameOpinion);
    result.found = answer.outcome != SatOutcome::NoInscrito;
    result.authority_status = Some(answer.outcome.as_str().to_owned());
    result.opinion = OpinionDetails {
        folio: answer.folio.clone(),
        issued_on: answer.issued_on,
        valid_until,
    };
    if same_and_valid {
        return result;
    }
    let mut changes_found = Vec::new();
    let mut differ = |field: &str, after: Option<String>| {
        let before = record.field(field);
        if before != after {
            changes_found.push(FieldChange {
                field: field.to_owned(),
                before,
                after,
            });
        }
    };
    if answer.outcome != SatOutcome::NoInscrito || record.rfc.is_none() {
        differ(changes::RFC, Some(rfc.as_str().to_owned()));
    }
    differ(
        changes::SAT_OPINION,
        Some(answer.outcome.as_str().to_owned()),
    );
    differ(changes::SAT_FOLIO, answer.folio.clone());
    differ(
        changes::SAT_ISSUED_ON,
        answer.issued_on.map(|d| d.to_string()),
    );
    differ(changes::SAT_VALID_UNTIL, valid_until.map(|d| d.to_string()));
    if changes_found.is_empty() {
        // Nothing to write (e.g. «no inscrito» again, which has no validity to keep).
        return result;
    }
    result.reason = if registry_outcome.is_none() {
        ItemReason::NewOpinion
    } else {
        ItemReason::ChangedOpinion
    };
    result.changes = changes_found;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn farmer() -> RegistryRecord {
        RegistryRecord {
            id: 7,
            curp: "GODE561231HDFRRN09".into(),
            given_names: "Enrique".into(),
            first_surname: "González".into(),
            second_surname: Some("Durán".into()),
            birth_date: day(1956, 12, 31),
            sex: "H".into(),
            birth_state: "DF".into(),
            status: "active".into(),
            rfc: Some("GODE561231GR8".into()),
            sat_opinion: None,
            sat_folio: None,
            sat_issued_on: None,
            sat_valid_until: None,
            version: 1,
        }
    }

    fn answer(outcome: SatOutcome, folio: &str, issued: NaiveDate) -> SatAnswer {
        SatAnswer {
            outcome,
            folio: Some(folio.into()),
            issued_on: Some(issued),
        }
    }

    fn subsidy() -> OpinionTerm {
        OpinionTerm::new(
            crate::config::OpinionValidity::Months(3),
            crate::calendar::rules::BusinessCalendar::new(2026..=2027, []),
        )
    }

    #[test]
    fn a_first_opinion_is_new_with_its_validity() {
        let rfc = Rfc::parse("GODE561231GR8").unwrap();
        let result = classify_opinion(
            &farmer(),
            &rfc,
            &answer(SatOutcome::Positiva, "26NE9193705", day(2026, 11, 27)),
            &subsidy(),
            day(2026, 11, 27),
        );
        assert_eq!(result.reason, ItemReason::NewOpinion);
        assert_eq!(result.opinion.valid_until, Some(day(2027, 2, 27)));
        let fields: Vec<&str> = result.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "sat_opinion",
                "sat_folio",
                "sat_issued_on",
                "sat_valid_until"
            ]
        );
        assert_eq!(result.authority_status.as_deref(), Some("positiva"));
        assert!(result.found && !result.proof_of_life);
    }

    #[test]
    fn the_same_document_still_valid_is_no_update_and_an_expired_one_is_renewed() {
        let rfc = Rfc::parse("GODE561231GR8").unwrap();
        let mut record = farmer();
        record.sat_opinion = Some("positiva".into());
        record.sat_folio = Some("26NE0000001".into());
        record.sat_issued_on = Some(day(2026, 11, 27));
        record.sat_valid_until = Some(day(2026, 12, 31));
        let fresh = answer(SatOutcome::Positiva, "26NE9193705", day(2026, 11, 27));
        let result = classify_opinion(&record, &rfc, &fresh, &subsidy(), day(2026, 11, 27));
        assert_eq!(result.reason, ItemReason::SameOpinion);
        assert!(result.changes.is_empty());
        // An older document of the same sense changes nothing either.
        let older = answer(SatOutcome::Positiva, "26NE0000000", day(2026, 11, 2));
        let result = classify_opinion(&record, &rfc, &older, &subsidy(), day(2026, 11, 27));
        assert_eq!(result.reason, ItemReason::SameOpinion);

        // A newer document of the same sense, while the registry's is still valid: its folio
        // and dates are written.
        record.sat_issued_on = Some(day(2026, 10, 1));
        let result = classify_opinion(&record, &rfc, &fresh, &subsidy(), day(2026, 11, 27));
        assert_eq!(result.reason, ItemReason::ChangedOpinion);
        let fields: Vec<&str> = result.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["sat_folio", "sat_issued_on", "sat_valid_until"]);

        // The registry's opinion expired yesterday: the new one is written.
        record.sat_valid_until = Some(day(2026, 11, 26));
        let result = classify_opinion(&record, &rfc, &fresh, &subsidy(), day(2026, 11, 27));
        assert_eq!(result.reason, ItemReason::ChangedOpinion);
        assert_eq!(result.changes.len(), 3, "{:?}", result.changes);

        // Another sense is always written.
        record.sat_valid_until = Some(day(2026, 12, 31));
        let negative = answer(SatOutcome::Negativa, "26NE9193706", day(2026, 11, 27));
        let result = classify_opinion(&record, &rfc, &negative, &subsidy(), day(2026, 11, 27));
        assert_eq!(result.reason, ItemReason::ChangedOpinion);
        assert_eq!(result.changes[0].after.as_deref(), Some("negativa"));
    }

    #[test]
    fn the_validity_setting_is_days_or_months() {
        use crate::config::OpinionValidity;
        assert_eq!(
            OpinionValidity::parse("30d"),
            Some(OpinionValidity::Days(30))
        );
        assert_eq!(
            OpinionValidity::parse("3m"),
            Some(OpinionValidity::Months(3))
        );
        assert_eq!(OpinionValidity::parse("3m").unwrap().describe(), "3m");
        assert_eq!(OpinionValidity::parse("3y"), None);
        assert_eq!(OpinionValidity::parse("0d"), None);
    }

    #[test]
    fn a_not_registered_rfc_is_written_without_a_document_and_the_layout_rfc_is_kept() {
        let rfc = Rfc::parse("GODE561231GR8").unwrap();
        let mut record = farmer();
        record.rfc = None;
        let none = SatAnswer {
            outcome: SatOutcome::NoInscrito,
            folio: None,
            issued_on: None,
        };
        let result = classify_opinion(&record, &rfc, &none, &subsidy(), day(2026, 11, 27));
        assert_eq!(result.reason, ItemReason::NewOpinion);
        assert!(!result.found);
        assert_eq!(result.opinion, OpinionDetails::default());
        let fields: Vec<&str> = result.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["rfc", "sat_opinion"]);

        // Not registered again: nothing to write.
        record.rfc = Some(rfc.as_str().to_owned());
        record.sat_opinion = Some("no_inscrito".into());
        let again = classify_opinion(&record, &rfc, &none, &subsidy(), day(2026, 11, 28));
        assert_eq!(again.reason, ItemReason::SameOpinion);
    }
}

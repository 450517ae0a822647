//! An item's result, and classifying RENAPO's answer against the registry (step 3 of
//! `docs/architecture.md`, "Confrontations"): which fields differ,
//! whether the person died, whether the answer proves the person alive.

use confrontas_api::{FarmerStatus, FieldChange, ItemReason};

use crate::registry::changes::{self, RegistryRecord};
use crate::renapo::protocol::{Answer, CurpRecord, CurpStatus};
use crate::sat::opinion::OpinionDetails;

/// An item's result, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    pub reason: ItemReason,
    pub changes: Vec<FieldChange>,
    /// RENAPO's `statusCurp`, when it answered a record.
    pub authority_status: Option<String>,
    /// RENAPO returned the person's record.
    pub found: bool,
    /// The answer proves the person alive today (found, active CURP).
    pub proof_of_life: bool,
    /// SAT: the opinion answered (kept whatever the classification).
    pub opinion: OpinionDetails,
}

impl ItemResult {
    /// A result without an answer to compare (a refusal, an exhausted retry, a bad answer).
    pub fn failed(reason: ItemReason) -> ItemResult {
        ItemResult {
            reason,
            changes: Vec::new(),
            authority_status: None,
            found: false,
            proof_of_life: false,
            opinion: OpinionDetails::default(),
        }
    }

    pub fn deceased(&self) -> bool {
        self.reason == ItemReason::Deceased
    }
}

/// Names compare as people read them: case and repeated spaces do not make a difference,
/// accents and Ñ do.
fn same_name(registry: &str, authority: &str) -> bool {
    let fold = |text: &str| {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase()
    };
    fold(registry) == fold(authority)
}

/// The fields RENAPO has differently, with RENAPO's values as the new ones. `new_curp` is the
/// person's new CURP when RENAPO reports one (`RCC`).
fn differences(
    registry: &RegistryRecord,
    authority: &CurpRecord,
    new_curp: Option<&str>,
) -> Vec<FieldChange> {
    let mut found = Vec::new();
    let mut differ = |field: &str, after: Option<String>, same: bool| {
        if !same {
            found.push(FieldChange {
                field: field.to_owned(),
                before: registry.field(field),
                after,
            });
        }
    };
    if let Some(curp) = new_curp {
        differ(changes::CURP, Some(curp.to_owned()), curp == registry.curp);
    }
    differ(
        changes::GIVEN_NAMES,
        Some(authority.given_names.clone()),
        same_name(&registry.given_names, &authority.given_names),
    );
    differ(
        changes::FIRST_SURNAME,
        Some(authority.first_surname.clone()),
        same_name(&registry.first_surname, &authority.first_surname),
    );
    let second = authority.second_surname.clone();
    differ(
        changes::SECOND_SURNAME,
        second.clone(),
        match (&registry.second_surname, &second) {
            (Some(ours), Some(theirs)) => same_name(ours, theirs),
            (None, None) => true,
            _ => false,
        },
    );
    if let Some(birth) = authority.birth_date {
        differ(
            changes::BIRTH_DATE,
            Some(birth.to_string()),
            birth == registry.birth_date,
        );
    }
    if authority.sex == "H" || authority.sex == "M" {
        differ(
            changes::SEX,
            Some(authority.sex.clone()),
            authority.sex == registry.sex,
        );
    }
    if !authority.birth_state.is_empty() {
        differ(
            changes::BIRTH_STATE,
            Some(authority.birth_state.clone()),
            authority.birth_state == registry.birth_state,
        );
    }
    found
}

/// The new CURP RENAPO reports for the person after a change affecting the CURP: `RCC` (the
/// record changed, still active) or `BCC` (this CURP was retired for the new one).
fn new_curp(record: &CurpRecord) -> Option<&str> {
    let changed = match &record.status {
        CurpStatus::Rcc => true,
        CurpStatus::Inactive(code) => code == "BCC",
        _ => false,
    };
    if !changed {
        return None;
    }
    record
        .historic_curps
        .iter()
        .map(String::as_str)
        .find(|curp| *curp != record.curp && confrontas_api::Curp::parse(curp).is_ok())
}

/// Classifies RENAPO's `answer` for the farmer `registry`. `curp_elsewhere` tells whether a
/// CURP belongs to another farmer (asked only for a new CURP).
pub fn classify(
    registry: &RegistryRecord,
    answer: &Answer,
    curp_elsewhere: impl FnOnce(&str) -> bool,
) -> ItemResult {
    let record = match answer {
        Answer::Found(record) => record,
        Answer::NotFound { .. } => return ItemResult::failed(ItemReason::NotFound),
        Answer::MalformedCurp { .. } => return ItemResult::failed(ItemReason::RejectedByAuthority),
        Answer::InvalidUser { .. } | Answer::Unavailable { .. } | Answer::Refused { .. } => {
            return ItemResult::failed(ItemReason::AuthorityRefused);
        }
    };
    let found = |reason, changes, proof_of_life| ItemResult {
        reason,
        changes,
        authority_status: Some(record.status.code().to_owned()),
        found: true,
        proof_of_life,
        opinion: OpinionDetails::default(),
    };
    let deceased = FarmerStatus::Deceased.as_str();
    match &record.status {
        CurpStatus::Bd => {
            let mut changes = differences(registry, record, None);
            if registry.status != deceased {
                changes.push(FieldChange {
                    field: changes::STATUS.to_owned(),
                    before: Some(registry.status.clone()),
                    after: Some(deceased.to_owned()),
                });
                found(ItemReason::Deceased, changes, false)
            } else if changes.is_empty() {
                found(ItemReason::Identical, changes, false)
            } else {
                found(ItemReason::DataChanged, changes, false)
            }
        }
        // A CURP retired for a new one is a change of CURP, like RCC: the person lives on under
        // the new CURP (only BD means death: `docs/renapo-protocol.md`).
        CurpStatus::Inactive(_) if new_curp(record).is_none() => {
            found(ItemReason::CurpInactive, Vec::new(), false)
        }
        CurpStatus::Unknown(_) => found(ItemReason::UnknownStatus, Vec::new(), false),
        alive => {
            debug_assert!(alive.is_active() || new_curp(record).is_some());
            let replacement = new_curp(record);
            if replacement.is_some_and(curp_elsewhere) {
                return found(ItemReason::NewCurpInRegistry, Vec::new(), true);
            }
            let mut changes = differences(registry, record, replacement);
            // A farmer the registry holds as deceased whom RENAPO knows alive is corrected.
            if registry.status == deceased {
                changes.push(FieldChange {
                    field: changes::STATUS.to_owned(),
                    before: Some(registry.status.clone()),
                    after: Some(FarmerStatus::Active.as_str().to_owned()),
                });
            }
            let reason = if changes.is_empty() {
                ItemReason::Identical
            } else {
                ItemReason::DataChanged
            };
            found(reason, changes, true)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn registry() -> RegistryRecord {
        RegistryRecord {
            id: 1,
            curp: "PXNE660720HMCXTN06".into(),
            given_names: "Enrique".into(),
            first_surname: "Peña".into(),
            second_surname: Some("Nieto".into()),
            birth_date: NaiveDate::from_ymd_opt(1966, 7, 20).unwrap(),
            sex: "H".into(),
            birth_state: "MC".into(),
            status: "active".into(),
            rfc: None,
            sat_opinion: None,
            sat_folio: None,
            sat_issued_on: None,
            sat_valid_until: None,
            version: 1,
        }
    }

    fn renapo(status: &str) -> CurpRecord {
        CurpRecord {
            curp: "PXNE660720HMCXTN06".into(),
            first_surname: "PEÑA".into(),
            second_surname: Some("NIETO".into()),
            given_names: "ENRIQUE".into(),
            sex: "H".into(),
            birth_date: NaiveDate::from_ymd_opt(1966, 7, 20),
            birth_state: "MC".into(),
            nationality: "MEX".into(),
            status: CurpStatus::parse(status),
            historic_curps: Vec::new(),
        }
    }

    fn never(_: &str) -> bool {
        false
    }

    #[test]
    fn the_same_person_in_capitals_is_identical_and_alive() {
        let result = classify(&registry(), &Answer::Found(renapo("AN")), never);
        assert_eq!(result.reason, ItemReason::Identical);
        assert!(result.proof_of_life && result.found && result.changes.is_empty());
        assert_eq!(result.authority_status.as_deref(), Some("AN"));
    }

    #[test]
    fn a_longer_name_and_a_missing_second_surname_are_updates_with_before_and_after() {
        let mut record = renapo("AN");
        record.given_names = "ENRIQUE GUADALUPE".into();
        record.second_surname = None;
        let result = classify(&registry(), &Answer::Found(record), never);
        assert_eq!(result.reason, ItemReason::DataChanged);
        assert_eq!(
            result.changes,
            vec![
                FieldChange {
                    field: "given_names".into(),
                    before: Some("Enrique".into()),
                    after: Some("ENRIQUE GUADALUPE".into()),
                },
                FieldChange {
                    field: "second_surname".into(),
                    before: Some("Nieto".into()),
                    after: None,
                },
            ]
        );
        assert!(result.proof_of_life);
    }

    #[test]
    fn a_death_is_an_update_of_the_status_without_proof_of_life() {
        let result = classify(&registry(), &Answer::Found(renapo("BD")), never);
        assert_eq!(result.reason, ItemReason::Deceased);
        assert!(result.deceased() && !result.proof_of_life);
        assert_eq!(
            result.changes.last().unwrap().after.as_deref(),
            Some("deceased")
        );
        let mut already = registry();
        already.status = "deceased".into();
        let again = classify(&already, &Answer::Found(renapo("BD")), never);
        assert_eq!(
            again.reason,
            ItemReason::Identical,
            "a known death is no news"
        );
    }

    #[test]
    fn inactive_unknown_and_missing_curps_cannot_be_updated() {
        for (status, reason) in [
            ("BAP", ItemReason::CurpInactive),
            ("BSU", ItemReason::CurpInactive),
            ("XYZ", ItemReason::UnknownStatus),
        ] {
            let result = classify(&registry(), &Answer::Found(renapo(status)), never);
            assert_eq!(result.reason, reason, "{status}");
            assert_eq!(
                result.reason.classification(),
                confrontas_api::Classification::CannotUpdate
            );
            assert!(!result.proof_of_life);
        }
        let missing = Answer::NotFound {
            message: "no existe".into(),
        };
        assert_eq!(
            classify(&registry(), &missing, never).reason,
            ItemReason::NotFound
        );
    }

    #[test]
    fn a_new_curp_after_rcc_is_an_update_unless_another_farmer_has_it() {
        let first_17 = "PXNE660720HMCXTN9";
        let new = format!(
            "{first_17}{}",
            confrontas_api::Curp::check_digit(first_17).unwrap()
        );
        let mut record = renapo("RCC");
        record.historic_curps = vec!["PXNE660720HMCXTN0X".into(), new.clone()];
        let result = classify(&registry(), &Answer::Found(record.clone()), never);
        assert_eq!(result.reason, ItemReason::DataChanged);
        assert_eq!(result.changes.len(), 1, "{:?}", result.changes);
        assert_eq!(result.changes[0].after.as_deref(), Some(new.as_str()));
        let taken = classify(&registry(), &Answer::Found(record), |_| true);
        assert_eq!(taken.reason, ItemReason::NewCurpInRegistry);
    }

    #[test]
    fn a_curp_retired_for_a_new_one_is_read_like_rcc_and_without_one_stays_inactive() {
        let first_17 = "PXNE660720HMCXTN9";
        let new = format!(
            "{first_17}{}",
            confrontas_api::Curp::check_digit(first_17).unwrap()
        );
        let mut record = renapo("BCC");
        record.historic_curps = vec![new.clone()];
        let result = classify(&registry(), &Answer::Found(record.clone()), never);
        assert_eq!(result.reason, ItemReason::DataChanged);
        assert_eq!(result.changes.len(), 1, "{:?}", result.changes);
        assert_eq!(result.changes[0].field, changes::CURP);
        assert_eq!(result.changes[0].after.as_deref(), Some(new.as_str()));
        assert!(
            result.proof_of_life,
            "the person lives on under the new CURP"
        );
        assert_eq!(result.authority_status.as_deref(), Some("BCC"));
        let taken = classify(&registry(), &Answer::Found(record.clone()), |_| true);
        assert_eq!(taken.reason, ItemReason::NewCurpInRegistry);

        record.historic_curps.clear();
        let retired = classify(&registry(), &Answer::Found(record), never);
        assert_eq!(retired.reason, ItemReason::CurpInactive);
        assert!(retired.changes.is_empty() && !retired.proof_of_life);
    }
}

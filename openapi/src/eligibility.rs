//! Whether a farmer's SAT opinion makes them eligible for a subsidy: a policy the administrator
//! keeps (one verdict per sense, with the conditions the program sets), applied to an opinion
//! and its validity; and the SAT indicators of a confrontation or a period.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{OpinionStanding, SatOutcome, ValidityState};

/// A subsidy eligibility verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    Eligible,
    NotEligible,
    /// The opinion has expired: whatever its sense, a new one is needed.
    NeedsNewOpinion,
}

impl Eligibility {
    pub fn label(self) -> &'static str {
        match self {
            Eligibility::Eligible => "Elegible",
            Eligibility::NotEligible => "No elegible",
            Eligibility::NeedsNewOpinion => "Requiere nueva opinión",
        }
    }
}

/// What the policy says of one sense.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibilityRule {
    pub outcome: SatOutcome,
    pub eligible: bool,
    /// The conditions the program sets for this verdict (e.g. income limits), shown with it.
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub condition: Option<String>,
}

/// A verdict with the conditions that go with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibilityVerdict {
    pub verdict: Eligibility,
    pub condition: Option<String>,
}

impl EligibilityVerdict {
    /// "Elegible (si el apoyo anual no rebasa 40 UMA)", "No elegible".
    pub fn describe(&self) -> String {
        match &self.condition {
            Some(condition) => format!("{} ({condition})", self.verdict.label()),
            None => self.verdict.label().to_owned(),
        }
    }
}

/// The subsidy eligibility policy: one rule per sense, in [`SatOutcome::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibilityPolicy {
    pub rules: Vec<EligibilityRule>,
    /// 0 for the default policy; increases with every change (send it back to change it).
    pub version: i32,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Why it was last changed.
    pub comment: Option<String>,
}

/// Longest condition text of a rule.
pub const CONDITION_MAX: usize = 300;

impl Default for EligibilityPolicy {
    /// Positiva and inscrito sin obligaciones (within the SAT's own 40 UMA note) eligible;
    /// negativa, en suspensión de actividades and no inscrito not.
    fn default() -> EligibilityPolicy {
        let rule = |outcome, eligible, condition: Option<&str>| EligibilityRule {
            outcome,
            eligible,
            condition: condition.map(str::to_owned),
        };
        EligibilityPolicy {
            rules: vec![
                rule(SatOutcome::Positiva, true, None),
                rule(SatOutcome::Negativa, false, None),
                rule(SatOutcome::EnSuspension, false, None),
                rule(
                    SatOutcome::InscritoSinObligaciones,
                    true,
                    Some(
                        "si el apoyo anual no rebasa 40 UMA elevadas al año, o el límite que fijen las reglas del programa",
                    ),
                ),
                rule(SatOutcome::NoInscrito, false, None),
            ],
            version: 0,
            updated_by: None,
            updated_at: None,
            comment: None,
        }
    }
}

impl EligibilityPolicy {
    /// The verdict for an opinion of `outcome` in `standing`: an expired one needs a new
    /// opinion whatever its sense.
    pub fn verdict(
        &self,
        outcome: SatOutcome,
        standing: Option<OpinionStanding>,
    ) -> EligibilityVerdict {
        if standing.is_some_and(|s| s.state == ValidityState::Expired) {
            return EligibilityVerdict {
                verdict: Eligibility::NeedsNewOpinion,
                condition: None,
            };
        }
        let rule = self.rules.iter().find(|r| r.outcome == outcome);
        EligibilityVerdict {
            verdict: if rule.is_some_and(|r| r.eligible) {
                Eligibility::Eligible
            } else {
                Eligibility::NotEligible
            },
            condition: rule.and_then(|r| r.condition.clone()),
        }
    }
}

/// `PUT /sat/eligibility-policy`: the whole policy, the version it replaces and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibilityPolicyUpdate {
    /// One rule for each of the five senses.
    #[cfg_attr(feature = "openapi", schema(min_items = 5, max_items = 5))]
    pub rules: Vec<EligibilityRule>,
    pub version: i32,
    /// Why the policy changes (e.g. the program's rules of operation), kept in the audit log.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub comment: String,
}

/// SAT indicators of a confrontation or a period, over the rows asked (`to_process`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SatIndicators {
    /// Rows with an answer (any sense).
    pub answered: u64,
    /// Answered rows eligible by today's policy, with an opinion valid when it arrived.
    pub eligible: u64,
    /// Answered rows whose opinion had already expired when it arrived.
    pub expired: u64,
    /// Rows refused for their RFC (missing, malformed, not the farmer's, held by another).
    pub rfc_problems: u64,
    /// Rows whose opinion differs from the one the registry held (a first opinion is not
    /// an inconsistency).
    pub changed: u64,
    pub to_process: u64,
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl SatIndicators {
    /// Eligible share of the answered rows.
    pub fn eligible_share(&self) -> Option<f64> {
        share(self.eligible, self.answered)
    }

    /// Expired share of the answered rows.
    pub fn expired_share(&self) -> Option<f64> {
        share(self.expired, self.answered)
    }

    /// Share of rows refused for their RFC.
    pub fn rfc_problem_share(&self) -> Option<f64> {
        share(self.rfc_problems, self.to_process)
    }

    pub fn add(&mut self, other: &SatIndicators) {
        self.answered += other.answered;
        self.eligible += other.eligible;
        self.expired += other.expired;
        self.rfc_problems += other.rfc_problems;
        self.changed += other.changed;
        self.to_process += other.to_process;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_makes_positive_and_no_obligations_eligible_and_expired_ones_need_a_new_opinion()
     {
        let policy = EligibilityPolicy::default();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let valid = Some(OpinionStanding::on(
            chrono::NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
            today,
        ));
        let expired = Some(OpinionStanding::on(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            today,
        ));
        let verdict = |o| policy.verdict(o, valid).verdict;
        assert_eq!(verdict(SatOutcome::Positiva), Eligibility::Eligible);
        assert_eq!(
            verdict(SatOutcome::InscritoSinObligaciones),
            Eligibility::Eligible
        );
        for outcome in [
            SatOutcome::Negativa,
            SatOutcome::EnSuspension,
            SatOutcome::NoInscrito,
        ] {
            assert_eq!(verdict(outcome), Eligibility::NotEligible, "{outcome:?}");
        }
        assert_eq!(
            policy.verdict(SatOutcome::Positiva, expired).verdict,
            Eligibility::NeedsNewOpinion
        );
        assert!(
            policy
                .verdict(SatOutcome::InscritoSinObligaciones, valid)
                .describe()
                .starts_with("Elegible (si el apoyo anual no rebasa 40 UMA")
        );
        assert_eq!(
            policy.rules.iter().map(|r| r.outcome).collect::<Vec<_>>(),
            SatOutcome::ALL
        );
    }
}

//! The subsidy eligibility policy (`docs/sat-protocol.md`, "Eligibility"): kept as one
//! settings row, changed only by an administrator with an audit row in the same transaction,
//! and applied on reading to farmers and results.

use confrontas_api::{
    EligibilityPolicy, EligibilityPolicyUpdate, EligibilityVerdict, FieldError, OpinionStanding,
    SatOutcome,
};
use serde_json::json;

use crate::audit::Actor;
use crate::auth::principal::StaffUser;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};

const KEY: &str = "eligibility_policy";

/// The policy in force: the administrator's, or the default until one is saved.
pub fn policy(conn: &mut AnyConnection) -> AppResult<EligibilityPolicy> {
    match db::settings::get(conn, KEY)? {
        None => Ok(EligibilityPolicy::default()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| AppError::internal(format!("stored eligibility policy unreadable: {e}"))),
    }
}

/// The verdict on an opinion of `sense` (as stored) valid through `standing`, if any.
pub fn verdict(
    policy: &EligibilityPolicy,
    sense: Option<&str>,
    standing: Option<OpinionStanding>,
) -> Option<EligibilityVerdict> {
    let outcome = SatOutcome::parse(sense?)?;
    Some(policy.verdict(outcome, standing))
}

/// What is wrong with an update, field by field (empty when nothing).
fn problems(update: &EligibilityPolicyUpdate) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let senses: Vec<SatOutcome> = update.rules.iter().map(|r| r.outcome).collect();
    if SatOutcome::ALL.iter().any(|o| !senses.contains(o)) || senses.len() != SatOutcome::ALL.len()
    {
        problems.push(FieldError::new(
            "rules",
            "La política lleva una regla por cada sentido de la opinión (cinco), sin repetir.",
        ));
    }
    for (n, rule) in update.rules.iter().enumerate() {
        if let Some(condition) = &rule.condition
            && (condition.chars().count() > confrontas_api::CONDITION_MAX
                || condition.chars().any(char::is_control))
        {
            problems.push(FieldError::new(
                &format!("rules[{n}].condition"),
                format!(
                    "La condición admite hasta {} caracteres, sin caracteres de control.",
                    confrontas_api::CONDITION_MAX
                ),
            ));
        }
    }
    let comment = update.comment.trim();
    if comment.is_empty() || comment.chars().count() > 500 {
        problems.push(FieldError::new(
            "comment",
            "Indique por qué cambia la política (hasta 500 caracteres), por ejemplo las reglas de operación del programa.",
        ));
    }
    problems
}

/// Replaces the policy of `update.version` (409 when someone changed it since), audited; the
/// policy names `staff` as who changed it.
pub fn save(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    actor: &Actor,
    update: &EligibilityPolicyUpdate,
) -> AppResult<EligibilityPolicy> {
    let problems = problems(update);
    if !problems.is_empty() {
        return Err(AppError::validation(problems));
    }
    conn.write_transaction(|conn| {
        let current = policy(conn)?;
        if current.version != update.version {
            return Err(AppError::conflict(
                "version_conflict",
                format!(
                    "La política cambió mientras la editaba (versión actual {}). Recárguela y vuelva a intentar.",
                    current.version
                ),
            ));
        }
        let mut rules = update.rules.clone();
        rules.sort_by_key(|r| SatOutcome::ALL.iter().position(|o| *o == r.outcome));
        for rule in &mut rules {
            rule.condition = rule
                .condition
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
        }
        let name = crate::attachments::people(conn, &[staff.id])?
            .remove(&staff.id)
            .map(|person| person.name);
        let saved = EligibilityPolicy {
            rules,
            version: current.version + 1,
            updated_by: name,
            updated_at: Some(db::now().and_utc()),
            comment: Some(update.comment.trim().to_owned()),
        };
        let text = serde_json::to_string(&saved).map_err(AppError::internal)?;
        db::settings::put(conn, KEY, &text)?;
        actor.record(
            conn,
            "eligibility_policy_changed",
            "eligibility_policy",
            saved.version,
            json!({ "before": current.rules, "after": saved.rules, "comment": saved.comment }),
        )?;
        Ok(saved)
    })
}

//! Changing service levels: a policy the admin edits (audited), and the targets a request
//! keeps from the moment it is submitted.

use confrontas_api::{RequestType, SlaClockKind, SlaPolicy, SlaPolicyUpdate};
use diesel::prelude::*;
use serde_json::json;

use super::records::{PolicyRow, policy};
use crate::audit::Actor;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{request_sla_targets, sla_policies};

/// Copies the policies in force for `request_type` onto a request being submitted: later
/// edits of the policies do not move its due dates.
pub fn snapshot_targets(
    conn: &mut AnyConnection,
    request_id: i64,
    request_type: RequestType,
) -> AppResult<()> {
    for clock in SlaClockKind::of_type(request_type) {
        let (days, at_risk) = sla_policies::table
            .find((request_type.as_str(), clock.as_str()))
            .select((sla_policies::business_days, sla_policies::at_risk_days))
            .first::<(i32, i32)>(conn)
            .optional()?
            .ok_or_else(|| {
                AppError::internal(format!("no SLA policy for {request_type:?} {clock:?}"))
            })?;
        diesel::insert_into(request_sla_targets::table)
            .values((
                request_sla_targets::request_id.eq(request_id),
                request_sla_targets::clock.eq(clock.as_str()),
                request_sla_targets::business_days.eq(days),
                request_sla_targets::at_risk_days.eq(at_risk),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets the targets of `request_type`'s `clock`, audited with the values before and after.
pub fn update_policy(
    conn: &mut AnyConnection,
    actor: &Actor,
    request_type: RequestType,
    clock: SlaClockKind,
    update: &SlaPolicyUpdate,
) -> AppResult<SlaPolicy> {
    conn.write_transaction(|conn| {
        let before = policy(conn, request_type, clock)?.ok_or_else(super::no_such_policy)?;
        let row = diesel::update(sla_policies::table.find((request_type.as_str(), clock.as_str())))
            .set((
                sla_policies::business_days.eq(update.business_days as i32),
                sla_policies::at_risk_days.eq(update.at_risk_days as i32),
                sla_policies::updated_by.eq(&actor.name),
                sla_policies::updated_at.eq(db::now()),
            ))
            .returning(sla_policies::all_columns)
            .get_result::<PolicyRow>(conn)?;
        actor.record(
            conn,
            "sla_policy_updated",
            "sla_policy",
            format!("{}/{}", request_type.as_str(), clock.as_str()),
            json!({
                "business_days": [before.business_days, row.business_days],
                "at_risk_days": [before.at_risk_days, row.at_risk_days],
            }),
        )?;
        row.into_dto()
    })
}

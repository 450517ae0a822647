//! Applying a finished confrontation to the registry, and reverting it (step 4 of
//! `docs/architecture.md`, "Confrontations").
//! Each chunk of items is one transaction: the farmers' fields, their history rows, the items'
//! marks and the job's counter move together, so a crash between chunks leaves every item
//! either applied with its history or untouched, and running it again picks up the rest.
//! A revert reads what to undo from the history rows the apply wrote.

use chrono::NaiveDateTime;
use confrontas_api::{ApplyOutcome, ChangeSource, ConfrontationState, FieldChange, ItemReason};
use diesel::prelude::*;
use serde_json::json;

use super::jobs::{self, ItemRow, JobRow};
use crate::audit::Actor;
use crate::auth::principal::StaffUser;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::registry::changes::{self, Direction, Provenance, Written};
use crate::schema::{confrontation_items, confrontations, farmer_history};

/// Items written per transaction.
const APPLY_CHUNK: i64 = 500;

/// Comment of the history rows a revert writes.
pub const REVERT_COMMENT: &str = "Reversión de la confronta";

fn source_ref(job: i64) -> String {
    format!("confrontation:{job}")
}

/// Checks the job may move from `version`. The version itself moves in the first transaction
/// that writes ([`in_chunks`]), so an apply or revert cut short before it wrote anything leaves
/// the job as the caller saw it, and a retry with the same version goes through.
fn begin(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    id: i64,
    version: i32,
    direction: Direction,
) -> AppResult<JobRow> {
    conn.write_transaction(|conn| {
        let (job, _) = jobs::visible(conn, staff, id)?;
        if job.current_state()? != ConfrontationState::Finished {
            return Err(AppError::conflict(
                "confrontation_not_finished",
                "Solo se aplican o revierten confrontas terminadas.",
            ));
        }
        if direction == Direction::Revert && job.applied_at.is_none() {
            return Err(AppError::conflict(
                "nothing_to_revert",
                "La confronta no se ha aplicado: no hay cambios que revertir.",
            ));
        }
        if job.version != version {
            return Err(stale_version());
        }
        Ok(job)
    })
}

fn stale_version() -> AppError {
    AppError::conflict(
        "stale_version",
        "La confronta cambió mientras la revisaba. Vuelva a cargarla y repita la acción si aún procede.",
    )
}

/// Takes the job's `version` (inside the caller's transaction), so a second apply or revert of
/// the same version gets 409 instead of racing this one.
fn take_version(conn: &mut AnyConnection, job: i64, version: i32) -> AppResult<()> {
    let taken = diesel::update(
        confrontations::table
            .find(job)
            .filter(confrontations::version.eq(version)),
    )
    .set(confrontations::version.eq(version + 1))
    .execute(conn)?;
    if taken == 0 {
        return Err(stale_version());
    }
    Ok(())
}

/// Writes the job's updates of the `reasons` classes (every update when empty).
pub fn apply(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    actor: &Actor,
    id: i64,
    version: i32,
    reasons: &[ItemReason],
) -> AppResult<ApplyOutcome> {
    if let Some(other) = reasons
        .iter()
        .find(|r| r.classification() != confrontas_api::Classification::Update)
    {
        return Err(AppError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "not_an_update_reason",
            format!(
                "«{}» no es una clase de actualización (deceased, data_changed, new_opinion o changed_opinion).",
                other.as_str()
            ),
        ));
    }
    let reasons: Vec<&str> = if reasons.is_empty() {
        ItemReason::ALL
            .into_iter()
            .filter(|r| r.classification() == confrontas_api::Classification::Update)
            .map(ItemReason::as_str)
            .collect()
    } else {
        reasons.iter().map(|r| r.as_str()).collect()
    };
    let job = begin(conn, staff, id, version, Direction::Apply)?;
    in_chunks(conn, actor, &job, Direction::Apply, &reasons)
}

/// Undoes the job's applied updates, field by field, from the history rows the apply wrote.
pub fn revert(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    actor: &Actor,
    id: i64,
    version: i32,
) -> AppResult<ApplyOutcome> {
    let job = begin(conn, staff, id, version, Direction::Revert)?;
    in_chunks(conn, actor, &job, Direction::Revert, &[])
}

/// The items a pass works on after item id `after`: for an apply, the updates of `reasons`
/// not applied yet; for a revert, the applied ones.
fn next_items(
    conn: &mut AnyConnection,
    job: i64,
    after: i64,
    direction: Direction,
    reasons: &[&str],
) -> QueryResult<Vec<ItemRow>> {
    let items = confrontation_items::table
        .filter(confrontation_items::confrontation_id.eq(job))
        .filter(confrontation_items::id.gt(after))
        .order(confrontation_items::id)
        .limit(APPLY_CHUNK)
        .select(ItemRow::as_select());
    match direction {
        Direction::Apply => items
            .filter(confrontation_items::classification.eq("update"))
            .filter(confrontation_items::reason.eq_any(reasons))
            .filter(
                confrontation_items::applied_at
                    .is_null()
                    .or(confrontation_items::reverted_at.is_not_null()),
            )
            .filter(confrontation_items::apply_conflict.is_null())
            .load(conn),
        Direction::Revert => items
            .filter(confrontation_items::applied_at.is_not_null())
            .filter(confrontation_items::reverted_at.is_null())
            .load(conn),
    }
}

/// What a revert undoes for an item: the history rows of this job written when it was applied.
fn written_at_apply(
    conn: &mut AnyConnection,
    farmer: i64,
    source_ref: &str,
    applied_at: NaiveDateTime,
) -> QueryResult<Vec<FieldChange>> {
    Ok(farmer_history::table
        .filter(farmer_history::farmer_id.eq(farmer))
        .filter(farmer_history::source_ref.eq(source_ref))
        .filter(farmer_history::at.eq(applied_at))
        .filter(farmer_history::comment.is_null())
        .order(farmer_history::id)
        .select((
            farmer_history::field,
            farmer_history::before_value,
            farmer_history::after_value,
        ))
        .load::<(String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(field, before, after)| FieldChange {
            field,
            before,
            after,
        })
        .collect())
}

/// Runs a pass over the job's items, one transaction per chunk; the audit row goes with the
/// last one.
fn in_chunks(
    conn: &mut AnyConnection,
    actor: &Actor,
    job: &JobRow,
    direction: Direction,
    reasons: &[&str],
) -> AppResult<ApplyOutcome> {
    let source_ref = source_ref(job.id);
    let mut outcome = ApplyOutcome {
        farmers: 0,
        fields: 0,
        conflicts: 0,
    };
    let mut after = 0i64;
    let mut version_taken = false;
    loop {
        let done = conn.write_transaction(|conn| -> AppResult<bool> {
            if !version_taken {
                take_version(conn, job.id, job.version)?;
            }
            let items = next_items(conn, job.id, after, direction, reasons)?;
            let Some(last) = items.last() else {
                let action = match direction {
                    Direction::Apply => "confrontation_applied",
                    Direction::Revert => "confrontation_reverted",
                };
                actor.record(
                    conn,
                    action,
                    "confrontation",
                    job.id,
                    json!({ "request_id": job.request_id, "reasons": reasons, "farmers": outcome.farmers, "fields": outcome.fields, "conflicts": outcome.conflicts }),
                )?;
                return Ok(true);
            };
            after = last.id;
            let now = db::now();
            let provenance = Provenance {
                source: ChangeSource::Confrontation,
                source_ref: &source_ref,
                comment: (direction == Direction::Revert).then_some(REVERT_COMMENT),
                actor: &actor.name,
                at: now,
            };
            let mut moved = 0i64;
            for item in &items {
                let Some(farmer) = item.farmer_id else {
                    continue;
                };
                let changes = match (direction, item.applied_at) {
                    (Direction::Apply, _) => item.field_changes()?,
                    (Direction::Revert, Some(applied_at)) => {
                        written_at_apply(conn, farmer, &source_ref, applied_at)?
                    }
                    (Direction::Revert, None) => continue,
                };
                let written =
                    changes::apply_field_changes(conn, farmer, &changes, direction, &provenance)?;
                let marked = diesel::update(confrontation_items::table.find(item.id));
                match &written {
                    Written::Fields(fields) => {
                        moved += 1;
                        outcome.farmers += 1;
                        outcome.fields += *fields as u64;
                        match direction {
                            Direction::Apply => marked
                                .set((
                                    confrontation_items::applied_at.eq(now),
                                    confrontation_items::reverted_at.eq(None::<NaiveDateTime>),
                                ))
                                .execute(conn)?,
                            Direction::Revert => marked
                                .set(confrontation_items::reverted_at.eq(now))
                                .execute(conn)?,
                        };
                    }
                    // The registry moved on since the confrontation: left as it is, with why.
                    Written::Conflict(reason) => {
                        outcome.conflicts += 1;
                        marked
                            .set(confrontation_items::apply_conflict.eq(reason))
                            .execute(conn)?;
                    }
                }
            }
            let update = diesel::update(confrontations::table.find(job.id));
            match direction {
                Direction::Apply => update
                    .set((
                        confrontations::applied.eq(confrontations::applied + moved),
                        confrontations::applied_at.eq(now),
                        confrontations::reverted_at.eq(None::<NaiveDateTime>),
                        confrontations::updated_at.eq(now),
                    ))
                    .execute(conn)?,
                Direction::Revert => update
                    .set((
                        confrontations::applied.eq(confrontations::applied - moved),
                        confrontations::reverted_at.eq(now),
                        confrontations::updated_at.eq(now),
                    ))
                    .execute(conn)?,
            };
            Ok(false)
        })?;
        version_taken = true;
        if done {
            return Ok(outcome);
        }
    }
}

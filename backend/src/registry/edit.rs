//! Staff editing a farmer: the fields they may change, each change with a history row that
//! keeps the reason, on the version they saw.

use confrontas_api::{ChangeSource, Curp, Farmer, FarmerPatch, ItemReason, Rfc};
use diesel::prelude::*;
use serde_json::json;

use super::bulk::NewChange;
use super::changes;
use super::records::{FarmerRow, find};
use crate::audit::Actor;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{farmer_history, farmers};

/// One hand-editable field: its value now and what a PATCH asks for.
struct FieldEdit {
    field: &'static str,
    before: Option<String>,
    /// `None` when the PATCH does not mention the field; `Some(None)` removes the value.
    requested: Option<Option<String>>,
}

impl FieldEdit {
    /// The new value, when it differs from the current one.
    fn change(&self) -> Option<Option<String>> {
        self.requested.clone().filter(|after| *after != self.before)
    }

    /// The value the field ends up with.
    fn result(&self) -> Option<String> {
        self.change().unwrap_or_else(|| self.before.clone())
    }
}

/// The fields staff may edit, read from the current row and the PATCH body.
struct Edits {
    rfc: FieldEdit,
    state: FieldEdit,
    municipality: FieldEdit,
    producer_folio: FieldEdit,
    status: FieldEdit,
}

impl Edits {
    fn of(current: &FarmerRow, patch: &FarmerPatch) -> Edits {
        let edit = |field, before: &Option<String>, requested| FieldEdit {
            field,
            before: before.clone(),
            requested,
        };
        // Valid RFCs are stored normalized (upper case, no spaces or hyphens).
        let rfc = patch
            .rfc
            .as_deref()
            .map(|r| cleared(r).map(|r| Rfc::parse(&r).map(|r| r.to_string()).unwrap_or(r)));
        let state = patch.state.as_deref().map(|s| cleared(&s.to_uppercase()));
        Edits {
            rfc: edit("rfc", &current.rfc, rfc),
            state: edit("state", &current.state, state),
            municipality: edit(
                "municipality",
                &current.municipality,
                patch.municipality.as_deref().map(cleared),
            ),
            producer_folio: edit(
                "producer_folio",
                &current.producer_folio,
                patch.producer_folio.as_deref().map(cleared),
            ),
            status: edit(
                "status",
                &Some(current.status.clone()),
                patch.status.map(|s| Some(s.as_str().to_owned())),
            ),
        }
    }

    fn all(&self) -> [&FieldEdit; 5] {
        [
            &self.rfc,
            &self.state,
            &self.municipality,
            &self.producer_folio,
            &self.status,
        ]
    }
}

/// Blank means "remove"; otherwise trimmed.
fn cleared(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Applies `patch` to the farmer with `curp` in one transaction, audited; the farmer as it now is.
pub fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    curp: &str,
    patch: &FarmerPatch,
) -> AppResult<Farmer> {
    conn.write_transaction(|conn| {
        let current = find(conn, curp)?;
        if current.version != patch.version {
            return Err(version_conflict(current.version));
        }
        let edits = Edits::of(&current, patch);
        let changes: Vec<(&'static str, Option<String>, Option<String>)> = edits
            .all()
            .into_iter()
            .filter_map(|edit| {
                edit.change()
                    .map(|after| (edit.field, edit.before.clone(), after))
            })
            .collect();
        if changes.is_empty() {
            return current.into_dto(&crate::sat::eligibility::policy(conn)?);
        }
        if let Some(Some(rfc)) = edits.rfc.change() {
            check_rfc_owner(conn, &current, &rfc)?;
        }
        let now = db::now();
        let touched = diesel::update(
            farmers::table
                .find(current.id)
                .filter(farmers::version.eq(current.version)),
        )
        .set((
            farmers::rfc.eq(edits.rfc.result()),
            farmers::state.eq(edits.state.result()),
            farmers::municipality.eq(edits.municipality.result()),
            farmers::producer_folio.eq(edits.producer_folio.result()),
            farmers::status.eq(edits.status.result().unwrap_or(current.status.clone())),
            farmers::version.eq(current.version + 1),
            farmers::updated_at.eq(now),
        ))
        .execute(conn)?;
        if touched == 0 {
            return Err(version_conflict(current.version + 1));
        }
        for (field, before, after) in &changes {
            diesel::insert_into(farmer_history::table)
                .values(NewChange {
                    farmer_id: current.id,
                    field: (*field).to_owned(),
                    before_value: before.clone(),
                    after_value: after.clone(),
                    source: ChangeSource::Edit.as_str().to_owned(),
                    source_ref: None,
                    comment: Some(patch.comment.trim().to_owned()),
                    actor: actor.name.clone(),
                    at: now,
                })
                .execute(conn)?;
        }
        let fields: Vec<&str> = changes.iter().map(|(field, ..)| *field).collect();
        actor.record(
            conn,
            "farmer_updated",
            "farmer",
            &current.curp,
            json!({ "fields": fields }),
        )?;
        find(conn, &current.curp)?.into_dto(&crate::sat::eligibility::policy(conn)?)
    })
}

/// A farmer's RFC must be theirs and nobody else's; to move an RFC to this farmer, staff first
/// remove it from its holder (an edit with its own reason and history), so the move is an
/// explicit, audited decision (`docs/sat-protocol.md`, "Whose RFC it is").
fn check_rfc_owner(conn: &mut AnyConnection, farmer: &FarmerRow, rfc: &str) -> AppResult<()> {
    let unprocessable = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    if let (Ok(parsed), Ok(curp)) = (Rfc::parse(rfc), Curp::parse(&farmer.curp))
        && let Err(problem) = parsed.belongs_to(&curp)
    {
        let code = ItemReason::from(problem);
        return Err(AppError::new(
            unprocessable,
            code.as_str(),
            problem.message(),
        ));
    }
    if let Some(holder) = changes::rfc_holder(conn, rfc, farmer.id)? {
        return Err(AppError::conflict(
            ItemReason::RfcHeldByOther.as_str(),
            format!(
                "El RFC {rfc} ya es del productor con CURP {holder}. Si es de este productor, quítelo primero de aquel (con el motivo) y vuelva a asignarlo aquí."
            ),
        ));
    }
    Ok(())
}

fn version_conflict(current: i32) -> AppError {
    AppError::conflict(
        "version_conflict",
        format!(
            "El registro cambió mientras lo editaba (versión actual {current}). Recárguelo y vuelva a intentar."
        ),
    )
}

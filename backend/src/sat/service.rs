//! The exchange file's writes: the RFC list marked exported, and an accepted answer file's
//! results classified and stored, each with its audit row in the same transaction.

use std::collections::HashMap;

use confrontas_api::{AnswerImport, ConfrontationState, Rfc};
use diesel::prelude::*;
use serde_json::json;

use super::opinion::{self, OpinionProvider, classify_opinion};
use super::records::{PendingItem, exchange_job, pending_rfcs};
use super::validity::OpinionTerm;
use crate::attachments::AttachmentStore;
use crate::audit::Actor;
use crate::auth::principal::StaffUser;
use crate::confrontations::classify::ItemResult;
use crate::confrontations::queue::{self, Fence};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::registry::changes::RegistryRecord;
use crate::schema::confrontations;

/// The RFCs of exchange job `id` to send (in layout order, each once) and the file's name; the
/// export (as `format`) is marked and audited.
pub fn export(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    actor: &Actor,
    id: i64,
    format: &str,
) -> AppResult<(String, Vec<String>)> {
    conn.write_transaction(|conn| {
        let (job, ticket) = exchange_job(conn, staff, id)?;
        if job.current_state()? != ConfrontationState::WaitingAuthority {
            return Err(AppError::conflict(
                "not_awaiting_answers",
                "La confronta ya no espera la respuesta del SAT: no hay RFC por enviar.",
            ));
        }
        let rfcs = pending_rfcs(conn, id)?;
        let now = db::now();
        diesel::update(
            confrontations::table
                .find(id)
                .filter(confrontations::exported_at.is_null()),
        )
        .set(confrontations::exported_at.eq(now))
        .execute(conn)?;
        actor.record(
            conn,
            "sat_exchange_exported",
            "confrontation",
            id,
            json!({ "ticket_number": ticket, "rfcs": rfcs.len(), "format": format }),
        )?;
        Ok((format!("sat_32d_{ticket}_{id}"), rfcs))
    })
}

/// Classifies the waiting items from `provider`'s answers, against their farmers' `records`.
pub async fn classify_pending(
    pending: Vec<PendingItem>,
    records: &HashMap<i64, RegistryRecord>,
    provider: impl OpinionProvider,
    term: &OpinionTerm,
    today: chrono::NaiveDate,
) -> Vec<(i64, Option<i64>, u32, ItemResult)> {
    let mut results = Vec::with_capacity(pending.len());
    for item in pending {
        let rfc = item.rfc.as_deref().and_then(|r| Rfc::parse(r).ok());
        let record = item.farmer_id.and_then(|f| records.get(&f));
        let result = match (rfc, record) {
            (Some(rfc), Some(record)) => match provider.opinion(&rfc).await {
                Ok(answer) => classify_opinion(record, &rfc, &answer, term, today),
                Err(error) => ItemResult::failed(opinion::failure_reason(&error)),
            },
            (None, _) => ItemResult::failed(confrontas_api::ItemReason::InvalidRfc),
            (_, None) => ItemResult::failed(confrontas_api::ItemReason::NotInRegistry),
        };
        results.push((item.id, item.farmer_id, 1, result));
    }
    results
}

/// Audits an answer file refused whole (nothing else is stored): who sent which file, and
/// how many of its rows were wrong.
pub fn record_refused_answers(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    report: &AnswerImport,
) -> AppResult<()> {
    conn.write_transaction(|conn| {
        actor.record(
            conn,
            "sat_answers_refused",
            "confrontation",
            id,
            json!({
                "file_name": report.file_name,
                "rows": report.rows,
                "wrong_rows": report.error_count,
            }),
        )?;
        Ok(())
    })
}

/// An accepted answer file: where it is, and what its import found.
pub struct AnswerFile<'a> {
    pub path: &'a std::path::Path,
    pub report: &'a AnswerImport,
}

/// Keeps an accepted answer file in `store` and stores its results in one transaction: the job
/// (still waiting) keeps the file's name and hash, the items their results, and the job
/// finishes. Blocking: run it off the async threads.
pub fn store_answers(
    conn: &mut AnyConnection,
    store: &AttachmentStore,
    staff: &StaffUser,
    actor: &Actor,
    id: i64,
    answers: &AnswerFile,
    results: &[(i64, Option<i64>, u32, ItemResult)],
) -> AppResult<()> {
    let stored = store.put_file(answers.path).map_err(AppError::internal)?;
    let (sha256, report) = (stored.sha256.as_str(), answers.report);
    conn.write_transaction(|conn| {
        let (job, ticket) = exchange_job(conn, staff, id)?;
        let now = db::now();
        // Locks the job's row, so a second import of the same job waits here and then finds
        // it finished.
        let still_waiting = diesel::update(
            confrontations::table
                .find(id)
                .filter(confrontations::state.eq(ConfrontationState::WaitingAuthority.as_str())),
        )
        .set((
            confrontations::answers_file_name.eq(&report.file_name),
            confrontations::answers_sha256.eq(sha256),
            confrontations::waiting_reason.eq(None::<String>),
            confrontations::updated_at.eq(now),
        ))
        .execute(conn)?;
        if still_waiting == 0 {
            return Err(AppError::conflict(
                "not_awaiting_answers",
                format!(
                    "La confronta {} ya no espera la respuesta del SAT (otra importación terminó antes).",
                    job.id
                ),
            ));
        }
        queue::store_in(conn, id, Fence::Pending, results, now)?;
        queue::finish_if_done(conn, id, now)?;
        actor.record(
            conn,
            "sat_answers_imported",
            "confrontation",
            id,
            json!({
                "ticket_number": ticket,
                "file_name": report.file_name,
                "sha256": sha256,
                "rows": report.rows,
                "answered": report.answered,
                "not_answered": report.not_answered,
            }),
        )?;
        Ok(())
    })
}

//! Reading SAT data: what the registry holds for an RFC, and the exchange job's items still
//! waiting for the SAT's answer.

use std::collections::HashSet;

use confrontas_api::{ConfrontationState, SatProvider};
use diesel::prelude::*;

use crate::auth::principal::StaffUser;
use crate::confrontations::jobs::{self, JobRow};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::registry::changes::RegistryRecord;
use crate::schema::{confrontation_items, farmers};

/// The farmers the registry has with `rfc` (at most 20).
pub fn holders_of(conn: &mut AnyConnection, rfc: &str) -> QueryResult<Vec<RegistryRecord>> {
    farmers::table
        .filter(farmers::rfc.eq(rfc))
        .order(farmers::id)
        .limit(20)
        .select(RegistryRecord::as_select())
        .load(conn)
}

/// The job, if `staff` may see it and it is a SAT confrontation by exchange file.
pub fn exchange_job(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    id: i64,
) -> AppResult<(JobRow, String)> {
    let (job, request) = jobs::visible(conn, staff, id)?;
    if job.provider() != Some(SatProvider::ExchangeFile) {
        return Err(AppError::conflict(
            "not_exchange_file",
            "Esta confronta no usa el archivo de intercambio con el SAT.",
        ));
    }
    Ok((job, request.ticket_number))
}

/// The RFCs of `job` still waiting for an answer, in layout order, each once.
pub fn pending_rfcs(conn: &mut AnyConnection, job: i64) -> QueryResult<Vec<String>> {
    let rfcs: Vec<Option<String>> = confrontation_items::table
        .filter(confrontation_items::confrontation_id.eq(job))
        .filter(confrontation_items::state.eq("pending"))
        .order(confrontation_items::row_number)
        .select(confrontation_items::rfc)
        .load(conn)?;
    let mut seen = HashSet::new();
    Ok(rfcs
        .into_iter()
        .flatten()
        .filter(|rfc| seen.insert(rfc.clone()))
        .collect())
}

/// A pending item of an exchange job.
#[derive(Queryable)]
pub struct PendingItem {
    pub id: i64,
    pub rfc: Option<String>,
    pub farmer_id: Option<i64>,
}

/// The items of exchange job `id` still waiting for an answer, when the job waits for one.
pub fn awaiting_answers(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    id: i64,
) -> AppResult<Vec<PendingItem>> {
    let (job, _) = exchange_job(conn, staff, id)?;
    awaiting(&job)?;
    Ok(confrontation_items::table
        .filter(confrontation_items::confrontation_id.eq(id))
        .filter(confrontation_items::state.eq("pending"))
        .select((
            confrontation_items::id,
            confrontation_items::rfc,
            confrontation_items::farmer_id,
        ))
        .load(conn)?)
}

fn awaiting(job: &JobRow) -> AppResult<()> {
    if job.current_state()? == ConfrontationState::WaitingAuthority {
        Ok(())
    } else {
        Err(AppError::conflict(
            "not_awaiting_answers",
            format!(
                "La confronta está «{}»: ya no espera la respuesta del SAT.",
                job.current_state()?.label()
            ),
        ))
    }
}

//! `GET /api/v1/dashboard`: per role, the requests waiting for the caller's role, the open
//! requests at risk or past their due date, and how many requests are in each state.

use std::collections::HashMap;

use chrono::Utc;
use confrontas_api::{Dashboard, RequestState, RequestSummary, Role, SlaStatus, StateCount};
use diesel::prelude::*;

use super::records::{self, RequestRow};
use crate::auth::principal::StaffUser;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::schema::requests;

/// Requests listed per section; the totals count them all.
const SHOWN: usize = 20;

pub fn build(conn: &mut AnyConnection, staff: &StaffUser) -> AppResult<Dashboard> {
    let by_state = (requests::state, diesel::dsl::count_star());
    let counted: HashMap<String, i64> = match staff.role {
        Role::Area => requests::table
            .filter(requests::unit_id.eq(staff.unit_id))
            .group_by(requests::state)
            .select(by_state)
            .load::<(String, i64)>(conn)?,
        _ => requests::table
            .group_by(requests::state)
            .select(by_state)
            .load::<(String, i64)>(conn)?,
    }
    .into_iter()
    .collect();
    let counts_by_state = RequestState::ALL
        .into_iter()
        .map(|state| StateCount {
            state,
            count: counted.get(state.as_str()).copied().unwrap_or(0).max(0) as u64,
        })
        .collect();
    let mut open_query = requests::table
        .filter(requests::state.eq_any(super::open_states()))
        .into_boxed();
    if staff.role == Role::Area {
        open_query = open_query.filter(requests::unit_id.eq(staff.unit_id));
    }
    let open = open_query.select(RequestRow::as_select()).load(conn)?;
    let mut open: Vec<RequestSummary> = records::summaries(conn, &open, Utc::now())?
        .into_iter()
        .map(|(summary, _)| summary)
        .collect();
    open.sort_by_key(|s| (s.due_date.is_none(), s.due_date, s.submitted_at));
    let section = |keep: &dyn Fn(&RequestSummary) -> bool| {
        let all: Vec<RequestSummary> = open.iter().filter(|s| keep(s)).cloned().collect();
        let total = all.len() as u64;
        (all.into_iter().take(SHOWN).collect::<Vec<_>>(), total)
    };
    let (pending, pending_total) = section(&|s| s.state.next_role() == Some(staff.role));
    let (at_risk, at_risk_total) = section(&|s| s.sla_status == Some(SlaStatus::AtRisk));
    let (breached, breached_total) = section(&|s| s.sla_status == Some(SlaStatus::Breached));
    Ok(Dashboard {
        role: staff.role,
        pending,
        pending_total,
        at_risk,
        at_risk_total,
        breached,
        breached_total,
        counts_by_state,
    })
}

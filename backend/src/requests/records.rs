//! Reading requests: the rows, who may see them, and the API's views of them (summary, detail,
//! timeline), with their service-level clocks computed on the way out.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use confrontas_api::{
    Curp, Page, RequestAction, RequestDetail, RequestFilter, RequestSla, RequestSort, RequestState,
    RequestSummary, RequestType, Role, SlaClock, TimelineEntry, TimelineEvent,
};
use diesel::prelude::*;

use crate::attachments::{self, AttachmentRow};
use crate::auth::principal::StaffUser;
use crate::calendar::{self, start_of_local_day};
use crate::db::{self, AnyConnection, PageRequest};
use crate::error::{AppError, AppResult};
use crate::schema::{
    attachments as attachments_table, confrontation_items, confrontations, request_events,
    requests, users,
};
use crate::sla;
use crate::units::records::unit_refs;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = requests)]
pub struct RequestRow {
    pub id: i64,
    pub request_type: String,
    pub state: String,
    pub ticket_number: String,
    pub folio: Option<String>,
    pub unit_id: i64,
    pub requested_by: i64,
    pub subject: String,
    pub signer_name: String,
    pub signer_position: String,
    pub version: i32,
    pub submitted_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl RequestRow {
    pub fn kind(&self) -> AppResult<RequestType> {
        RequestType::parse(&self.request_type)
            .ok_or_else(|| AppError::internal("unknown request type in database"))
    }

    pub fn current_state(&self) -> AppResult<RequestState> {
        RequestState::parse(&self.state)
            .ok_or_else(|| AppError::internal("unknown request state in database"))
    }
}

fn not_found() -> AppError {
    AppError::not_found("No hay una solicitud con ese id.")
}

/// The request if `staff` may see it: an area sees only its own unit's requests; for anyone
/// else's, the request does not exist (404, never 403, so ids reveal nothing).
pub fn visible(conn: &mut AnyConnection, staff: &StaffUser, id: i64) -> AppResult<RequestRow> {
    let row = requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)?;
    if staff.role == Role::Area && row.unit_id != staff.unit_id {
        return Err(not_found());
    }
    Ok(row)
}

fn filtered<'a>(
    staff: &StaffUser,
    filter: &'a RequestFilter,
) -> requests::BoxedQuery<'a, db::DbBackend> {
    let mut query = requests::table.into_boxed();
    if staff.role == Role::Area {
        query = query.filter(requests::unit_id.eq(staff.unit_id));
    } else if let Some(unit) = filter.unit_id {
        query = query.filter(requests::unit_id.eq(unit));
    }
    if let Some(state) = filter.state {
        query = query.filter(requests::state.eq(state.as_str()));
    }
    if let Some(kind) = filter.request_type {
        query = query.filter(requests::request_type.eq(kind.as_str()));
    }
    if let Some(from) = filter.submitted_from {
        query = query.filter(requests::submitted_at.ge(start_of_local_day(from).naive_utc()));
    }
    if let Some(to) = filter.submitted_to.and_then(|d| d.succ_opt()) {
        query = query.filter(requests::submitted_at.lt(start_of_local_day(to).naive_utc()));
    }
    if filter.mine == Some(true) {
        let waiting: Vec<&str> = RequestState::ALL
            .into_iter()
            .filter(|state| state.next_role() == Some(staff.role))
            .map(RequestState::as_str)
            .collect();
        query = query.filter(requests::state.eq_any(waiting));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let code = db::like_anywhere(&q.to_uppercase());
        let words = db::contains_pattern(q);
        let text = requests::ticket_number
            .like(code.clone())
            .escape('\\')
            .or(requests::folio.like(code).escape('\\'))
            .or(db::lower(requests::subject).like(words).escape('\\'));
        query = match Curp::parse(q) {
            // A person: the requests whose confrontations asked for them.
            Ok(curp) => query.filter(
                text.or(requests::id.eq_any(
                    confrontations::table
                        .filter(
                            confrontations::id.eq_any(
                                confrontation_items::table
                                    .filter(confrontation_items::curp.eq(curp.as_str().to_owned()))
                                    .select(confrontation_items::confrontation_id),
                            ),
                        )
                        .select(confrontations::request_id),
                )),
            ),
            Err(_) => query.filter(text),
        };
    }
    query
}

/// A page of the requests `staff` may see (an area: its unit's), filtered and sorted, with their
/// clocks as of `now`.
pub fn list(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    filter: &RequestFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> AppResult<Page<RequestSummary>> {
    let sort = filter.sort.unwrap_or_default();
    // Clocks are computed, not stored: filtering or sorting by them reads every match.
    if filter.sla_status.is_some() || matches!(sort, RequestSort::Due | RequestSort::DueLast) {
        return Ok(page.slice(all(conn, staff, filter, now)?));
    }
    let ordered = match sort {
        RequestSort::Oldest => {
            filtered(staff, filter).order((requests::submitted_at.asc(), requests::id.asc()))
        }
        RequestSort::Updated => {
            filtered(staff, filter).order((requests::updated_at.desc(), requests::id.desc()))
        }
        RequestSort::Ticket => filtered(staff, filter).order(requests::ticket_number.asc()),
        RequestSort::TicketDesc => filtered(staff, filter).order(requests::ticket_number.desc()),
        RequestSort::Recent | RequestSort::Due | RequestSort::DueLast => {
            filtered(staff, filter).order((requests::submitted_at.desc(), requests::id.desc()))
        }
    };
    page.load(
        conn,
        filtered(staff, filter).count(),
        ordered.select(RequestRow::as_select()),
    )?
    .try_map(|rows| {
        Ok(summaries(conn, &rows, now)?
            .into_iter()
            .map(|(summary, _)| summary)
            .collect())
    })
}

/// Every request `staff` may see that `filter` selects, sorted as it asks (no pages): for
/// orders and filters on the computed clocks, and for exports.
pub fn all(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    filter: &RequestFilter,
    now: DateTime<Utc>,
) -> AppResult<Vec<RequestSummary>> {
    let rows = filtered(staff, filter)
        .order((requests::submitted_at.desc(), requests::id.desc()))
        .select(RequestRow::as_select())
        .load(conn)?;
    let mut found: Vec<RequestSummary> = summaries(conn, &rows, now)?
        .into_iter()
        .map(|(summary, _)| summary)
        .filter(|s| filter.sla_status.is_none() || s.sla_status == filter.sla_status)
        .collect();
    match filter.sort.unwrap_or_default() {
        RequestSort::Recent => {}
        RequestSort::Oldest => found.reverse(),
        RequestSort::Due => {
            found.sort_by_key(|s| (s.due_date.is_none(), s.due_date, s.submitted_at));
        }
        RequestSort::DueLast => found.sort_by_key(|s| {
            (
                s.due_date.is_none(),
                std::cmp::Reverse(s.due_date),
                s.submitted_at,
            )
        }),
        RequestSort::Updated => found.sort_by_key(|s| std::cmp::Reverse((s.updated_at, s.id))),
        RequestSort::Ticket => found.sort_by(|a, b| a.ticket_number.cmp(&b.ticket_number)),
        RequestSort::TicketDesc => found.sort_by(|a, b| b.ticket_number.cmp(&a.ticket_number)),
    }
    Ok(found)
}

/// Summaries of `rows` with their clocks as of `now`, in the same order.
pub fn summaries(
    conn: &mut AnyConnection,
    rows: &[RequestRow],
    now: DateTime<Utc>,
) -> AppResult<Vec<(RequestSummary, Vec<SlaClock>)>> {
    let units = unit_refs(conn, &rows.iter().map(|r| r.unit_id).collect::<Vec<_>>())?;
    let submitted: Vec<(i64, NaiveDateTime)> =
        rows.iter().map(|r| (r.id, r.submitted_at)).collect();
    let mut clocks = sla::clocks_of(conn, &submitted, now)?;
    rows.iter()
        .map(|row| {
            let request_clocks = clocks.remove(&row.id).unwrap_or_default();
            let summary = RequestSummary {
                id: row.id,
                request_type: row.kind()?,
                state: row.current_state()?,
                ticket_number: row.ticket_number.clone(),
                folio: row.folio.clone(),
                unit: units
                    .get(&row.unit_id)
                    .cloned()
                    .ok_or_else(|| AppError::internal("request unit missing"))?,
                subject: row.subject.clone(),
                submitted_at: row.submitted_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
                sla_status: sla::most_pressing(&request_clocks),
                due_date: sla::next_due(&request_clocks),
            };
            Ok((summary, request_clocks))
        })
        .collect()
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = request_events)]
pub struct EventRow {
    pub id: i64,
    pub request_id: i64,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor_id: i64,
    pub at: NaiveDateTime,
    pub comment: Option<String>,
    pub items: Option<String>,
    pub folio: Option<String>,
}

fn items_of(row: &EventRow) -> Vec<String> {
    row.items
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

/// A request with everything its page shows, for `staff`.
pub fn detail(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    row: RequestRow,
    now: DateTime<Utc>,
) -> AppResult<RequestDetail> {
    let (summary, sla) = summaries(conn, std::slice::from_ref(&row), now)?
        .pop()
        .ok_or_else(|| AppError::internal("summary of one request missing"))?;
    let state = summary.state;
    let requester = attachments::people(conn, &[row.requested_by])?
        .remove(&row.requested_by)
        .ok_or_else(|| AppError::internal("requester missing"))?;
    let open_observations = if state == RequestState::Observed {
        request_events::table
            .filter(request_events::request_id.eq(row.id))
            .filter(request_events::event.eq(TimelineEvent::Observe.as_str()))
            .order(request_events::id.desc())
            .select(EventRow::as_select())
            .first(conn)
            .optional()?
            .map(|event| items_of(&event))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let attachments = attachments::of_request(conn, row.id)?
        .into_iter()
        .filter(|a| a.current)
        .collect();
    Ok(RequestDetail {
        summary,
        requested_by: requester,
        signer_name: row.signer_name,
        signer_position: row.signer_position,
        version: row.version,
        open_observations,
        available_actions: RequestAction::available(state, staff.role),
        attachments,
        sla,
    })
}

/// The service-level clocks of request `id`, as `staff` may see them, computed as of `now`.
pub fn sla(
    conn: &mut AnyConnection,
    staff: &StaffUser,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<RequestSla> {
    let row = visible(conn, staff, id)?;
    let clocks = sla::clocks_of(conn, &[(row.id, row.submitted_at)], now)?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(RequestSla {
        request_id: row.id,
        today: calendar::local_date(now),
        time_zone: calendar::rules::TIME_ZONE.name().to_owned(),
        clocks,
    })
}

/// The timeline of a request, oldest first, with the documents of each entry.
pub fn timeline(conn: &mut AnyConnection, request_id: i64) -> AppResult<Vec<TimelineEntry>> {
    let events = request_events::table
        .filter(request_events::request_id.eq(request_id))
        .order(request_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)?;
    let documents = attachments_table::table
        .filter(attachments_table::request_id.eq(request_id))
        .order(attachments_table::id.asc())
        .select(AttachmentRow::as_select())
        .load(conn)?;
    let event_of: HashMap<i64, i64> = documents.iter().map(|d| (d.id, d.event_id)).collect();
    let mut by_event: HashMap<i64, Vec<_>> = HashMap::new();
    for document in attachments::to_dtos(conn, documents)? {
        by_event
            .entry(event_of[&document.id])
            .or_default()
            .push(document);
    }
    let people = attachments::people(conn, &events.iter().map(|e| e.actor_id).collect::<Vec<_>>())?;
    events
        .into_iter()
        .map(|row| {
            Ok(TimelineEntry {
                id: row.id,
                event: TimelineEvent::parse(&row.event)
                    .ok_or_else(|| AppError::internal("unknown timeline event"))?,
                from_state: row.from_state.as_deref().and_then(RequestState::parse),
                to_state: RequestState::parse(&row.to_state)
                    .ok_or_else(|| AppError::internal("unknown state in timeline"))?,
                actor: people
                    .get(&row.actor_id)
                    .cloned()
                    .ok_or_else(|| AppError::internal("timeline actor missing"))?,
                at: row.at.and_utc(),
                items: items_of(&row),
                comment: row.comment,
                folio: row.folio,
                attachments: by_event.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// The name and position of a user (who signs what the server writes on their behalf).
pub fn name_and_position(conn: &mut AnyConnection, user_id: i64) -> QueryResult<(String, String)> {
    users::table
        .find(user_id)
        .select((users::name, users::position))
        .first(conn)
}

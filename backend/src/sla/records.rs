//! Reading service levels: the policies, and the clocks of requests computed from their
//! targets and timelines.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use confrontas_api::{RequestType, SlaClock, SlaClockKind, SlaPolicy, TimelineEvent};
use diesel::prelude::*;

use super::clock::{self, Mark, Target};
use crate::calendar::{self, BusinessCalendar, local_date};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{request_events, request_sla_targets, sla_policies};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sla_policies)]
pub struct PolicyRow {
    pub request_type: String,
    pub clock: String,
    pub business_days: i32,
    pub at_risk_days: i32,
    pub updated_by: Option<String>,
    pub updated_at: NaiveDateTime,
}

impl PolicyRow {
    pub fn into_dto(self) -> AppResult<SlaPolicy> {
        Ok(SlaPolicy {
            request_type: RequestType::parse(&self.request_type)
                .ok_or_else(|| AppError::internal("unknown request type in sla_policies"))?,
            clock: SlaClockKind::parse(&self.clock)
                .ok_or_else(|| AppError::internal("unknown clock in sla_policies"))?,
            business_days: self.business_days.max(0) as u32,
            at_risk_days: self.at_risk_days.max(0) as u32,
            updated_by: self.updated_by,
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// Every policy, by request type and clock.
pub fn policies(conn: &mut AnyConnection) -> AppResult<Vec<SlaPolicy>> {
    let mut policies = sla_policies::table
        .select(PolicyRow::as_select())
        .load(conn)?
        .into_iter()
        .map(PolicyRow::into_dto)
        .collect::<AppResult<Vec<_>>>()?;
    policies.sort_by_key(|p| (p.request_type, p.clock));
    Ok(policies)
}

/// The policy of `request_type`'s `clock`, when it has that clock.
pub fn policy(
    conn: &mut AnyConnection,
    request_type: RequestType,
    clock: SlaClockKind,
) -> QueryResult<Option<PolicyRow>> {
    sla_policies::table
        .find((request_type.as_str(), clock.as_str()))
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()
}

/// The calendar for clocks that started on or after `earliest`, up to due dates after `now`.
pub fn calendar_since(
    conn: &mut AnyConnection,
    earliest: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<BusinessCalendar> {
    let first = local_date(earliest).year().min(local_date(now).year());
    // Terms are at most a year of business days: two more years cover any due date.
    calendar::load(conn, first..=local_date(now).year() + 2)
}

/// The clocks of each request (`id`, `submitted_at`), as of `now`: targets and timelines read
/// in two queries for all of them.
pub fn clocks_of(
    conn: &mut AnyConnection,
    requests: &[(i64, NaiveDateTime)],
    now: DateTime<Utc>,
) -> QueryResult<HashMap<i64, Vec<SlaClock>>> {
    let Some(earliest) = requests.iter().map(|(_, at)| *at).min() else {
        return Ok(HashMap::new());
    };
    let ids: Vec<i64> = requests.iter().map(|(id, _)| *id).collect();
    let calendar = calendar_since(conn, earliest.and_utc(), now)?;
    let mut targets: HashMap<i64, Vec<Target>> = HashMap::new();
    for chunk in ids.chunks(db::IN_CHUNK) {
        let rows = request_sla_targets::table
            .filter(request_sla_targets::request_id.eq_any(chunk))
            .select((
                request_sla_targets::request_id,
                request_sla_targets::clock,
                request_sla_targets::business_days,
                request_sla_targets::at_risk_days,
            ))
            .load::<(i64, String, i32, i32)>(conn)?;
        for (id, clock, days, at_risk) in rows {
            if let Some(clock) = SlaClockKind::parse(&clock) {
                targets.entry(id).or_default().push(Target {
                    clock,
                    business_days: days.max(0) as u32,
                    at_risk_days: at_risk.max(0) as u32,
                });
            }
        }
    }
    let mut marks: HashMap<i64, Vec<Mark>> = HashMap::new();
    for chunk in ids.chunks(db::IN_CHUNK) {
        let rows = request_events::table
            .filter(request_events::request_id.eq_any(chunk))
            .order((request_events::request_id, request_events::id))
            .select((
                request_events::request_id,
                request_events::event,
                request_events::at,
            ))
            .load::<(i64, String, NaiveDateTime)>(conn)?;
        for (id, event, at) in rows {
            if let Some(event) = TimelineEvent::parse(&event) {
                marks.entry(id).or_default().push(Mark {
                    event,
                    at: at.and_utc(),
                });
            }
        }
    }
    Ok(ids
        .into_iter()
        .map(|id| {
            let mut request_targets = targets.remove(&id).unwrap_or_default();
            request_targets.sort_by_key(|t| t.clock);
            let request_marks = marks.remove(&id).unwrap_or_default();
            let clocks = request_targets
                .into_iter()
                .map(|target| clock::compute(&calendar, target, &request_marks, now))
                .collect();
            (id, clocks)
        })
        .collect())
}

//! Service-level slice (DESIGN §6): the policies the admin edits, the targets each request keeps
//! from the moment it is submitted, the clocks computed from timelines, and compliance reports.

pub mod clock;
mod report;

use std::collections::HashMap;

use actix_web::{get, put, web};
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use confrontas_api::{
    RequestType, SlaClock, SlaClockKind, SlaPolicy, SlaPolicyUpdate, TimelineEvent,
};
use diesel::prelude::*;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub use clock::{Mark, Target, most_pressing, next_due};

use crate::api_doc::{BadRequest, BodyErrors, Forbidden, NotFound, Unauthenticated};
use crate::app::AppState;
use crate::auth::principal::{AdminOnly, AnyStaff, Staff};
use crate::calendar::{self, BusinessCalendar, local_date};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::{request_events, request_sla_targets, sla_policies};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_policies)
        .service(update_policy)
        .configure(report::routes);
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sla_policies)]
struct PolicyRow {
    request_type: String,
    clock: String,
    business_days: i32,
    at_risk_days: i32,
    updated_by: Option<String>,
    updated_at: NaiveDateTime,
}

impl PolicyRow {
    fn into_dto(self) -> AppResult<SlaPolicy> {
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

/// The service-level policies (targets in business days). Requests keep the targets in force
/// when they were submitted.
#[utoipa::path(
    tag = "sla",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<SlaPolicy>), Unauthenticated, Forbidden)
)]
#[get("/sla-policies")]
async fn list_policies(
    state: web::Data<AppState>,
    _staff: Staff<AnyStaff>,
) -> AppResult<web::Json<Vec<SlaPolicy>>> {
    let rows = db::run(&state.pool, |conn| {
        Ok(sla_policies::table
            .select(PolicyRow::as_select())
            .load(conn)?)
    })
    .await?;
    let mut policies = rows
        .into_iter()
        .map(PolicyRow::into_dto)
        .collect::<AppResult<Vec<_>>>()?;
    policies.sort_by_key(|p| (p.request_type, p.clock));
    Ok(web::Json(policies))
}

/// Change a service-level target. Requests submitted from now on take it; requests already
/// submitted keep theirs.
#[utoipa::path(
    tag = "sla",
    security(("bearer" = [])),
    params(
        ("request_type" = RequestType, Path),
        ("clock" = SlaClockKind, Path),
    ),
    request_body = SlaPolicyUpdate,
    responses((status = 200, body = SlaPolicy), BodyErrors, BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[put("/sla-policies/{request_type}/{clock}")]
async fn update_policy(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    path: web::Path<(String, String)>,
    body: web::Json<SlaPolicyUpdate>,
) -> AppResult<web::Json<SlaPolicy>> {
    let (request_type, clock) = path.into_inner();
    let not_found = || {
        AppError::not_found(
            "No existe esa política: el tipo de solicitud no tiene ese reloj de nivel de servicio.",
        )
    };
    let request_type = RequestType::parse(&request_type).ok_or_else(not_found)?;
    let clock = SlaClockKind::parse(&clock)
        .filter(|c| SlaClockKind::of_type(request_type).contains(c))
        .ok_or_else(not_found)?;
    let update = body.into_inner();
    update.validate().map_err(AppError::validation)?;
    let actor = admin.actor();
    let row = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let before = sla_policies::table
                .find((request_type.as_str(), clock.as_str()))
                .select(PolicyRow::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(not_found)?;
            let row =
                diesel::update(sla_policies::table.find((request_type.as_str(), clock.as_str())))
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
            Ok::<_, AppError>(row)
        })
    })
    .await?;
    Ok(web::Json(row.into_dto()?))
}

//! Calendar slice: the business days SLA clocks count (DESIGN §6). The rules are in [`rules`];
//! the days the admin declares non-working are in the database, with an audit row each.

pub mod rules;

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use confrontas_api::{
    CALENDAR_YEARS, CalendarYear, FieldError, NewNonWorkingDay, NonWorkingDay, NonWorkingKind,
};
use diesel::prelude::*;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub use rules::{
    BusinessCalendar, is_weekend, local_date, mandatory_rest_days, start_of_local_day,
};

use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable,
};
use crate::app::AppState;
use crate::auth::principal::{AdminOnly, AnyStaff, Staff};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::non_working_days;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(get_year)
        .service(declare_day)
        .service(remove_day);
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = non_working_days)]
struct DeclaredRow {
    id: i64,
    day: NaiveDate,
    name: String,
    created_by: String,
    created_at: NaiveDateTime,
}

impl From<DeclaredRow> for NonWorkingDay {
    fn from(row: DeclaredRow) -> NonWorkingDay {
        NonWorkingDay {
            date: row.day,
            name: row.name,
            kind: NonWorkingKind::Declared,
            id: Some(row.id),
            declared_by: Some(row.created_by),
            declared_at: Some(row.created_at.and_utc()),
        }
    }
}

fn declared_in(
    conn: &mut AnyConnection,
    years: std::ops::RangeInclusive<i32>,
) -> QueryResult<Vec<DeclaredRow>> {
    let first = NaiveDate::from_ymd_opt(*years.start(), 1, 1).expect("calendar year");
    let last = NaiveDate::from_ymd_opt(*years.end(), 12, 31).expect("calendar year");
    non_working_days::table
        .filter(non_working_days::day.between(first, last))
        .order(non_working_days::day.asc())
        .select(DeclaredRow::as_select())
        .load(conn)
}

/// The business-day calendar of `years`, with the days declared in the database.
pub fn load(
    conn: &mut AnyConnection,
    years: std::ops::RangeInclusive<i32>,
) -> QueryResult<BusinessCalendar> {
    let declared = declared_in(conn, years.clone())?;
    Ok(BusinessCalendar::new(
        years,
        declared.into_iter().map(|row| (row.day, row.name)),
    ))
}

fn calendar_year(conn: &mut AnyConnection, year: i32) -> QueryResult<CalendarYear> {
    let declared = declared_in(conn, year..=year)?;
    let calendar = BusinessCalendar::new(
        year..=year,
        declared.iter().map(|row| (row.day, row.name.clone())),
    );
    let mut days: Vec<NonWorkingDay> = mandatory_rest_days(year)
        .into_iter()
        .filter(|(day, _)| !is_weekend(*day))
        .map(|(date, name)| NonWorkingDay {
            date,
            name: name.to_owned(),
            kind: NonWorkingKind::Mandatory,
            id: None,
            declared_by: None,
            declared_at: None,
        })
        .collect();
    days.extend(
        declared
            .into_iter()
            .filter(|row| !is_weekend(row.day))
            .map(NonWorkingDay::from),
    );
    days.sort_by_key(|day| (day.date, day.kind == NonWorkingKind::Declared));
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("calendar year");
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("calendar year");
    let business_days =
        calendar.business_days_between(first, last) + u32::from(calendar.is_business_day(first));
    Ok(CalendarYear {
        year,
        non_working_days: days,
        business_days,
        time_zone: rules::TIME_ZONE.name().to_owned(),
    })
}

fn year_in_range(year: i32) -> AppResult<i32> {
    if CALENDAR_YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(AppError::validation(vec![FieldError::new(
            "year",
            "El año debe estar entre 2000 y 2100.",
        )]))
    }
}

/// The non-working weekdays of a year (mandatory by law and declared by the admin) and its
/// number of business days.
#[utoipa::path(
    tag = "calendar",
    security(("bearer" = [])),
    params(("year" = i32, Path, description = "Year, 2000 to 2100", minimum = 2000, maximum = 2100)),
    responses((status = 200, body = CalendarYear), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/calendar/{year}")]
async fn get_year(
    state: web::Data<AppState>,
    _staff: Staff<AnyStaff>,
    year: web::Path<i32>,
) -> AppResult<web::Json<CalendarYear>> {
    let year = year_in_range(year.into_inner())?;
    let calendar = db::run(&state.pool, move |conn| Ok(calendar_year(conn, year)?)).await?;
    Ok(web::Json(calendar))
}

/// Declare a weekday non-working (a DOF agreement of the ministry, an election day…). SLA
/// clocks, computed on read, skip it from then on.
#[utoipa::path(
    tag = "calendar",
    security(("bearer" = [])),
    request_body = NewNonWorkingDay,
    responses((status = 201, body = NonWorkingDay), BodyErrors, Unauthenticated, Forbidden, Conflict)
)]
#[post("/calendar/non-working-days")]
async fn declare_day(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    body: web::Json<NewNonWorkingDay>,
) -> AppResult<HttpResponse> {
    let day = body.into_inner();
    day.validate().map_err(AppError::validation)?;
    let actor = admin.actor();
    let created = db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let year = day.date.year();
            if let Some(reason) = load(conn, year..=year)?.closed_because(day.date) {
                return Err(if is_weekend(day.date) {
                    AppError::validation(vec![FieldError::new(
                        "date",
                        format!(
                            "El {} es {}: nunca es día hábil.",
                            day.date,
                            reason.to_lowercase()
                        ),
                    )])
                } else {
                    AppError::conflict(
                        "already_non_working",
                        format!("El {} ya es inhábil: {reason}.", day.date),
                    )
                });
            }
            let row = diesel::insert_into(non_working_days::table)
                .values((
                    non_working_days::day.eq(day.date),
                    non_working_days::name.eq(day.name.trim()),
                    non_working_days::created_by.eq(&actor.name),
                    non_working_days::created_at.eq(db::now()),
                ))
                .returning(non_working_days::all_columns)
                .get_result::<DeclaredRow>(conn)?;
            actor.record(
                conn,
                "non_working_day_declared",
                "non_working_day",
                row.id,
                json!({ "date": row.day, "name": row.name }),
            )?;
            Ok(NonWorkingDay::from(row))
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Remove a declared non-working day (mandatory days cannot be removed).
#[utoipa::path(
    tag = "calendar",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Id of the declared day")),
    responses((status = 204, description = "Removed"), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[delete("/calendar/non-working-days/{id}")]
async fn remove_day(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = admin.actor();
    db::run(&state.pool, move |conn| {
        conn.write_transaction(|conn| {
            let row = non_working_days::table
                .find(id)
                .select(DeclaredRow::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| {
                    AppError::not_found("No hay un día inhábil declarado con ese id.")
                })?;
            diesel::delete(non_working_days::table.find(id)).execute(conn)?;
            actor.record(
                conn,
                "non_working_day_removed",
                "non_working_day",
                id,
                json!({ "date": row.day, "name": row.name }),
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

//! Calendar slice: the business days service-level clocks count. The rules (weekends, the
//! mandatory rest days of the law, the time zone) are in [`rules`]; the days the admin declares
//! non-working are read in [`records`] and changed in [`service`], with an audit row each.

pub mod records;
pub mod rules;
pub mod service;

use actix_web::{HttpResponse, delete, get, post, web};
use confrontas_api::{CALENDAR_YEARS, CalendarYear, FieldError, NewNonWorkingDay, NonWorkingDay};
use utoipa_actix_web::service_config::ServiceConfig;

pub use records::load;
pub use rules::{
    BusinessCalendar, is_weekend, local_date, mandatory_rest_days, start_of_local_day,
};

use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable,
};
use crate::auth::principal::{AdminOnly, AnyStaff, Staff};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(get_year)
        .service(declare_day)
        .service(remove_day);
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
#[get("/calendar/{year:-?[0-9]+}")]
async fn get_year(
    state: web::Data<AppState>,
    _staff: Staff<AnyStaff>,
    year: web::Path<i32>,
) -> AppResult<web::Json<CalendarYear>> {
    let year = year_in_range(year.into_inner())?;
    let calendar = db::run(&state.pool, move |conn| {
        Ok(records::calendar_year(conn, year)?)
    })
    .await?;
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
        service::declare(conn, &actor, &day)
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
#[delete("/calendar/non-working-days/{id:-?[0-9]+}")]
async fn remove_day(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = admin.actor();
    db::run(&state.pool, move |conn| service::remove(conn, &actor, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

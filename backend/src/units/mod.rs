//! Administrative units (unidades administrativas): admin-managed directory. Handlers here;
//! reads in [`records`], changes in [`service`].

pub mod records;
pub mod service;

use actix_web::{HttpResponse, get, patch, post, web};
use confrontas_api::{NameFilter, NewUnit, Page, Unit, UnitPatch};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable,
};
use crate::auth::principal::{AdminOnly, MinistryStaff, Staff};
use crate::db::{self, PageRequest};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_units)
        .service(create_unit)
        .service(get_unit)
        .service(update_unit);
}

/// List administrative units (the service desk and the sub-directorate filter requests by them).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(NameFilter),
    responses((status = 200, body = Page<Unit>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/units")]
async fn list_units(
    state: web::Data<AppState>,
    _staff: Staff<MinistryStaff>,
    filter: web::Query<NameFilter>,
) -> AppResult<web::Json<Page<Unit>>> {
    let filter = filter.into_inner();
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let result = db::run(&state.pool, move |conn| records::list(conn, &filter, page)).await?;
    Ok(web::Json(result))
}

/// Create an administrative unit.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewUnit,
    responses((status = 201, body = Unit), BodyErrors, Unauthenticated, Forbidden, Conflict))]
#[post("/units")]
async fn create_unit(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    body: web::Json<NewUnit>,
) -> AppResult<HttpResponse> {
    let mut unit = body.into_inner();
    unit.key = unit.key.trim().to_uppercase();
    unit.validate().map_err(AppError::validation)?;
    let actor = admin.actor();
    let created = db::run(&state.pool, move |conn| {
        service::create(conn, &actor, &unit)
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One administrative unit.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Unit id")),
    responses((status = 200, body = Unit), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/units/{id:-?[0-9]+}")]
async fn get_unit(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<web::Json<Unit>> {
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| records::find(conn, id)).await?;
    Ok(web::Json(row.into()))
}

/// Change a unit's name, ministry membership or active flag. The key never changes.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Unit id")),
    request_body = UnitPatch,
    responses((status = 200, body = Unit), BodyErrors, Unauthenticated, Forbidden, NotFound))]
#[patch("/units/{id:-?[0-9]+}")]
async fn update_unit(
    state: web::Data<AppState>,
    admin: Staff<AdminOnly>,
    id: web::Path<i64>,
    body: web::Json<UnitPatch>,
) -> AppResult<web::Json<Unit>> {
    let patch = body.into_inner();
    patch.validate().map_err(AppError::validation)?;
    let id = id.into_inner();
    let actor = admin.actor();
    let updated = db::run(&state.pool, move |conn| {
        service::update(conn, &actor, id, &patch)
    })
    .await?;
    Ok(web::Json(updated))
}

//! Administrative units (unidades administrativas): admin-managed directory.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDateTime;
use confrontas_api::{FieldError, NameFilter, NewUnit, Page, Unit, UnitPatch, UnitRef};
use diesel::prelude::*;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable,
};
use crate::app::AppState;
use crate::auth::principal::{AdminOnly, Staff};
use crate::db::{self, AnyConnection, PageRequest, contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::schema::units;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_units)
        .service(create_unit)
        .service(get_unit)
        .service(update_unit);
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub is_ministry: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<UnitRow> for Unit {
    fn from(row: UnitRow) -> Unit {
        Unit {
            id: row.id,
            key: row.key,
            name: row.name,
            is_ministry: row.is_ministry,
            active: row.active,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// Id, key and name of the given units, for embedding in other records.
pub fn unit_refs(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashMap<i64, UnitRef>> {
    let rows = units::table
        .filter(units::id.eq_any(ids))
        .select((units::id, units::key, units::name))
        .load::<(i64, String, String)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, key, name)| (id, UnitRef { id, key, name }))
        .collect())
}

/// Checks that `unit_id` names an active unit; otherwise a field error for `field`.
pub fn require_active_unit(conn: &mut AnyConnection, unit_id: i64, field: &str) -> AppResult<()> {
    let active = units::table
        .find(unit_id)
        .select(units::active)
        .first::<bool>(conn)
        .optional()?;
    match active {
        Some(true) => Ok(()),
        _ => Err(AppError::validation(vec![FieldError::new(
            field,
            "La unidad no existe o está inactiva.",
        )])),
    }
}

/// Inserts a unit (used by the API, the bootstrap admin and the demo seed).
pub fn insert_unit(conn: &mut AnyConnection, unit: &NewUnit) -> AppResult<Unit> {
    let now = db::now();
    let taken = units::table
        .filter(units::key.eq(&unit.key))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if taken {
        return Err(AppError::conflict(
            "unit_key_taken",
            format!("Ya existe una unidad con la clave {}.", unit.key),
        ));
    }
    let row = diesel::insert_into(units::table)
        .values((
            units::key.eq(&unit.key),
            units::name.eq(unit.name.trim()),
            units::is_ministry.eq(unit.is_ministry),
            units::active.eq(true),
            units::created_at.eq(now),
            units::updated_at.eq(now),
        ))
        .returning(units::all_columns)
        .get_result::<UnitRow>(conn)?;
    Ok(row.into())
}

/// List administrative units.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(NameFilter),
    responses((status = 200, body = Page<Unit>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/units")]
async fn list_units(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    filter: web::Query<NameFilter>,
) -> AppResult<web::Json<Page<Unit>>> {
    let filter = filter.into_inner();
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let result = db::run(&state.pool, move |conn| {
        let query = || {
            let mut query = units::table.into_boxed();
            if let Some(text) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
                let pattern = contains_pattern(text);
                query = query.filter(
                    lower(units::key)
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(units::name).like(pattern).escape('\\')),
                );
            }
            if let Some(active) = filter.active {
                query = query.filter(units::active.eq(active));
            }
            query
        };
        let total = query().count().get_result::<i64>(conn)?;
        let rows = query()
            .order((units::key.asc(), units::id.asc()))
            .offset(page.offset())
            .limit(page.limit())
            .select(UnitRow::as_select())
            .load(conn)?;
        Ok(page.of(rows.into_iter().map(Unit::from).collect(), total))
    })
    .await?;
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
        conn.write_transaction(|conn| {
            let created = insert_unit(conn, &unit)?;
            let detail = json!({ "key": created.key, "name": created.name, "is_ministry": created.is_ministry });
            actor.record(conn, "unit_created", "unit", created.id, detail)?;
            Ok(created)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

fn find_unit(conn: &mut AnyConnection, id: i64) -> AppResult<UnitRow> {
    units::table
        .find(id)
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("La unidad administrativa no existe."))
}

/// One administrative unit.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Unit id")),
    responses((status = 200, body = Unit), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/units/{id}")]
async fn get_unit(
    state: web::Data<AppState>,
    _admin: Staff<AdminOnly>,
    id: web::Path<i64>,
) -> AppResult<web::Json<Unit>> {
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| find_unit(conn, id)).await?;
    Ok(web::Json(row.into()))
}

/// Change a unit's name, ministry membership or active flag. The key never changes.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Unit id")),
    request_body = UnitPatch,
    responses((status = 200, body = Unit), BodyErrors, Unauthenticated, Forbidden, NotFound))]
#[patch("/units/{id}")]
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
        conn.write_transaction(|conn| {
            let before = find_unit(conn, id)?;
            let name = patch.name.as_deref().map(str::trim).unwrap_or(&before.name).to_owned();
            let row = diesel::update(units::table.find(id))
                .set((
                    units::name.eq(&name),
                    units::is_ministry.eq(patch.is_ministry.unwrap_or(before.is_ministry)),
                    units::active.eq(patch.active.unwrap_or(before.active)),
                    units::updated_at.eq(db::now()),
                ))
                .returning(units::all_columns)
                .get_result::<UnitRow>(conn)?;
            actor.record(conn, "unit_updated", "unit", id, json!({
                    "before": { "name": before.name, "is_ministry": before.is_ministry, "active": before.active },
                    "after": { "name": row.name, "is_ministry": row.is_ministry, "active": row.active },
                }))?;
            Ok(Unit::from(row))
        })
    })
    .await?;
    Ok(web::Json(updated))
}

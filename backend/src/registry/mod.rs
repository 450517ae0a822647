//! Registry slice (padrón de productores): search, detail, edit with per-field history, imports
//! and export. Handlers here; reads in [`records`], staff edits in `edit`, bulk inserts (imports
//! and the demo seed share them) in [`bulk`], authority corrections in [`changes`], the export
//! workbook in `export`, imports in [`imports`].

pub mod bulk;
pub mod changes;
pub mod columns;
mod edit;
mod export;
pub mod imports;
pub mod membership;
pub mod records;

use actix_web::{HttpRequest, HttpResponse, get, patch, web};
use confrontas_api::{
    Farmer, FarmerChange, FarmerExportFilter, FarmerFilter, FarmerPatch, Page, PageParams, Role,
};
use utoipa_actix_web::service_config::ServiceConfig;

use self::records::Search;
use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable,
};
use crate::auth::principal::{RoleSet, Staff};
use crate::db::{self, PageRequest};
use crate::error::{AppError, AppResult};
use crate::spreadsheet;
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_farmers)
        .service(get_farmer)
        .service(update_farmer)
        .service(list_farmer_changes)
        .configure(imports::routes)
        .service(export_farmers);
}

/// Who may read and edit the registry.
pub struct RegistryStaff;
impl RoleSet for RegistryStaff {
    const ROLES: &'static [Role] = &[Role::Subdireccion, Role::Admin];
}

/// Search the registry.
///
/// `q` matches every word of the name in any order, with or without accents; `curp` is a prefix.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(FarmerFilter),
    responses((status = 200, body = Page<Farmer>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/farmers")]
async fn list_farmers(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    filter: web::Query<FarmerFilter>,
) -> AppResult<web::Json<Page<Farmer>>> {
    let filter = filter.into_inner();
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let search = Search::new(&filter.curp, &filter.q, &filter.state, filter.status)?;
    let sort = filter.sort.unwrap_or_default();
    let result = db::run(&state.pool, move |conn| {
        records::list(conn, &search, sort, page)
    })
    .await?;
    Ok(web::Json(result))
}

/// One farmer, by CURP.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("curp" = String, Path, description = "CURP (18 characters)")),
    responses((status = 200, body = Farmer), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/farmers/{curp}")]
async fn get_farmer(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    curp: web::Path<String>,
) -> AppResult<web::Json<Farmer>> {
    let curp = curp.into_inner();
    let farmer = db::run(&state.pool, move |conn| {
        let policy = crate::sat::eligibility::policy(conn)?;
        records::find(conn, &curp)?.into_dto(&policy)
    })
    .await?;
    Ok(web::Json(farmer))
}

/// Change the fields staff may edit. Each changed field gets a history row with the reason.
///
/// `version` must be the farmer's current version (409 otherwise: someone else changed it).
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("curp" = String, Path, description = "CURP (18 characters)")),
    request_body = FarmerPatch,
    responses((status = 200, body = Farmer), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[patch("/farmers/{curp}")]
async fn update_farmer(
    state: web::Data<AppState>,
    staff: Staff<RegistryStaff>,
    curp: web::Path<String>,
    body: web::Json<FarmerPatch>,
) -> AppResult<web::Json<Farmer>> {
    let patch = body.into_inner();
    patch.validate().map_err(AppError::validation)?;
    let curp = curp.into_inner();
    let actor = staff.actor();
    let updated = db::run(&state.pool, move |conn| {
        edit::update(conn, &actor, &curp, &patch)
    })
    .await?;
    Ok(web::Json(updated))
}

/// A farmer's history: every change of every field, newest first.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("curp" = String, Path, description = "CURP (18 characters)"), PageParams),
    responses((status = 200, body = Page<FarmerChange>), BadRequest, Unauthenticated, Forbidden, NotFound, Unprocessable)
)]
#[get("/farmers/{curp}/history")]
async fn list_farmer_changes(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    curp: web::Path<String>,
    params: web::Query<PageParams>,
) -> AppResult<web::Json<Page<FarmerChange>>> {
    let page = PageRequest::new(params.page, params.per_page)?;
    let curp = curp.into_inner();
    let result = db::run(&state.pool, move |conn| records::history(conn, &curp, page)).await?;
    Ok(web::Json(result))
}

/// The farmers a search finds, as `.xlsx` (in registration order). Same filters as
/// `GET /farmers`; up to Excel's 1,048,575 rows.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(FarmerExportFilter),
    responses(
        (status = 200, description = "The farmers", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        BadRequest, Unauthenticated, Forbidden, Unprocessable
    )
)]
#[get("/registry/export.xlsx")]
async fn export_farmers(
    state: web::Data<AppState>,
    staff: Staff<RegistryStaff>,
    request: HttpRequest,
    filter: web::Query<FarmerExportFilter>,
) -> AppResult<HttpResponse> {
    let filter = filter.into_inner();
    let search = Search::new(&filter.curp, &filter.q, &filter.state, filter.status)?;
    let (pool, dir, actor) = (state.pool.clone(), state.uploads_dir(), staff.actor());
    let file = state
        .parse_permits
        .run(move || {
            let mut conn = db::checkout(&pool)?;
            export::workbook(&mut conn, &search, &filter, &actor, &dir)
        })
        .await?;
    let name = format!("padron_{}.xlsx", chrono::Utc::now().format("%Y%m%d"));
    spreadsheet::download(&request, file, &name)
}

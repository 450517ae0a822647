//! Registry imports: a spreadsheet of farmers upserted by CURP. The upload is kept on disk and
//! processed in the background, one import at a time per server ([`queue`]); rows are read and
//! checked by [`reader`], written in batches by [`writer`]; progress, counts and refused rows
//! are in the database, written with each batch, so they can be watched while the import runs
//! ([`records`]). Handlers here.

pub mod queue;
pub mod reader;
pub mod records;
pub mod writer;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use confrontas_api::{ImportRejection, Page, PageParams, RegistryImport};

use self::queue::QueuedImport;
use self::writer::ImportLimits;
use super::RegistryStaff;
use crate::api_doc::{
    BadRequest, Forbidden, NotFound, Unauthenticated, Unprocessable, UploadErrors,
};
use crate::auth::principal::Staff;
use crate::db::{self, PageRequest};
use crate::error::AppResult;
use crate::spreadsheet;
use crate::state::AppState;
use crate::uploads;

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(start_import)
        .service(list_imports)
        .service(get_import)
        .service(list_rejections)
        .service(download_rejections);
}

/// Import farmers from `.xlsx` or `.csv` (field `file`), upserting by CURP.
///
/// Columns (any order, headers matched ignoring case and accents): `CURP` (required),
/// `NOMBRE(S)`, `PRIMER APELLIDO`, `SEGUNDO APELLIDO`, `RFC`, `ENTIDAD` (CURP code or name),
/// `MUNICIPIO`, `FOLIO PRODUCTOR`, `ESTATUS` (`ACTIVO` or `BAJA`). A new CURP needs a name and
/// a first surname; birth date, sex and birth state come from the CURP. Blank cells leave the
/// registry's value as it is. Every change is recorded in the farmer's history.
///
/// The file is checked before it is accepted: the whole package, the header and the first
/// 1,000 data rows (a hostile, unreadable or empty file gets its 4xx here). The import then
/// runs in the background: the answer (202) is the queued import; follow it with
/// `GET /registry/imports/{id}`.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    request_body(content = crate::api_doc::SpreadsheetUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, body = RegistryImport, description = "Queued; `Location` points at it"),
        UploadErrors, Unauthenticated, Forbidden
    )
)]
#[post("/registry/imports")]
async fn start_import(
    state: web::Data<AppState>,
    staff: Staff<RegistryStaff>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let limits = state.config.import_uploads;
    let dir = state.uploads_dir();
    let body = actix_multipart::Multipart::new(request.headers(), payload);
    let upload = uploads::receive_spreadsheet(&request, body, &dir, limits).await?;
    let upload = state
        .parse_permits
        .run(move || {
            let path = upload.file.path();
            uploads::check_start(path, upload.format, limits, &reader::IMPORT_COLUMNS)?;
            Ok(upload)
        })
        .await?;
    let actor = staff.actor();
    let sheet_format = upload.format;
    let (id, stored) = {
        let (actor, dir) = (actor.clone(), dir.clone());
        db::run(&state.pool, move |conn| {
            queue::record(conn, upload, &dir, &actor)
        })
        .await?
    };
    state.imports.run(
        state.pool.clone(),
        state.parse_permits.clone(),
        QueuedImport {
            id,
            stored,
            format: sheet_format,
            limits: ImportLimits {
                file: limits,
                rejections_kept: state.config.import_rejections_kept,
            },
            actor,
        },
    );
    let created = db::run(&state.pool, move |conn| records::import(conn, id)).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/registry/imports/{id}")))
        .json(created))
}

/// Registry imports, newest first.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<RegistryImport>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/registry/imports")]
async fn list_imports(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    params: web::Query<PageParams>,
) -> AppResult<web::Json<Page<RegistryImport>>> {
    let page = PageRequest::new(params.page, params.per_page)?;
    let result = db::run(&state.pool, move |conn| records::list(conn, page)).await?;
    Ok(web::Json(result))
}

/// One registry import, with its progress and counts.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = RegistryImport), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/registry/imports/{id:-?[0-9]+}")]
async fn get_import(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    id: web::Path<i64>,
) -> AppResult<web::Json<RegistryImport>> {
    let id = id.into_inner();
    let import = db::run(&state.pool, move |conn| records::import(conn, id)).await?;
    Ok(web::Json(import))
}

/// The rows an import refused, in row order.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<ImportRejection>), BadRequest, Unauthenticated, Forbidden, NotFound, Unprocessable)
)]
#[get("/registry/imports/{id:-?[0-9]+}/rejections")]
async fn list_rejections(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    id: web::Path<i64>,
    params: web::Query<PageParams>,
) -> AppResult<web::Json<Page<ImportRejection>>> {
    let page = PageRequest::new(params.page, params.per_page)?;
    let id = id.into_inner();
    let result = db::run(&state.pool, move |conn| records::rejections(conn, id, page)).await?;
    Ok(web::Json(result))
}

/// The rows an import refused, as `.xlsx`.
#[utoipa::path(
    tag = "registry",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The refused rows", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        BadRequest, Unauthenticated, Forbidden, NotFound
    )
)]
#[get("/registry/imports/{id:-?[0-9]+}/rejections.xlsx")]
async fn download_rejections(
    state: web::Data<AppState>,
    _staff: Staff<RegistryStaff>,
    request: HttpRequest,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let dir = state.uploads_dir();
    let pool = state.pool.clone();
    let file = state
        .parse_permits
        .run(move || records::rejections_workbook(&mut *db::checkout(&pool)?, id, &dir))
        .await?;
    spreadsheet::download(&request, file, &format!("rechazos_importacion_{id}.xlsx"))
}

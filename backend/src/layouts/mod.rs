//! CURP layout slice: the template areas fill in and the row-by-row check of a filled one.

mod check;
mod report;
mod template;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use confrontas_api::{LayoutCheckParams, LayoutReport, ReportFormat};
use utoipa_actix_web::service_config::ServiceConfig;

pub use check::{FirstIssues, IssueSink, LayoutCheck, check_layout};

use crate::api_doc::{Forbidden, Unauthenticated, UploadErrors};
use crate::auth::principal::Principal;
use crate::error::AppResult;
use crate::registry::columns;
use crate::spreadsheet;
use crate::state::AppState;
use crate::uploads::{self, Columns};

pub fn routes(config: &mut ServiceConfig) {
    config.service(download_template).service(validate_layout);
}

/// The layout's columns (`docs/architecture.md`, "Layouts and the registry"), in template
/// order; checks refer to them by index.
pub const LAYOUT_COLUMNS: Columns = Columns(&[
    columns::CURP,
    columns::RFC,
    columns::GIVEN_NAMES,
    columns::FIRST_SURNAME,
    columns::SECOND_SURNAME,
    columns::PRODUCER_FOLIO,
]);

/// The layout template (`layout_curp.xlsx`): headers with notes, an example row, data
/// validation on CURP and RFC, and an instructions sheet.
#[utoipa::path(
    tag = "layouts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        Unauthenticated
    )
)]
#[get("/layouts/template.xlsx")]
async fn download_template(
    state: web::Data<AppState>,
    _principal: Principal,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let dir = state.uploads_dir();
    let file = state
        .parse_permits
        .run(move || template::build(&dir))
        .await?;
    spreadsheet::download(&request, file, "layout_curp.xlsx")
}

/// Check a filled layout (`.xlsx` or `.csv`, field `file`) row by row: invalid or missing CURPs
/// with the reason, repeated CURPs with the row where they first appear, CURPs not in the
/// registry, and RFC warnings. Row numbers are the ones Excel shows.
///
/// With `format=xlsx` the answer is the same report as a workbook with every issue.
#[utoipa::path(
    tag = "layouts",
    security(("bearer" = [])),
    params(LayoutCheckParams),
    request_body(content = crate::api_doc::SpreadsheetUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The report (JSON, or `.xlsx` with `format=xlsx`)", content(
            (LayoutReport = "application/json"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        UploadErrors, Unauthenticated, Forbidden
    )
)]
#[post("/layouts/validate")]
async fn validate_layout(
    state: web::Data<AppState>,
    _principal: Principal,
    request: HttpRequest,
    params: web::Query<LayoutCheckParams>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let limits = state.config.layout_uploads;
    let body = actix_multipart::Multipart::new(request.headers(), payload);
    let upload = uploads::receive_spreadsheet(&request, body, &state.uploads_dir(), limits).await?;
    let pool = state.pool.clone();
    let dir = state.uploads_dir();
    match params.format.unwrap_or_default() {
        ReportFormat::Json => {
            let report = state
                .parse_permits
                .run(move || {
                    let mut first = FirstIssues::default();
                    let check =
                        check_layout(upload.file.path(), upload.format, limits, &pool, &mut first)?;
                    Ok(LayoutReport {
                        file_name: upload.file_name,
                        header_row: check.header_row,
                        columns: check.columns,
                        totals: check.totals,
                        issues: first.issues,
                        issues_truncated: first.truncated,
                    })
                })
                .await?;
            Ok(HttpResponse::Ok().json(report))
        }
        ReportFormat::Xlsx => {
            let (file, name) = state
                .parse_permits
                .run(move || {
                    let mut sheet = report::XlsxReport::new(&dir)?;
                    let check =
                        check_layout(upload.file.path(), upload.format, limits, &pool, &mut sheet)?;
                    let file = sheet.finish(&upload.file_name, &check, &dir)?;
                    Ok((file, report_name(&upload.file_name)))
                })
                .await?;
            spreadsheet::download(&request, file, &name)
        }
    }
}

/// `reporte_<original name without extension>.xlsx`.
fn report_name(file_name: &str) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    format!("reporte_{stem}.xlsx")
}

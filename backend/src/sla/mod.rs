//! Service-level slice: the policies the admin edits, the targets each request keeps from the
//! moment it is submitted, the clocks computed from timelines ([`clock`]), and compliance
//! reports. Handlers here; reads in [`records`], changes in [`service`].

pub mod clock;
pub mod records;
pub mod report;
pub mod service;

use actix_web::{get, put, web};
use confrontas_api::{RequestType, SlaClockKind, SlaPolicy, SlaPolicyUpdate};
use utoipa_actix_web::service_config::ServiceConfig;

pub use clock::{Mark, Target, most_pressing, next_due};
pub use records::{calendar_since, clocks_of};
pub use service::snapshot_targets;

use crate::api_doc::{BadRequest, BodyErrors, Forbidden, NotFound, Unauthenticated, Unprocessable};
use crate::auth::principal::{AdminOnly, AnyStaff, Staff};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::spreadsheet;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use confrontas_api::{ReportFormat, ReportPeriod, Role, SlaReport, SlaReportParams};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_policies)
        .service(update_policy)
        .service(sla_report);
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
    let policies = db::run(&state.pool, records::policies).await?;
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
    let request_type = RequestType::parse(&request_type).ok_or_else(no_such_policy)?;
    let clock = SlaClockKind::parse(&clock)
        .filter(|c| SlaClockKind::of_type(request_type).contains(c))
        .ok_or_else(no_such_policy)?;
    let update = body.into_inner();
    update.validate().map_err(AppError::validation)?;
    let actor = admin.actor();
    let policy = db::run(&state.pool, move |conn| {
        service::update_policy(conn, &actor, request_type, clock, &update)
    })
    .await?;
    Ok(web::Json(policy))
}

fn no_such_policy() -> AppError {
    AppError::not_found(
        "No existe esa política: el tipo de solicitud no tiene ese reloj de nivel de servicio.",
    )
}

/// Service-level compliance in a period: per clock, for every request, per request type and
/// per requesting unit (an area sees its own unit only). With `format=xlsx`, a workbook.
#[utoipa::path(
    tag = "sla",
    security(("bearer" = [])),
    params(SlaReportParams),
    responses(
        (status = 200, description = "The report (JSON, or `.xlsx` with `format=xlsx`)", content(
            (SlaReport = "application/json"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        BadRequest, Unauthenticated, Forbidden, Unprocessable
    )
)]
#[get("/reports/sla")]
async fn sla_report(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    request: HttpRequest,
    params: web::Query<SlaReportParams>,
) -> AppResult<HttpResponse> {
    let params = params.into_inner();
    let period = ReportPeriod::parse(&params.period).map_err(|e| AppError::validation(vec![e]))?;
    let unit = (staff.user.role == Role::Area).then_some(staff.user.unit_id);
    let text = params.period.clone();
    let report = db::run(&state.pool, move |conn| {
        report::build(conn, &text, period, unit, Utc::now())
    })
    .await?;
    match params.format.unwrap_or_default() {
        ReportFormat::Json => Ok(HttpResponse::Ok().json(report)),
        ReportFormat::Xlsx => {
            let dir = state.uploads_dir();
            let name = format!("cumplimiento_sla_{}.xlsx", report.period);
            let file = state
                .parse_permits
                .run(move || report::write_xlsx(&report, &dir))
                .await?;
            spreadsheet::download(&request, file, &name)
        }
    }
}

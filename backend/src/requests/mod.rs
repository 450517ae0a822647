//! Requests slice (`docs/architecture.md`, "The request procedure"): submission with its
//! documents, the procedure's actions, the
//! timeline, documents, service-level clocks, the request list and the dashboards. Handlers
//! parse and authorize; [`workflow`] changes, [`records`] reads.

pub mod dashboard;
pub mod demo;
mod documents;
mod export;
mod letter;
mod numbering;
pub mod records;
pub mod workflow;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use confrontas_api::{
    ActionBody, Attachment, ExplainedActionBody, ObserveBody, Page, RequestAction, RequestDetail,
    RequestFilter, RequestSla, RequestState, RequestSummary, Role, TimelineEntry,
};
use utoipa_actix_web::service_config::ServiceConfig;

use self::workflow::{Acting, Move};
use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable,
    UploadErrors,
};
use crate::attachments;
use crate::auth::principal::{AnyStaff, Staff};
use crate::db::{self, PageRequest};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use confrontas_api::Dashboard;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(submit_request)
        .service(list_requests)
        .service(export_requests_xlsx)
        .service(export_requests_csv)
        .service(get_request)
        .service(observe)
        .service(resubmit)
        .service(forward)
        .service(accept)
        .service(reject)
        .service(resolve)
        .service(close)
        .service(cancel)
        .service(get_timeline)
        .service(list_attachments)
        .service(add_attachment)
        .service(download_attachment)
        .service(get_sla)
        .service(oficio_template)
        .service(get_dashboard);
}

/// Submit a request: its type, subject and signer, the signed oficio (PDF) and, for `renapo`
/// and `sat`, the CURP layout. A layout with any row in error (invalid, repeated or not in the
/// registry) is refused with the rows listed; nothing is kept. The ticket number is assigned.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    request_body(content = confrontas_api::NewRequestForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = RequestDetail, headers(("Location" = String, description = "The new request"))),
        UploadErrors, Unauthenticated, Forbidden
    )
)]
#[post("/requests")]
async fn submit_request(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    if staff.user.role != Role::Area {
        return Err(AppError::forbidden(
            "Solo el personal de las áreas solicitantes envía solicitudes.",
        ));
    }
    let new = documents::receive_new_request(&state, &request, payload).await?;
    let store = state.attachments.clone();
    let user = staff.user.clone();
    let audit = staff.actor();
    let detail = db::run(&state.pool, move |conn| {
        let stored = workflow::store_documents(&store, new.documents)?;
        let acting = Acting {
            staff: &user,
            audit,
        };
        let id = workflow::submit(conn, &acting, &new.fields, &stored)?;
        let row = records::visible(conn, &user, id)?;
        records::detail(conn, &user, row, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/requests/{}", detail.summary.id),
        ))
        .json(detail))
}

/// Requests the caller may see (an area: its unit's), filtered and sorted, with their
/// service-level state.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(RequestFilter),
    responses((status = 200, body = Page<RequestSummary>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/requests")]
async fn list_requests(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    filter: web::Query<RequestFilter>,
) -> AppResult<web::Json<Page<RequestSummary>>> {
    let filter = filter.into_inner();
    filter.validate().map_err(AppError::validation)?;
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let user = staff.user.clone();
    let result = db::run(&state.pool, move |conn| {
        records::list(conn, &user, &filter, page, Utc::now())
    })
    .await?;
    Ok(web::Json(result))
}

/// Every request the list's filters select (not a page), in its order, written by `write` on
/// the spreadsheet permits.
async fn export(
    state: &AppState,
    staff: &Staff<AnyStaff>,
    filter: RequestFilter,
    write: fn(&[RequestSummary], &std::path::Path) -> AppResult<std::fs::File>,
) -> AppResult<std::fs::File> {
    filter.validate().map_err(AppError::validation)?;
    // The same bounds as the list's, though an export writes every page.
    PageRequest::new(filter.page, filter.per_page)?;
    let (pool, user, dir) = (state.pool.clone(), staff.user.clone(), state.uploads_dir());
    state
        .parse_permits
        .run(move || {
            let found = records::all(&mut *db::checkout(&pool)?, &user, &filter, Utc::now())?;
            write(&found, &dir)
        })
        .await
}

/// The file name of an export made now: `solicitudes_2026-12-07.xlsx`.
fn export_name(extension: &str) -> String {
    format!(
        "solicitudes_{}.{extension}",
        crate::calendar::rules::local_date(Utc::now())
    )
}

/// The list as a workbook: every request its filters select (not only a page), in its order.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(RequestFilter),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        BadRequest, Unauthenticated, Forbidden, Unprocessable
    )
)]
#[get("/requests/export.xlsx")]
async fn export_requests_xlsx(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    request: HttpRequest,
    filter: web::Query<RequestFilter>,
) -> AppResult<HttpResponse> {
    let file = export(&state, &staff, filter.into_inner(), export::xlsx).await?;
    crate::spreadsheet::download(&request, file, &export_name("xlsx"))
}

/// The list as CSV (UTF-8 with a byte-order mark), like the workbook.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(RequestFilter),
    responses(
        (status = 200, description = "The list", content_type = "text/csv", body = String),
        BadRequest, Unauthenticated, Forbidden, Unprocessable
    )
)]
#[get("/requests/export.csv")]
async fn export_requests_csv(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    request: HttpRequest,
    filter: web::Query<RequestFilter>,
) -> AppResult<HttpResponse> {
    let file = export(&state, &staff, filter.into_inner(), export::csv).await?;
    crate::download::attachment(
        &request,
        file,
        &export_name("csv"),
        "text/csv; charset=utf-8",
    )
}

/// A request with its documents, clocks and the actions the caller may take.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = RequestDetail), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/requests/{id:-?[0-9]+}")]
async fn get_request(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
) -> AppResult<web::Json<RequestDetail>> {
    let (id, user) = (id.into_inner(), staff.user.clone());
    let detail = db::run(&state.pool, move |conn| {
        let row = records::visible(conn, &user, id)?;
        records::detail(conn, &user, row, Utc::now())
    })
    .await?;
    Ok(web::Json(detail))
}

/// Runs an action and answers the request as it now is.
async fn take(
    state: &AppState,
    staff: &Staff<AnyStaff>,
    id: i64,
    change: Move,
) -> AppResult<web::Json<RequestDetail>> {
    let store = state.attachments.clone();
    let user = staff.user.clone();
    let audit = staff.actor();
    let detail = db::run(&state.pool, move |conn| {
        let acting = Acting {
            staff: &user,
            audit,
        };
        let row = workflow::act(conn, &store, &acting, id, &change)?;
        records::detail(conn, &user, row, Utc::now())
    })
    .await?;
    Ok(web::Json(detail))
}

fn simple(action: RequestAction, body: ActionBody) -> AppResult<Move> {
    body.validate().map_err(AppError::validation)?;
    Ok(Move {
        action,
        version: body.version,
        comment: body.comment.filter(|c| !c.trim().is_empty()),
        items: Vec::new(),
        documents: Vec::new(),
    })
}

fn explained(action: RequestAction, body: ExplainedActionBody) -> AppResult<Move> {
    body.validate().map_err(AppError::validation)?;
    Ok(Move {
        action,
        version: body.version,
        comment: Some(body.comment),
        items: Vec::new(),
        documents: Vec::new(),
    })
}

/// Mesa: send the area the corrections it must make (from `submitted`). Pauses the attention
/// clock until the area resubmits.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ObserveBody,
    responses((status = 200, body = RequestDetail), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/requests/{id:-?[0-9]+}/observe")]
async fn observe(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    body: web::Json<ObserveBody>,
) -> AppResult<web::Json<RequestDetail>> {
    let body = body.into_inner();
    body.validate().map_err(AppError::validation)?;
    let change = Move {
        action: RequestAction::Observe,
        version: body.version,
        items: body.clean_items(),
        comment: body.comment.filter(|c| !c.trim().is_empty()),
        documents: Vec::new(),
    };
    take(&state, &staff, id.into_inner(), change).await
}

/// Area: send the request back corrected (from `observed`), saying how the observations were
/// addressed, with a corrected oficio or layout if needed (new versions; the old ones stay).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body(content = confrontas_api::ResubmitForm, content_type = "multipart/form-data"),
    responses((status = 200, body = RequestDetail), UploadErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/requests/{id:-?[0-9]+}/resubmit")]
async fn resubmit(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<web::Json<RequestDetail>> {
    let id = id.into_inner();
    let user = staff.user.clone();
    let row = db::run(&state.pool, move |conn| records::visible(conn, &user, id)).await?;
    let correction = documents::receive_correction(&state, &request, payload, row.kind()?).await?;
    let store = state.attachments.clone();
    let stored = web::block(move || workflow::store_documents(&store, correction.documents))
        .await
        .map_err(AppError::internal)??;
    let change = Move {
        action: RequestAction::Resubmit,
        version: correction.version,
        comment: Some(correction.comment),
        items: Vec::new(),
        documents: stored,
    };
    take(&state, &staff, id, change).await
}

/// Mesa: forward the request to the sub-directorate (from `submitted`), issuing its folio.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ActionBody,
    responses((status = 200, body = RequestDetail), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/requests/{id:-?[0-9]+}/forward")]
async fn forward(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    body: web::Json<ActionBody>,
) -> AppResult<web::Json<RequestDetail>> {
    let change = simple(RequestAction::Forward, body.into_inner())?;
    take(&state, &staff, id.into_inner(), change).await
}

/// Subdirección: accept the request for attention (from `forwarded`), the requester validated
/// as ministry staff.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ActionBody,
    responses((status = 200, body = RequestDetail), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/requests/{id:-?[0-9]+}/accept")]
async fn accept(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    body: web::Json<ActionBody>,
) -> AppResult<web::Json<RequestDetail>> {
    let change = simple(RequestAction::Accept, body.into_inner())?;
    take(&state, &staff, id.into_inner(), change).await
}

/// Subdirección: declare the request not admissible (from `forwarded`), with the reason. The
/// response letter (PDF) is generated and attached.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ExplainedActionBody,
    responses((status = 200, body = RequestDetail), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/requests/{id:-?[0-9]+}/reject")]
async fn reject(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    body: web::Json<ExplainedActionBody>,
) -> AppResult<web::Json<RequestDetail>> {
    let change = explained(RequestAction::Reject, body.into_inner())?;
    take(&state, &staff, id.into_inner(), change).await
}

/// Subdirección: mark the request attended (from `in_progress`), with the resolution.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ExplainedActionBody,
    responses((status = 200, body = RequestDetail), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/requests/{id:-?[0-9]+}/resolve")]
async fn resolve(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    body: web::Json<ExplainedActionBody>,
) -> AppResult<web::Json<RequestDetail>> {
    let change = explained(RequestAction::Resolve, body.into_inner())?;
    take(&state, &staff, id.into_inner(), change).await
}

/// Mesa: close the ticket (from `resolved` or `rejected`); the area is notified.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ActionBody,
    responses((status = 200, body = RequestDetail), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/requests/{id:-?[0-9]+}/close")]
async fn close(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    body: web::Json<ActionBody>,
) -> AppResult<web::Json<RequestDetail>> {
    let change = simple(RequestAction::Close, body.into_inner())?;
    take(&state, &staff, id.into_inner(), change).await
}

/// Area: withdraw its request (from `submitted` or `observed`).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = ActionBody,
    responses((status = 200, body = RequestDetail), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/requests/{id:-?[0-9]+}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    body: web::Json<ActionBody>,
) -> AppResult<web::Json<RequestDetail>> {
    let change = simple(RequestAction::Cancel, body.into_inner())?;
    take(&state, &staff, id.into_inner(), change).await
}

/// Every action and event of a request, oldest first, with who, when, why and the documents.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = Vec<TimelineEntry>), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/requests/{id:-?[0-9]+}/timeline")]
async fn get_timeline(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
) -> AppResult<web::Json<Vec<TimelineEntry>>> {
    let (id, user) = (id.into_inner(), staff.user.clone());
    let entries = db::run(&state.pool, move |conn| {
        records::visible(conn, &user, id)?;
        records::timeline(conn, id)
    })
    .await?;
    Ok(web::Json(entries))
}

/// Every document of a request, each version, oldest first.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = Vec<Attachment>), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/requests/{id:-?[0-9]+}/attachments")]
async fn list_attachments(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
) -> AppResult<web::Json<Vec<Attachment>>> {
    let (id, user) = (id.into_inner(), staff.user.clone());
    let documents = db::run(&state.pool, move |conn| {
        records::visible(conn, &user, id)?;
        attachments::of_request(conn, id)
    })
    .await?;
    Ok(web::Json(documents))
}

/// Mesa or Subdirección: add a report (`.pdf`, `.xlsx`, `.csv`) to an open request; the
/// Subdirección also attaches the certificate RENAPO sent to a certificate request in
/// attention (`kind=certificate`), which starts the deployment clock.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body(content = confrontas_api::AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Vec<Attachment>, description = "The request's documents"), UploadErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/requests/{id:-?[0-9]+}/attachments")]
async fn add_attachment(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    request: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let user = staff.user.clone();
    db::run(&state.pool, move |conn| records::visible(conn, &user, id)).await?;
    let addition = documents::receive_addition(&state, &request, payload).await?;
    let store = state.attachments.clone();
    let user = staff.user.clone();
    let audit = staff.actor();
    let documents = db::run(&state.pool, move |conn| {
        let added = workflow::store_addition(&store, addition.added)?;
        let acting = Acting {
            staff: &user,
            audit,
        };
        workflow::add_document(conn, &acting, id, addition.comment.as_deref(), &added)?;
        attachments::of_request(conn, id)
    })
    .await?;
    Ok(HttpResponse::Created().json(documents))
}

/// Download a document (any version) of a request the caller may see.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file, with its name in Content-Disposition", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "text/csv"),
            (Vec<u8> = "application/x-pem-file"),
            (Vec<u8> = "application/pkix-cert"),
        )),
        BadRequest, Unauthenticated, Forbidden, NotFound
    )
)]
#[get("/attachments/{id:-?[0-9]+}")]
async fn download_attachment(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    let (id, user) = (id.into_inner(), staff.user.clone());
    let store = state.attachments.clone();
    let (file, row) = db::run(&state.pool, move |conn| {
        let row = attachments::find(conn, id)?
            .ok_or_else(|| AppError::not_found("No hay un documento con ese id."))?;
        records::visible(conn, &user, row.request_id)
            .map_err(|_| AppError::not_found("No hay un documento con ese id."))?;
        Ok((store.open_file(&row.sha256)?, row))
    })
    .await?;
    crate::download::attachment(&request, file, &row.file_name, &row.content_type)
}

/// The service-level clocks of a request, computed now from its timeline.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = RequestSla), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/requests/{id:-?[0-9]+}/sla")]
async fn get_sla(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
) -> AppResult<web::Json<RequestSla>> {
    let (id, user) = (id.into_inner(), staff.user.clone());
    let sla = db::run(&state.pool, move |conn| {
        records::sla(conn, &user, id, Utc::now())
    })
    .await?;
    Ok(web::Json(sla))
}

/// The format of the oficio that requests the service (PDF): addressee, content, signer and
/// requirements, with blanks to fill in.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The format", content_type = "application/pdf", body = Vec<u8>),
        Unauthenticated, Forbidden
    )
)]
#[get("/templates/oficio.pdf")]
async fn oficio_template(_staff: Staff<AnyStaff>, request: HttpRequest) -> AppResult<HttpResponse> {
    let file = web::block(letter::oficio_template_file)
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    crate::download::attachment(
        &request,
        file,
        "formato_oficio_solicitud.pdf",
        "application/pdf",
    )
}

/// States whose requests are still open.
fn open_states() -> Vec<&'static str> {
    RequestState::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(RequestState::as_str)
        .collect()
}

/// What the caller's role has to do, what is at risk or late, and the requests per state (an
/// area: its unit's requests only).
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    responses((status = 200, body = Dashboard), Unauthenticated, Forbidden)
)]
#[get("/dashboard")]
async fn get_dashboard(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
) -> AppResult<web::Json<Dashboard>> {
    let user = staff.user.clone();
    let dashboard = db::run(&state.pool, move |conn| dashboard::build(conn, &user)).await?;
    Ok(web::Json(dashboard))
}

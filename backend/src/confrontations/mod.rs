//! Confrontations slice (`docs/architecture.md`, "Confrontations"): a request's layout checked
//! against its authority item by item.
//! [`jobs`] creates and reads jobs, [`engine`] (with [`queue`], [`pacing`], [`classify`])
//! works them, [`apply`] writes results to the registry and reverts them, [`kpis`] aggregates
//! them. Handlers here parse and authorize.

pub mod apply;
pub mod classify;
pub mod engine;
pub mod jobs;
pub mod kpis;
pub mod pacing;
pub mod queue;
mod report;

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use confrontas_api::{
    ApplyBody, ApplyOutcome, Confrontation, ConfrontationControl, ConfrontationItem,
    ConfrontationState, ControlBody, ItemFilter, Page, StartQuery,
};
use utoipa_actix_web::service_config::ServiceConfig;

use self::jobs::Starting;
use crate::api_doc::{
    BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthenticated, Unavailable,
    Unprocessable, UploadErrors,
};
use crate::auth::principal::{AnyStaff, Staff, SubdireccionOnly};
use crate::db::{self, PageRequest};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use confrontas_api::{Authority, KpiQuery, KpiReport, ReportPeriod, Role};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(start_confrontation)
        .service(list_request_confrontations)
        .service(get_confrontation)
        .service(list_items)
        .service(progress_events)
        .service(pause)
        .service(resume)
        .service(cancel)
        .service(apply_results)
        .service(revert_results)
        .service(report_xlsx)
        .service(report_csv)
        .service(get_kpis);
}

/// Start a confrontation of the request's current layout against its authority (RENAPO for
/// `renapo` requests, the SAT for `sat` ones). Rows that cannot be confronted (invalid,
/// repeated, not in the registry; for the SAT without a usable RFC) are classified at once;
/// the rest are queried by the engine — or, for the SAT by exchange file, wait in
/// `waiting_authority` for SAT's answer file. The request must be `in_progress`, with no other
/// confrontation running.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id"), StartQuery),
    responses(
        (status = 201, body = Confrontation, headers(("Location" = String, description = "The new confrontation"))),
        UploadErrors, Unauthenticated, Forbidden, NotFound, Conflict, Unavailable
    )
)]
#[post("/requests/{id:-?[0-9]+}/confrontations")]
async fn start_confrontation(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    id: web::Path<i64>,
    query: web::Query<StartQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let provider = query.into_inner().provider;
    let renapo_configured = state.renapo.is_configured();
    let sat_online_configured = state.sat.online().is_some();
    let store = state.attachments.clone();
    let starting_user = staff.user.clone();
    let actor = staff.actor();
    let limits = state.config.layout_uploads;
    let job = db::run(&state.pool, move |conn| {
        let starting = Starting {
            staff: &starting_user,
            actor,
            limits,
            provider,
            renapo_configured,
            sat_online_configured,
        };
        let job = jobs::create(conn, &store, &starting, id)?;
        let (row, _) = jobs::visible(conn, &starting_user, job)?;
        jobs::dto(conn, row)
    })
    .await?;
    state.engine.wake();
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/confrontations/{}", job.id),
        ))
        .json(job))
}

/// The request's confrontations, newest first.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = Vec<Confrontation>), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/requests/{id:-?[0-9]+}/confrontations")]
async fn list_request_confrontations(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
) -> AppResult<web::Json<Vec<Confrontation>>> {
    let (id, user) = (id.into_inner(), staff.user.clone());
    let found = db::run(&state.pool, move |conn| {
        crate::requests::records::visible(conn, &user, id)?;
        jobs::of_request(conn, id)
    })
    .await?;
    Ok(web::Json(found))
}

async fn read(state: &AppState, staff: &Staff<AnyStaff>, id: i64) -> AppResult<Confrontation> {
    let user = staff.user.clone();
    db::run(&state.pool, move |conn| {
        let (row, _) = jobs::visible(conn, &user, id)?;
        jobs::dto(conn, row)
    })
    .await
}

/// A confrontation: state, live metrics and KPIs.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    responses((status = 200, body = Confrontation), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[get("/confrontations/{id:-?[0-9]+}")]
async fn get_confrontation(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
) -> AppResult<web::Json<Confrontation>> {
    Ok(web::Json(read(&state, &staff, id.into_inner()).await?))
}

/// The confrontation's items in layout order, filtered by classification, reason or deaths.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id"), ItemFilter),
    responses((status = 200, body = Page<ConfrontationItem>), BadRequest, Unauthenticated, Forbidden, NotFound, Unprocessable)
)]
#[get("/confrontations/{id:-?[0-9]+}/items")]
async fn list_items(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
    filter: web::Query<ItemFilter>,
) -> AppResult<web::Json<Page<ConfrontationItem>>> {
    let (id, user, filter) = (id.into_inner(), staff.user.clone(), filter.into_inner());
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let found = db::run(&state.pool, move |conn| {
        jobs::items(conn, &user, id, &filter, page)
    })
    .await?;
    Ok(web::Json(found))
}

/// How often the progress stream looks at the job, and how long it stays quiet at most.
const PROGRESS_POLL: Duration = Duration::from_millis(500);
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Progress as server-sent events: a `progress` event with the confrontation (as
/// `GET /confrontations/{id}`) whenever it changes, a comment every 15 s to keep proxies from
/// closing the stream, and the end of the stream once the job is finished or cancelled.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    responses(
        (status = 200, description = "`text/event-stream` of `progress` events", content_type = "text/event-stream", body = confrontas_api::ProgressEvent),
        BadRequest, Unauthenticated, Forbidden, NotFound
    )
)]
#[get("/confrontations/{id:-?[0-9]+}/events")]
async fn progress_events(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let first = read(&state, &staff, id).await?;
    struct Watch {
        state: web::Data<AppState>,
        staff: Staff<AnyStaff>,
        last: Option<Confrontation>,
        quiet: Duration,
        ended: bool,
    }
    let watch = Watch {
        state,
        staff,
        last: None,
        quiet: Duration::ZERO,
        ended: false,
    };
    let events = futures_util::stream::unfold(
        (watch, Some(first)),
        move |(mut watch, pending)| async move {
            if watch.ended {
                return None;
            }
            let mut current = pending;
            loop {
                if let Some(job) = current.take()
                    && watch.last.as_ref() != Some(&job)
                {
                    watch.ended = matches!(
                        job.state,
                        ConfrontationState::Finished | ConfrontationState::Cancelled
                    );
                    let data = serde_json::to_string(&job).unwrap_or_default();
                    watch.last = Some(job);
                    watch.quiet = Duration::ZERO;
                    let event = format!("event: progress\ndata: {data}\n\n");
                    return Some((
                        Ok::<_, actix_web::Error>(web::Bytes::from(event)),
                        (watch, None),
                    ));
                }
                if watch.quiet >= KEEP_ALIVE {
                    watch.quiet = Duration::ZERO;
                    return Some((Ok(web::Bytes::from_static(b": sigue\n\n")), (watch, None)));
                }
                tokio::time::sleep(PROGRESS_POLL).await;
                watch.quiet += PROGRESS_POLL;
                match read(&watch.state, &watch.staff, id).await {
                    Ok(job) => current = Some(job),
                    // The job or the caller's access is gone: end the stream.
                    Err(_) => return None,
                }
            }
        },
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}

async fn control(
    state: &AppState,
    staff: Staff<SubdireccionOnly>,
    id: i64,
    body: ControlBody,
    control: ConfrontationControl,
) -> AppResult<web::Json<Confrontation>> {
    let (user, actor) = (staff.user.clone(), staff.actor());
    let job = db::run(&state.pool, move |conn| {
        let row = jobs::control(conn, &user, &actor, id, control, body.version)?;
        jobs::dto(conn, row)
    })
    .await?;
    if control == ConfrontationControl::Resume {
        state.engine.wake();
    }
    Ok(web::Json(job))
}

/// Pause between chunks; queries in flight are dropped and their items stay pending.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    request_body = ControlBody,
    responses((status = 200, body = Confrontation), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/confrontations/{id:-?[0-9]+}/pause")]
async fn pause(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    id: web::Path<i64>,
    body: web::Json<ControlBody>,
) -> AppResult<web::Json<Confrontation>> {
    control(
        &state,
        staff,
        id.into_inner(),
        body.into_inner(),
        ConfrontationControl::Pause,
    )
    .await
}

/// Resume a paused confrontation where it stopped.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    request_body = ControlBody,
    responses((status = 200, body = Confrontation), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/confrontations/{id:-?[0-9]+}/resume")]
async fn resume(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    id: web::Path<i64>,
    body: web::Json<ControlBody>,
) -> AppResult<web::Json<Confrontation>> {
    control(
        &state,
        staff,
        id.into_inner(),
        body.into_inner(),
        ConfrontationControl::Resume,
    )
    .await
}

/// Cancel for good; items already classified keep their result.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    request_body = ControlBody,
    responses((status = 200, body = Confrontation), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/confrontations/{id:-?[0-9]+}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    id: web::Path<i64>,
    body: web::Json<ControlBody>,
) -> AppResult<web::Json<Confrontation>> {
    control(
        &state,
        staff,
        id.into_inner(),
        body.into_inner(),
        ConfrontationControl::Cancel,
    )
    .await
}

/// Write a finished confrontation's updates to the registry (all, or the classes asked), with
/// one history row per changed field. Applying again changes nothing.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    request_body = ApplyBody,
    responses((status = 200, body = ApplyOutcome), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/confrontations/{id:-?[0-9]+}/apply")]
async fn apply_results(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    id: web::Path<i64>,
    body: web::Json<ApplyBody>,
) -> AppResult<web::Json<ApplyOutcome>> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let (user, actor) = (staff.user.clone(), staff.actor());
    let outcome = db::run(&state.pool, move |conn| {
        apply::apply(conn, &user, &actor, id, body.version, &body.reasons)
    })
    .await?;
    Ok(web::Json(outcome))
}

/// Undo the confrontation's applied updates from the registry history. Fields changed since
/// by someone else are left alone and reported as conflicts.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    request_body = ControlBody,
    responses((status = 200, body = ApplyOutcome), BodyErrors, Unauthenticated, Forbidden, NotFound, Conflict)
)]
#[post("/confrontations/{id:-?[0-9]+}/revert")]
async fn revert_results(
    state: web::Data<AppState>,
    staff: Staff<SubdireccionOnly>,
    id: web::Path<i64>,
    body: web::Json<ControlBody>,
) -> AppResult<web::Json<ApplyOutcome>> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let (user, actor) = (staff.user.clone(), staff.actor());
    let outcome = db::run(&state.pool, move |conn| {
        apply::revert(conn, &user, &actor, id, body.version)
    })
    .await?;
    Ok(web::Json(outcome))
}

/// The report as a workbook: a summary sheet with the metrics and KPIs, and a results sheet
/// with one row per layout row (classification, reason, differences, RENAPO's status).
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        BadRequest, Unauthenticated, Forbidden, NotFound
    )
)]
#[get("/confrontations/{id:-?[0-9]+}/report.xlsx")]
async fn report_xlsx(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    request: HttpRequest,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let job = read(&state, &staff, id.into_inner()).await?;
    let name = format!("confronta_{}_{}.xlsx", job.ticket_number, job.id);
    let dir = state.uploads_dir();
    let file = write_report(&state, move |conn| report::xlsx(conn, &job, &dir)).await?;
    crate::spreadsheet::download(&request, file, &name)
}

/// Writes a report on the spreadsheet permits (they bound the heavy file work) with a
/// connection of its own.
async fn write_report(
    state: &AppState,
    write: impl FnOnce(&mut db::AnyConnection) -> AppResult<std::fs::File> + Send + 'static,
) -> AppResult<std::fs::File> {
    let pool = state.pool.clone();
    state
        .parse_permits
        .run(move || {
            let mut conn = db::checkout(&pool)?;
            write(&mut conn)
        })
        .await
}

/// The results as CSV (UTF-8 with a byte-order mark), one row per layout row.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Confrontation id")),
    responses(
        (status = 200, description = "The results", content_type = "text/csv", body = String),
        BadRequest, Unauthenticated, Forbidden, NotFound
    )
)]
#[get("/confrontations/{id:-?[0-9]+}/report.csv")]
async fn report_csv(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    request: HttpRequest,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let job = read(&state, &staff, id.into_inner()).await?;
    let name = format!("confronta_{}_{}.csv", job.ticket_number, job.id);
    let dir = state.uploads_dir();
    let file = write_report(&state, move |conn| report::csv(conn, &job, &dir)).await?;
    crate::download::attachment(&request, file, &name, "text/csv; charset=utf-8")
}

/// KPIs of the confrontations finished in a period, overall and per unit, and the registry's
/// proof-of-life coverage. Areas see their own unit only.
#[utoipa::path(
    tag = "confrontations",
    security(("bearer" = [])),
    params(KpiQuery),
    responses((status = 200, body = KpiReport), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/kpis")]
async fn get_kpis(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    query: web::Query<KpiQuery>,
) -> AppResult<web::Json<KpiReport>> {
    let query = query.into_inner();
    let period = ReportPeriod::parse(&query.period).map_err(|e| AppError::validation(vec![e]))?;
    let only_unit = (staff.user.role == Role::Area).then_some(staff.user.unit_id);
    let authority = query.authority.unwrap_or(Authority::Renapo);
    let found = db::run(&state.pool, move |conn| {
        kpis::report(conn, &query.period, &period, authority, only_unit)
    })
    .await?;
    Ok(web::Json(found))
}

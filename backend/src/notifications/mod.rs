//! Notifications slice: in-app messages to the people who act next on a request, and to the
//! requesting area when the desk or the sub-directorate answers it. Written in the same
//! transaction as the event they announce ([`service`]); read in [`records`]; [`email`] also
//! sends them by e-mail when an SMTP relay is configured. Handlers here.

pub mod email;
pub mod records;
pub mod service;

use actix_web::{HttpResponse, get, post, web};
use confrontas_api::{Notification, NotificationFilter, Page, UnreadCount};
use utoipa_actix_web::service_config::ServiceConfig;

pub use service::{Announcement, announce, announce_certificate};

use crate::api_doc::{BadRequest, Forbidden, NotFound, Unauthenticated, Unprocessable};
use crate::auth::principal::{AnyStaff, Staff};
use crate::db::{self, PageRequest};
use crate::error::AppResult;
use crate::state::AppState;

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_notifications)
        .service(unread_count)
        .service(mark_all_read)
        .service(mark_read);
}

/// My notifications, newest first.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(NotificationFilter),
    responses((status = 200, body = Page<Notification>), BadRequest, Unauthenticated, Forbidden, Unprocessable)
)]
#[get("/notifications")]
async fn list_notifications(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    filter: web::Query<NotificationFilter>,
) -> AppResult<web::Json<Page<Notification>>> {
    let filter = filter.into_inner();
    let page = PageRequest::new(filter.page, filter.per_page)?;
    let user_id = staff.user.id;
    let unread_only = filter.unread.unwrap_or(false);
    let result = db::run(&state.pool, move |conn| {
        records::list(conn, user_id, unread_only, page)
    })
    .await?;
    Ok(web::Json(result))
}

/// How many of my notifications are unread (for the bell).
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = UnreadCount), Unauthenticated, Forbidden)
)]
#[get("/notifications/unread-count")]
async fn unread_count(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
) -> AppResult<web::Json<UnreadCount>> {
    let user_id = staff.user.id;
    let unread = db::run(&state.pool, move |conn| Ok(records::unread(conn, user_id)?)).await?;
    Ok(web::Json(UnreadCount {
        unread: unread.max(0) as u64,
    }))
}

/// Mark one of my notifications read.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Notification id")),
    responses((status = 204, description = "Marked read"), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
#[post("/notifications/{id:-?[0-9]+}/read")]
async fn mark_read(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, user_id) = (id.into_inner(), staff.user.id);
    db::run(&state.pool, move |conn| {
        service::mark_read(conn, user_id, id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark all my notifications read.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 204, description = "All marked read"), Unauthenticated, Forbidden)
)]
#[post("/notifications/read-all")]
async fn mark_all_read(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
) -> AppResult<HttpResponse> {
    let user_id = staff.user.id;
    db::run(&state.pool, move |conn| {
        Ok(service::mark_all_read(conn, user_id)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

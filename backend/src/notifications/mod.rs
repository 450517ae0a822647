//! Notifications slice: in-app messages to the people who act next on a request, and to the
//! requesting area when the desk or the sub-directorate answers it (DESIGN §5). Written in the
//! same transaction as the event they announce; [`email`] also sends them by e-mail when an
//! SMTP relay is configured.

pub mod email;

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use confrontas_api::{
    Notification, NotificationFilter, Page, RequestState, Role, TimelineEvent, UnreadCount,
};
use diesel::prelude::*;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_doc::{BadRequest, Forbidden, NotFound, Unauthenticated, Unprocessable};
use crate::app::AppState;
use crate::auth::principal::{AnyStaff, Staff};
use crate::db::{self, AnyConnection, PageRequest};
use crate::error::{AppError, AppResult};
use crate::per_backend;
use crate::schema::{notifications, request_events, requests, users};

pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_notifications)
        .service(unread_count)
        .service(mark_all_read)
        .service(mark_read);
}

/// Notifications per insert: six values each, far below SQLite's bind-variable limit.
const ROWS_PER_INSERT: usize = 500;

/// What happened to which request, for the people to tell.
pub struct Announcement<'a> {
    pub request_id: i64,
    pub unit_id: i64,
    pub event_id: i64,
    pub event: TimelineEvent,
    /// The request's state after the event.
    pub state: RequestState,
    /// Who caused it (never told of their own action).
    pub actor_id: i64,
    pub message: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = notifications)]
struct NewNotification<'a> {
    user_id: i64,
    request_id: Option<i64>,
    event_id: Option<i64>,
    certificate_id: Option<i64>,
    message: &'a str,
    created_at: NaiveDateTime,
    email_attempts: i32,
}

/// Active users with `role`; for areas, only the requesting unit's.
fn users_of(conn: &mut AnyConnection, role: Role, unit_id: i64) -> QueryResult<Vec<i64>> {
    let mut query = users::table
        .filter(users::active.eq(true))
        .filter(users::role.eq(role.as_str()))
        .select(users::id)
        .into_boxed();
    if role == Role::Area {
        query = query.filter(users::unit_id.eq(unit_id));
    }
    query.load(conn)
}

/// Tells the role that acts next and, when the request is answered (observed, rejected,
/// resolved, closed), the requesting area. Returns how many people were told.
pub fn announce(conn: &mut AnyConnection, news: &Announcement) -> QueryResult<usize> {
    let mut recipients = match news.state.next_role() {
        Some(role) => users_of(conn, role, news.unit_id)?,
        None => Vec::new(),
    };
    let answers_the_area = matches!(
        news.event,
        TimelineEvent::Observe
            | TimelineEvent::Reject
            | TimelineEvent::Resolve
            | TimelineEvent::Close
    );
    if answers_the_area && news.state.next_role() != Some(Role::Area) {
        recipients.extend(users_of(conn, Role::Area, news.unit_id)?);
    }
    recipients.sort_unstable();
    recipients.dedup();
    recipients.retain(|id| *id != news.actor_id);
    insert(conn, &recipients, |user_id| NewNotification {
        user_id,
        request_id: Some(news.request_id),
        event_id: Some(news.event_id),
        certificate_id: None,
        message: news.message,
        created_at: db::now(),
        email_attempts: 0,
    })
}

/// Tells the active users of `roles` about RENAPO's certificate `certificate_id`. Returns how
/// many people were told.
pub fn announce_certificate(
    conn: &mut AnyConnection,
    roles: &[Role],
    certificate_id: i64,
    message: &str,
) -> QueryResult<usize> {
    let mut recipients = Vec::new();
    for role in roles {
        recipients.extend(users_of(conn, *role, 0)?);
    }
    let now = db::now();
    insert(conn, &recipients, |user_id| NewNotification {
        user_id,
        request_id: None,
        event_id: None,
        certificate_id: Some(certificate_id),
        message,
        created_at: now,
        email_attempts: 0,
    })
}

/// Inserts one notification per recipient, made by `each`.
fn insert<'a>(
    conn: &mut AnyConnection,
    recipients: &[i64],
    each: impl Fn(i64) -> NewNotification<'a>,
) -> QueryResult<usize> {
    let rows: Vec<NewNotification> = recipients.iter().map(|id| each(*id)).collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        per_backend!(&mut *conn, |c| diesel::insert_into(notifications::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(rows.len())
}

type NotificationTuple = (
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

fn to_dto(row: NotificationTuple) -> Notification {
    let (id, request_id, ticket_number, event, certificate_id, message, created_at, read_at) = row;
    Notification {
        id,
        request_id,
        ticket_number,
        event: event.as_deref().and_then(TimelineEvent::parse),
        certificate_id,
        message,
        created_at: created_at.and_utc(),
        read_at: read_at.map(|t| t.and_utc()),
    }
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
        let mine = || {
            let query = notifications::table
                .left_join(requests::table)
                .left_join(request_events::table)
                .filter(notifications::user_id.eq(user_id))
                .into_boxed();
            if unread_only {
                query.filter(notifications::read_at.is_null())
            } else {
                query
            }
        };
        let total = mine().count().get_result::<i64>(conn)?;
        let rows = mine()
            .order(notifications::id.desc())
            .offset(page.offset())
            .limit(page.limit())
            .select((
                notifications::id,
                notifications::request_id,
                requests::ticket_number.nullable(),
                request_events::event.nullable(),
                notifications::certificate_id,
                notifications::message,
                notifications::created_at,
                notifications::read_at,
            ))
            .load::<NotificationTuple>(conn)?;
        Ok(page.of(rows.into_iter().map(to_dto).collect(), total))
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
    let unread = db::run(&state.pool, move |conn| {
        Ok(notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null())
            .count()
            .get_result::<i64>(conn)?)
    })
    .await?;
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
#[post("/notifications/{id}/read")]
async fn mark_read(
    state: web::Data<AppState>,
    staff: Staff<AnyStaff>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, user_id) = (id.into_inner(), staff.user.id);
    db::run(&state.pool, move |conn| {
        let mine = notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user_id));
        let exists = diesel::select(diesel::dsl::exists(mine)).get_result::<bool>(conn)?;
        if !exists {
            return Err(AppError::not_found("No tiene una notificación con ese id."));
        }
        diesel::update(mine.filter(notifications::read_at.is_null()))
            .set(notifications::read_at.eq(db::now()))
            .execute(conn)?;
        Ok(())
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
        diesel::update(
            notifications::table
                .filter(notifications::user_id.eq(user_id))
                .filter(notifications::read_at.is_null()),
        )
        .set(notifications::read_at.eq(db::now()))
        .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

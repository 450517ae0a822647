//! Writing notifications: telling the people who act next on a request (and the requesting
//! area as it moves on its way), or the people in charge of RENAPO's certificate; in the
//! transaction of the event they announce. And marking them read.

use chrono::NaiveDateTime;
use confrontas_api::{RequestState, Role, TimelineEvent};
use diesel::prelude::*;

use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::per_backend;
use crate::schema::{notifications, users};

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

/// Tells the role that acts next and, whenever the request moves on its way (observed,
/// forwarded with its folio, accepted, rejected, resolved, closed), the requesting area.
/// Returns how many people were told.
pub fn announce(conn: &mut AnyConnection, news: &Announcement) -> QueryResult<usize> {
    let mut recipients = match news.state.next_role() {
        Some(role) => users_of(conn, role, news.unit_id)?,
        None => Vec::new(),
    };
    let answers_the_area = matches!(
        news.event,
        TimelineEvent::Observe
            | TimelineEvent::Forward
            | TimelineEvent::Accept
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

/// Tells the active users of `roles` about RENAPO's certificate (`certificate_id`, the deployed
/// one it concerns, if any). Returns how
/// many people were told.
pub fn announce_certificate(
    conn: &mut AnyConnection,
    roles: &[Role],
    certificate_id: Option<i64>,
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
        certificate_id,
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

/// Marks notification `id` of `user_id` read (404 when it is not theirs).
pub fn mark_read(conn: &mut AnyConnection, user_id: i64, id: i64) -> AppResult<()> {
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
}

/// Marks every notification of `user_id` read.
pub fn mark_all_read(conn: &mut AnyConnection, user_id: i64) -> QueryResult<()> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(db::now()))
    .execute(conn)
    .map(drop)
}

//! Reading a person's notifications.

use chrono::NaiveDateTime;
use confrontas_api::{Notification, Page, TimelineEvent};
use diesel::prelude::*;

use crate::db::{AnyConnection, PageRequest};
use crate::error::AppResult;
use crate::schema::{notifications, request_events, requests};

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

/// A page of `user_id`'s notifications (only the unread ones when `unread_only`), newest first.
pub fn list(
    conn: &mut AnyConnection,
    user_id: i64,
    unread_only: bool,
    page: PageRequest,
) -> AppResult<Page<Notification>> {
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
    let rows = page.load(
        conn,
        mine().count(),
        mine().order(notifications::id.desc()).select((
            notifications::id,
            notifications::request_id,
            requests::ticket_number.nullable(),
            request_events::event.nullable(),
            notifications::certificate_id,
            notifications::message,
            notifications::created_at,
            notifications::read_at,
        )),
    )?;
    Ok(rows.map(|rows: Vec<NotificationTuple>| rows.into_iter().map(to_dto).collect()))
}

/// How many of `user_id`'s notifications are unread.
pub fn unread(conn: &mut AnyConnection, user_id: i64) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

//! What `/metrics` reads from the database when scraped.

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::notifications::email::MAX_ATTEMPTS;
use crate::schema::{confrontations, notifications};

/// Notification e-mails not sent.
pub struct Outbox {
    /// To be tried again.
    pub pending: i64,
    /// Tried as often as allowed.
    pub given_up: i64,
}

pub struct Counts {
    /// Jobs by authority and state.
    pub jobs: Vec<(String, String, i64)>,
    /// `None` when e-mail is off.
    pub outbox: Option<Outbox>,
}

pub fn counts(conn: &mut AnyConnection, email: bool) -> QueryResult<Counts> {
    let jobs = confrontations::table
        .group_by((confrontations::authority, confrontations::state))
        .select((
            confrontations::authority,
            confrontations::state,
            count_star(),
        ))
        .load(conn)?;
    let outbox = if email {
        let unsent = notifications::table.filter(notifications::emailed_at.is_null());
        Some(Outbox {
            pending: unsent
                .filter(notifications::email_attempts.lt(MAX_ATTEMPTS))
                .count()
                .get_result(conn)?,
            given_up: unsent
                .filter(notifications::email_attempts.ge(MAX_ATTEMPTS))
                .count()
                .get_result(conn)?,
        })
    } else {
        None
    };
    Ok(Counts { jobs, outbox })
}

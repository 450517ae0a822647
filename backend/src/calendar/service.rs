//! Changing the calendar: days the admin declares non-working, and their removal, each with
//! its audit row in the same transaction.

use chrono::Datelike;
use confrontas_api::{FieldError, NewNonWorkingDay, NonWorkingDay};
use diesel::prelude::*;
use serde_json::json;

use super::records::{DeclaredRow, declared, load};
use super::rules::is_weekend;
use crate::audit::Actor;
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::schema::non_working_days;

/// Declares `day` non-working; a weekend or a day already closed is refused.
pub fn declare(
    conn: &mut AnyConnection,
    actor: &Actor,
    day: &NewNonWorkingDay,
) -> AppResult<NonWorkingDay> {
    conn.write_transaction(|conn| {
        let year = day.date.year();
        if let Some(reason) = load(conn, year..=year)?.closed_because(day.date) {
            return Err(if is_weekend(day.date) {
                AppError::validation(vec![FieldError::new(
                    "date",
                    format!(
                        "El {} es {}: nunca es día hábil.",
                        day.date,
                        reason.to_lowercase()
                    ),
                )])
            } else {
                AppError::conflict(
                    "already_non_working",
                    format!("El {} ya es inhábil: {reason}.", day.date),
                )
            });
        }
        let row = diesel::insert_into(non_working_days::table)
            .values((
                non_working_days::day.eq(day.date),
                non_working_days::name.eq(day.name.trim()),
                non_working_days::created_by.eq(&actor.name),
                non_working_days::created_at.eq(db::now()),
            ))
            .returning(non_working_days::all_columns)
            .get_result::<DeclaredRow>(conn)?;
        actor.record(
            conn,
            "non_working_day_declared",
            "non_working_day",
            row.id,
            json!({ "date": row.day, "name": row.name }),
        )?;
        Ok(NonWorkingDay::from(row))
    })
}

/// Removes the declared day `id` (mandatory days are not declared, so cannot be removed).
pub fn remove(conn: &mut AnyConnection, actor: &Actor, id: i64) -> AppResult<()> {
    conn.write_transaction(|conn| {
        let row = declared(conn, id)?;
        diesel::delete(non_working_days::table.find(id)).execute(conn)?;
        actor.record(
            conn,
            "non_working_day_removed",
            "non_working_day",
            id,
            json!({ "date": row.day, "name": row.name }),
        )?;
        Ok(())
    })
}

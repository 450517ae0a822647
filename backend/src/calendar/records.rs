//! Reading the calendar: the days the admin declared, and the business-day calendar of a
//! range of years or one year as the API shows it.

use chrono::{NaiveDate, NaiveDateTime};
use confrontas_api::{CalendarYear, NonWorkingDay, NonWorkingKind};
use diesel::prelude::*;

use super::rules::{self, BusinessCalendar, is_weekend, mandatory_rest_days};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::schema::non_working_days;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = non_working_days)]
pub struct DeclaredRow {
    pub id: i64,
    pub day: NaiveDate,
    pub name: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl From<DeclaredRow> for NonWorkingDay {
    fn from(row: DeclaredRow) -> NonWorkingDay {
        NonWorkingDay {
            date: row.day,
            name: row.name,
            kind: NonWorkingKind::Declared,
            id: Some(row.id),
            declared_by: Some(row.created_by),
            declared_at: Some(row.created_at.and_utc()),
        }
    }
}

fn declared_in(
    conn: &mut AnyConnection,
    years: std::ops::RangeInclusive<i32>,
) -> QueryResult<Vec<DeclaredRow>> {
    let first = NaiveDate::from_ymd_opt(*years.start(), 1, 1).expect("calendar year");
    let last = NaiveDate::from_ymd_opt(*years.end(), 12, 31).expect("calendar year");
    non_working_days::table
        .filter(non_working_days::day.between(first, last))
        .order(non_working_days::day.asc())
        .select(DeclaredRow::as_select())
        .load(conn)
}

/// The business-day calendar of `years`, with the days declared in the database.
pub fn load(
    conn: &mut AnyConnection,
    years: std::ops::RangeInclusive<i32>,
) -> QueryResult<BusinessCalendar> {
    let declared = declared_in(conn, years.clone())?;
    Ok(BusinessCalendar::new(
        years,
        declared.into_iter().map(|row| (row.day, row.name)),
    ))
}

pub fn calendar_year(conn: &mut AnyConnection, year: i32) -> QueryResult<CalendarYear> {
    let declared = declared_in(conn, year..=year)?;
    let calendar = BusinessCalendar::new(
        year..=year,
        declared.iter().map(|row| (row.day, row.name.clone())),
    );
    let mut days: Vec<NonWorkingDay> = mandatory_rest_days(year)
        .into_iter()
        .filter(|(day, _)| !is_weekend(*day))
        .map(|(date, name)| NonWorkingDay {
            date,
            name: name.to_owned(),
            kind: NonWorkingKind::Mandatory,
            id: None,
            declared_by: None,
            declared_at: None,
        })
        .collect();
    days.extend(
        declared
            .into_iter()
            .filter(|row| !is_weekend(row.day))
            .map(NonWorkingDay::from),
    );
    days.sort_by_key(|day| (day.date, day.kind == NonWorkingKind::Declared));
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("calendar year");
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("calendar year");
    let business_days =
        calendar.business_days_between(first, last) + u32::from(calendar.is_business_day(first));
    Ok(CalendarYear {
        year,
        non_working_days: days,
        business_days,
        time_zone: rules::TIME_ZONE.name().to_owned(),
    })
}

/// The declared day `id`.
pub fn declared(conn: &mut AnyConnection, id: i64) -> AppResult<DeclaredRow> {
    non_working_days::table
        .find(id)
        .select(DeclaredRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("No hay un día inhábil declarado con ese id."))
}

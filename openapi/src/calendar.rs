//! The business-day calendar: what is not a business day, and why.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::common::{Checks, FieldError, text_problem};
use crate::directory::NAME_MAX;

/// Years the calendar answers for.
pub const CALENDAR_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Why a weekday is not a business day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NonWorkingKind {
    /// A mandatory rest day of Ley Federal del Trabajo art. 74 (computed, not editable).
    Mandatory,
    /// Declared by the admin (a DOF agreement of the ministry, an election day…).
    Declared,
}

/// A weekday that is not a business day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NonWorkingDay {
    pub date: NaiveDate,
    pub name: String,
    pub kind: NonWorkingKind,
    /// Id of a declared day (to remove it); absent for mandatory days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Who declared it and when (declared days only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/calendar/{year}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarYear {
    pub year: i32,
    /// Weekdays that are not business days, in date order (weekends are never business days and
    /// are not listed).
    pub non_working_days: Vec<NonWorkingDay>,
    /// Business days in the year.
    pub business_days: u32,
    /// The time zone dates are in.
    #[cfg_attr(feature = "openapi", schema(example = "America/Mexico_City"))]
    pub time_zone: String,
}

/// `POST /api/v1/calendar/non-working-days`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewNonWorkingDay {
    /// A weekday from 2000 to 2100 (weekends are never business days).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "2026-04-02", pattern = r"^(20\d{2}|2100)-\d{2}-\d{2}$")
    )]
    pub date: NaiveDate,
    /// What the day is, as the DOF agreement calls it.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::name))]
    pub name: String,
}

impl NewNonWorkingDay {
    /// Checks that need nothing but the request (weekends and mandatory days are checked by
    /// the server, which knows the calendar).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut checks = Checks::default();
        checks.check(
            CALENDAR_YEARS.contains(&chrono::Datelike::year(&self.date)),
            "date",
            "La fecha debe estar entre los años 2000 y 2100.",
        );
        if let Some(problem) = text_problem(&self.name, NAME_MAX) {
            checks.push(FieldError::new("name", problem));
        }
        checks.finish()
    }
}

//! How long an opinion is valid, by the rule of the Código Fiscal de la Federación for terms
//! fixed in days or months (`docs/sat-protocol.md`, "Validity"), and keeping the registry's
//! stored last valid days on the one rule configured.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::Actor;
use crate::calendar::records::load as load_calendar;
use crate::calendar::rules::BusinessCalendar;
use crate::config::OpinionValidity;
use crate::db::{self, AnyConnection};
use crate::error::AppResult;
use crate::schema::farmers;

/// The validity rule with the business days it needs for months that lack the day.
#[derive(Debug, Clone)]
pub struct OpinionTerm {
    validity: OpinionValidity,
    calendar: BusinessCalendar,
}

/// Years of business days an opinion term is computed with, around today: opinions older than
/// that are long expired, and their last day only shifts by a holiday at most.
const YEARS_BACK: i32 = 10;

impl OpinionTerm {
    pub fn new(validity: OpinionValidity, calendar: BusinessCalendar) -> OpinionTerm {
        OpinionTerm { validity, calendar }
    }

    /// The term of `validity` with the deployment's business days (mandatory rest days and
    /// the days the administrator declared).
    pub fn load(conn: &mut AnyConnection, validity: OpinionValidity) -> QueryResult<OpinionTerm> {
        let year = crate::calendar::rules::local_date(chrono::Utc::now()).year();
        let calendar = load_calendar(conn, (year - YEARS_BACK)..=(year + 2))?;
        Ok(OpinionTerm::new(validity, calendar))
    }

    /// The last day an opinion issued on `issued_on` is valid (CFF art. 12): a term in days
    /// counts every calendar day, the day of issue the first; a term in months ends on the same
    /// day of the later month, or, when that month lacks the day, on the first business day of
    /// the month after it.
    pub fn last_day(&self, issued_on: NaiveDate) -> NaiveDate {
        match self.validity {
            OpinionValidity::Days(days) => issued_on
                .checked_add_days(chrono::Days::new(u64::from(days) - 1))
                .unwrap_or(NaiveDate::MAX),
            OpinionValidity::Months(months) => {
                let Some(first_of_month) = issued_on
                    .with_day(1)
                    .and_then(|first| first.checked_add_months(chrono::Months::new(months)))
                else {
                    return NaiveDate::MAX;
                };
                if let Some(same_day) = first_of_month.with_day(issued_on.day()) {
                    return same_day;
                }
                let mut day = first_of_month
                    .checked_add_months(chrono::Months::new(1))
                    .unwrap_or(NaiveDate::MAX);
                while !self.calendar.is_business_day(day) {
                    day = day.succ_opt().unwrap_or(NaiveDate::MAX);
                }
                day
            }
        }
    }
}

/// Key of the settings row that names the rule the stored last valid days follow.
const STORED_RULE: &str = "sat_opinion_validity";

/// Recomputes the registry's last valid days when they were computed by another rule than
/// `validity` (a changed `CONFRONTAS_SAT_OPINION_VALIDITY`, or days computed before the
/// CFF rule), so the registry never mixes rules; one audit row says how many changed. Returns
/// that number. Run at start, before the server answers.
pub fn reconcile(conn: &mut AnyConnection, validity: OpinionValidity) -> AppResult<u64> {
    let rule = format!("{}:cff-art-12", validity.describe());
    conn.write_transaction(|conn| {
        let stored = db::settings::get(conn, STORED_RULE)?;
        if stored.as_deref() == Some(rule.as_str()) {
            return Ok(0);
        }
        let term = OpinionTerm::load(conn, validity)?;
        let opinions: Vec<(i64, NaiveDate, Option<NaiveDate>)> = farmers::table
            .filter(farmers::sat_issued_on.is_not_null())
            .select((
                farmers::id,
                farmers::sat_issued_on.assume_not_null(),
                farmers::sat_valid_until,
            ))
            .load(conn)?;
        let mut changed = 0u64;
        for (id, issued_on, stored_until) in opinions {
            let until = term.last_day(issued_on);
            if stored_until != Some(until) {
                diesel::update(farmers::table.find(id))
                    .set(farmers::sat_valid_until.eq(until))
                    .execute(conn)?;
                changed += 1;
            }
        }
        db::settings::put(conn, STORED_RULE, &rule)?;
        Actor::system(None).record(
            conn,
            "sat_validity_recomputed",
            "registry",
            "farmers",
            json!({ "rule": rule, "before": stored, "farmers": changed }),
        )?;
        Ok(changed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn term(validity: OpinionValidity) -> OpinionTerm {
        OpinionTerm::new(validity, BusinessCalendar::new(2023..=2028, []))
    }

    #[test]
    fn three_months_end_on_the_same_day_or_the_next_months_first_business_day() {
        let months = term(OpinionValidity::Months(3));
        assert_eq!(months.last_day(day(2026, 1, 30)), day(2026, 4, 30));
        // 31 April does not exist: the first business day of May, after 1 May (a rest day,
        // a Friday in 2026) and the weekend.
        assert_eq!(months.last_day(day(2026, 1, 31)), day(2026, 5, 4));
        // 30 February 2027 does not exist: Monday 1 March.
        assert_eq!(months.last_day(day(2026, 11, 30)), day(2027, 3, 1));
        // 29 February exists in a leap year.
        assert_eq!(months.last_day(day(2027, 11, 29)), day(2028, 2, 29));
        assert_eq!(months.last_day(day(2026, 11, 29)), day(2027, 3, 1));
    }

    #[test]
    fn thirty_days_count_the_day_of_issue() {
        let days = term(OpinionValidity::Days(30));
        assert_eq!(days.last_day(day(2026, 11, 27)), day(2026, 12, 26));
        assert_eq!(days.last_day(day(2028, 2, 1)), day(2028, 3, 1));
    }

    /// Every day of a leap and a non-leap year: a month term ends on the issue day's number in
    /// the later month when that month has it, and otherwise on the first business day of the
    /// month after.
    #[test]
    fn every_day_of_a_leap_and_a_common_year_follows_the_rule() {
        let calendar = BusinessCalendar::new(2023..=2028, []);
        for months in [1, 3, 6] {
            let term = OpinionTerm::new(OpinionValidity::Months(months), calendar.clone());
            for year in [2027, 2028] {
                for issued in day(year, 1, 1).iter_days().take_while(|d| d.year() == year) {
                    let last = term.last_day(issued);
                    let later = issued.with_day(1).unwrap() + chrono::Months::new(months);
                    match later.with_day(issued.day()) {
                        Some(same) => assert_eq!(last, same, "{issued} + {months}m"),
                        None => {
                            let next_month = later + chrono::Months::new(1);
                            assert_eq!(
                                (last.year(), last.month()),
                                (next_month.year(), next_month.month())
                            );
                            assert!(calendar.is_business_day(last), "{issued}: {last}");
                            assert!(
                                next_month
                                    .iter_days()
                                    .take_while(|d| *d < last)
                                    .all(|d| !calendar.is_business_day(d))
                            );
                        }
                    }
                }
            }
        }
    }
}

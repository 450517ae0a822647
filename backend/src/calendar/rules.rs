//! The business-day calendar (`docs/architecture.md`, "Service levels and business days"):
//! Monday to Friday, minus the mandatory rest days of
//! Ley Federal del Trabajo art. 74, minus the non-working days the admin declares (the ministry's
//! DOF agreements: Holy Thursday and Friday, election days…). Dates are civil dates in
//! `America/Mexico_City`; instants are turned into them with [`local_date`].

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};

/// The time zone the ministry works in.
pub const TIME_ZONE: chrono_tz::Tz = chrono_tz::America::Mexico_City;

/// The civil date of an instant in Mexico City.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&TIME_ZONE).date_naive()
}

/// The instant a civil date begins in Mexico City (its first existing minute).
pub fn start_of_local_day(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    match TIME_ZONE.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.to_utc(),
        // Mexico City has not skipped midnight since it dropped daylight saving in 2022, but
        // older dates may: an hour later exists.
        chrono::LocalResult::None => TIME_ZONE
            .from_local_datetime(&(midnight + chrono::TimeDelta::hours(1)))
            .earliest()
            .map_or_else(|| midnight.and_utc(), |t| t.to_utc()),
    }
}

/// The mandatory rest days of LFT art. 74 in `year`, in date order, with their names.
///
/// Fraction VII (transmission of the Federal Executive) is Dec 1 every six years from 1970 to
/// 2018 and, since the decree of DOF 30-09-2024, Oct 1 every six years from 2024. The moving
/// Mondays (fractions II, III, VI) apply since 2006 (Feb, Nov) and 2007 (Mar); before, the
/// fixed dates. Fraction IX (election day) is declared by the admin like any other day.
pub fn mandatory_rest_days(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let date = |month, day| NaiveDate::from_ymd_opt(year, month, day).expect("valid fixed date");
    let monday = |month, nth| {
        NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, nth)
            .expect("every month has a third Monday")
    };
    let mut days = vec![
        (date(1, 1), "Año Nuevo"),
        (
            if year >= 2006 {
                monday(2, 1)
            } else {
                date(2, 5)
            },
            "Día de la Constitución",
        ),
        (
            if year >= 2007 {
                monday(3, 3)
            } else {
                date(3, 21)
            },
            "Natalicio de Benito Juárez",
        ),
        (date(5, 1), "Día del Trabajo"),
        (date(9, 16), "Día de la Independencia"),
        (
            if year >= 2006 {
                monday(11, 3)
            } else {
                date(11, 20)
            },
            "Día de la Revolución",
        ),
        (date(12, 25), "Navidad"),
    ];
    if year >= 2024 && (year - 2024) % 6 == 0 {
        days.push((date(10, 1), "Transmisión del Poder Ejecutivo Federal"));
    } else if (1970..=2018).contains(&year) && (year - 1970) % 6 == 0 {
        days.push((date(12, 1), "Transmisión del Poder Ejecutivo Federal"));
    }
    days.sort();
    days
}

/// Business days: weekdays that are neither mandatory rest days nor declared non-working days.
#[derive(Debug, Clone, Default)]
pub struct BusinessCalendar {
    /// Non-working weekdays (mandatory and declared) with their names, for the years loaded.
    closed: BTreeMap<NaiveDate, String>,
}

impl BusinessCalendar {
    /// The calendar of `years` with the admin's `declared` days (any dates; those outside the
    /// years or on weekends change nothing).
    pub fn new(
        years: std::ops::RangeInclusive<i32>,
        declared: impl IntoIterator<Item = (NaiveDate, String)>,
    ) -> BusinessCalendar {
        let mut closed: BTreeMap<NaiveDate, String> = years
            .flat_map(mandatory_rest_days)
            .map(|(day, name)| (day, name.to_owned()))
            .collect();
        for (day, name) in declared {
            closed.entry(day).or_insert(name);
        }
        closed.retain(|day, _| !is_weekend(*day));
        BusinessCalendar { closed }
    }

    /// Why `day` is not a business day: `None` when it is one.
    pub fn closed_because(&self, day: NaiveDate) -> Option<&str> {
        if is_weekend(day) {
            return Some(if day.weekday() == Weekday::Sat {
                "Sábado"
            } else {
                "Domingo"
            });
        }
        self.closed.get(&day).map(String::as_str)
    }

    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        self.closed_because(day).is_none()
    }

    /// The `n`th business day after `start` (a term of `n` business days that starts on `start`
    /// ends on it); `start` itself for `n = 0`.
    pub fn add_business_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut counted = 0;
        while counted < n {
            day = day.succ_opt().expect("dates stay far from chrono's limits");
            if self.is_business_day(day) {
                counted += 1;
            }
        }
        day
    }

    /// Business days after `start` up to and including `end` (0 when `end` is not after `start`).
    pub fn business_days_between(&self, start: NaiveDate, end: NaiveDate) -> u32 {
        start
            .iter_days()
            .skip(1)
            .take_while(|day| *day <= end)
            .filter(|day| self.is_business_day(*day))
            .count() as u32
    }
}

/// Saturdays and Sundays are never business days.
pub fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn dates(year: i32) -> Vec<String> {
        mandatory_rest_days(year)
            .into_iter()
            .map(|(d, _)| d.to_string())
            .collect()
    }

    /// Dates worked out by hand from art. 74 of the Ley Federal del Trabajo (October 1 as the
    /// 2024 decree set it).
    #[test]
    fn moving_mondays_and_the_transmission_day_fall_on_the_dates_of_the_law() {
        let table = [
            (
                2024,
                "2024-02-05",
                "2024-03-18",
                "2024-11-18",
                Some("2024-10-01"),
            ),
            (2025, "2025-02-03", "2025-03-17", "2025-11-17", None),
            (2026, "2026-02-02", "2026-03-16", "2026-11-16", None),
            (2027, "2027-02-01", "2027-03-15", "2027-11-15", None),
            (
                2030,
                "2030-02-04",
                "2030-03-18",
                "2030-11-18",
                Some("2030-10-01"),
            ),
        ];
        for (year, february, march, november, transmission) in table {
            let days = dates(year);
            for expected in [february, march, november] {
                assert!(
                    days.contains(&expected.to_owned()),
                    "{year}: {expected} in {days:?}"
                );
            }
            let transmission_days: Vec<&String> = days
                .iter()
                .filter(|d| d.ends_with("-10-01") || d.ends_with("-12-01"))
                .collect();
            assert_eq!(
                transmission_days.first().map(|d| d.as_str()),
                transmission,
                "{year}"
            );
            for fixed in ["01-01", "05-01", "09-16", "12-25"] {
                assert!(days.contains(&format!("{year}-{fixed}")), "{year}-{fixed}");
            }
        }
    }

    #[test]
    fn before_the_2024_reform_the_transmission_was_on_december_first() {
        assert!(dates(2018).contains(&"2018-12-01".to_owned()));
        assert!(dates(2012).contains(&"2012-12-01".to_owned()));
        assert!(!dates(2019).iter().any(|d| d.ends_with("-12-01")));
        assert!(!dates(2024).contains(&"2024-12-01".to_owned()));
    }

    #[test]
    fn before_2006_the_moving_holidays_had_fixed_dates() {
        let days = dates(2005);
        for fixed in ["2005-02-05", "2005-03-21", "2005-11-20"] {
            assert!(days.contains(&fixed.to_owned()), "{fixed}");
        }
        // March moved one year after February and November.
        assert!(dates(2006).contains(&"2006-03-21".to_owned()));
        assert!(dates(2006).contains(&"2006-02-06".to_owned()));
    }

    #[test]
    fn terms_skip_weekends_mandatory_days_and_declared_days() {
        let holy_week = [
            (day("2026-04-02"), "Jueves Santo".to_owned()),
            (day("2026-04-03"), "Viernes Santo".to_owned()),
        ];
        let calendar = BusinessCalendar::new(2026..=2026, holy_week);
        // Friday Nov 13 + 1: Monday 16 is Revolution Day, so Tuesday 17.
        assert_eq!(
            calendar.add_business_days(day("2026-11-13"), 1),
            day("2026-11-17")
        );
        // Wednesday Apr 1 + 1: Thursday and Friday declared, the weekend, so Monday 6.
        assert_eq!(
            calendar.add_business_days(day("2026-04-01"), 1),
            day("2026-04-06")
        );
        assert_eq!(
            calendar.add_business_days(day("2026-04-01"), 0),
            day("2026-04-01")
        );
        // A term started on a Saturday counts from Monday.
        assert_eq!(
            calendar.add_business_days(day("2026-11-21"), 5),
            day("2026-11-27")
        );
        assert_eq!(
            calendar.closed_because(day("2026-04-03")),
            Some("Viernes Santo")
        );
        assert_eq!(
            calendar.closed_because(day("2026-11-16")),
            Some("Día de la Revolución")
        );
        assert_eq!(calendar.closed_because(day("2026-11-22")), Some("Domingo"));
        assert_eq!(calendar.closed_because(day("2026-11-23")), None);
    }

    #[test]
    fn counting_business_days_is_the_inverse_of_adding_them() {
        let calendar = BusinessCalendar::new(2025..=2027, []);
        let start = day("2026-12-18");
        for n in 0..40 {
            let end = calendar.add_business_days(start, n);
            assert_eq!(calendar.business_days_between(start, end), n, "{n}");
        }
        // Dec 25 and Jan 1 are skipped: 10 business days after Dec 18 is Jan 5.
        assert_eq!(calendar.add_business_days(start, 10), day("2027-01-05"));
        assert_eq!(calendar.business_days_between(start, day("2026-12-01")), 0);
    }

    #[test]
    fn the_civil_date_is_the_one_in_mexico_city() {
        // 05:30 UTC on Nov 23 is still Nov 22 in Mexico City (UTC-6 since the end of DST in 2022).
        let instant: DateTime<Utc> = "2026-11-23T05:30:00Z".parse().unwrap();
        assert_eq!(local_date(instant), day("2026-11-22"));
        let instant: DateTime<Utc> = "2026-11-23T06:30:00Z".parse().unwrap();
        assert_eq!(local_date(instant), day("2026-11-23"));
        // In summer 2022 the city still observed DST (UTC-5).
        let instant: DateTime<Utc> = "2022-07-01T04:30:00Z".parse().unwrap();
        assert_eq!(local_date(instant), day("2022-06-30"));
        let instant: DateTime<Utc> = "2022-07-01T05:30:00Z".parse().unwrap();
        assert_eq!(local_date(instant), day("2022-07-01"));
    }
}

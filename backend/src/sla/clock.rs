//! A service-level clock computed from a request's timeline
//! (`docs/architecture.md`, "Service levels and business days"): never stored, so a
//! change of calendar or a late event shows at the next read.
//!
//! Days are Mexico City dates. The day something happens does not count: a clock started on a
//! Monday has its first business day on Tuesday, and a pause that ends on a Thursday (the area
//! resubmits) still holds Thursday. So a term of `n` days ends on the `n`th business day after
//! the start that is not paused, and the clock is met when it stops on or before that day.

use chrono::{DateTime, NaiveDate, Utc};
use confrontas_api::{SlaClock, SlaClockKind, SlaStatus, TimelineEvent};

use crate::calendar::{BusinessCalendar, local_date};

/// The targets of one clock of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub clock: SlaClockKind,
    pub business_days: u32,
    pub at_risk_days: u32,
}

/// One timeline entry, as far as clocks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub event: TimelineEvent,
    pub at: DateTime<Utc>,
}

fn starts(clock: SlaClockKind, event: TimelineEvent) -> bool {
    match clock {
        SlaClockKind::FirstContact | SlaClockKind::Attention => event == TimelineEvent::Submit,
        SlaClockKind::CertificateDeployment => event == TimelineEvent::CertificateReceived,
    }
}

fn stops(clock: SlaClockKind, event: TimelineEvent) -> bool {
    match clock {
        SlaClockKind::FirstContact => {
            matches!(event, TimelineEvent::Observe | TimelineEvent::Forward)
        }
        SlaClockKind::Attention => matches!(event, TimelineEvent::Resolve | TimelineEvent::Reject),
        SlaClockKind::CertificateDeployment => event == TimelineEvent::CertificateDeployed,
    }
}

/// Only the attention clock waits while the area corrects its request.
fn pausable(clock: SlaClockKind) -> bool {
    clock == SlaClockKind::Attention
}

/// Paused days: each range holds the days after its first date up to and including its last.
struct Pauses(Vec<(NaiveDate, NaiveDate)>);

impl Pauses {
    fn holds(&self, day: NaiveDate) -> bool {
        self.0
            .iter()
            .any(|(after, until)| *after < day && day <= *until)
    }
}

/// The clock `target` of a request with timeline `marks` (in order), as of `now`.
pub fn compute(
    calendar: &BusinessCalendar,
    target: Target,
    marks: &[Mark],
    now: DateTime<Utc>,
) -> SlaClock {
    let clock = target.clock;
    let mut clock_state = SlaClock {
        clock,
        target_days: target.business_days,
        at_risk_days: target.at_risk_days,
        started_at: None,
        stopped_at: None,
        paused: false,
        elapsed_days: 0,
        paused_days: 0,
        due_date: None,
        remaining_days: None,
        status: None,
    };
    let Some(start) = marks.iter().position(|m| starts(clock, m.event)) else {
        return clock_state;
    };
    let started_at = marks[start].at;
    let mut stop: Option<(DateTime<Utc>, bool)> = None; // (when, cancelled)
    let mut pauses = Vec::new();
    let mut open_pause: Option<DateTime<Utc>> = None;
    for mark in &marks[start + 1..] {
        if stops(clock, mark.event) {
            stop = Some((mark.at, false));
        } else if mark.event == TimelineEvent::Cancel {
            stop = Some((mark.at, true));
        } else if pausable(clock) && mark.event == TimelineEvent::Observe {
            open_pause.get_or_insert(mark.at);
        } else if pausable(clock)
            && mark.event == TimelineEvent::Resubmit
            && let Some(from) = open_pause.take()
        {
            pauses.push((local_date(from), local_date(mark.at)));
        }
        if stop.is_some() {
            break;
        }
    }
    let end = stop.map_or(now, |(at, _)| at);
    let paused_now = stop.is_none() && open_pause.is_some();
    if let Some(from) = open_pause {
        // Still waiting for the area (or cancelled while waiting): paused up to the end.
        pauses.push((local_date(from), local_date(end)));
    }
    let pauses = Pauses(pauses);

    let start_day = local_date(started_at);
    let end_day = local_date(end);
    let (mut elapsed, mut paused) = (0u32, 0u32);
    for day in start_day.iter_days().skip(1).take_while(|d| *d <= end_day) {
        if calendar.is_business_day(day) {
            if pauses.holds(day) {
                paused += 1;
            } else {
                elapsed += 1;
            }
        }
    }
    // The term's last day: business days after the start that are not paused (an open pause
    // holds up to today, as if the area answered today), counted up to the target.
    let mut due = start_day;
    let mut counted = 0;
    while counted < target.business_days {
        due = due.succ_opt().expect("dates stay far from chrono's limits");
        if calendar.is_business_day(due) && !pauses.holds(due) {
            counted += 1;
        }
    }

    let target_days = target.business_days;
    clock_state.started_at = Some(started_at);
    clock_state.elapsed_days = elapsed;
    clock_state.paused_days = paused;
    clock_state.due_date = Some(due);
    match stop {
        Some((at, cancelled)) => {
            clock_state.stopped_at = Some(at);
            clock_state.status = (!cancelled).then_some(if elapsed <= target_days {
                SlaStatus::Met
            } else {
                SlaStatus::Missed
            });
        }
        None => {
            let remaining = target_days as i32 - elapsed as i32;
            clock_state.paused = paused_now;
            clock_state.remaining_days = Some(remaining);
            clock_state.status = Some(if remaining < 0 {
                SlaStatus::Breached
            } else if remaining <= target.at_risk_days as i32 {
                SlaStatus::AtRisk
            } else {
                SlaStatus::OnTime
            });
        }
    }
    clock_state
}

/// The most pressing of a request's clock states: breached, then at risk, then on time; for a
/// request whose clocks have all stopped, missed before met.
pub fn most_pressing(clocks: &[SlaClock]) -> Option<SlaStatus> {
    clocks.iter().filter_map(|c| c.status).min()
}

/// The nearest due date among running clocks.
pub fn next_due(clocks: &[SlaClock]) -> Option<NaiveDate> {
    clocks
        .iter()
        .filter(|c| c.status.is_some_and(SlaStatus::is_running))
        .filter_map(|c| c.due_date)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    use crate::calendar::rules::TIME_ZONE;

    /// Noon in Mexico City on `day` (`YYYY-MM-DD`).
    fn noon(day: &str) -> DateTime<Utc> {
        let date: NaiveDate = day.parse().unwrap();
        TIME_ZONE
            .from_local_datetime(&date.and_hms_opt(12, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    }

    fn calendar(declared: &[(&str, &str)]) -> BusinessCalendar {
        BusinessCalendar::new(
            2024..=2032,
            declared
                .iter()
                .map(|(day, name)| (day.parse().unwrap(), (*name).to_owned())),
        )
    }

    fn mark(event: TimelineEvent, day: &str) -> Mark {
        Mark {
            event,
            at: noon(day),
        }
    }

    fn attention(days: u32, at_risk: u32) -> Target {
        Target {
            clock: SlaClockKind::Attention,
            business_days: days,
            at_risk_days: at_risk,
        }
    }

    fn due(clock: &SlaClock) -> String {
        clock.due_date.unwrap().to_string()
    }

    #[test]
    fn weekends_do_not_count() {
        // Friday 2026-11-06: five business days later is Friday 2026-11-13.
        let marks = [mark(TimelineEvent::Submit, "2026-11-06")];
        let clock = compute(&calendar(&[]), attention(5, 1), &marks, noon("2026-11-09"));
        assert_eq!(due(&clock), "2026-11-13");
        assert_eq!((clock.elapsed_days, clock.remaining_days), (1, Some(4)));
        assert_eq!(clock.status, Some(SlaStatus::OnTime));
    }

    #[test]
    fn a_term_across_a_mandatory_rest_day_skips_it() {
        // 2026-11-16 is the third Monday of November (LFT art. 74 VI).
        let marks = [mark(TimelineEvent::Submit, "2026-11-13")];
        let clock = compute(&calendar(&[]), attention(1, 0), &marks, noon("2026-11-13"));
        assert_eq!(due(&clock), "2026-11-17");
    }

    #[test]
    fn the_transmission_day_of_2030_is_not_a_business_day() {
        // Monday 2030-09-30 + 1 business day: Tuesday Oct 1 is rest, so Wednesday Oct 2.
        let marks = [mark(TimelineEvent::Submit, "2030-09-30")];
        let clock = compute(&calendar(&[]), attention(1, 0), &marks, noon("2030-09-30"));
        assert_eq!(due(&clock), "2030-10-02");
    }

    #[test]
    fn every_lft_rest_day_from_2024_to_2031_is_skipped() {
        let cal = calendar(&[]);
        for year in 2024..=2031 {
            for (day, name) in crate::calendar::mandatory_rest_days(year) {
                if crate::calendar::is_weekend(day) {
                    continue;
                }
                let before = day.pred_opt().unwrap();
                let marks = [Mark {
                    event: TimelineEvent::Submit,
                    at: noon(&before.to_string()),
                }];
                let clock = compute(&cal, attention(1, 0), &marks, noon(&before.to_string()));
                assert_ne!(clock.due_date, Some(day), "{name} {day}");
                assert!(clock.due_date.unwrap() > day, "{name} {day}");
            }
        }
    }

    #[test]
    fn a_day_the_admin_declares_is_skipped() {
        // Holy Thursday and Friday 2026 (April 2 and 3), declared by the admin.
        let marks = [mark(TimelineEvent::Submit, "2026-04-01")];
        let plain = compute(&calendar(&[]), attention(1, 0), &marks, noon("2026-04-01"));
        assert_eq!(due(&plain), "2026-04-02");
        let declared = calendar(&[
            ("2026-04-02", "Jueves Santo"),
            ("2026-04-03", "Viernes Santo"),
        ]);
        let clock = compute(&declared, attention(1, 0), &marks, noon("2026-04-01"));
        assert_eq!(due(&clock), "2026-04-06");
    }

    #[test]
    fn a_due_date_crosses_the_year_end_skipping_christmas_and_new_year() {
        // Wednesday 2026-12-23: Thu 24 (1), Fri 25 rest, Mon 28 (2), Tue 29 (3), Wed 30 (4),
        // Thu 31 (5), Fri Jan 1 rest, Mon Jan 4 (6).
        let marks = [mark(TimelineEvent::Submit, "2026-12-23")];
        let clock = compute(&calendar(&[]), attention(6, 1), &marks, noon("2026-12-23"));
        assert_eq!(due(&clock), "2027-01-04");
    }

    #[test]
    fn an_observation_pauses_attention_across_a_holiday_but_not_first_contact() {
        // Submitted Thu 2026-11-12; observed Fri 13 (first contact stops: 1 day); the area
        // resubmits Wed 18. Paused: Mon 16 is a rest day anyway; Tue 17 and Wed 18 are paused.
        let marks = [
            mark(TimelineEvent::Submit, "2026-11-12"),
            mark(TimelineEvent::Observe, "2026-11-13"),
            mark(TimelineEvent::Resubmit, "2026-11-18"),
        ];
        let cal = calendar(&[]);
        let now = noon("2026-11-19");
        let first = compute(
            &cal,
            Target {
                clock: SlaClockKind::FirstContact,
                business_days: 5,
                at_risk_days: 1,
            },
            &marks,
            now,
        );
        assert_eq!(first.status, Some(SlaStatus::Met));
        assert_eq!(first.elapsed_days, 1);
        let clock = compute(&cal, attention(10, 2), &marks, now);
        // Counted: Fri 13, Thu 19 → 2 elapsed; Tue 17 and Wed 18 paused.
        assert_eq!((clock.elapsed_days, clock.paused_days), (2, 2));
        // Ten days: Fri 13, Thu 19, Fri 20, Mon 23 … Mon 30, Tue 1 Dec.
        assert_eq!(due(&clock), "2026-12-01");
        assert!(!clock.paused);
    }

    #[test]
    fn while_observed_the_clock_is_paused_and_its_due_date_moves() {
        let marks = [
            mark(TimelineEvent::Submit, "2026-11-02"),
            mark(TimelineEvent::Observe, "2026-11-03"),
        ];
        let cal = calendar(&[]);
        let on_day = |day: &str| compute(&cal, attention(10, 2), &marks, noon(day));
        let early = on_day("2026-11-04");
        let later = on_day("2026-11-10");
        assert!(early.paused && later.paused);
        assert_eq!(early.elapsed_days, later.elapsed_days);
        assert!(later.due_date > early.due_date);
        assert_eq!(later.status, Some(SlaStatus::OnTime));
    }

    #[test]
    fn states_change_exactly_at_their_boundaries() {
        // 5 business days from Monday 2026-11-02: due Monday 11-09; at risk with 1 day left.
        let marks = [mark(TimelineEvent::Submit, "2026-11-02")];
        let cal = calendar(&[]);
        let target = attention(5, 1);
        let status_on = |day: &str| compute(&cal, target, &marks, noon(day)).status.unwrap();
        assert_eq!(status_on("2026-11-02"), SlaStatus::OnTime);
        assert_eq!(status_on("2026-11-05"), SlaStatus::OnTime); // 3 elapsed, 2 left
        assert_eq!(status_on("2026-11-06"), SlaStatus::AtRisk); // 4 elapsed, 1 left
        assert_eq!(status_on("2026-11-08"), SlaStatus::AtRisk); // Sunday: still 1 left
        assert_eq!(status_on("2026-11-09"), SlaStatus::AtRisk); // due today, 0 left
        assert_eq!(status_on("2026-11-10"), SlaStatus::Breached);

        let stopped_on = |day: &str| {
            let mut marks = marks.to_vec();
            marks.push(mark(TimelineEvent::Resolve, day));
            compute(&cal, target, &marks, noon("2026-12-01"))
                .status
                .unwrap()
        };
        assert_eq!(stopped_on("2026-11-09"), SlaStatus::Met);
        assert_eq!(stopped_on("2026-11-10"), SlaStatus::Missed);
    }

    #[test]
    fn the_time_of_day_counts_in_mexico_city() {
        // 23:30 in Mexico City on Friday 2026-11-06 is already Saturday in UTC.
        let late = TIME_ZONE
            .with_ymd_and_hms(2026, 11, 6, 23, 30, 0)
            .unwrap()
            .with_timezone(&Utc);
        let marks = [Mark {
            event: TimelineEvent::Submit,
            at: late,
        }];
        let clock = compute(&calendar(&[]), attention(1, 0), &marks, late);
        assert_eq!(due(&clock), "2026-11-09");
    }

    #[test]
    fn a_certificate_clock_waits_for_the_certificate() {
        let target = Target {
            clock: SlaClockKind::CertificateDeployment,
            business_days: 1,
            at_risk_days: 0,
        };
        let cal = calendar(&[]);
        let mut marks = vec![mark(TimelineEvent::Submit, "2026-11-02")];
        let waiting = compute(&cal, target, &marks, noon("2026-11-20"));
        assert_eq!((waiting.started_at, waiting.status), (None, None));
        marks.push(mark(TimelineEvent::CertificateReceived, "2026-11-20"));
        marks.push(mark(TimelineEvent::CertificateDeployed, "2026-11-23"));
        let done = compute(&cal, target, &marks, noon("2026-11-25"));
        assert_eq!((done.elapsed_days, done.status), (1, Some(SlaStatus::Met)));
    }

    #[test]
    fn a_cancelled_request_has_no_verdict() {
        let marks = [
            mark(TimelineEvent::Submit, "2026-11-02"),
            mark(TimelineEvent::Cancel, "2026-11-20"),
        ];
        let clock = compute(&calendar(&[]), attention(5, 1), &marks, noon("2026-11-25"));
        assert_eq!(clock.status, None);
        assert!(clock.stopped_at.is_some());
    }

    #[test]
    fn the_most_pressing_state_leads() {
        let with = |states: &[SlaStatus]| {
            let clocks: Vec<SlaClock> = states
                .iter()
                .map(|s| SlaClock {
                    clock: SlaClockKind::Attention,
                    target_days: 1,
                    at_risk_days: 0,
                    started_at: None,
                    stopped_at: None,
                    paused: false,
                    elapsed_days: 0,
                    paused_days: 0,
                    due_date: None,
                    remaining_days: None,
                    status: Some(*s),
                })
                .collect();
            most_pressing(&clocks)
        };
        assert_eq!(
            with(&[SlaStatus::Met, SlaStatus::AtRisk]),
            Some(SlaStatus::AtRisk)
        );
        assert_eq!(
            with(&[SlaStatus::OnTime, SlaStatus::Breached]),
            Some(SlaStatus::Breached)
        );
        assert_eq!(
            with(&[SlaStatus::Met, SlaStatus::Missed]),
            Some(SlaStatus::Missed)
        );
    }
}

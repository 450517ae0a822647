//! Service levels (`docs/architecture.md`, "Service levels and business days"): the clocks of a
//! request in business days, the policies that set
//! their targets, and compliance reports by period.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::common::FieldError;
use crate::requests::RequestType;

/// The service-level clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlaClockKind {
    /// From submission to the service desk's first observation or forward.
    FirstContact,
    /// From submission to resolution or rejection, paused while the request waits for the area.
    Attention,
    /// From the upload of RENAPO's certificate to its deployment.
    CertificateDeployment,
}

impl SlaClockKind {
    pub const ALL: [SlaClockKind; 3] = [
        SlaClockKind::FirstContact,
        SlaClockKind::Attention,
        SlaClockKind::CertificateDeployment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaClockKind::FirstContact => "first_contact",
            SlaClockKind::Attention => "attention",
            SlaClockKind::CertificateDeployment => "certificate_deployment",
        }
    }

    pub fn parse(value: &str) -> Option<SlaClockKind> {
        SlaClockKind::ALL.into_iter().find(|c| c.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            SlaClockKind::FirstContact => "Primer contacto",
            SlaClockKind::Attention => "Atención",
            SlaClockKind::CertificateDeployment => "Despliegue del certificado",
        }
    }

    /// The clocks a request of `request_type` runs.
    pub fn of_type(request_type: RequestType) -> &'static [SlaClockKind] {
        match request_type {
            RequestType::Renapo | RequestType::Sat => {
                &[SlaClockKind::FirstContact, SlaClockKind::Attention]
            }
            RequestType::Certificate => &[
                SlaClockKind::FirstContact,
                SlaClockKind::CertificateDeployment,
            ],
        }
    }
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// Running, past its due date.
    Breached,
    /// Running, due within the policy's warning days (or today).
    AtRisk,
    /// Running, with time to spare.
    OnTime,
    /// Stopped after its due date.
    Missed,
    /// Stopped on or before its due date.
    Met,
}

impl SlaStatus {
    pub const ALL: [SlaStatus; 5] = [
        SlaStatus::Breached,
        SlaStatus::AtRisk,
        SlaStatus::OnTime,
        SlaStatus::Missed,
        SlaStatus::Met,
    ];

    pub fn parse(value: &str) -> Option<SlaStatus> {
        SlaStatus::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SlaStatus::Breached => "breached",
            SlaStatus::AtRisk => "at_risk",
            SlaStatus::OnTime => "on_time",
            SlaStatus::Missed => "missed",
            SlaStatus::Met => "met",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SlaStatus::Breached => "Vencida",
            SlaStatus::AtRisk => "Por vencer",
            SlaStatus::OnTime => "En tiempo",
            SlaStatus::Missed => "Atendida fuera de tiempo",
            SlaStatus::Met => "Atendida en tiempo",
        }
    }

    pub fn is_running(self) -> bool {
        matches!(
            self,
            SlaStatus::Breached | SlaStatus::AtRisk | SlaStatus::OnTime
        )
    }
}

/// One clock of one request, computed from its timeline at the time of asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaClock {
    pub clock: SlaClockKind,
    /// Business days allowed (the policy in force when the request was submitted).
    pub target_days: u32,
    /// A running clock is at risk when this many business days or fewer remain.
    pub at_risk_days: u32,
    /// `None` while the clock has not started (a certificate not yet received).
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// True while the request waits for the area (the attention clock does not run).
    pub paused: bool,
    /// Business days counted so far (or until it stopped), pauses excluded.
    pub elapsed_days: u32,
    /// Business days the clock spent paused.
    pub paused_days: u32,
    /// The last business day within the target (moves later with every paused day).
    pub due_date: Option<NaiveDate>,
    /// Business days left (negative when late); `None` once stopped or before starting.
    pub remaining_days: Option<i32>,
    /// `None` before the clock starts, and for a request cancelled while the clock ran.
    pub status: Option<SlaStatus>,
}

/// `GET /api/v1/requests/{id}/sla`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestSla {
    pub request_id: i64,
    /// The date the clocks were computed on (Mexico City).
    pub today: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(example = "America/Mexico_City"))]
    pub time_zone: String,
    pub clocks: Vec<SlaClock>,
}

/// A service-level target. Requests keep the targets in force when they were submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaPolicy {
    pub request_type: RequestType,
    pub clock: SlaClockKind,
    pub business_days: u32,
    pub at_risk_days: u32,
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Longest target an admin may set.
pub const SLA_MAX_DAYS: u32 = 250;

/// `PUT /api/v1/sla-policies/{request_type}/{clock}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyUpdate {
    /// Business days allowed, 1 to 250.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 250))]
    pub business_days: u32,
    /// Warn when this many business days or fewer remain (less than `business_days`).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 249))]
    pub at_risk_days: u32,
}

impl SlaPolicyUpdate {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !(1..=SLA_MAX_DAYS).contains(&self.business_days) {
            errors.push(FieldError::new(
                "business_days",
                format!("El plazo debe estar entre 1 y {SLA_MAX_DAYS} días hábiles."),
            ));
        }
        if self.at_risk_days >= self.business_days.max(1) {
            errors.push(FieldError::new(
                "at_risk_days",
                "El aviso debe darse antes de que empiece el plazo: menos días que el plazo.",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A reporting period: a month (`2026-11`), quarter (`2026-Q4`), semester (`2026-S2`) or year
/// (`2026`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportPeriod {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl ReportPeriod {
    pub fn parse(text: &str) -> Result<ReportPeriod, FieldError> {
        let invalid = || {
            FieldError::new(
                "period",
                "El periodo debe ser un mes (2026-11), trimestre (2026-Q4), semestre (2026-S2) o año (2026).",
            )
        };
        let text = text.trim().to_ascii_uppercase();
        // By bytes, but only where characters begin: anything else is not a period.
        let (Some(year), Some(rest)) = (text.get(..4), text.get(4..)) else {
            return Err(invalid());
        };
        let year: i32 = year
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(invalid)?;
        let months = match rest {
            "" => (1, 12),
            _ => {
                let rest = rest.strip_prefix('-').ok_or_else(invalid)?;
                let number = |s: &str| s.parse::<u32>().ok();
                if let Some(q) = rest.strip_prefix('Q') {
                    let q = number(q)
                        .filter(|q| (1..=4).contains(q))
                        .ok_or_else(invalid)?;
                    (q * 3 - 2, q * 3)
                } else if let Some(s) = rest.strip_prefix('S') {
                    let s = number(s)
                        .filter(|s| (1..=2).contains(s))
                        .ok_or_else(invalid)?;
                    (s * 6 - 5, s * 6)
                } else if rest.len() == 2 {
                    let m = number(rest)
                        .filter(|m| (1..=12).contains(m))
                        .ok_or_else(invalid)?;
                    (m, m)
                } else {
                    return Err(invalid());
                }
            }
        };
        let first_day = NaiveDate::from_ymd_opt(year, months.0, 1).ok_or_else(invalid)?;
        let after = if months.1 == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, months.1 + 1, 1)
        }
        .ok_or_else(invalid)?;
        Ok(ReportPeriod {
            first_day,
            last_day: after.pred_opt().ok_or_else(invalid)?,
        })
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        (self.first_day..=self.last_day).contains(&day)
    }

    pub fn year(&self) -> i32 {
        self.first_day.year()
    }
}

/// Parameters of `GET /api/v1/reports/sla`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SlaReportParams {
    /// `2026-11`, `2026-Q4`, `2026-S2` or `2026`, from 2000 to 2100.
    #[cfg_attr(
        feature = "openapi",
        param(
            example = "2026-Q4",
            pattern = r"^(20\d{2}|2100)(-(0[1-9]|1[0-2]|[Qq][1-4]|[Ss][12]))?$"
        )
    )]
    pub period: String,
    /// `xlsx` for a workbook instead of JSON.
    pub format: Option<crate::layouts::ReportFormat>,
}

/// What a line of the SLA report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlaGrouping {
    /// Every request.
    All,
    RequestType,
    Unit,
}

/// Compliance of one clock for one group of requests in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaReportLine {
    pub clock: SlaClockKind,
    pub grouping: SlaGrouping,
    /// The request type or the unit's key; empty for `all`.
    pub key: String,
    /// What people call the group.
    pub label: String,
    /// Clocks stopped in the period on time.
    pub met: u64,
    /// Clocks stopped in the period late.
    pub missed: u64,
    /// Clocks still running whose due date fell in the period.
    pub breached: u64,
    /// `met / (met + missed + breached)` as a percentage; `None` without clocks.
    pub compliance_percent: Option<f64>,
}

/// `GET /api/v1/reports/sla`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaReport {
    pub period: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub lines: Vec<SlaReportLine>,
}

/// The months as Spanish writes them in running text (lower case).
pub const MONTH_NAMES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// What kind of span a report covers, as people choose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Month,
    Quarter,
    Semester,
    Year,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 4] = [
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::Semester,
        PeriodKind::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Semester => "semester",
            PeriodKind::Year => "year",
        }
    }

    pub fn parse(value: &str) -> Option<PeriodKind> {
        PeriodKind::ALL.into_iter().find(|k| k.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            PeriodKind::Month => "Mes",
            PeriodKind::Quarter => "Trimestre",
            PeriodKind::Semester => "Semestre",
            PeriodKind::Year => "Año",
        }
    }

    /// The parts of a year of this kind, numbered from 1, with their names.
    pub fn parts(self) -> Vec<(u32, String)> {
        let (months, noun) = match self {
            PeriodKind::Month => {
                return (1..=12)
                    .map(|m| (m, MONTH_NAMES[m as usize - 1].to_owned()))
                    .collect();
            }
            PeriodKind::Quarter => (3, "trimestre"),
            PeriodKind::Semester => (6, "semestre"),
            PeriodKind::Year => return Vec::new(),
        };
        (1..=12 / months)
            .map(|n| {
                let (first, last) = ((n - 1) * months, n * months - 1);
                let span = format!(
                    "{} a {}",
                    MONTH_NAMES[first as usize], MONTH_NAMES[last as usize]
                );
                (n, format!("{n}.º {noun} ({span})"))
            })
            .collect()
    }
}

/// A report period as chosen from lists (kind, year, part) instead of typed: the same texts
/// [`ReportPeriod::parse`] reads (`2026-11`, `2026-Q4`, `2026-S2`, `2026`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodChoice {
    pub kind: PeriodKind,
    pub year: i32,
    /// Month, quarter or semester (1 for a year).
    pub part: u32,
}

impl PeriodChoice {
    /// The choice a period text stands for, if it is one.
    pub fn parse(text: &str) -> Option<PeriodChoice> {
        ReportPeriod::parse(text).ok()?;
        let text = text.trim().to_ascii_uppercase();
        let year = text.get(..4)?.parse().ok()?;
        let rest = text.get(4..)?.trim_start_matches('-');
        let (kind, part) = if rest.is_empty() {
            (PeriodKind::Year, 1)
        } else if let Some(q) = rest.strip_prefix('Q') {
            (PeriodKind::Quarter, q.parse().ok()?)
        } else if let Some(s) = rest.strip_prefix('S') {
            (PeriodKind::Semester, s.parse().ok()?)
        } else {
            (PeriodKind::Month, rest.parse().ok()?)
        };
        Some(PeriodChoice { kind, year, part })
    }

    /// The period as people say it: "noviembre de 2026", "4.º trimestre de 2026", "2026".
    pub fn label(self) -> String {
        match self.kind {
            PeriodKind::Year => self.year.to_string(),
            kind => {
                let parts = kind.parts();
                let name = parts
                    .iter()
                    .find(|(n, _)| *n == self.part)
                    .map(|(_, name)| name.split(" (").next().unwrap_or(name).to_owned())
                    .unwrap_or_default();
                format!("{name} de {}", self.year)
            }
        }
    }

    /// The period text; a part out of the kind's range is brought within it.
    pub fn text(self) -> String {
        let last = match self.kind {
            PeriodKind::Month => 12,
            PeriodKind::Quarter => 4,
            PeriodKind::Semester => 2,
            PeriodKind::Year => 1,
        };
        let part = self.part.clamp(1, last);
        match self.kind {
            PeriodKind::Month => format!("{}-{part:02}", self.year),
            PeriodKind::Quarter => format!("{}-Q{part}", self.year),
            PeriodKind::Semester => format!("{}-S{part}", self.year),
            PeriodKind::Year => self.year.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(text: &str) -> (String, String) {
        let p = ReportPeriod::parse(text).unwrap();
        (p.first_day.to_string(), p.last_day.to_string())
    }

    #[test]
    fn periods_cover_their_days() {
        assert_eq!(
            period("2026-11"),
            ("2026-11-01".into(), "2026-11-30".into())
        );
        assert_eq!(
            period("2026-Q4"),
            ("2026-10-01".into(), "2026-12-31".into())
        );
        assert_eq!(
            period("2026-q1"),
            ("2026-01-01".into(), "2026-03-31".into())
        );
        assert_eq!(
            period("2026-S2"),
            ("2026-07-01".into(), "2026-12-31".into())
        );
        assert_eq!(
            period("2028-02"),
            ("2028-02-01".into(), "2028-02-29".into())
        );
        assert_eq!(period("2026"), ("2026-01-01".into(), "2026-12-31".into()));
        for bad in [
            "", "26", "2026-13", "2026-Q5", "2026-S3", "2026/11", "2026-1", "abcd", "1999",
        ] {
            assert!(ReportPeriod::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn policies_need_a_warning_shorter_than_the_term() {
        let update = |business_days, at_risk_days| SlaPolicyUpdate {
            business_days,
            at_risk_days,
        };
        assert!(update(10, 2).validate().is_ok());
        assert!(update(1, 0).validate().is_ok());
        assert!(update(5, 5).validate().is_err());
        assert!(update(0, 0).validate().is_err());
        assert!(update(251, 1).validate().is_err());
    }

    #[test]
    fn a_period_chosen_from_lists_is_the_text_the_reports_read_and_back() {
        for text in ["2026-11", "2026-Q4", "2026-S2", "2026", "2027-01"] {
            let choice = PeriodChoice::parse(text).unwrap();
            assert_eq!(choice.text(), text);
            assert!(ReportPeriod::parse(&choice.text()).is_ok());
        }
        assert_eq!(
            PeriodChoice::parse("2026-q3"),
            Some(PeriodChoice {
                kind: PeriodKind::Quarter,
                year: 2026,
                part: 3
            })
        );
        assert_eq!(PeriodChoice::parse("2026-13"), None);
        // Switching from a month to a semester keeps a part the semester can have.
        let november = PeriodChoice::parse("2026-11").unwrap();
        assert_eq!(
            PeriodChoice {
                kind: PeriodKind::Semester,
                ..november
            }
            .text(),
            "2026-S2"
        );
        assert_eq!(
            PeriodKind::Quarter.parts()[3].1,
            "4.º trimestre (octubre a diciembre)"
        );
        assert_eq!(PeriodKind::Month.parts().len(), 12);
        assert_eq!(november.label(), "noviembre de 2026");
        assert_eq!(
            PeriodChoice::parse("2025-Q1").unwrap().label(),
            "1.º trimestre de 2025"
        );
        assert_eq!(PeriodChoice::parse("2026").unwrap().label(), "2026");
    }
}

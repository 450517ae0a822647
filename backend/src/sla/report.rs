//! Service-level compliance by period (`GET /api/v1/reports/sla`): per clock, for all requests,
//! per request type and per requesting unit. A clock counts in the period it stopped in (met or
//! missed), or, while still running late, in the period its due date fell in (breached).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use confrontas_api::{
    ReportPeriod, RequestType, SlaClockKind, SlaGrouping, SlaReport, SlaReportLine, SlaStatus,
};
use diesel::prelude::*;

use crate::calendar::local_date;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::schema::{requests, units};
use crate::spreadsheet::{self, xlsx_error};

#[derive(Default, Clone, Copy)]
struct Tally {
    met: u64,
    missed: u64,
    breached: u64,
}

/// The report of `period`, over every unit or only `unit_id`'s requests.
pub fn build(
    conn: &mut AnyConnection,
    text: &str,
    period: ReportPeriod,
    unit_id: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<SlaReport> {
    // Requests submitted after the period cannot have a clock that counts in it (a day of
    // margin covers the time zone).
    let until = period
        .last_day
        .succ_opt()
        .and_then(|d| d.succ_opt())
        .expect("report periods are within 2000..=2100")
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    let mut query = requests::table
        .filter(requests::submitted_at.lt(until))
        .select((
            requests::id,
            requests::request_type,
            requests::unit_id,
            requests::submitted_at,
        ))
        .into_boxed();
    if let Some(unit_id) = unit_id {
        query = query.filter(requests::unit_id.eq(unit_id));
    }
    let rows = query.load::<(i64, String, i64, NaiveDateTime)>(conn)?;
    let unit_names: HashMap<i64, (String, String)> = units::table
        .select((units::id, units::key, units::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, key, name)| (id, (key, name)))
        .collect();
    let submitted: Vec<(i64, NaiveDateTime)> = rows.iter().map(|r| (r.0, r.3)).collect();
    let mut clocks = super::clocks_of(conn, &submitted, now)?;

    // Every clock has its overall line and one per request type that runs it, even empty.
    let mut tallies: BTreeMap<(SlaClockKind, SlaGrouping, String), Tally> = BTreeMap::new();
    for clock in SlaClockKind::ALL {
        tallies.insert((clock, SlaGrouping::All, String::new()), Tally::default());
        for request_type in RequestType::ALL {
            if SlaClockKind::of_type(request_type).contains(&clock) {
                let key = request_type.as_str().to_owned();
                tallies.insert((clock, SlaGrouping::RequestType, key), Tally::default());
            }
        }
    }
    for (id, request_type, unit, _) in &rows {
        let unit_key = unit_names
            .get(unit)
            .map_or_else(|| unit.to_string(), |(key, _)| key.clone());
        for clock in clocks.remove(id).unwrap_or_default() {
            let counted = match clock.status {
                Some(status @ (SlaStatus::Met | SlaStatus::Missed)) => clock
                    .stopped_at
                    .filter(|at| period.contains(local_date(*at)))
                    .map(|_| status),
                Some(SlaStatus::Breached) => clock
                    .due_date
                    .filter(|due| period.contains(*due))
                    .map(|_| SlaStatus::Breached),
                _ => None,
            };
            let Some(status) = counted else { continue };
            for key in [
                (clock.clock, SlaGrouping::All, String::new()),
                (clock.clock, SlaGrouping::RequestType, request_type.clone()),
                (clock.clock, SlaGrouping::Unit, unit_key.clone()),
            ] {
                let tally = tallies.entry(key).or_default();
                match status {
                    SlaStatus::Met => tally.met += 1,
                    SlaStatus::Missed => tally.missed += 1,
                    _ => tally.breached += 1,
                }
            }
        }
    }
    let unit_label: HashMap<&str, &str> = unit_names
        .values()
        .map(|(key, name)| (key.as_str(), name.as_str()))
        .collect();
    let lines = tallies
        .into_iter()
        .map(|((clock, grouping, key), tally)| {
            let label = match grouping {
                SlaGrouping::All => "Todas las solicitudes".to_owned(),
                SlaGrouping::RequestType => {
                    RequestType::parse(&key).map_or(key.clone(), |t| t.short_label().to_owned())
                }
                SlaGrouping::Unit => unit_label
                    .get(key.as_str())
                    .map_or(key.clone(), |n| (*n).to_owned()),
            };
            let total = tally.met + tally.missed + tally.breached;
            SlaReportLine {
                clock,
                grouping,
                key,
                label,
                met: tally.met,
                missed: tally.missed,
                breached: tally.breached,
                compliance_percent: (total > 0)
                    .then(|| (tally.met as f64 * 1000.0 / total as f64).round() / 10.0),
            }
        })
        .collect();
    Ok(SlaReport {
        period: text.trim().to_ascii_uppercase(),
        first_day: period.first_day,
        last_day: period.last_day,
        lines,
    })
}

fn grouping_label(grouping: SlaGrouping) -> &'static str {
    match grouping {
        SlaGrouping::All => "Total",
        SlaGrouping::RequestType => "Tipo de solicitud",
        SlaGrouping::Unit => "Unidad administrativa",
    }
}

pub fn write_xlsx(report: &SlaReport, dir: &std::path::Path) -> AppResult<std::fs::File> {
    let mut workbook = spreadsheet::new_workbook(dir)?;
    let sheet = spreadsheet::add_table_sheet(
        &mut workbook,
        "Cumplimiento",
        &[
            ("Periodo", 12.0),
            ("Reloj", 26.0),
            ("Agrupación", 22.0),
            ("Grupo", 40.0),
            ("En tiempo", 12.0),
            ("Fuera de tiempo", 16.0),
            ("Vencidas sin atender", 20.0),
            ("% de cumplimiento", 18.0),
        ],
    )?;
    for (index, line) in report.lines.iter().enumerate() {
        let row = index as u32 + 1;
        let texts = [
            report.period.as_str(),
            line.clock.label(),
            grouping_label(line.grouping),
            line.label.as_str(),
        ];
        for (column, text) in texts.into_iter().enumerate() {
            sheet
                .write_string(row, column as u16, text)
                .map_err(xlsx_error)?;
        }
        for (column, count) in [(4, line.met), (5, line.missed), (6, line.breached)] {
            sheet
                .write_number(row, column, count as f64)
                .map_err(xlsx_error)?;
        }
        match line.compliance_percent {
            Some(percent) => sheet.write_number(row, 7, percent),
            None => sheet.write_string(row, 7, "—"),
        }
        .map_err(xlsx_error)?;
    }
    spreadsheet::save_to_file(&mut workbook, dir)
}

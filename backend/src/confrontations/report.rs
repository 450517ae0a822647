//! A confrontation's report: an `.xlsx` workbook with a summary sheet (request,
//! metrics, KPIs) and a results sheet of one row per layout row, or the results as `.csv`
//! (UTF-8 with a byte-order mark, which Excel needs to read accents). Items are read from the
//! database a page at a time and written as they come, so a 1,000,000-row job costs little
//! memory. Every text cell goes through [`neutralize`].

use std::io::Write;
use std::path::Path;

use confrontas_api::{
    Authority, Classification, Confrontation, EligibilityPolicy, ItemReason, Kpis, OpinionStanding,
    RfcWarning, SatOutcome, outcome_shares,
};
use diesel::prelude::*;
use rust_xlsxwriter::Format;

use super::jobs::ItemRow;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::schema::confrontation_items;
use crate::spreadsheet::{self, neutralize, xlsx_error};

/// Items read per query.
const PAGE: i64 = 5_000;

const RENAPO_COLUMNS: &[(&str, f64)] = &[
    ("Fila", 8.0),
    ("CURP", 22.0),
    ("Clasificación", 22.0),
    ("Motivo", 44.0),
    ("Diferencias (antes → después)", 70.0),
    ("Estatus RENAPO", 16.0),
    ("Aplicado al padrón", 18.0),
];

/// RENAPO's columns, with the RFC and the opinion's details.
const SAT_COLUMNS: &[(&str, f64)] = &[
    ("Fila", 8.0),
    ("CURP", 22.0),
    ("Clasificación", 22.0),
    ("Motivo", 44.0),
    ("Diferencias (antes → después)", 70.0),
    ("Sentido de la opinión", 26.0),
    ("Aplicado al padrón", 18.0),
    ("RFC", 16.0),
    ("Advertencia de RFC", 20.0),
    ("Folio de la opinión", 16.0),
    ("Emisión", 12.0),
    ("Vigente hasta", 14.0),
    ("Vigencia al generar el reporte", 24.0),
    ("Elegibilidad para subsidios", 40.0),
];

fn columns(authority: Authority) -> &'static [(&'static str, f64)] {
    match authority {
        Authority::Renapo => RENAPO_COLUMNS,
        Authority::Sat => SAT_COLUMNS,
    }
}

/// How a report reads the SAT opinions: their validity on the day it is made, their
/// eligibility by the policy then in force (read once per report, not per row).
struct OpinionReading {
    policy: EligibilityPolicy,
    today: chrono::NaiveDate,
}

impl OpinionReading {
    fn now(conn: &mut AnyConnection) -> AppResult<OpinionReading> {
        Ok(OpinionReading {
            policy: crate::sat::eligibility::policy(conn)?,
            today: crate::calendar::rules::local_date(chrono::Utc::now()),
        })
    }
}

/// One results row, as text; a SAT opinion read by `reading`.
fn result_cells(
    item: &ItemRow,
    authority: Authority,
    reading: &OpinionReading,
) -> AppResult<Vec<String>> {
    let changes = item
        .field_changes()?
        .iter()
        .map(|c| c.describe())
        .collect::<Vec<_>>()
        .join("; ");
    let classification = item
        .classification
        .as_deref()
        .and_then(Classification::parse)
        .map_or("Pendiente", Classification::label);
    let reason = item
        .reason
        .as_deref()
        .and_then(ItemReason::parse)
        .map_or("", ItemReason::label);
    let applied = match (&item.applied_at, &item.reverted_at, &item.apply_conflict) {
        (Some(_), None, _) => "Sí".to_owned(),
        (Some(_), Some(_), _) => "Revertido".to_owned(),
        (None, _, Some(conflict)) => format!("No: {conflict}"),
        (None, _, None) => String::new(),
    };
    let status = item.authority_status.clone().unwrap_or_default();
    let mut cells = vec![
        item.row_number.to_string(),
        item.curp.clone(),
        classification.to_owned(),
        reason.to_owned(),
        changes,
        match authority {
            Authority::Renapo => confrontas_api::renapo_status_label(&status),
            Authority::Sat => SatOutcome::parse(&status).map_or(status, |o| o.label().to_owned()),
        },
        applied,
    ];
    if authority == Authority::Sat {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let standing = item
            .opinion_valid_until
            .map(|until| OpinionStanding::on(until, reading.today));
        cells.extend([
            item.rfc.clone().unwrap_or_default(),
            item.rfc_warnings
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter_map(RfcWarning::parse)
                .map(RfcWarning::label)
                .collect::<Vec<_>>()
                .join("; "),
            item.opinion_folio.clone().unwrap_or_default(),
            date(item.opinion_issued_on),
            date(item.opinion_valid_until),
            standing.map(|s| s.label()).unwrap_or_default(),
            crate::sat::eligibility::verdict(
                &reading.policy,
                item.authority_status.as_deref(),
                standing,
            )
            .map(|verdict| verdict.describe())
            .unwrap_or_default(),
        ]);
    }
    Ok(cells)
}

/// Calls `each` with every item of `job` in layout order.
fn for_each_item(
    conn: &mut AnyConnection,
    job: i64,
    mut each: impl FnMut(&ItemRow) -> AppResult<()>,
) -> AppResult<()> {
    let mut after = -1;
    loop {
        let page: Vec<ItemRow> = confrontation_items::table
            .filter(confrontation_items::confrontation_id.eq(job))
            .filter(confrontation_items::row_number.gt(after))
            .order(confrontation_items::row_number)
            .limit(PAGE)
            .select(ItemRow::as_select())
            .load(conn)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.row_number;
        for item in &page {
            each(item)?;
        }
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.2} %", v * 100.0))
}

/// The summary as (label, value) lines.
fn summary_lines(job: &Confrontation) -> Vec<(&'static str, String)> {
    let m = &job.metrics;
    let Kpis {
        inconsistencies,
        deregistrations,
        mortality_index,
        survival,
        population_updated,
    } = job.kpis;
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| {
            t.with_timezone(&crate::calendar::rules::TIME_ZONE)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
    };
    let mut lines = vec![
        ("Solicitud", job.ticket_number.clone()),
        ("Confronta", job.id.to_string()),
        ("Autoridad", job.authority.as_str().to_uppercase()),
        ("Estado", job.state.label().to_owned()),
        ("Iniciada por", job.created_by.name.clone()),
        (
            "Iniciada (hora de la Ciudad de México)",
            time(Some(job.created_at)),
        ),
        ("Terminada", time(job.finished_at)),
        ("Aplicada al padrón", time(job.applied_at)),
    ];
    if job.reverted_at.is_some() {
        lines.push((
            "Revertida: sus cambios al padrón se deshicieron",
            time(job.reverted_at),
        ));
    }
    lines.extend([
        ("Registros a procesar", m.to_process.to_string()),
        ("Procesados", m.processed.to_string()),
        ("A actualizar", m.to_update.to_string()),
        ("Sin actualización", m.no_update.to_string()),
        ("No se pueden actualizar", m.cannot_update.to_string()),
        ("Encontrados en la autoridad", m.found.to_string()),
        ("Actualizaciones aplicadas", m.applied.to_string()),
        ("% de inconsistencias", percent(inconsistencies)),
        ("% de población actualizada", percent(population_updated)),
    ]);
    match job.authority {
        Authority::Renapo => lines.extend([
            (
                "Defunciones (incluidas en «a actualizar»)",
                m.deceased.to_string(),
            ),
            ("% de bajas", percent(deregistrations)),
            ("Índice de mortalidad", percent(mortality_index)),
            ("Estatus de supervivencia", percent(survival)),
        ]),
        Authority::Sat => {
            let sat = job.sat.unwrap_or_default();
            lines.extend([
                (
                    "Opiniones distintas de la del padrón",
                    sat.changed.to_string(),
                ),
                ("Con respuesta del SAT", sat.answered.to_string()),
                (
                    "Elegibles para subsidios (política vigente)",
                    format!("{} ({})", sat.eligible, percent(sat.eligible_share())),
                ),
                (
                    "Opiniones ya vencidas al llegar",
                    format!("{} ({})", sat.expired, percent(sat.expired_share())),
                ),
                (
                    "Filas con problemas de RFC",
                    format!(
                        "{} ({})",
                        sat.rfc_problems,
                        percent(sat.rfc_problem_share())
                    ),
                ),
            ]);
            let counts = &job.outcomes;
            for (outcome, share) in outcome_shares(counts) {
                let count = counts
                    .iter()
                    .find(|c| c.outcome == outcome)
                    .map_or(0, |c| c.count);
                lines.push((
                    outcome.label(),
                    format!("{count} ({})", percent(Some(share))),
                ));
            }
        }
    }
    lines
}

/// The workbook, saved to an anonymous file in `dir`.
pub fn xlsx(conn: &mut AnyConnection, job: &Confrontation, dir: &Path) -> AppResult<std::fs::File> {
    let mut workbook = spreadsheet::new_workbook(dir)?;
    let summary = workbook.add_worksheet();
    summary.set_name("Resumen").map_err(xlsx_error)?;
    spreadsheet::write_header(summary, 0, &[("Concepto", 44.0), ("Valor", 30.0)])?;
    let bold = Format::new().set_bold();
    for (row, (label, value)) in summary_lines(job).into_iter().enumerate() {
        let row = row as u32 + 1;
        summary
            .write_string_with_format(row, 0, label, &bold)
            .map_err(xlsx_error)?;
        summary
            .write_string(row, 1, neutralize(&value))
            .map_err(xlsx_error)?;
    }
    let results =
        spreadsheet::add_table_sheet(&mut workbook, "Resultados", columns(job.authority))?;
    let reading = OpinionReading::now(conn)?;
    let mut row = 0u32;
    for_each_item(conn, job.id, |item| {
        row += 1;
        if row > spreadsheet::LAST_ROW {
            return Err(AppError::internal("more results than an Excel sheet holds"));
        }
        let cells = result_cells(item, job.authority, &reading)?;
        results
            .write_number(row, 0, f64::from(item.row_number))
            .map_err(xlsx_error)?;
        for (column, text) in cells.iter().enumerate().skip(1) {
            results
                .write_string(row, column as u16, neutralize(text))
                .map_err(xlsx_error)?;
        }
        Ok(())
    })?;
    spreadsheet::save_to_file(&mut workbook, dir)
}

/// The results as CSV, written to an anonymous file in `dir`.
pub fn csv(conn: &mut AnyConnection, job: &Confrontation, dir: &Path) -> AppResult<std::fs::File> {
    let file = tempfile::tempfile_in(dir).map_err(AppError::internal)?;
    let mut buffered = std::io::BufWriter::new(file);
    buffered
        .write_all("\u{feff}".as_bytes())
        .map_err(AppError::internal)?;
    let mut writer = ::csv::Writer::from_writer(buffered);
    let csv_error = |e: ::csv::Error| AppError::internal(format!("csv writer: {e}"));
    writer
        .write_record(columns(job.authority).iter().map(|(title, _)| *title))
        .map_err(csv_error)?;
    let reading = OpinionReading::now(conn)?;
    for_each_item(conn, job.id, |item| {
        let cells = result_cells(item, job.authority, &reading)?;
        writer
            .write_record(cells.iter().map(|c| neutralize(c).into_owned()))
            .map_err(csv_error)
    })?;
    let buffered = writer
        .into_inner()
        .map_err(|e| AppError::internal(format!("csv writer: {e}")))?;
    let mut file = buffered
        .into_inner()
        .map_err(|e| AppError::internal(e.to_string()))?;
    use std::io::Seek;
    file.rewind().map_err(AppError::internal)?;
    Ok(file)
}
